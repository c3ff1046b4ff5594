"""An enterprise user cannot learn which order numbers another enterprise holds: a half-made
order with a taken number is refused exactly as one with a free number; only a valid order
hears that its number is taken (and never receives the other enterprise's order)."""
from __future__ import annotations

import pytest

from tests.outbound.conftest import make_order
from tests.web.test_api import bearer

pytestmark = pytest.mark.usefixtures("demo")

HERBS_ORDER = "SLX2026112700010"  # the demo's 9610 export of the herbs owner, same platform


def numbered(order_no: str, **changes) -> dict:
    order = make_order(order_no, qty=1, buyer_id_number="620105199212240019", **changes)
    order["payment"]["pay_transaction_id"] = f"PAY-ORACLE-{order_no}"
    order["waybill"]["logistics_no"] = f"EMS-ORACLE-{order_no}"
    return order


def test_a_half_made_order_gets_the_same_answer_for_a_taken_and_a_free_number(client, db):
    owner = bearer(db, "owner")  # owner_viewer of the milk owner 6201W60012
    answers = []
    for order_no in (HERBS_ORDER, "SLX-NEVER-ISSUED-1"):
        half_made = numbered(order_no, buyer_name="")
        response = client.post("/api/v1/orders", json=[half_made], headers=owner)
        answers.append((response.status_code, response.json["error"]["code"],
                        response.json["error"]["field"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422


def test_a_valid_order_hears_the_number_is_taken_and_gets_nothing_of_the_other(client, db):
    owner = bearer(db, "owner")
    response = client.post("/api/v1/orders", json=[numbered(HERBS_ORDER)], headers=owner)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.json["error"]["field"] == "orders[0].order_no"
    assert "6201960034" not in response.get_data(as_text=True)  # the herbs owner's code
