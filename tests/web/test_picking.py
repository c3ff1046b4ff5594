"""Picking and packing pages: waves from released orders, the pick list (page and PDF), the
scanner endpoints with idempotency keys, the packing station, the label, 9810 arrival."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.conftest import login as conftest_login
from wms.catalog.models import Lot
from wms.inventory.models import Location, Quant, Warehouse
from wms.outbound.models import Wave

from .test_api_orders import decode_pdf_barcodes, fresh, order_by_no, pdf_text

pytestmark = pytest.mark.usefixtures("demo")


def login(client, user: str):
    client.post("/logout")
    assert conftest_login(client, user).status_code == 302


def key() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize("user", ["operator", "supervisor", "admin"])
def test_pages_for_operators(client, db, user):
    fresh(db)
    wave = db.scalar(select(Wave.id).order_by(Wave.id))  # the demo's wave of order 6
    login(client, user)
    for path in ("/m/pick/", "/m/pick/pack", f"/m/pick/waves/{wave}",
                 f"/m/pick/waves/{wave}/list", "/m/pick/pack?code=SLX2026112700007"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page


@pytest.mark.parametrize("user", ["customs", "owner", "dispatcher"])
def test_other_roles_get_403(client, user):
    login(client, user)
    assert client.get("/m/pick/").status_code == 403
    response = client.post("/m/pick/api/pick", json={"idempotency_key": key()})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_wave_from_released_orders_and_pick_list_pdf(client, db):
    login(client, "operator")
    index = client.get("/m/pick/?warehouse=LZB").get_data(as_text=True)
    released = order_by_no(db, "SLX2026112700003")
    assert released.order_no in index
    form_key = key()
    data = {"warehouse": "LZB", "order": [released.id], "idempotency_key": form_key}
    response = client.post("/m/pick/waves", data=data)
    assert response.status_code == 302
    fresh(db)
    waves = db.scalar(select(func.count()).select_from(Wave))
    assert client.post("/m/pick/waves", data=data).status_code == 302  # double tap: one wave
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Wave)) == waves
    wave = db.scalar(select(Wave).order_by(Wave.id.desc()))
    assert order_by_no(db, "SLX2026112700003").state == "picking"
    listing = client.get(f"/m/pick/waves/{wave.id}/list").get_data(as_text=True).replace(
        "<wbr>", "")  # the pick list lets long paths break at their slashes
    # FEFO: the bonded lot of the owner that expires first (other waves may hold some)
    first = db.execute(select(Lot.name, Location.full_path).join(
        Quant, Quant.lot_id == Lot.id).join(Location, Location.id == Quant.location_id).where(
        Quant.product_id == released.lines[0].product_id, Quant.customs_status == "bonded",
        Location.usage == "internal", Location.full_path.startswith("LZB/Stock/"),
        Quant.quantity > 0).order_by(Lot.expiry_date, Quant.in_date, Quant.id)).first()
    assert wave.name in listing and first.full_path in listing and first.name in listing
    pdf = client.get(f"/m/pick/waves/{wave.id}/picklist.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert wave.name in text and "APT-PRE-800" in text and first.name in text
    # Not released: refused, nothing reserved
    held = order_by_no(db, "SLX2026112700004")
    refused = client.post("/m/pick/waves", data={"warehouse": "LZB", "order": [held.id],
                                                 "idempotency_key": key()},
                          follow_redirects=True)
    assert "SLX" in refused.get_data(as_text=True)
    assert order_by_no(db, "SLX2026112700004").state == "held"


def test_packing_station_label_ship_and_overseas_arrival(client, db):
    login(client, "operator")
    picked = order_by_no(db, "SLX2026112700007")
    page = client.get(f"/m/pick/pack?code={picked.waybill.logistics_no}")
    assert page.status_code == 200 and picked.order_no in page.get_data(as_text=True)
    assert client.get("/m/pick/pack?code=NOPE").status_code == 404
    bad = client.post("/m/pick/api/pack", json={"order": picked.order_no, "tracking_no":
                                                "EB000000000CN", "weight_kg": "",
                                                "idempotency_key": key()})
    assert bad.status_code == 422 and bad.json["error"]["field"] in ("weight_kg", "tracking_no")
    body = {"order": picked.order_no, "tracking_no": "RR123456785CN", "weight_kg": "2.3",
            "idempotency_key": key()}
    assert client.post("/m/pick/api/pack", json=body).status_code == 201
    replay = client.post("/m/pick/api/pack", json=body)
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    label = client.get(f"/m/pick/orders/{picked.id}/label.pdf")
    assert label.status_code == 200 and "RR123456785CN" in decode_pdf_barcodes(label.data)
    text = pdf_text(label.data)
    assert "1901101010" in text and "DE" in text and picked.order_no in text
    ship = client.post("/m/pick/api/ship", json={"order": picked.order_no,
                                                  "idempotency_key": key()})
    assert ship.status_code == 201
    assert order_by_no(db, "SLX2026112700007").state == "shipped"
    again = client.post("/m/pick/api/ship", json={"order": picked.order_no,
                                                   "idempotency_key": key()})
    assert again.status_code == 409

    # The demo's 9810 export already arrived at ALA; a second arrival is refused.
    export = order_by_no(db, "SLX2026112700011")
    page = client.get(f"/m/pick/pack?code={export.order_no}").get_data(as_text=True)
    assert "ALA" in page and 'id="pack-arrive"' not in page
    fresh(db)
    at_ala = db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).join(
        Location, Location.id == Quant.location_id).where(
        Location.full_path == "ALA/Input", Quant.product_id == export.lines[0].product_id))
    assert at_ala == export.lines[0].qty
    assert client.post("/m/pick/api/arrive", json={"order": export.order_no,
                                                    "idempotency_key": key()}).status_code == 409


def test_arrival_of_a_fresh_9810_export(client, db):
    """A 9810 export shipped here becomes stock in the overseas warehouse on arrival."""
    from tests.web.test_api_orders import bearer
    from wms.demo import demo_order
    clerk = bearer(db, "customs")
    data = demo_order("EXP-9810-1", "9810", "Almaty overseas warehouse", "KZ-BIN-1",
                      "LX-HUANGQI-1KG", 5, "78.00")
    data["payment"]["pay_transaction_id"] = "PAY-EXP-9810-1"
    data["waybill"]["logistics_no"] = "EMS-EXP-9810-1"
    assert client.post("/api/v1/orders", json=[data], headers=clerk).status_code == 201
    assert client.post("/api/v1/orders/EXP-9810-1/declare", headers=clerk).status_code == 201
    fresh(db)
    from tests.web.test_api_orders import list_message, post_receipt
    from wms.customs.simulator import receipt_for
    assert post_receipt(client, clerk, receipt_for(list_message(db, "EXP-9810-1"),
                                                   "800")).status_code == 201
    order = order_by_no(db, "EXP-9810-1")
    assert order.state == "released"
    login(client, "operator")
    client.post("/m/pick/waves", data={"warehouse": "LZB", "order": [order.id],
                                       "idempotency_key": key()})
    fresh(db)
    from wms.outbound.queries import wave_lines
    wave = db.scalar(select(Wave).order_by(Wave.id.desc()))
    for line in wave_lines(db, wave):
        assert client.post("/m/pick/api/pick", json={
            "wave": wave.id, "move": line["move"], "quantity": line["qty"],
            "location": line["location_barcode"], "product": line["sku"],
            "idempotency_key": key()}).status_code == 201
    assert client.post("/m/pick/api/pack", json={
        "order": "EXP-9810-1", "tracking_no": "EMS-EXP-9810-1", "weight_kg": "5.2",
        "idempotency_key": key()}).status_code == 201
    assert client.post("/m/pick/api/ship", json={"order": "EXP-9810-1",
                                                  "idempotency_key": key()}).status_code == 201
    page = client.get("/m/pick/pack?code=EXP-9810-1").get_data(as_text=True)
    assert 'id="pack-arrive"' in page
    fresh(db)
    ala = db.scalar(select(Warehouse).where(Warehouse.code == "ALA"))
    product_id = order_by_no(db, "EXP-9810-1").lines[0].product_id

    def at_ala():
        fresh(db)
        return db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).join(
            Location, Location.id == Quant.location_id).where(
            Location.warehouse_id == ala.id, Location.usage == "internal",
            Quant.product_id == product_id))
    before = at_ala()
    arrived = client.post("/m/pick/api/arrive", json={"order": "EXP-9810-1",
                                                       "idempotency_key": key()})
    assert arrived.status_code == 201, arrived.get_data(as_text=True)
    assert at_ala() == before + 5
