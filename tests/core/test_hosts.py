"""Numeric host spellings are read as the socket reads them, so none slips past a check."""
from __future__ import annotations

import ipaddress
import socket

import pytest

from wms.core.hosts import is_public_host, numeric_address

LOOPBACK = ["127.0.0.1", "2130706433", "0x7f000001", "0X7F000001", "127.1", "0177.0.0.1",
            "0x7f.1", "127.0.1", "017700000001", "[::1]", "::ffff:127.0.0.1", "127.0.0.1.",
            "localhost", "LOCALHOST", "app.localhost", "db.internal"]
PRIVATE = ["2852039166", "169.254.169.254", "0xa9fea9fe", "10.1", "0300.0250.0.1",
           "192.168.1.1", "[fd00::1]", "0", "0.0.0.0"]


@pytest.mark.parametrize("host", LOOPBACK + PRIVATE)
def test_numeric_spellings_of_internal_addresses_are_refused(host):
    assert not is_public_host(host)


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0177.0.0.1",
                                  "2852039166", "0xa9fea9fe", "10.1"])
def test_read_as_the_c_library_reads_them(host):
    assert numeric_address(host) == ipaddress.ip_address(socket.inet_ntoa(socket.inet_aton(host)))


@pytest.mark.parametrize("host", ["8.8.8.8", "134744072", "0x08080808", "hooks.example.com"])
def test_public_addresses_and_names_pass(host):
    assert is_public_host(host)


def test_names_are_checked_by_what_they_resolve_to():
    assert not is_public_host("evil.example", resolve=lambda h: ["127.0.0.1"])
    assert not is_public_host("evil.example", resolve=lambda h: ["8.8.8.8", "10.0.0.1"])
    assert not is_public_host("evil.example", resolve=lambda h: [])
    assert is_public_host("hooks.example", resolve=lambda h: ["8.8.4.4"])

    def unknown(host):
        raise socket.gaierror("no such name")
    assert not is_public_host("nowhere.example", resolve=unknown)


@pytest.mark.parametrize("host", ["256.1.1.1", "1.2.3.4.5", "0x", "08.1.1.1", "example.com",
                                  "1.2.3.256", "12345678901"])
def test_what_is_not_an_address_is_a_name(host):
    assert numeric_address(host) is None
