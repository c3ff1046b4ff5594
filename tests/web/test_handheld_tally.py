"""Tally and putaway on the handheld: receipt, packages, products, GS1 carton labels,
damage with photos, corrections, closing, the putaway suggestion and storing a receipt.

Expectations are read from the database (``tally_progress``, ``suggest_location``), never
hard-coded from the demo's numbers, so the tests keep working when the demo grows.
"""
from __future__ import annotations

import io
import os
import threading
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from stdnum import ean, gs1_128

from tests.conftest import login
from wms.catalog.models import Lot, Product
from wms.core.context import SYSTEM, acting_as
from wms.demo import OWNER_MILK
from wms.inbound import declaration as declarations
from wms.inbound import decisions, queries, receipts
from wms.inbound import putaway as putaways
from wms.inbound.models import Discrepancy, Receipt, TallyScan
from wms.inventory.models import Location, Package, Quant, Warehouse

pytestmark = pytest.mark.usefixtures("demo")

MEIJI_GTIN = "4902000001703"
APT_GTIN = "4008746009123"
SWS_GTIN = "8806400012344"


def key() -> str:
    return str(uuid.uuid4())


def fresh(db) -> None:
    db.commit()
    db.expire_all()


def receipt_of(db, ref: str) -> Receipt:
    """A demo receipt by its supplier reference (DEMO-R3 is LZB/IN/<year>/00003)."""
    fresh(db)
    return db.scalar(select(Receipt).where(Receipt.supplier_ref == ref))


def progress(db, receipt: Receipt) -> dict[tuple[str, str | None], tuple]:
    fresh(db)
    receipt = db.get(Receipt, receipt.id)
    return {(r.product.sku, r.lot_name): (r.expected, r.tallied, r.damaged)
            for r in queries.tally_progress(db, receipt)}


def tallied(db, receipt: Receipt, sku: str, lot: str | None) -> Decimal:
    return progress(db, receipt).get((sku, lot), (0, Decimal(0), 0))[1]


def scan_rows(db) -> list[tuple]:
    """Every tally scan and every lot and package, as plain values: 'nothing changed'."""
    fresh(db)
    return (sorted(db.execute(select(TallyScan.id, TallyScan.quantity)).all()),
            db.scalar(select(func.count(Lot.id))), db.scalar(select(func.count(Package.id))),
            sorted(db.execute(select(Receipt.id, Receipt.state)).all()))


def as_user(client, user: str):
    """Logged in, in English (the messages checked here are the English source)."""
    login(client, user)
    client.post("/language", data={"locale": "en"})
    return client


@pytest.fixture
def operator(client):
    return as_user(client, "operator")


@pytest.fixture
def supervisor(app):
    return as_user(app.test_client(), "supervisor")


def tally(client, receipt: Receipt | str, item: str, **fields):
    name = receipt if isinstance(receipt, str) else receipt.name
    return client.post("/m/api/tally", json={"receipt": name, "item": item,
                                             "idempotency_key": key(), **fields})


def carton_label(gtin: str, lot: str, expiry: date, count: int) -> str:
    """A GS1-128 carton label as a keyboard-wedge scanner sends it (GS between fields)."""
    return gs1_128.encode({"01": gtin.zfill(14), "10": lot, "17": expiry, "37": count},
                          separator="\x1d")


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(client, data: bytes, name: str = "photo.png", field: str = "photo"):
    return client.post("/m/api/tally/photo", data={field: (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def photo_files(app) -> list[str]:
    folder = Path(app.config["INSTANCE_PATH"]) / "photos"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def sscc_for(serial: int) -> str:
    body = "0" + "6906123" + f"{serial:09d}"
    return body + ean.calc_check_digit(body)


def pallet_receipt(db, qty: int = 96, lot: str = "MJ261130", serial: int = 777001) -> tuple:
    """A receipt whose one line arrives on an SSCC-labelled pallet, gated in."""
    sscc = sscc_for(serial)
    receipt = receipts.create_receipt(
        db, owner_code=OWNER_MILK, warehouse_code="LZB", supplier="Meiji Co., Ltd., Tokyo",
        supplier_ref=f"TEST-PALLET-{serial}", transport_mode="5",
        lines=[receipts.LineInput("MEIJI-STEP-800", qty, lot, "2027-11-30", sscc)])
    receipts.gate_in(db, receipt)
    db.commit()
    return receipt, sscc


# ---------------------------------------------------------------------------- pages, access

@pytest.mark.parametrize("user, can_close", [("operator", "false"), ("supervisor", "true")])
def test_tally_page_for_operators_and_supervisors(client, user, can_close):
    as_user(client, user)
    page = client.get("/m/tally").get_data(as_text=True)
    assert 'id="hh-tally"' in page and 'id="hh-scan"' in page and "tally.js" in page
    assert f'data-can-close="{can_close}"' in page
    assert 'accept="image/*" capture="environment"' in page
    assert "<script>" not in page and "style=" not in page
    assert "/m/tally" in client.get("/m/").get_data(as_text=True)
    page = client.get("/m/tally?receipt=LZB/IN/2026/00003").get_data(as_text=True)
    assert 'data-receipt="LZB/IN/2026/00003"' in page


@pytest.mark.parametrize("user", ["dispatcher", "returns", "customs", "owner"])
def test_other_roles_cannot_tally(client, db, user):
    login(client, user)
    receipt = receipt_of(db, "DEMO-R3")
    assert client.get("/m/tally").status_code == 403
    response = tally(client, receipt, MEIJI_GTIN, lot="MJ261020")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_the_receipt_shows_expected_against_counted(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    response = operator.get("/m/api/tally", query_string={"receipt": receipt.name})
    assert response.status_code == 200
    data = response.json
    assert data["receipt"]["name"] == receipt.name and data["receipt"]["state"] == "tallying"
    assert data["receipt"]["open"] is True and data["receipt"]["closable"] is False
    assert data["receipt"]["links"] == {"desk": f"/receipts/{receipt.id}"}
    shown = {(r["sku"], r["lot"]): (Decimal(r["expected"]), Decimal(r["tallied"]),
                                    Decimal(r["damaged"])) for r in data["rows"]}
    assert shown == progress(db, receipt)
    assert data["recent"] and data["recent"][0]["sku"] == "MEIJI-STEP-800"
    typed = operator.get("/m/api/tally", query_string={"receipt": receipt.name.lower()})
    assert typed.json["receipt"]["id"] == receipt.id
    missing = operator.get("/m/api/tally", query_string={"receipt": "LZB/IN/2026/99999"})
    assert missing.status_code == 404 and missing.json["error"]["field"] == "receipt"


def test_a_receipt_that_cannot_be_tallied_says_why(operator, db):
    receipt = receipt_of(db, "DEMO-R1")  # expected: not gated in
    data = operator.get("/m/api/tally", query_string={"receipt": receipt.name}).json
    assert data["receipt"]["open"] is False
    assert receipt.name in data["receipt"]["message"]
    assert "cannot be tallied" in data["receipt"]["message"]


# ---------------------------------------------------------------------------- scans

def test_a_product_scan_on_an_arrived_receipt_starts_the_tally(operator, db):
    receipt = receipt_of(db, "DEMO-R2")
    assert receipt.state == "arrived"
    before = tallied(db, receipt, "SWS-ESSENCE-150", "SW6B02")
    response = tally(operator, receipt, SWS_GTIN, quantity="12", lot="SW6B02")
    assert response.status_code == 201, response.json
    assert response.json["message"] == \
        f"12 × SWS-ESSENCE-150 (SW6B02) counted on {receipt.name}"
    assert response.json["unexpected"] is False
    assert tallied(db, receipt, "SWS-ESSENCE-150", "SW6B02") == before + 12
    assert db.get(Receipt, receipt.id).state == "tallying"
    scan = db.scalar(select(TallyScan).order_by(TallyScan.id.desc()))
    assert scan.scanned_by_id is not None and scan.condition == "good"


def test_a_gs1_carton_label_fills_product_lot_expiry_and_count(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = tallied(db, receipt, "MEIJI-STEP-800", "MJ261020")
    label = carton_label(MEIJI_GTIN, "MJ261020", date(2027, 10, 20), 24)
    assert "\x1d" in label
    response = tally(operator, receipt, label)
    assert response.status_code == 201, response.json
    assert response.json["scans"] == [{"sku": "MEIJI-STEP-800", "lot": "MJ261020",
                                       "quantity": "24", "condition": "good"}]
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261020") == before + 24


def test_a_carton_label_of_a_new_lot_creates_it_with_its_expiry(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    response = tally(operator, receipt,
                     carton_label(MEIJI_GTIN, "MJ261105", date(2027, 11, 5), 12))
    assert response.status_code == 201, response.json
    assert response.json["wrong_lot"] is True
    assert "not advised" in response.json["message"]
    fresh(db)
    lot = db.scalar(select(Lot).where(Lot.name == "MJ261105"))
    assert lot.expiry_date == date(2027, 11, 5)
    row = next(r for r in operator.get("/m/api/tally", query_string={
        "receipt": receipt.name}).json["rows"] if r["lot"] == "MJ261105")
    assert (row["status"], row["expected"], row["tallied"]) == ("wrong_lot", "0", "12")


def test_a_label_contradicting_the_typed_lot_is_refused(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt,
                     carton_label(MEIJI_GTIN, "MJ261020", date(2027, 10, 20), 24), lot="OTHER")
    assert response.status_code == 422 and response.json["error"]["field"] == "lot"
    assert scan_rows(db) == before


def test_a_sku_scan_without_lot_offers_the_advised_lots(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, "MEIJI-STEP-800")
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["field"]) == ("choose_lot", "lot")
    advised = [(line.lot_name, line.expiry_date.isoformat()) for line in receipt.lines]
    assert [(c["lot"], c["expiry"]) for c in error["choices"]] == advised
    assert scan_rows(db) == before
    counted = tallied(db, receipt, "MEIJI-STEP-800", "MJ261020")
    response = tally(operator, receipt, "MEIJI-STEP-800", lot="MJ261020")  # quantity: 1
    assert response.status_code == 201, response.json
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261020") == counted + 1


def test_a_new_lot_of_an_expiry_tracked_product_needs_its_expiry(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ-NEW-1", quantity="3")
    assert response.status_code == 422 and response.json["error"]["field"] == "expiry_date"
    assert scan_rows(db) == before
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ-NEW-1", quantity="3",
                     expiry_date="2027-12-31")
    assert response.status_code == 201, response.json
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ-NEW-1") == 3


def test_the_sscc_of_an_advised_pallet_counts_its_advised_contents(operator, db):
    receipt, sscc = pallet_receipt(db)
    response = tally(operator, receipt, f"(00){sscc}")
    assert response.status_code == 201, response.json
    assert response.json["package"] == sscc
    assert response.json["message"] == \
        f"Package {sscc}: 96 × MEIJI-STEP-800 (MJ261130) counted on {receipt.name}"
    assert progress(db, receipt) == {("MEIJI-STEP-800", "MJ261130"): (96, 96, 0)}
    fresh(db)
    package = db.scalar(select(Package).where(Package.sscc == sscc))
    assert {s.package_id for s in db.scalars(select(TallyScan).where(
        TallyScan.receipt_id == receipt.id))} == {package.id}
    row = operator.get("/m/api/tally", query_string={"receipt": receipt.name}).json["rows"][0]
    assert row["sscc"] == [sscc] and row["status"] == "ok"
    # Scanned twice: refused, not counted twice.
    again = tally(operator, receipt, sscc)
    assert again.status_code == 409 and again.json["error"]["field"] == "item"
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261130") == 96
    # Taken back with the correction switch, then counted again.
    back = tally(operator, receipt, sscc, correction=True)
    assert back.status_code == 201, back.json
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261130") == 0
    assert tally(operator, receipt, sscc, correction=True).status_code == 422
    assert tally(operator, receipt, sscc).status_code == 201
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261130") == 96


def test_an_sscc_not_on_the_receipt_is_refused(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, sscc_for(888001))
    assert response.status_code == 422
    assert "not on receipt" in response.json["error"]["message"]
    assert scan_rows(db) == before


def test_a_product_not_on_the_advice_is_recorded_as_unexpected(operator, supervisor, db):
    """Once the operator confirms the warning: the first scan writes nothing."""
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    refused = tally(operator, receipt, APT_GTIN, lot="L2026-0312", quantity="2")
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["code"] == "confirm"
    assert [w["code"] for w in refused.json["error"]["warnings"]] == ["unadvised"]
    assert "APT-PRE-800" in refused.json["error"]["warnings"][0]["message"]
    assert scan_rows(db) == before
    response = tally(operator, receipt, APT_GTIN, lot="L2026-0312", quantity="2",
                     confirm=["unadvised"])
    assert response.status_code == 201, response.json
    assert response.json["unexpected"] is True
    assert "unexpected" in response.json["message"]
    assert progress(db, receipt)[("APT-PRE-800", "L2026-0312")] == (0, 2, 0)
    rows = operator.get("/m/api/tally", query_string={"receipt": receipt.name}).json["rows"]
    row = next(r for r in rows if r["sku"] == "APT-PRE-800")
    assert (row["status"], row["status_title"], row["expected"]) == \
        ("unexpected", "Unexpected", "0")
    closed = supervisor.post("/m/api/tally/close", json={"receipt": receipt.name,
                                                         "idempotency_key": key()})
    assert closed.status_code == 201, closed.json
    fresh(db)
    unexpected = db.scalar(select(Discrepancy).where(Discrepancy.receipt_id == receipt.id,
                                                     Discrepancy.kind == "unexpected"))
    assert unexpected.product.sku == "APT-PRE-800" and unexpected.tallied_qty == 2


def test_a_product_of_another_owner_is_refused(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, SWS_GTIN, lot="SW6A21")
    assert response.status_code == 422
    assert response.json["error"]["field"] == "item"
    assert "another owner" in response.json["error"]["message"]
    assert scan_rows(db) == before


# ---------------------------------------------------------------------------- damage, photos

def test_damage_with_a_reason_and_a_photo_from_the_camera(app, operator, client, db):
    receipt = receipt_of(db, "DEMO-R3")
    image = png_bytes()
    uploaded = upload(operator, image, "IMG_0001.png")
    assert uploaded.status_code == 201, uploaded.json
    photo = uploaded.json["photo"]
    assert photo.endswith(".png") and photo in photo_files(app)
    assert (Path(app.config["INSTANCE_PATH"]) / "photos" / photo).read_bytes() == image
    before = progress(db, receipt)[("MEIJI-STEP-800", "MJ261020")]
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", quantity="2",
                     damaged=True, damage_reason="crushed carton", photo=photo)
    assert response.status_code == 201, response.json
    assert response.json["message"] == (f"2 × MEIJI-STEP-800 (MJ261020) counted as damaged "
                                         f"on {receipt.name}: crushed carton")
    expected, counted, damaged = progress(db, receipt)[("MEIJI-STEP-800", "MJ261020")]
    assert (counted, damaged) == (before[1] + 2, before[2] + 2)
    scan = db.scalar(select(TallyScan).order_by(TallyScan.id.desc()))
    assert (scan.condition, scan.damage_reason, scan.photo) == \
        ("damaged", "crushed carton", f"photos/{photo}")
    recent = operator.get("/m/api/tally", query_string={"receipt": receipt.name}).json["recent"]
    assert recent[0]["photo"] == f"/m/photos/{photo}"
    served = operator.get(f"/m/photos/{photo}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == image
    # Staff at the desk see it too; owners' viewers and strangers do not.
    other = app.test_client()
    login(other, "customs")
    assert other.get(f"/m/photos/{photo}").status_code == 200
    owner = app.test_client()
    login(owner, "owner")
    assert owner.get(f"/m/photos/{photo}").status_code == 403
    anonymous = app.test_client().get(f"/m/photos/{photo}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert operator.get("/m/photos/..%2Fsecret_key").status_code == 404
    assert operator.get(f"/m/photos/{uuid.uuid4().hex}.png").status_code == 404


@pytest.mark.parametrize("fields, field", [
    ({"damaged": True}, "damage_reason"),
    ({"damaged": True, "damage_reason": "   "}, "damage_reason"),
    ({"photo": "0" * 32 + ".png", "damaged": True, "damage_reason": "wet"}, "photo"),
    ({"photo": "../../secret_key", "damaged": True, "damage_reason": "wet"}, "photo"),
])
def test_damage_needs_a_reason_and_a_real_photo(operator, db, fields, field):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", **fields)
    assert response.status_code == 422 and response.json["error"]["field"] == field
    assert scan_rows(db) == before


def test_a_photo_without_the_damaged_switch_is_refused(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    photo = upload(operator, png_bytes()).json["photo"]
    before = scan_rows(db)
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", photo=photo)
    assert response.status_code == 422 and response.json["error"]["field"] == "photo"
    assert scan_rows(db) == before


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.7 not a photo at all", "photo.jpg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "photo.png"),
    (b"", "empty.jpg"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * 1024 * 1024), "huge.png"),
])
def test_only_small_jpeg_png_or_webp_photos_are_stored(app, operator, data, name):
    response = upload(operator, data, name)
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == "photo"
    assert photo_files(app) == []


def test_jpeg_and_webp_are_recognised_by_their_magic_bytes(app, operator):
    for fmt, ext in (("JPEG", "jpg"), ("WEBP", "webp")):
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format=fmt)
        response = upload(operator, out.getvalue(), "photo.bin")
        assert response.status_code == 201, response.json
        assert response.json["photo"].endswith("." + ext)
    assert upload(operator, png_bytes(), field="other").status_code == 422


# ---------------------------------------------------------------------------- bad input

def test_a_closed_receipt_cannot_be_tallied(operator, db):
    before = scan_rows(db)
    for ref in ("DEMO-R4", "DEMO-R1", "DEMO-R7"):  # tallied, expected, released
        receipt = receipt_of(db, ref)
        response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261001", quantity="1",
                         expiry_date="2027-10-01")
        assert response.status_code == 409, response.json
        error = response.json["error"]
        assert (error["code"], error["field"]) == ("conflict", "receipt")
        assert receipt.name in error["message"] and "cannot be tallied" in error["message"]
    assert scan_rows(db) == before


@pytest.mark.parametrize("quantity, text", [
    ("0", "greater than zero"), ("-5", "Correct a previous count"), ("abc", "number"),
    ("1.0001", "three decimals"),
])
def test_zero_negative_and_nonsense_quantities_are_refused(operator, db, quantity, text):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", quantity=quantity)
    assert response.status_code == 422
    assert response.json["error"]["field"] == "quantity"
    assert text in response.json["error"]["message"]
    # Not even as a correction: the switch takes a positive quantity back.
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", quantity=quantity,
                     correction=True)
    assert response.status_code == 422 and response.json["error"]["field"] == "quantity"
    assert scan_rows(db) == before


def test_a_correction_takes_back_at_most_what_was_counted(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    counted = tallied(db, receipt, "MEIJI-STEP-800", "MJ261020")
    assert counted > 10
    response = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", quantity="10",
                     correction=True)
    assert response.status_code == 201, response.json
    assert response.json["scans"][0]["quantity"] == "-10"
    assert "taken back" in response.json["message"]
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261020") == counted - 10
    before = scan_rows(db)
    too_many = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020",
                     quantity=str(counted - 10 + 1), correction=True)
    assert too_many.status_code == 422 and too_many.json["error"]["field"] == "quantity"
    assert "Cannot take back more than was counted" in too_many.json["error"]["message"]
    damaged = tally(operator, receipt, MEIJI_GTIN, lot="MJ261020", quantity="1",
                    correction=True, damaged=True, damage_reason="miscounted")
    assert damaged.status_code == 422  # nothing was counted as damaged
    assert scan_rows(db) == before


@pytest.mark.parametrize("item, status, field, text", [
    ("NO-SUCH-THING", 404, "item", "Unknown barcode NO-SUCH-THING"),
    ("4902000001704", 422, "item", "does not check"),         # wrong check digit
    ("LZB-A-01-01", 422, "item", "is a location"),
    ("RR123456785CN", 422, "item", "not a package or a product"),
    ("", 422, "item", "Scan a package or a product"),
])
def test_unknown_or_wrong_barcodes_are_refused(operator, db, item, status, field, text):
    receipt = receipt_of(db, "DEMO-R3")
    before = scan_rows(db)
    response = tally(operator, receipt, item, lot="MJ261020")
    assert response.status_code == status, response.json
    assert response.json["error"]["field"] == field
    assert text in response.json["error"]["message"]
    assert scan_rows(db) == before


def test_a_scan_needs_a_known_receipt(operator, db):
    before = scan_rows(db)
    response = tally(operator, "", MEIJI_GTIN)
    assert response.status_code == 422 and response.json["error"]["field"] == "receipt"
    response = tally(operator, "LZB/IN/2026/99999", MEIJI_GTIN)
    assert response.status_code == 404 and response.json["error"]["field"] == "receipt"
    assert scan_rows(db) == before


def test_replaying_a_tally_scan_three_times_counts_once(operator, db):
    receipt = receipt_of(db, "DEMO-R3")
    before = tallied(db, receipt, "MEIJI-STEP-800", "MJ261020")
    body = {"receipt": receipt.name, "item": carton_label(MEIJI_GTIN, "MJ261020",
                                                          date(2027, 10, 20), 24),
            "idempotency_key": key()}
    answers = [operator.post("/m/api/tally", json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json == answers[1].json == answers[2].json
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None, "true", "true"]
    assert tallied(db, receipt, "MEIJI-STEP-800", "MJ261020") == before + 24
    fresh(db)
    assert db.scalar(select(func.count(TallyScan.id)).where(
        TallyScan.receipt_id == receipt.id, TallyScan.quantity == 24)) == 1


# ---------------------------------------------------------------------------- closing

def test_closing_the_tally_is_for_supervisors(operator, supervisor, db):
    receipt = receipt_of(db, "DEMO-R3")
    body = {"receipt": receipt.name, "idempotency_key": key()}
    forbidden = operator.post("/m/api/tally/close", json=body)
    assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "forbidden"
    assert receipt_of(db, "DEMO-R3").state == "tallying"
    expected_rows = progress(db, receipt)
    response = supervisor.post("/m/api/tally/close", json=body)
    assert response.status_code == 201, response.json
    data = response.json
    fresh(db)
    found = db.scalars(select(Discrepancy).where(Discrepancy.receipt_id == receipt.id)
                       .order_by(Discrepancy.id)).all()
    assert [(d["kind"], d["sku"], d["lot"], Decimal(d["expected"]), Decimal(d["tallied"]))
            for d in data["discrepancies"]] == \
        [(d.kind, d.product.sku, d.lot_name, d.expected_qty, d.tallied_qty) for d in found]
    kinds = {(d.kind, d.product.sku, d.lot_name) for d in found}
    shorts = {("short", sku, lot) for (sku, lot), (expected, counted, _damaged)
              in expected_rows.items() if counted < expected}
    assert shorts and shorts <= kinds
    assert data["message"] == \
        f"Tally of {receipt.name} closed with {len(found)} discrepancies."
    assert data["links"] == {"desk": f"/receipts/{receipt.id}",
                             "discrepancies_pdf": f"/receipts/{receipt.id}/discrepancies.pdf"}
    assert db.get(Receipt, receipt.id).state == "tallied"
    # Closed: the page says so, scans and a second close are refused.
    state = supervisor.get("/m/api/tally", query_string={"receipt": receipt.name}).json
    assert state["receipt"]["open"] is False and state["receipt"]["closable"] is False
    assert len(state["discrepancies"]) == len(found)
    before = scan_rows(db)
    assert tally(operator, receipt, MEIJI_GTIN, lot="MJ261020").status_code == 409
    again = supervisor.post("/m/api/tally/close", json={**body, "idempotency_key": key()})
    assert again.status_code == 409
    assert scan_rows(db) == before


def test_supervisor_sees_the_close_button_while_the_tally_is_open(supervisor, db):
    """Arrived with no scans counts as open: closing it records everything short."""
    for ref, closable in (("DEMO-R3", True), ("DEMO-R2", True), ("DEMO-R4", False),
                          ("DEMO-R1", False)):
        receipt = receipt_of(db, ref)
        data = supervisor.get("/m/api/tally", query_string={"receipt": receipt.name}).json
        assert data["receipt"]["closable"] is closable, ref


# ---------------------------------------------------------------------------- putaway

def suggest(client, item: str, **fields):
    response = client.post("/m/api/putaway/suggest", json={"item": item, **fields})
    assert response.status_code == 200, response.json
    return response.json


def test_the_putaway_page_has_room_for_the_suggestion(operator):
    page = operator.get("/m/putaway").get_data(as_text=True)
    assert 'id="hh-suggest-row"' in page
    assert 'id="hh-suggest-row"' not in operator.get("/m/transfer").get_data(as_text=True)


def test_the_putaway_suggestion_follows_the_rules(operator, db):
    fresh(db)
    warehouse = db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    meiji = db.scalar(select(Product).where(Product.sku == "MEIJI-STEP-800"))
    place = putaways.suggest_location(db, warehouse, meiji, Decimal(1))
    data = suggest(operator, MEIJI_GTIN)
    assert data["suggestion"] == {"path": place.full_path, "barcode": place.barcode}
    assert data["message"] == f"Suggested: {place.full_path}"
    label = carton_label(MEIJI_GTIN, "MJ260915", date(2027, 9, 15), 120)
    place = putaways.suggest_location(db, warehouse, meiji, Decimal(120))
    assert suggest(operator, label)["suggestion"]["path"] == place.full_path
    assert suggest(operator, label)["quantity"] == "120"


def test_the_suggestion_for_a_pallet_uses_its_first_product_and_total(operator, db):
    fresh(db)
    pallet = next(p for p in db.scalars(select(Package)) if p.location
                  and p.location.full_path == "LZB/Stock/B/B-01-01")
    quants = db.scalars(select(Quant).where(Quant.package_id == pallet.id,
                                            Quant.quantity > 0).order_by(Quant.id)).all()
    product = db.get(Product, quants[0].product_id)
    total = sum(q.quantity for q in quants)
    place = putaways.suggest_location(db, pallet.location.warehouse, product, total)
    data = suggest(operator, pallet.sscc)
    assert (data["sku"], Decimal(data["quantity"])) == (product.sku, total)
    assert data["suggestion"]["path"] == place.full_path
    unknown = operator.post("/m/api/putaway/suggest", json={"item": "NO-SUCH-THING"})
    assert unknown.status_code == 404


def test_putting_away_the_last_goods_of_a_released_receipt_stores_it(operator, db):
    receipt = receipt_of(db, "DEMO-R7")
    assert receipt.state == "released"
    [line] = receipt.lines
    item = f"(01)0{MEIJI_GTIN}(10){line.lot_name}"
    place = suggest(operator, item, quantity=str(line.expected_qty))["suggestion"]
    first = operator.post("/m/api/putaway", json={
        "item": item, "quantity": "100", "destination": place["barcode"],
        "idempotency_key": key()})
    assert first.status_code == 201, first.json
    assert first.json["stored"] == []
    assert receipt_of(db, "DEMO-R7").state == "released"
    rest = line.expected_qty - 100
    last = operator.post("/m/api/putaway", json={
        "item": item, "quantity": str(rest), "destination": place["barcode"],
        "idempotency_key": key()})
    assert last.status_code == 201, last.json
    assert last.json["stored"] == [receipt.name]
    assert last.json["message"].endswith(f"Receipt {receipt.name} stored.")
    assert receipt_of(db, "DEMO-R7").state == "stored"


def test_a_pallet_moves_whole_and_stores_its_receipt(operator, supervisor, db):
    receipt, sscc = pallet_receipt(db, qty=48, lot="MJ261201", serial=777002)
    assert tally(operator, receipt, sscc).status_code == 201
    close = supervisor.post("/m/api/tally/close", json={"receipt": receipt.name,
                                                        "idempotency_key": key()})
    assert close.status_code == 201 and close.json["discrepancies"] == []
    fresh(db)
    receipt = db.get(Receipt, receipt.id)
    declaration = declarations.build_declaration(db, receipt)
    declarations.file_declaration(db, declaration)
    decisions.decide(db, declaration, {ln.gnum: "released" for ln in declaration.lines})
    db.commit()
    assert receipt.state == "released"
    place = suggest(operator, sscc)["suggestion"]
    response = operator.post("/m/api/putaway", json={
        "item": sscc, "destination": place["barcode"], "idempotency_key": key()})
    assert response.status_code == 201, response.json
    assert response.json["stored"] == [receipt.name]
    fresh(db)
    package = db.scalar(select(Package).where(Package.sscc == sscc))
    assert package.location.full_path == place["path"]
    assert db.scalar(select(func.sum(Quant.quantity)).join(
        Location, Location.id == Quant.location_id).where(
        Quant.package_id == package.id, Location.full_path == place["path"])) == 48
    assert db.get(Receipt, receipt.id).state == "stored"


def test_undeclared_goods_cannot_be_put_away_into_storage(operator, db):
    """Putaway never changes customs status: arrived goods wait in the input area."""
    receipt = receipt_of(db, "DEMO-R2")
    [line] = receipt.lines
    before = scan_rows(db)
    refused = operator.post("/m/api/putaway", json={
        "item": SWS_GTIN, "lot": line.lot_name, "quantity": "5",
        "destination": "LZB-B-01-01", "idempotency_key": key()})
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["field"] == "destination"
    assert "not declared" in refused.json["error"]["message"]
    assert scan_rows(db) == before
    fresh(db)
    assert not db.scalar(select(func.count()).select_from(Quant).join(
        Location, Location.id == Quant.location_id).where(
        Location.full_path == "LZB/Stock/B/B-01-01", Quant.customs_status == "arrived"))


# ---------------------------------------------------------------------------- concurrency

def test_several_operators_tally_one_receipt_at_once(backend, request):
    """Real commits from several threads on PostgreSQL: no count is lost, and the first
    scans of an arrived receipt start the tally once."""
    if backend != "postgresql":
        pytest.skip("runs once, on a PostgreSQL schema of its own")
    committing_engine = request.getfixturevalue("committing_engine")
    from web import create_app
    from wms.core.db import make_session_factory
    from wms.demo import load_demo
    from wms.inbound.models import Receipt as R
    sessions = make_session_factory(committing_engine)
    with sessions() as session, acting_as(SYSTEM):
        load_demo(session)
        session.commit()
        receipt = session.scalar(select(R).where(R.supplier_ref == "DEMO-R2"))
        name, rid = receipt.name, receipt.id
    app = create_app({"TESTING": True, "SESSION_FACTORY": sessions, "SECRET_KEY": "test",
                      "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": os.environ["WMS_INSTANCE_PATH"]})
    users, per_user = ["operator", "supervisor", "admin"], 8
    clients = {u: as_user(app.test_client(), u) for u in users}
    errors: list = []
    start = threading.Barrier(len(users))

    def work(user):
        start.wait()
        for _ in range(per_user):
            r = tally(clients[user], name, SWS_GTIN, lot="SW6B02", quantity="2")
            if r.status_code != 201:
                errors.append(r.json)
    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with sessions() as session:
        total = session.scalar(select(func.sum(TallyScan.quantity)).where(
            TallyScan.receipt_id == rid))
        assert total == 2 * per_user * len(users)
        assert session.get(R, rid).state == "tallying"
        from wms.core.audit import AuditEvent
        started = session.scalars(select(AuditEvent).where(
            AuditEvent.model == "receipt", AuditEvent.record_id == rid,
            AuditEvent.new_value == "tallying")).all()
        assert len(started) == 1
