"""Desk pages for orders: the list by kind and state, the detail with its messages and
receipts, declare, receipt upload, CSV upload, cancel, the outbox; roles and owner scoping."""
from __future__ import annotations

import io
import re

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.conftest import login as conftest_login
from tests.outbound.conftest import make_order
from wms.core.context import SYSTEM, acting_as
from wms.customs.models import CustomsMessage
from wms.customs.simulator import receipt_for
from wms.outbound.models import SalesOrder
from wms.outbound.intake import receive_order

from .test_api_orders import NEW_BUYER, count, fresh, list_message, order_by_no

pytestmark = pytest.mark.usefixtures("demo")


def login(client, user: str):
    client.post("/logout")
    assert conftest_login(client, user).status_code == 302


def text(response) -> str:
    return response.get_data(as_text=True)


def new_order(db, order_no: str) -> SalesOrder:
    with acting_as(SYSTEM):
        order = receive_order(db, make_order(order_no, qty=1, buyer_id_number=NEW_BUYER)).order
    db.commit()
    return order


def test_list_tabs_counts_and_b2b_apart(client, db):
    login(client, "supervisor")
    page = text(client.get("/orders/"))
    fresh(db)
    for no in db.scalars(select(SalesOrder.order_no)):
        assert no in page
    b2b = db.scalar(select(func.count()).select_from(SalesOrder).where(
        SalesOrder.trade_mode.in_(("9710", "9810"))))
    assert re.search(rf'kind=b2b[^>]*>[^<]*<span class="count">{b2b}</span>', page)
    b2b_page = text(client.get("/orders/?kind=b2b"))
    assert "SLX2026112700011" in b2b_page and "SLX2026112700001" not in b2b_page
    held = text(client.get("/orders/?state=held"))
    assert "SLX2026112700004" in held and "SLX2026112700003" not in held
    assert "SLX2026112700010" in text(client.get("/orders/?trade_mode=9610"))
    assert "SLX2026112700002" in text(client.get("/orders/?q=SLX2026112700002"))


def test_detail_shows_lines_quota_documents_and_messages(client, db):
    login(client, "customs")
    order = order_by_no(db, "SLX2026112700005")  # rejected by customs
    page = text(client.get(f"/orders/{order.id}"))
    assert "订购人身份信息不符" in page  # customs' reason
    assert order.payment.pay_transaction_id in page and order.waybill.logistics_no in page
    assert "quota" in page  # the buyer's remaining quota is shown for 1210
    messages = db.scalars(select(CustomsMessage).where(
        CustomsMessage.business_key == order.order_no)).all()
    for m in messages:
        assert f"/orders/messages/{m.guid}.xml" in page
    assert "<code>100</code>" in page
    xml = client.get(f"/orders/messages/{messages[0].guid}.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    etree.fromstring(xml.data)


def test_declare_upload_receipt_and_cancel(client, db):
    order = new_order(db, "DESK-1")
    login(client, "customs")
    page = text(client.get(f"/orders/{order.id}"))
    assert f"/orders/{order.id}/declare" in page
    confirm = client.post(f"/orders/{order.id}/declare")  # the confirm step sends nothing
    assert confirm.status_code == 200 and order_by_no(db, "DESK-1").state == "received"
    for words in ("CEB311", "CEB621", "DESK-1", 'name="confirm" value="yes"'):
        assert words in text(confirm)
    response = client.post(f"/orders/{order.id}/declare", data={"confirm": "yes"})
    assert response.status_code == 302
    assert order_by_no(db, "DESK-1").state == "declared"
    assert client.post(f"/orders/{order.id}/declare",
                       data={"confirm": "yes"}).status_code == 409  # once only
    message = list_message(db, "DESK-1")
    upload = client.post("/orders/receipts", data={
        "xml": (io.BytesIO(receipt_for(message, "500", "查验")), "r.xml"),
        "next": f"/orders/{order.id}"}, content_type="multipart/form-data")
    assert upload.status_code == 302 and upload.headers["Location"].endswith(f"/orders/{order.id}")
    assert order_by_no(db, "DESK-1").state == "held"
    bad = client.post("/orders/receipts", data={"xml": (io.BytesIO(receipt_for(
        message, "800").replace(message.guid.encode(), b"00000000-0000-4000-8000-000000000000")),
        "r.xml")}, content_type="multipart/form-data", follow_redirects=True)
    assert "00000000-0000-4000-8000-000000000000" in text(bad)
    assert order_by_no(db, "DESK-1").state == "held"

    other = new_order(db, "DESK-2")
    refused = client.post(f"/orders/{other.id}/cancel", data={"reason": ""})
    assert refused.status_code == 422
    assert client.post(f"/orders/{other.id}/cancel", data={"reason": "买家取消"}).status_code == 302
    assert order_by_no(db, "DESK-2").state == "cancelled"


def test_csv_upload_page(client, db):
    from wms.outbound.order_csv import SAMPLE_ORDER_ROWS
    login(client, "customs")
    sample = client.get("/orders/import/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    content = sample.data.decode("utf-8-sig")
    bad = content.replace(",APT-PRE-800,1,", ",APT-PRE-800,x,", 1)
    before = count(db, SalesOrder)
    response = client.post("/orders/import", data={"file": (io.BytesIO(bad.encode()), "o.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "qty" in text(response)
    assert count(db, SalesOrder) == before
    response = client.post("/orders/import", data={
        "file": (io.BytesIO(content.encode("gb18030")), "o.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200, text(response)
    assert SAMPLE_ORDER_ROWS[0]["order_no"] in text(response)
    assert count(db, SalesOrder) == before + 1
    assert len(order_by_no(db, SAMPLE_ORDER_ROWS[0]["order_no"]).lines) == 2


def test_messages_page_filters(client, db):
    login(client, "supervisor")
    page = text(client.get("/orders/messages?type=CEB621"))
    fresh(db)
    guids = db.scalars(select(CustomsMessage.guid).where(
        CustomsMessage.message_type == "CEB621")).all()
    assert guids and all(g in page for g in guids)
    other = db.scalar(select(CustomsMessage.guid).where(CustomsMessage.message_type == "CEB311"))
    assert other not in page
    released = text(client.get("/orders/messages?state=released"))
    assert all(g not in released for g in db.scalars(select(CustomsMessage.guid).where(
        CustomsMessage.state != "released")))
    assert 'enctype="multipart/form-data"' in page


def test_owner_sees_only_their_orders_and_may_not_write(client, db):
    login(client, "owner")
    page = text(client.get("/orders/"))
    assert "SLX2026112700001" in page and "SLX2026112700010" not in page
    herbs = order_by_no(db, "SLX2026112700010")
    assert client.get(f"/orders/{herbs.id}").status_code == 404
    mine = order_by_no(db, "SLX2026112700001")
    detail = text(client.get(f"/orders/{mine.id}"))
    assert "/declare" not in detail
    assert client.post(f"/orders/{mine.id}/declare").status_code == 403
    assert client.get("/orders/import").status_code == 403
    guid = db.scalar(select(CustomsMessage.guid).where(
        CustomsMessage.business_key == "SLX2026112700010"))
    assert client.get(f"/orders/messages/{guid}.xml").status_code == 404
    assert guid not in text(client.get("/orders/messages"))


def test_pages_fit_the_csp(client, db):
    order = order_by_no(db, "SLX2026112700001")
    login(client, "supervisor")
    for path in ("/orders/", "/orders/messages", "/orders/import", f"/orders/{order.id}"):
        page = text(client.get(path))
        assert "<script>" not in page and "style=" not in page, path
