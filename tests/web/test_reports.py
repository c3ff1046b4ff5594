"""Statistics: the table and CSV add up to the database, the SVG charts are valid XML with
one bar per period, owner users see their own numbers only, and the CEB701 summary."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.conftest import login as conftest_login
from wms.customs.models import CustomsMessage
from wms.outbound.models import OrderLine, SalesOrder
from wms.partners.models import Enterprise
from wms.reports.statistics import COUNTED

from .test_api_orders import fresh

pytestmark = pytest.mark.usefixtures("demo")
SVG = "{http://www.w3.org/2000/svg}"
BEIJING = ZoneInfo("Asia/Shanghai")


def login(client, user: str):
    client.post("/logout")
    assert conftest_login(client, user).status_code == 302


def expected(db, owner_code: str | None = None) -> dict:
    """Orders, quantity and value of the counted orders, straight from the tables."""
    fresh(db)
    stmt = select(SalesOrder).where(SalesOrder.state.in_(COUNTED))
    if owner_code:
        stmt = stmt.join(Enterprise, Enterprise.id == SalesOrder.owner_id).where(
            Enterprise.customs_code == owner_code)
    orders = db.scalars(stmt).all()
    ids = [o.id for o in orders]
    qty, value = db.execute(select(func.coalesce(func.sum(OrderLine.qty), 0),
                                   func.coalesce(func.sum(OrderLine.total_price), 0))
                            .where(OrderLine.order_id.in_(ids or [0]))).one()
    days = {o.ordered_at.astimezone(BEIJING).date().isoformat() for o in orders}
    modes = {o.trade_mode for o in orders}
    return {"orders": len(orders), "quantity": Decimal(qty), "value": Decimal(value),
            "days": days, "modes": modes}


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_adds_up_to_the_database(client, db):
    login(client, "supervisor")
    want = expected(db)
    rows = read_csv(client.get("/reports/?format=csv&group=period&group=trade_mode"))
    assert sum(int(r["orders"]) for r in rows) == want["orders"]
    assert sum(Decimal(r["quantity"]) for r in rows) == want["quantity"]
    assert sum(Decimal(r["value_cny"]) for r in rows) == want["value"]
    assert {r["trade_mode"] for r in rows} == want["modes"]
    by_chapter = read_csv(client.get("/reports/?format=csv&group=hs_chapter"))
    assert sum(Decimal(r["value_cny"]) for r in by_chapter) == want["value"]
    assert {r["hs_chapter"] for r in by_chapter} >= {"19", "12"}
    page = client.get("/reports/").get_data(as_text=True)
    assert f"{want['value']:,.2f}" in page
    assert "<script" not in page and "style=" not in page


def test_svg_is_valid_with_one_bar_per_period(client, db):
    login(client, "customs")
    want = expected(db)
    response = client.get("/reports/chart.svg?period=day&metric=orders")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = etree.fromstring(response.data)
    assert root.tag == f"{SVG}svg"
    bars = root.findall(f".//{SVG}g[@class='bar']")
    assert sorted(b.get("data-period") for b in bars) == sorted(want["days"])
    assert sum(Decimal(b.get("data-total")) for b in bars) == want["orders"]
    second = etree.fromstring(client.get("/reports/chart.svg?chart=breakdown&breakdown=country")
                              .data)
    assert second.findall(f".//{SVG}g[@class='hbar']")
    page = client.get("/reports/?period=month").get_data(as_text=True)
    assert page.count('class="chart"') == 2


def test_owner_sees_only_their_statistics(client, db):
    login(client, "owner")
    want = expected(db, "6201W60012")
    rows = read_csv(client.get("/reports/?format=csv&group=owner&group=trade_mode"))
    assert {r["owner"] for r in rows} == {"6201W60012"}
    assert sum(int(r["orders"]) for r in rows) == want["orders"]
    assert sum(Decimal(r["value_cny"]) for r in rows) == want["value"]
    page = client.get("/reports/").get_data(as_text=True)
    assert 'data-mode="9610"' not in page and 'data-mode="1210"' in page
    assert "CEB701" not in page  # no summary for owner users
    assert client.post("/reports/summary", data={}).status_code == 403


def test_roles(client):
    login(client, "operator")
    assert client.get("/reports/").status_code == 403


def test_export_summary_from_the_desk(client, db):
    login(client, "customs")
    page = client.get("/reports/?date_from=2020-01-01&date_to=2030-12-31"
                      "&summary_owner=6201960034").get_data(as_text=True)
    assert "SLX2026112700010" in page and 'name="invt_no"' in page
    fresh(db)
    before = db.scalar(select(func.count()).select_from(CustomsMessage).where(
        CustomsMessage.message_type == "CEB701"))
    invt_no = page.split('name="invt_no" value="')[1].split('"')[0]
    response = client.post("/reports/summary", data={
        "owner": "6201960034", "date_from": "2020-01-01", "date_to": "2030-12-31",
        "invt_no": [invt_no]}, follow_redirects=True)
    assert response.status_code == 200
    fresh(db)
    message = db.scalar(select(CustomsMessage).where(CustomsMessage.message_type == "CEB701")
                        .order_by(CustomsMessage.id.desc()))
    assert db.scalar(select(func.count()).select_from(CustomsMessage).where(
        CustomsMessage.message_type == "CEB701")) == before + 1
    assert invt_no in message.xml
    assert message.business_key in response.get_data(as_text=True)
    again = client.post("/reports/summary", data={
        "owner": "6201960034", "date_from": "2020-01-01", "date_to": "2030-12-31",
        "invt_no": [invt_no]}, follow_redirects=True)
    assert invt_no in again.get_data(as_text=True)  # refused: already summed up
    fresh(db)
    assert db.scalar(select(func.count()).select_from(CustomsMessage).where(
        CustomsMessage.message_type == "CEB701")) == before + 1


def test_totals_per_trade_mode_match(client, db):
    login(client, "supervisor")
    fresh(db)
    per_mode = defaultdict(Decimal)
    for mode, value in db.execute(select(SalesOrder.trade_mode, OrderLine.total_price).join(
            OrderLine, OrderLine.order_id == SalesOrder.id).where(
            SalesOrder.state.in_(COUNTED))):
        per_mode[mode] += value
    rows = read_csv(client.get("/reports/?format=csv&group=trade_mode"))
    assert {r["trade_mode"]: Decimal(r["value_cny"]) for r in rows} == dict(per_mode)
