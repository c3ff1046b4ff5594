"""Which address a host name in a URL really names, numeric spellings included.

``ipaddress.ip_address`` reads only dotted-quad IPv4, so ``2130706433``, ``0x7f000001``,
``127.1`` and ``0177.0.0.1`` looked like names, passed a "public address" check at
subscription and reached 127.0.0.1 when resolved: the C library reads them the inet_aton
way (decimal, hex or octal parts, the last part filling the remaining bytes). This module
reads them the same way, so a check sees the address the socket will connect to.
"""
from __future__ import annotations

import ipaddress
import re

_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*", re.ASCII)
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


def _inet_aton_part(text: str) -> int | None:
    if not _PART.fullmatch(text):
        return None
    if text[:2].lower() == "0x":
        return int(text[2:], 16)
    if len(text) > 1 and text[0] == "0":
        return int(text, 8)
    return int(text)


def numeric_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a numeric host spells (any inet_aton form, or IPv6), else None (a
    name)."""
    host = (host or "").strip().strip("[]").rstrip(".").lower()
    if not host:
        return None
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = [_inet_aton_part(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = 0
    for n in leading:
        value = value * 256 + n
    value = value * 256 ** (4 - len(leading)) + last
    return ipaddress.IPv4Address(value)


def is_public_host(host: str, resolve=None) -> bool:
    """Whether every address ``host`` names is a public one. A name is resolved with
    ``resolve(host) -> [address text]`` when given; without it a name passes here and must be
    checked again, resolved, when the connection is made."""
    host = (host or "").strip().strip("[]").rstrip(".").lower()
    if not host or host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        return False
    address = numeric_address(host)
    if address is not None:
        addresses = [address]
    elif resolve is None:
        return True
    else:
        try:
            addresses = [numeric_address(a) for a in resolve(host)]
        except (OSError, ValueError, UnicodeError):
            return False
    if not addresses or any(a is None for a in addresses):
        return False
    return all(_global(a) for a in addresses)


def _global(address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_global
