"""A platform order for the demo's milk powder owner, built so that it reconciles."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

BUYER_ID = "620102199003071520"


def make_order(order_no: str = "SLX-20261127-0001", qty: int = 2, price: str = "198.00",
               **changes) -> dict:
    total = Decimal(price) * qty
    tax = (total * Decimal("0.091")).quantize(Decimal("0.01"))
    freight = Decimal("10.00")
    paid = total + freight + tax
    order = {
        "platform": "6201W60045", "owner": "6201W60012", "warehouse": "LZB",
        "order_no": order_no, "trade_mode": "1210", "ordered_at": "2026-11-27T10:15:00+08:00",
        "buyer_name": "王小兰", "buyer_id_type": "1", "buyer_id_number": BUYER_ID,
        "buyer_phone": "13909310001", "consignee": "王小兰", "consignee_phone": "13909310001",
        "consignee_address": "甘肃省兰州市城关区庆阳路 88 号", "goods_value": str(total),
        "freight": str(freight), "discount": "0", "tax_total": str(tax),
        "actual_paid": str(paid),
        "lines": [{"product": "APT-PRE-800", "qty": qty, "price": price,
                   "total_price": str(total)}],
        "payment": {"pay_code": "6201960101", "pay_name": "兰州银行支付",
                    "pay_transaction_id": f"PAY{order_no}", "amount_paid": str(paid)},
        "waybill": {"logistics_code": "6201980056", "logistics_no": f"EMS-{order_no}",
                    "consignee": "王小兰", "consignee_phone": "13909310001",
                    "consignee_address": "甘肃省兰州市城关区庆阳路 88 号", "weight_kg": "2.1"},
    }
    for key, value in changes.items():
        order[key] = value
    return copy.deepcopy(order)


@pytest.fixture
def order_data():
    return make_order
