"""Handheld pages and their JSON endpoints: putaway, transfer, count, scan anything."""
from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import login
from wms.catalog.models import Lot, Product
from wms.catalog.services import lot_for
from wms.demo import OWNER_COSMETICS
from wms.inventory.models import CountSession, Location, Package, Quant, StockMove
from wms.inventory.places import location_by_path
from wms.inventory.services import MoveLine, post_moves, virtual_location

pytestmark = pytest.mark.usefixtures("demo")

APT_GTIN = "4008746009123"
A1 = "LZB/Stock/A/A-01-01"


def fresh(db) -> None:
    """End the test session's read transaction and forget what it loaded: see what the app
    committed from its own sessions."""
    db.commit()
    db.expire_all()


def stock(db) -> list[tuple]:
    """Every quant as plain values, read fresh."""
    fresh(db)
    return sorted(db.execute(select(Quant.product_id, Quant.location_id, Quant.lot_id,
                                    Quant.package_id, Quant.owner_id, Quant.customs_status,
                                    Quant.quantity)).all())


def qty_at(db, path: str, sku: str = "APT-PRE-800") -> Decimal:
    fresh(db)
    return sum(db.scalars(select(Quant.quantity).join(Location, Location.id == Quant.location_id)
                          .join(Product, Product.id == Quant.product_id)
                          .where(Location.full_path == path, Product.sku == sku)), Decimal(0))


def key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def operator(client):
    login(client, "operator")
    client.post("/language", data={"locale": "en"})  # the assertions read English messages
    return client


def receive(db, path: str, qty: int, lot: str = "L2026-0312", sku: str = "APT-PRE-800",
            expiry: date | None = None):
    product = db.scalar(select(Product).where(Product.sku == sku))
    line = MoveLine(product.id, Decimal(qty), virtual_location(db, "supplier").id,
                    location_by_path(db, path).id, product.owner_id, "bonded",
                    lot_for(db, product, lot, expiry).id)
    post_moves(db, [line])
    db.commit()


def pallets(db) -> dict[str, Package]:
    """The demo's pallet of milk powder on B-01-01 and the empty pallet with two cartons."""
    packages = db.scalars(select(Package).order_by(Package.id)).all()
    full = next(p for p in packages if p.location and p.location.full_path.endswith("B-01-01"))
    nested = next(p for p in packages if p.kind == "pallet" and p is not full)
    return {"full": full, "nested": nested}


# ---------------------------------------------------------------------------- access

@pytest.mark.parametrize("user", ["operator", "supervisor", "admin"])
def test_handheld_pages_for_operators_and_supervisors(client, user):
    login(client, user)
    for path in ("/m/", "/m/scan", "/m/putaway", "/m/transfer", "/m/count"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert 'name="csrf-token"' in page and "handheld.js" in page and 'id="hh-scan"' in page
        assert "<script>" not in page and "style=" not in page  # the CSP allows neither


@pytest.mark.parametrize("user", ["dispatcher", "returns", "customs", "owner"])
def test_other_roles_get_403(client, user):
    """Returns clerks see the home's task list (their returns tasks), no other /m page."""
    login(client, user)
    assert client.get("/m/").status_code == (200 if user == "returns" else 403)
    assert client.get("/m/scan").status_code == 403
    response = client.post("/m/api/transfer", json={"idempotency_key": key()})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/m/putaway")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_approval_pages_are_for_supervisors_only(client):
    login(client, "operator")
    assert client.get("/m/counts").status_code == 403
    assert client.post("/m/counts/1/approve", data={"reason": "x"}).status_code == 403
    assert "/m/counts" not in client.get("/m/").get_data(as_text=True)
    client.post("/logout")
    login(client, "supervisor")
    assert client.get("/m/counts").status_code == 200
    assert "/m/counts" in client.get("/m/").get_data(as_text=True)


def test_csrf_token_from_the_page_is_accepted_as_a_header(app, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/login", data={"login": "operator", "password": "Lanzhou-2026",
                                "csrf_token": token})
    body = {"source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "1",
            "destination": "LZB-A-01-02", "idempotency_key": key()}
    refused = client.post("/m/api/transfer", json=body)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    meta = re.search(r'name="csrf-token" content="([^"]+)"',
                     client.get("/m/transfer").get_data(as_text=True))[1]
    accepted = client.post("/m/api/transfer", json=body, headers={"X-CSRFToken": meta})
    assert accepted.status_code == 201, accepted.json


# ---------------------------------------------------------------------------- putaway, transfer

def test_putaway_of_a_pallet_moves_it_with_its_contents(operator, db):
    pallet = pallets(db)["full"]
    response = operator.post("/m/api/putaway", json={
        "item": pallet.sscc, "destination": "LZB-B-01-02", "idempotency_key": key()})
    assert response.status_code == 201, response.json
    assert response.json["message"] == f"Package {pallet.sscc} → LZB/Stock/B/B-01-02"
    assert qty_at(db, "LZB/Stock/B/B-01-01") == 0
    assert qty_at(db, "LZB/Stock/B/B-01-02") == 480
    fresh(db)
    assert db.get(Package, pallet.id).location.full_path == "LZB/Stock/B/B-01-02"


def test_putaway_of_a_nested_pallet_given_as_a_gs1_label(operator, db):
    pallet = pallets(db)["nested"]
    response = operator.post("/m/api/putaway", json={
        "item": f"(00){pallet.sscc}", "destination": "LZB-A-02-02", "idempotency_key": key()})
    assert response.status_code == 201, response.json
    fresh(db)
    cartons = db.scalars(select(Package).where(Package.parent_id == pallet.id)).all()
    assert len(cartons) == 2
    assert {c.location.full_path for c in cartons} == {"LZB/Stock/A/A-02-02"}


def test_putaway_of_a_carton_label_from_the_input_area(operator, db):
    receive(db, "LZB/Input", 48)
    before = qty_at(db, "LZB/Input"), qty_at(db, "LZB/Stock/A/A-01-02")
    label = f"(01)0{APT_GTIN}(10)L2026-0312(17)270911(37)24"
    response = operator.post("/m/api/putaway", json={
        "item": label, "destination": "LZB-A-01-02", "idempotency_key": key()})
    assert response.status_code == 201, response.json
    assert response.json["message"] == \
        "24 × APT-PRE-800 (L2026-0312): LZB/Input → LZB/Stock/A/A-01-02"
    assert qty_at(db, "LZB/Input") == before[0] - 24
    assert qty_at(db, "LZB/Stock/A/A-01-02") == before[1] + 24


def test_transfer_of_a_product_quantity_keeps_owner_status_and_lot(operator, db):
    response = operator.post("/m/api/transfer", json={
        "source": "lzb-a-01-01", "item": "APT-PRE-800", "quantity": "40",
        "destination": "LZB-A-02-01", "idempotency_key": key()})
    assert response.status_code == 201, response.json
    assert response.json["from"] == A1 and response.json["lot"] == "L2026-0312"
    assert qty_at(db, A1) == 200
    moved = db.scalar(select(Quant).join(Location, Location.id == Quant.location_id).where(
        Location.full_path == "LZB/Stock/A/A-02-01", Quant.product_id == select(
            Product.id).where(Product.sku == "APT-PRE-800").scalar_subquery()))
    assert moved.quantity == 40 and moved.customs_status == "bonded"
    assert db.get(Lot, moved.lot_id).name == "L2026-0312"


def test_several_lots_at_the_source_ask_which(operator, db):
    receive(db, A1, 10, lot="L2026-0999", expiry=date(2028, 1, 31))
    body = {"source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "3",
            "destination": "LZB-A-02-01"}
    before = stock(db)
    response = operator.post("/m/api/transfer", json={**body, "idempotency_key": key()})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "choose_stock"
    assert {c["lot"] for c in error["choices"]} == {"L2026-0312", "L2026-0999"}
    assert stock(db) == before
    response = operator.post("/m/api/transfer", json={**body, "lot": "L2026-0999",
                                                      "idempotency_key": key()})
    assert response.status_code == 201, response.json
    assert response.json["lot"] == "L2026-0999"


@pytest.mark.parametrize("change, status, code, field", [
    ({"item": "NO-SUCH-THING"}, 404, "not_found", "item"),
    ({"item": "4008746009124"}, 422, "validation_error", "item"),  # wrong check digit
    ({"item": "LZB-A-02-01"}, 422, "validation_error", "item"),    # a location, not goods
    ({"quantity": "0"}, 422, "validation_error", "quantity"),
    ({"quantity": "-3"}, 422, "validation_error", "quantity"),
    ({"quantity": "abc"}, 422, "validation_error", "quantity"),
    ({"quantity": "241"}, 409, "insufficient_stock", "quantity"),
    ({"lot": "SW6A21"}, 422, "validation_error", "lot"),          # a cosmetics lot
    ({"lot": "NO-SUCH-LOT"}, 404, "not_found", "lot"),
    ({"destination": "LZB-A"}, 422, "validation_error", "destination"),  # a view
    ({"destination": "NOWHERE-9"}, 404, "not_found", "destination"),
    ({"owner": OWNER_COSMETICS}, 422, "validation_error", "owner"),
    ({"source": "LZB-A-01-02"}, 409, "insufficient_stock", "quantity"),  # none there
    ({"destination": "LZB-A-01-01"}, 422, "validation_error", "destination"),  # same place
])
def test_bad_input_is_a_clear_error_and_stock_is_unchanged(operator, db, change, status, code,
                                                          field):
    before = stock(db)
    body = {"source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "2",
            "destination": "LZB-A-02-01", "idempotency_key": key(), **change}
    response = operator.post("/m/api/transfer", json=body)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert stock(db) == before


def test_a_package_not_at_the_scanned_source_is_refused(operator, db):
    pallet = pallets(db)["full"]
    before = stock(db)
    response = operator.post("/m/api/transfer", json={
        "source": "LZB-A-01-01", "item": pallet.sscc, "destination": "LZB-B-01-02",
        "idempotency_key": key()})
    assert response.status_code == 422 and response.json["error"]["field"] == "source"
    response = operator.post("/m/api/putaway", json={
        "item": pallet.sscc, "destination": "LZB-B", "idempotency_key": key()})
    assert response.status_code == 422 and "view" in response.json["error"]["message"]
    assert stock(db) == before


@pytest.mark.parametrize("change, field", [({"source": "V-SUPPLIERS"}, "source"),
                                           ({"destination": "V-CUSTOMERS"}, "destination"),
                                           ({"destination": "LZB-HOLD"}, "destination")])
def test_a_transfer_touching_a_virtual_place_is_refused(operator, db, change, field):
    before = stock(db)
    response = operator.post("/m/api/transfer", json={
        "source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "2",
        "destination": "LZB-A-02-01", "idempotency_key": key(), **change})
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert "never by a transfer" in response.json["error"]["message"]
    assert stock(db) == before


def test_errors_come_in_the_users_language(client, db):
    login(client, "supervisor")  # zh_CN
    response = client.post("/m/api/transfer", json={
        "source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "0",
        "destination": "LZB-A-02-01", "idempotency_key": key()})
    assert response.status_code == 422
    assert response.json["error"]["message"]


@pytest.mark.parametrize("endpoint, body", [
    ("/m/api/transfer", {"source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "7",
                         "destination": "LZB-A-02-01"}),
    ("/m/api/putaway", {"item": "PALLET", "destination": "LZB-B-01-02"}),
    ("/m/api/count", {"location": "LZB-A-01-02",
                      "lines": [{"code": "MEIJI-STEP-800", "quantity": "175"}]}),
])
def test_replaying_a_write_three_times_changes_stock_once(operator, db, endpoint, body):
    if body.get("item") == "PALLET":
        body = {**body, "item": pallets(db)["full"].sscc}
    body = {**body, "idempotency_key": key()}
    before = stock(db)
    answers = [operator.post(endpoint, json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201], answers[0].json
    assert answers[0].json == answers[1].json == answers[2].json
    assert [a.headers.get("Idempotent-Replayed") for a in answers] == [None, "true", "true"]
    after = stock(db)
    assert after != before
    once = operator.post(endpoint, json={**body, "idempotency_key": key()})
    if endpoint == "/m/api/transfer":
        assert qty_at(db, A1) == 240 - 7 - 7  # the fresh key moved once more, replays never
    elif endpoint == "/m/api/putaway":
        assert once.status_code == 422  # already there
    fresh(db)
    assert db.scalar(select(StockMove.id).where(StockMove.quantity < 0)) is None


def test_same_key_with_another_body_is_a_conflict(operator, db):
    k = key()
    body = {"source": "LZB-A-01-01", "item": APT_GTIN, "quantity": "1",
            "destination": "LZB-A-02-01", "idempotency_key": k}
    assert operator.post("/m/api/transfer", json=body).status_code == 201
    response = operator.post("/m/api/transfer", json={**body, "quantity": "2"})
    assert response.status_code == 409 and response.json["error"]["field"] == "idempotency_key"
    assert qty_at(db, A1) == 239


def test_a_body_that_is_not_json_is_refused(operator):
    response = operator.post("/m/api/transfer", data="nonsense",
                             content_type="application/json")
    assert response.status_code == 422 and "error" in response.json


# ---------------------------------------------------------------------------- counts

def count(client, location: str, lines: list[dict]):
    return client.post("/m/api/count", json={"location": location, "lines": lines,
                                             "idempotency_key": key()})


def test_count_within_the_threshold_is_posted_at_once(operator, db):
    response = count(operator, "LZB-A-01-01", [{"code": APT_GTIN, "quantity": "236"},
                                              {"code": APT_GTIN}, {"code": "APT-PRE-800"}])
    assert response.status_code == 201, response.json
    assert response.json["state"] == "done"
    [line] = response.json["lines"]
    assert (line["lot"], line["expected"], line["counted"], line["difference"]) == \
        ("L2026-0312", "240", "238", "-2")
    assert qty_at(db, A1) == 238


@pytest.fixture
def threshold(app):
    app.config["COUNT_APPROVAL_THRESHOLD"] = Decimal("5")


def test_count_at_the_threshold_posts_and_adjusts_stock(operator, db, threshold):
    response = count(operator, "LZB-A-01-01", [
        {"code": f"(01)0{APT_GTIN}(10)L2026-0312(37)235"}])
    assert response.status_code == 201, response.json
    assert response.json["state"] == "done"
    assert response.json["message"].endswith("posted.")
    assert qty_at(db, A1) == 235


def test_count_above_the_threshold_waits_for_a_supervisor(client, db, threshold):
    login(client, "operator")
    response = count(client, "LZB-A-01-01", [{"code": APT_GTIN, "quantity": "200",
                                              "lot": "L2026-0312"}])
    assert response.status_code == 201, response.json
    assert response.json["state"] == "to_approve"
    assert qty_at(db, A1) == 240
    name = response.json["count"]
    client.post("/logout")
    login(client, "supervisor")
    listing = client.get("/m/counts").get_data(as_text=True)
    assert name in listing
    fresh(db)
    waiting = db.scalar(select(CountSession).where(CountSession.name == name))
    page = client.get(f"/m/counts/{waiting.id}").get_data(as_text=True)
    assert "200" in page and "240" in page and "-40" in page
    form_key = re.search(r'name="idempotency_key" value="([^"]+)"', page)[1]
    no_reason = client.post(f"/m/counts/{waiting.id}/approve",
                            data={"reason": "", "idempotency_key": form_key})
    assert no_reason.status_code == 302
    assert qty_at(db, A1) == 240
    for _ in range(2):  # a double tap posts once
        approved = client.post(f"/m/counts/{waiting.id}/approve",
                               data={"reason": "recounted twice", "idempotency_key": form_key})
        assert approved.status_code == 302 and approved.headers["Location"].endswith("/m/counts")
    assert qty_at(db, A1) == 200
    fresh(db)
    assert db.get(CountSession, waiting.id).state == "done"
    assert f"/m/counts/{waiting.id}" not in client.get("/m/counts").get_data(as_text=True)


def test_supervisor_rejects_a_count_and_stock_stays(client, db, threshold):
    login(client, "supervisor")
    before = qty_at(db, "LZB/Stock/A/A-01-02", "MEIJI-STEP-800")
    response = count(client, "LZB-A-01-02", [{"code": "MEIJI-STEP-800", "quantity": "1"}])
    assert response.json["state"] == "to_approve"
    fresh(db)
    waiting = db.scalar(select(CountSession).where(CountSession.name == response.json["count"]))
    client.post(f"/m/counts/{waiting.id}/reject", data={"reason": "scanner fault",
                                                       "idempotency_key": key()})
    fresh(db)
    assert db.get(CountSession, waiting.id).state == "cancelled"
    assert qty_at(db, "LZB/Stock/A/A-01-02", "MEIJI-STEP-800") == before


def test_count_bad_scans_name_the_line_and_change_nothing(operator, db):
    before = stock(db)
    response = count(operator, "LZB-A-01-01", [{"code": APT_GTIN}, {"code": "NOPE"}])
    assert response.status_code == 404
    assert response.json["error"]["field"] == "lines[1].code"
    response = count(operator, "LZB-A", [{"code": APT_GTIN}])
    assert response.status_code == 422 and response.json["error"]["field"] == "location"
    response = count(operator, "LZB-A-01-01", [{"code": APT_GTIN, "quantity": "0"}])
    assert response.status_code == 422
    response = count(operator, "LZB-A-01-01", [{"code": APT_GTIN, "lot": "SW6A21"}])
    assert response.status_code == 422 and response.json["error"]["field"] == "lines[0].lot"
    assert stock(db) == before
    fresh(db)
    assert db.scalar(select(CountSession.id)) is None


# ---------------------------------------------------------------------------- scan anything

def explain(client, code: str) -> dict:
    response = client.post("/m/api/explain", json={"code": code})
    assert response.status_code == 200
    return response.json


def test_scan_a_location_shows_its_contents(operator):
    result = explain(operator, "LZB-A-01-01")
    assert result["ok"] and result["kind"] == "text"
    [location] = result["matches"]
    assert location["type"] == "location" and location["path"] == A1
    assert location["contents"][0]["sku"] == "APT-PRE-800"
    assert location["contents"][0]["quantity"] == "240"
    assert "APT-PRE-800" in result["html"]


@pytest.mark.parametrize("code", [APT_GTIN, "APT-PRE-800", "0" + APT_GTIN])
def test_scan_a_product_by_gtin_or_sku_shows_stock_by_location(operator, db, code):
    fresh(db)
    rows = db.execute(select(Location.full_path, Quant.quantity)
                      .join(Location, Location.id == Quant.location_id)
                      .join(Product, Product.id == Quant.product_id)
                      .where(Product.sku == "APT-PRE-800", Quant.quantity != 0,
                             Location.usage.in_(("internal", "customs")))).all()
    result = explain(operator, code)
    assert result["ok"]
    [product] = result["matches"]
    assert product["sku"] == "APT-PRE-800"
    assert Decimal(product["on_hand"]) == sum(q for _, q in rows)
    assert {row["location"] for row in product["stock"]} == {path for path, _ in rows}
    assert {A1, "LZB/Stock/B/B-01-01"} <= {row["location"] for row in product["stock"]}


def test_scan_a_package_shows_its_contents_and_nesting(operator, db):
    both = pallets(db)
    result = explain(operator, both["full"].sscc)
    assert result["ok"] and result["kind"] == "sscc"
    assert result["matches"][0]["contents"][0]["quantity"] == "480"
    nested = explain(operator, both["nested"].sscc)["matches"][0]
    assert len(nested["packages"]) == 2
    carton = explain(operator, nested["packages"][0]["sscc"])["matches"][0]
    assert carton["parent"] == both["nested"].sscc


def test_scan_a_gs1_string_parses_its_fields(operator, db):
    sscc = pallets(db)["full"].sscc
    code = f"]C100{sscc}\x1d020{APT_GTIN}10L2026-0518\x1d1727111737480\x1d3301000012"
    result = explain(operator, code)
    assert result["ok"] and result["kind"] == "gs1", result
    parts = result["parts"]
    assert parts["sscc"] == sscc and parts["content_gtin"] == "0" + APT_GTIN
    assert parts["lot"] == "L2026-0518" and parts["expiry"] == "2027-11-17"
    assert parts["count"] == 480 and parts["gross_weight_kg"] == "1.2"
    assert {m["type"] for m in result["matches"]} == {"package", "product"}


@pytest.mark.parametrize("code, kind, known", [
    ("RR123456785CN", "s10", False), ("176-12345675", "awb", False),
    ("CSQU3054383", "container", True),  # demo receipt 1's container
])
def test_scan_transport_numbers_are_recognised_and_checked(operator, code, kind, known):
    """Well formed, the check digit holds; good only when the warehouse knows the code."""
    result = explain(operator, code)
    assert (result["kind"], result["valid"], result["ok"], result["found"]) == \
        (kind, True, known, known)
    assert result["parts"]["check"]
    assert ("unknown here" in result["html"]) is not known


@pytest.mark.parametrize("code, kind", [
    ("4008746009124", "gtin"), ("RR123456784CN", "s10"), ("176-12345674", "awb"),
    ("CSQU3054384", "container"), ("069061230000000017", "sscc"),
    (f"(01)0{APT_GTIN[:-1]}4(10)X1", "gs1"),
])
def test_a_wrong_check_digit_is_reported_as_such_not_as_unknown(operator, code, kind):
    result = explain(operator, code)
    assert (result["kind"], result["valid"], result["ok"]) == (kind, False, False)
    assert result["error"]
    assert "check digit" in result["verdict"]
    assert "Unknown" not in result["verdict"]


def test_an_unknown_code_is_unknown(operator):
    result = explain(operator, "WHAT-IS-THIS")
    assert (result["kind"], result["ok"], result["found"]) == ("text", False, False)
    assert "Unknown barcode" in result["verdict"]


def test_scan_page_works_without_javascript(operator):
    page = operator.get("/m/scan?code=LZB-A-01-01").get_data(as_text=True)
    assert "A-01-01" in page and "APT-PRE-800" in page and "L2026-0312" in page
    page = operator.get("/m/scan?code=RR123456784CN").get_data(as_text=True)
    assert "is-err" in page
