"""Orders and customs messages over the API, and the whole outbound flow through the Flask
test client: POST orders -> declare -> 800 receipt -> wave -> pick (one short) -> pack ->
ship (both backends). Bad input is refused naming the field, and nothing is written."""
from __future__ import annotations

import copy
import io
import uuid
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
import zxingcpp
from lxml import etree
from sqlalchemy import func, select

from tests.conftest import login
from tests.outbound.conftest import make_order
from wms.accounts.services import create_token, get_user
from wms.catalog.models import Product
from wms.customs.models import CustomsMessage, CustomsReceipt
from wms.customs.rules import line_tax
from wms.customs.simulator import receipt_for
from wms.inventory.ledger import check_ledger
from wms.outbound.models import (AccountBookEntry, InventoryList, OrderLine, Parcel, SalesOrder,
                                 ShortPick, Wave)
from wms.outbound.queries import buyer_year_total, wave_lines

pytestmark = pytest.mark.usefixtures("demo")

CEB = "http://www.chinaport.gov.cn/ceb"
NEW_BUYER = "620105199212240019"
XSD_DIR = "/work/shared/reference/ceb-202205/xsd"


def bearer(db, user: str) -> dict:
    token = create_token(db, get_user(db, user))
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def fresh(db) -> None:
    db.commit()
    db.expire_all()


def count(db, model) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(model))


def order_by_no(db, order_no: str) -> SalesOrder:
    fresh(db)
    return db.scalar(select(SalesOrder).where(SalesOrder.order_no == order_no))


def assert_error(response, status: int, code: str | None, field: str | None):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    if code:
        assert error["code"] == code
    assert error["field"] == field, error
    assert error["message"]
    return error


def priced_order(db, order_no: str, sku: str, qty: int, price: str, owner: str,
                 buyer: str = NEW_BUYER) -> dict:
    """A 1210 order for any product, its tax computed from the product's rates."""
    product = db.scalar(select(Product).where(Product.sku == sku))
    total = Decimal(price) * qty
    tax = line_tax(total, product.vat_rate, product.consumption_tax_rate)
    data = make_order(order_no, qty=qty, price=price, owner=owner, buyer_id_number=buyer)
    data["lines"][0]["product"] = sku
    data["tax_total"] = str(tax)
    paid = total + Decimal("10.00") + tax
    data["actual_paid"] = str(paid)
    data["payment"]["amount_paid"] = str(paid)
    return data


def declare(client, headers, ref: str):
    response = client.post(f"/api/v1/orders/{ref}/declare", headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def list_message(db, order_no: str) -> CustomsMessage:
    fresh(db)
    return db.scalar(select(CustomsMessage).join(
        InventoryList, InventoryList.message_id == CustomsMessage.id).join(
        SalesOrder, SalesOrder.id == InventoryList.order_id).where(
        SalesOrder.order_no == order_no))


def post_receipt(client, headers, xml: bytes):
    return client.post("/api/v1/customs/receipts", data=xml, headers={
        **headers, "Content-Type": "application/xml"})


def release(client, db, headers, order_no: str, status: str = "800", info: str = "放行"):
    response = post_receipt(client, headers, receipt_for(list_message(db, order_no), status,
                                                         info))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response


def decode_pdf_barcodes(pdf: bytes) -> set[str]:
    found = set()
    for page in pdfium.PdfDocument(pdf):
        image = page.render(scale=300 / 72).to_pil()
        found |= {r.text for r in zxingcpp.read_barcodes(image)}
    return found


def pdf_text(data: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


# ---------------------------------------------------------------------------- the flow

def test_order_to_shipment_through_the_api_and_the_scanner(client, db, app):
    app.config["CEB_XSD_DIR"] = XSD_DIR
    clerk = bearer(db, "customs")
    spent = buyer_year_total(db, NEW_BUYER, 2026)
    batch = {"orders": [make_order("API-FLOW-1", qty=2, buyer_id_number=NEW_BUYER),
                        make_order("API-FLOW-2", qty=1, buyer_id_number=NEW_BUYER)]}
    before = count(db, SalesOrder)
    response = client.post("/api/v1/orders", json=batch, headers=clerk)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body["created"] == 2 and [o["created"] for o in body["orders"]] == [True, True]
    first = body["orders"][0]
    assert first["state"] == "received" and first["tax_total"] == "36.04"
    paid_both = sum(Decimal(o["actual_paid"]) for o in body["orders"])
    assert Decimal(body["orders"][1]["remaining_quota"]) == Decimal(26000) - spent - paid_both
    assert count(db, SalesOrder) == before + 2

    replay = client.post("/api/v1/orders", json=batch, headers=clerk)
    assert replay.status_code == 200
    assert [o["created"] for o in replay.json["orders"]] == [False, False]
    assert [o["id"] for o in replay.json["orders"]] == [o["id"] for o in body["orders"]]
    assert count(db, SalesOrder) == before + 2

    for no in ("API-FLOW-1", "API-FLOW-2"):
        detail = declare(client, clerk, no)
        assert detail["state"] == "declared"
        assert sorted(m["type"] for m in detail["messages"]) == ["CEB311", "CEB411", "CEB511",
                                                                 "CEB621"]
    listed = client.get("/api/v1/customs/messages?type=CEB621&per_page=500", headers=clerk).json
    fresh(db)
    assert listed["total"] == db.scalar(select(func.count()).select_from(CustomsMessage).where(
        CustomsMessage.message_type == "CEB621"))
    assert {m["type"] for m in listed["items"]} == {"CEB621"}
    guid = list_message(db, "API-FLOW-1").guid
    assert guid in {m["guid"] for m in listed["items"]}
    xml = client.get(f"/api/v1/customs/messages/{guid}.xml", headers=clerk)
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    root = etree.fromstring(xml.data)
    assert root.tag == f"{{{CEB}}}CEB621Message" and root.get("guid") == guid

    for no in ("API-FLOW-1", "API-FLOW-2"):
        release(client, db, clerk, no)
        assert order_by_no(db, no).state == "released"

    login(client, "operator")
    one, two = order_by_no(db, "API-FLOW-1"), order_by_no(db, "API-FLOW-2")
    response = client.post("/m/pick/waves", data={"warehouse": "LZB", "order": [one.id, two.id],
                                                  "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(db)
    wave = db.scalar(select(Wave).order_by(Wave.id.desc()))
    assert order_by_no(db, "API-FLOW-1").state == "picking"
    page = client.get(f"/m/pick/waves/{wave.id}").get_data(as_text=True)
    assert wave.name in page
    lines = wave_lines(db, wave)
    mine = {ln["order"]: ln for ln in lines}
    full, short = mine[one.name], mine[two.name]
    assert full["qty"] == "2" and short["qty"] == "1"

    def pick(line, quantity, **extra):
        return client.post("/m/pick/api/pick", json={
            "wave": wave.id, "move": line["move"], "location": line["location_barcode"],
            "product": line["gtin"], "quantity": quantity,
            "idempotency_key": str(uuid.uuid4()), **extra})

    assert_error(pick(full, "2", location="LZB-C-01-01"), 422, "validation_error", "location")
    assert_error(pick(full, "2", product="6906123000016"), 422, "validation_error", "product")
    assert_error(pick(short, "0"), 422, "validation_error", "reason")
    key = str(uuid.uuid4())
    body = {"wave": wave.id, "move": full["move"], "location": full["location_barcode"],
            "product": f"(01)0{full['gtin']}(10){full['lot']}", "quantity": "2",
            "idempotency_key": key}
    assert client.post("/m/pick/api/pick", json=body).status_code == 201
    again = client.post("/m/pick/api/pick", json=body)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    done = pick(short, "0", reason="货位空 location empty")
    assert done.status_code == 201 and done.json["short"]
    fresh(db)
    recorded = db.scalar(select(ShortPick).where(ShortPick.wave_id == wave.id))
    assert recorded.reason == "货位空 location empty" and recorded.picked_qty == 0
    assert order_by_no(db, "API-FLOW-1").state == "picked"
    short_order = order_by_no(db, "API-FLOW-2")
    assert short_order.state == "released" and "short pick" in short_order.hold_reason
    assert db.get(Wave, wave.id).state == "done"

    pack = client.post("/m/pick/api/pack", json={"order": "API-FLOW-1", "weight_kg": "2.2",
                                                  "tracking_no": "RR123456784CN",
                                                  "idempotency_key": str(uuid.uuid4())})
    assert_error(pack, 422, "validation_error", "tracking_no")  # S10 check digit
    pack = client.post("/m/pick/api/pack", json={"order": "API-FLOW-1", "weight_kg": "2.2",
                                                  "tracking_no": "RR123456785CN",
                                                  "idempotency_key": str(uuid.uuid4())})
    assert pack.status_code == 201, pack.get_data(as_text=True)
    label = client.get(pack.json["label_url"])
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    assert "inline" in label.headers["Content-Disposition"]
    assert "RR123456785CN" in decode_pdf_barcodes(label.data)
    assert "1901101010" in pdf_text(label.data)

    ship = client.post("/m/pick/api/ship", json={"order": "RR123456785CN",
                                                  "idempotency_key": str(uuid.uuid4())})
    assert ship.status_code == 201, ship.get_data(as_text=True)
    shipped = order_by_no(db, "API-FLOW-1")
    assert shipped.state == "shipped"
    entry = db.scalar(select(AccountBookEntry).where(AccountBookEntry.reference == shipped.name))
    assert entry.direction == "out" and entry.qty == 2
    assert db.scalar(select(Parcel.shipped_at).where(Parcel.order_id == shipped.id))
    assert check_ledger(db) == []
    detail = client.get("/api/v1/orders/API-FLOW-1", headers=clerk).json
    assert detail["state"] == "shipped" and detail["parcels"][0]["tracking_no"] == "RR123456785CN"
    assert detail["list"]["state"] == "released" and detail["list"]["invt_no"]


def test_a_whole_order_through_the_api_alone(client, db):
    """What an integrator can do without a scanner: receive -> declare -> customs' release
    receipt -> wave -> picks (one short, then the rest in a second wave) -> pack -> ship,
    each write with an idempotency key that makes a retry safe."""
    clerk, picker = bearer(db, "customs"), bearer(db, "operator")
    order = make_order("API-ALONE-1", qty=3, buyer_id_number=NEW_BUYER)
    assert client.post("/api/v1/orders", json=[order], headers=clerk).status_code == 201
    declare(client, clerk, "API-ALONE-1")
    release(client, db, clerk, "API-ALONE-1")
    assert order_by_no(db, "API-ALONE-1").state == "released"
    assert_error(client.post("/api/v1/waves", json={"warehouse": "LZB", "orders": [
        "API-ALONE-1"]}, headers=clerk), 403, "forbidden", None)

    body = {"warehouse": "LZB", "orders": ["API-ALONE-1"], "idempotency_key": str(uuid.uuid4())}
    waves = count(db, Wave)
    created = client.post("/api/v1/waves", json=body, headers=picker)
    assert created.status_code == 201, created.get_data(as_text=True)
    again = client.post("/api/v1/waves", json=body, headers=picker)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == created.json
    assert count(db, Wave) == waves + 1
    wave = created.json
    assert wave["orders"] == ["API-ALONE-1"] and wave["skipped"] == []
    assert sum(Decimal(ln["qty"]) for ln in wave["lines"]) == 3
    assert client.get(f"/api/v1/waves/{wave['id']}", headers=picker).json["lines"] == \
        wave["lines"]

    def pick(wave_id, line, quantity, **extra):
        return client.post(f"/api/v1/waves/{wave_id}/picks", headers=picker, json={
            "move": line["move"], "quantity": quantity, "location": line["location_barcode"],
            "product": line["sku"], "idempotency_key": str(uuid.uuid4()), **extra})

    first, *rest = wave["lines"]
    assert_error(pick(wave["id"], first, first["qty"], location="LZB-C-01-01"), 422,
                 "validation_error", "location")
    assert_error(pick(wave["id"], first, first["qty"], product="6906123000016"), 422,
                 "validation_error", "product")
    assert_error(pick(wave["id"], first, "0"), 422, "validation_error", "reason")
    short = pick(wave["id"], first, str(Decimal(first["qty"]) - 1), reason="罐子压扁 dented")
    assert short.status_code == 201 and short.json["short"], short.get_data(as_text=True)
    assert_error(pick(wave["id"], first, "1"), 404, "not_found", "move")  # picked already
    for line in rest:
        assert pick(wave["id"], line, line["qty"]).status_code == 201
    assert order_by_no(db, "API-ALONE-1").state == "released"  # one can short: next wave
    second = client.post("/api/v1/waves", json={"warehouse": "LZB", "orders": [
        "API-ALONE-1"], "idempotency_key": str(uuid.uuid4())}, headers=picker).json
    assert [ln["qty"] for ln in second["lines"]] == ["1"]
    done = pick(second["id"], second["lines"][0], "1")
    assert done.json["left"] == 0 and done.json["wave_state"] == "done"
    assert order_by_no(db, "API-ALONE-1").state == "picked"

    assert_error(client.post("/api/v1/orders/API-ALONE-1/ship", json={}, headers=picker),
                 409, "conflict", "order")  # picked, not packed
    pack = {"tracking_no": "RR123456784CN", "weight_kg": "3.3",
            "idempotency_key": str(uuid.uuid4())}
    assert_error(client.post("/api/v1/orders/API-ALONE-1/pack", json=pack, headers=picker),
                 422, "validation_error", "tracking_no")
    pack["tracking_no"] = "RR123456785CN"
    packed = client.post("/api/v1/orders/API-ALONE-1/pack", json=pack, headers=picker)
    assert packed.status_code == 201 and packed.json["state"] == "packed"
    assert packed.json["parcels"][0]["tracking_no"] == "RR123456785CN"
    shipped = client.post("/api/v1/orders/RR123456785CN/ship",
                          json={"idempotency_key": str(uuid.uuid4())}, headers=picker)
    assert shipped.status_code == 201 and shipped.json["state"] == "shipped"
    assert shipped.json["parcels"][0]["shipped_at"]
    fresh(db)
    entry = db.scalar(select(AccountBookEntry).where(
        AccountBookEntry.reference == order_by_no(db, "API-ALONE-1").name))
    assert entry.direction == "out" and entry.qty == 3
    assert check_ledger(db) == []
    assert_error(client.post("/api/v1/orders/API-ALONE-1/arrival", json={}, headers=picker),
                 409, "conflict", "order")  # a 1210 sale has no overseas warehouse


def test_a_9810_export_arrives_overseas_through_the_api(client, db):
    from wms.core.context import SYSTEM, acting_as
    from wms.demo import demo_order
    from wms.outbound.fulfilment import PickScan, confirm_picks, pack, ship, start_wave
    from wms.outbound.intake import receive_order
    from wms.outbound.queries import wave_moves
    picker = bearer(db, "operator")
    data = demo_order("API-9810-1", "9810", "Almaty overseas warehouse", "KZ-BIN-1",
                      "LX-HUANGQI-1KG", 4, "78.00")
    data["payment"]["pay_transaction_id"] = "PAY-API-9810-1"
    data["waybill"]["logistics_no"] = "EMS-API-9810-1"
    with acting_as(SYSTEM):
        order = receive_order(db, data).order
        order.state = "released"  # the receipts have their own tests
        wave = start_wave(db, "LZB", [order.id]).wave
        confirm_picks(db, wave, [PickScan(m.id, m.quantity) for m in wave_moves(db, wave)])
        pack(db, "API-9810-1", "EMS-API-9810-1", "4.4")
        ship(db, "API-9810-1")
    fresh(db)
    body = {"idempotency_key": str(uuid.uuid4())}
    arrived = client.post("/api/v1/orders/API-9810-1/arrival", json=body, headers=picker)
    assert arrived.status_code == 201, arrived.get_data(as_text=True)
    assert arrived.json["destination_warehouse"] == "ALA"
    replay = client.post("/api/v1/orders/API-9810-1/arrival", json=body, headers=picker)
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert_error(client.post("/api/v1/orders/API-9810-1/arrival", json={}, headers=picker),
                 409, "conflict", "order")
    fresh(db)
    assert check_ledger(db) == []


# ---------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("index, changes, status, code, field", [
    (0, dict(buyer_id_number="620102199003071521"), 422, "validation_error",
     "orders[0].buyer_id_number"),
    (1, dict(actual_paid="400.00"), 422, "validation_error", "orders[1].actual_paid"),
    (1, dict(goods_value="1.00"), 422, "validation_error", "orders[1].goods_value"),
    (1, dict(lines=[{"product": "APT-PRE-800", "qty": "x", "price": "198.00"}]), 422,
     "validation_error", "orders[1].lines[0].qty"),
    (2, dict(platform="6201W60012"), 422, "validation_error", "orders[2].platform"),
])
def test_bad_orders_name_the_field_and_write_nothing(client, db, index, changes, status, code,
                                                     field):
    headers = bearer(db, "supervisor")
    batch = [make_order(f"BAD-{i}", qty=1, buyer_id_number=NEW_BUYER) for i in range(3)]
    batch[index].update(changes)
    before = count(db, SalesOrder), count(db, OrderLine)
    assert_error(client.post("/api/v1/orders", json=batch, headers=headers), status, code, field)
    assert (count(db, SalesOrder), count(db, OrderLine)) == before


def test_over_the_limit_names_the_remaining_quota(client, db):
    headers = bearer(db, "supervisor")
    spent = buyer_year_total(db, NEW_BUYER, 2026)
    before = count(db, SalesOrder)
    error = client.post("/api/v1/orders", json=[make_order(
        "LIMIT-1", qty=1, price="5000.00", buyer_id_number=NEW_BUYER)], headers=headers)
    assert_error(error, 422, "limit_exceeded", "orders[0].actual_paid")
    left = Decimal(26000) - spent
    assert Decimal(error.json["remaining_quota"]) == left
    assert f"{left:,.2f}" in error.json["error"]["message"]
    for i in range(5):  # 5 x 4,810.40 spent: 1,947.99 left, then one more is over
        assert client.post("/api/v1/orders", json=[make_order(
            f"Q-{i}", qty=2, price="2200.00", buyer_id_number=NEW_BUYER)],
            headers=headers).status_code == 201
    error = client.post("/api/v1/orders", json=[make_order(
        "Q-9", qty=2, price="2200.00", buyer_id_number=NEW_BUYER)], headers=headers)
    assert_error(error, 422, "limit_exceeded", "orders[0].actual_paid")
    fresh(db)
    remaining = Decimal(26000) - buyer_year_total(db, NEW_BUYER, 2026)
    assert Decimal(error.json["remaining_quota"]) == remaining
    assert count(db, SalesOrder) == before + 5


def test_stock_not_yet_bonded_and_duplicate_order_number(client, db):
    headers = bearer(db, "supervisor")
    fresh(db)
    # The cosmetics owner's essence: 300 bonded in stock, 120 more arrived but undeclared.
    data = priced_order(db, "UNBONDED-1", "SWS-ESSENCE-150", 400, "1.00", "6201W60023")
    before = count(db, SalesOrder)
    error = assert_error(client.post("/api/v1/orders", json=[data], headers=headers), 409,
                         "insufficient_stock", "orders[0].lines")
    assert "SWS-ESSENCE-150" in error["message"]
    ok = priced_order(db, "UNBONDED-2", "SWS-ESSENCE-150", 2, "320.00", "6201W60023")
    assert client.post("/api/v1/orders", json=[ok], headers=headers).status_code == 201
    other = copy.deepcopy(ok)
    other["consignee_address"] = other["waybill"]["consignee_address"] = "兰州市七里河区"
    assert_error(client.post("/api/v1/orders", json=[other], headers=headers), 409, "conflict",
                 "orders[0].order_no")
    assert count(db, SalesOrder) == before + 1


def test_receipts_hold_reject_and_unknown_guid(client, db):
    headers, owner = bearer(db, "customs"), bearer(db, "owner")
    orders = [make_order(f"RC-{i}", qty=1, buyer_id_number=NEW_BUYER) for i in range(3)]
    assert client.post("/api/v1/orders", json=orders, headers=headers).status_code == 201
    for i in range(3):
        declare(client, headers, f"RC-{i}")
    release(client, db, headers, "RC-0", "500", "查验 inspection")
    release(client, db, headers, "RC-1", "100", "订购人身份信息不符")
    held, rejected = order_by_no(db, "RC-0"), order_by_no(db, "RC-1")
    assert held.state == "held" and held.hold_reason == "查验 inspection"
    assert rejected.state == "rejected"
    detail = client.get("/api/v1/orders/RC-1", headers=headers).json
    assert detail["hold_reason"] == "订购人身份信息不符" and detail["list"]["state"] == "rejected"
    release(client, db, headers, "RC-0", "800")
    assert order_by_no(db, "RC-0").state == "released"

    # One file, two receipts: one for RC-2, one for a guid never sent -> none applies.
    message = list_message(db, "RC-2")
    root = etree.fromstring(receipt_for(message, "800"))
    extra = copy.deepcopy(root[0])
    extra.find(f"{{{CEB}}}guid").text = "00000000-0000-4000-8000-000000000000"
    root.append(extra)
    receipts_before = count(db, CustomsReceipt)
    error = post_receipt(client, headers, etree.tostring(root, xml_declaration=True,
                                                         encoding="UTF-8"))
    assert_error(error, 404, "not_found", "guid")
    assert order_by_no(db, "RC-2").state == "declared"
    assert count(db, CustomsReceipt) == receipts_before
    fresh(db)
    assert db.get(CustomsMessage, message.id).state == message.state
    assert_error(post_receipt(client, headers, b"<not-xml"), 422, None, "xml")
    assert_error(client.post("/api/v1/customs/receipts", data=receipt_for(message, "800"),
                             headers={**owner, "Content-Type": "application/xml"}),
                 403, "forbidden", None)


def test_csv_orders_all_or_nothing(client, db):
    from wms.outbound.order_csv import ORDER_CSV_COLUMNS, SAMPLE_ORDER_ROWS
    headers = {**bearer(db, "customs"), "Content-Type": "text/csv"}

    def csv_of(rows):
        out = io.StringIO()
        import csv
        writer = csv.DictWriter(out, ORDER_CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")

    rows = copy.deepcopy(SAMPLE_ORDER_ROWS)
    for row in rows:
        row["order_no"] = "CSV-1"
    rows[0].update(buyer_id_number=NEW_BUYER, pay_transaction_id="PAY-CSV-1",
                   logistics_no="EMS-CSV-1")
    second = {**rows[0], "order_no": "CSV-2", "pay_transaction_id": "PAY-CSV-2",
              "logistics_no": "EMS-CSV-2", "goods_value": "198.00", "tax_total": "18.02",
              "actual_paid": "226.02", "amount_paid": "226.02"}
    bad = [*rows, second, {"order_no": "CSV-2", "product": "MEIJI-STEP-800", "qty": "0",
                           "price": "186.00"}]
    before = count(db, SalesOrder)
    error = client.post("/api/v1/orders/csv", data=csv_of(bad), headers=headers)
    assert_error(error, 422, "validation_error", "line 5: qty")
    assert count(db, SalesOrder) == before
    good = client.post("/api/v1/orders/csv", data=csv_of([*rows, second]), headers=headers)
    assert good.status_code == 201, good.get_data(as_text=True)
    assert good.json["created"] == 2
    assert [len(o["lines"]) for o in good.json["orders"]] == [2, 1]
    again = client.post("/api/v1/orders/csv", data=csv_of([*rows, second]), headers=headers)
    assert again.status_code == 200 and again.json["created"] == 0
    assert count(db, SalesOrder) == before + 2


# ---------------------------------------------------------------------------- scoping

def test_owner_tokens_see_and_send_their_own_orders_only(client, db):
    owner = bearer(db, "owner")
    fresh(db)
    milk = db.scalar(select(SalesOrder.owner_id).where(
        SalesOrder.order_no == "SLX2026112700001"))
    mine = db.scalar(select(func.count()).select_from(SalesOrder).where(
        SalesOrder.owner_id == milk))
    listed = client.get("/api/v1/orders?per_page=500", headers=owner).json
    assert listed["total"] == mine
    assert {o["owner"] for o in listed["items"]} == {"6201W60012"}
    assert_error(client.get("/api/v1/orders/SLX2026112700010", headers=owner), 404,
                 "not_found", "order")
    messages = client.get("/api/v1/customs/messages?per_page=500", headers=owner).json
    assert messages["total"] == db.scalar(select(func.count()).select_from(CustomsMessage)
                                          .where(CustomsMessage.owner_id == milk))
    herbs = db.scalar(select(CustomsMessage.guid).where(
        CustomsMessage.business_key == "SLX2026112700010"))
    assert_error(client.get(f"/api/v1/customs/messages/{herbs}.xml", headers=owner), 404,
                 "not_found", "guid")
    other = make_order("OWN-1", qty=1, buyer_id_number=NEW_BUYER, owner="6201W60023")
    assert_error(client.post("/api/v1/orders", json=[other], headers=owner), 422,
                 "validation_error", "orders[0].owner")
    created = client.post("/api/v1/orders", json=[make_order(
        "OWN-2", qty=1, buyer_id_number=NEW_BUYER)], headers=owner)
    assert created.status_code == 201
    assert_error(client.post("/api/v1/orders/OWN-2/declare", headers=owner), 403, "forbidden",
                 None)


def test_filters_and_b2b_kind(client, db):
    headers = bearer(db, "supervisor")
    b2b = client.get("/api/v1/orders?kind=b2b", headers=headers).json
    assert b2b["items"] and all(o["b2b"] and o["trade_mode"] in ("9710", "9810")
                                for o in b2b["items"])
    released = client.get("/api/v1/orders?state=released&trade_mode=9610", headers=headers).json
    assert [o["order_no"] for o in released["items"]] == ["SLX2026112700010"]
    assert_error(client.get("/api/v1/orders?state=nope", headers=headers), 422,
                 "validation_error", "state")


# ---------------------------------------------------------------------------- CEB701

def test_export_summary_application(client, db, app):
    app.config["CEB_XSD_DIR"] = XSD_DIR
    headers = bearer(db, "customs")
    body = {"owner": "6201960034", "date_from": "2020-01-01", "date_to": "2030-12-31"}
    response = client.post("/api/v1/customs/summary", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    summary = response.json
    fresh(db)
    order = db.scalar(select(SalesOrder).where(SalesOrder.order_no == "SLX2026112700010"))
    listing = db.scalar(select(InventoryList).where(InventoryList.order_id == order.id))
    assert listing.name in summary["orders"] and len(summary["invt_nos"]) == 1
    xml = client.get(summary["xml_url"], headers=headers)
    root = etree.fromstring(xml.data)
    assert root.tag == f"{{{CEB}}}CEB701Message"
    assert [e.text for e in root.iter(f"{{{CEB}}}invtNo")] == summary["invt_nos"]
    assert root.findtext(f".//{{{CEB}}}ebcCode") == "6201960034"
    assert_error(client.post("/api/v1/customs/summary", json=body, headers=headers), 422,
                 "validation_error", "invt_nos")
    assert_error(client.post("/api/v1/customs/summary", json={
        **body, "invt_nos": summary["invt_nos"]}, headers=headers), 409, "conflict",
        "invt_nos[0]")
    listed = client.get("/api/v1/customs/messages?type=CEB701", headers=headers).json
    assert [m["guid"] for m in listed["items"]] == [summary["guid"]]
