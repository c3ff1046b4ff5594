"""Buyers' ID and phone numbers are masked on every page, message and API read for every
role but the customs clerk and the supervisor, who see them in full only through an explicit
"show" that the audit trail records (who looked at whose numbers, when)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import login as conftest_login
from tests.web.test_api import bearer
from wms.core.audit import AuditEvent
from wms.core.privacy import mask_id_number, mask_phone, mask_xml
from wms.customs.models import CustomsMessage

from .test_api_orders import order_by_no

pytestmark = pytest.mark.usefixtures("demo")
ORDER_NO = "SLX2026112700005"


def login(client, user: str):
    client.post("/logout")
    assert conftest_login(client, user).status_code == 302


def shows(db, order_id):
    db.commit()
    return db.scalars(select(AuditEvent).where(AuditEvent.model == "sales_order",
                                               AuditEvent.record_id == order_id,
                                               AuditEvent.kind == "show")).all()


def test_masks_keep_the_county_and_the_last_digits():
    assert mask_id_number("62010219900101123X") == "620102********123X"
    assert mask_phone("13812345678") == "138****5678"
    xml = ("<ceb:buyerIdNumber>62010219900101123X</ceb:buyerIdNumber>"
           "<ceb:buyerTelephone>13812345678</ceb:buyerTelephone><ceb:orderNo>X1</ceb:orderNo>")
    assert mask_xml(xml) == ("<ceb:buyerIdNumber>620102********123X</ceb:buyerIdNumber>"
                             "<ceb:buyerTelephone>138****5678</ceb:buyerTelephone>"
                             "<ceb:orderNo>X1</ceb:orderNo>")


@pytest.mark.parametrize("user", ["operator", "dispatcher", "returns", "owner"])
def test_other_roles_see_masked_numbers_and_cannot_show(client, db, user):
    order = order_by_no(db, ORDER_NO)
    full_id, phone = order.buyer_id_number, order.buyer_phone
    login(client, user)
    page = client.get(f"/orders/{order.id}")
    if page.status_code == 404:  # an owner user of another owner
        return
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert full_id not in text and phone not in text and order.consignee_phone not in text
    assert mask_id_number(full_id) in text and mask_phone(phone) in text
    assert "personal-data" not in text  # no show button
    assert client.post(f"/orders/{order.id}/personal-data").status_code == 403
    messages = db.scalars(select(CustomsMessage).where(
        CustomsMessage.business_key == order.order_no)).all()
    for m in messages:
        xml = client.get(f"/orders/messages/{m.guid}.xml")
        if xml.status_code == 200:
            assert full_id.encode() not in xml.data and phone.encode() not in xml.data
    assert shows(db, order.id) == []


@pytest.mark.parametrize("user", ["customs", "supervisor"])
def test_a_clerk_shows_the_numbers_and_the_look_is_audited(client, db, user):
    order = order_by_no(db, ORDER_NO)
    full_id, phone = order.buyer_id_number, order.buyer_phone
    login(client, user)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert full_id not in page and mask_id_number(full_id) in page  # masked until shown
    assert f"/orders/{order.id}/personal-data" in page
    before = len(shows(db, order.id))
    shown = client.post(f"/orders/{order.id}/personal-data")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    text = shown.get_data(as_text=True)
    assert full_id in text and phone in text
    events = shows(db, order.id)
    assert len(events) == before + 1
    assert events[-1].user_login == user and "buyer_id_number" in events[-1].new_value
    again = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert full_id not in again  # a show is for that one answer


def test_api_order_read_masks_for_tokens_that_may_not_see(client, db):
    order = order_by_no(db, ORDER_NO)
    full_id = order.buyer_id_number
    for login_name, sees in (("operator", False), ("customs", True)):
        body = client.get(f"/api/v1/orders/{order.id}", headers=bearer(db, login_name))
        assert body.status_code == 200, body.get_data(as_text=True)
        assert (body.json["buyer_id_number"] == full_id) is sees
        if not sees:
            assert body.json["buyer_id_number"] == mask_id_number(full_id)
        listed = client.get("/api/v1/orders", headers=bearer(db, login_name))
        if listed.status_code == 200:
            assert (full_id in listed.get_data(as_text=True)) is sees or not listed.json


def test_csv_exports_carry_no_full_numbers(client, db):
    order = order_by_no(db, ORDER_NO)
    login(client, "returns")
    export = client.get("/returns/export.csv")
    assert export.status_code == 200
    assert order.buyer_id_number.encode() not in export.data
    assert order.buyer_phone.encode() not in export.data
