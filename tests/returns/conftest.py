"""Shipped 1210 orders to return, made through the normal outbound flow."""
from __future__ import annotations

import itertools

import pytest

from wms.returns.demo import BUYER_A, ship_order

_serial = itertools.count(1)


@pytest.fixture
def shipped(demo):
    """``shipped(sku, qty)``: a new order of the demo's milk powder owner, shipped."""
    def make(sku: str = "APT-PRE-800", qty: int = 2, price: str = "198.00"):
        order_no = f"SLX20261127{99000 + next(_serial):05d}"
        return ship_order(demo, order_no, BUYER_A, sku, qty, price)
    return make
