"""Stock over the API: scan anything, stock, products, locations, transfers and the ledger."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.web.test_api import assert_error, bearer
from wms.catalog.models import Product
from wms.demo import OWNER_COSMETICS, OWNER_MILK
from wms.inventory.models import Location, Package, Quant, StockDocument, StockMove
from wms.logistics.identifiers import make_awb, make_s10

pytestmark = pytest.mark.usefixtures("demo")


def fresh(db) -> None:
    """See what the app committed: end the test session's transaction (on SQLite a read
    snapshot; on PostgreSQL a savepoint, which a rollback would undo the app's work with)."""
    db.commit()
    db.expire_all()

APT_GTIN = "4008746009123"


def quantity_at(db, sku: str, barcode: str) -> Decimal:
    fresh(db)
    return db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0))
                     .join(Product, Product.id == Quant.product_id)
                     .join(Location, Location.id == Quant.location_id)
                     .where(Product.sku == sku, Location.barcode == barcode))


def stocked_count(db, *where) -> int:
    fresh(db)
    return db.scalar(select(func.count(Quant.id)).join(Location, Location.id == Quant.location_id)
                     .where(Location.usage.in_(("internal", "customs")), Quant.quantity != 0,
                            *where))


def ledger_size(db) -> tuple[int, int]:
    fresh(db)
    return (db.scalar(select(func.count()).select_from(StockMove)),
            db.scalar(select(func.count()).select_from(StockDocument)))


# ---------------------------------------------------------------- scan

def test_scan_each_kind_of_identifier(client, db):
    headers = bearer(db, "operator")
    pallet = db.scalar(select(Package).where(Package.owner_id.is_not(None)))

    def scan(code):
        response = client.get(f"/api/v1/scan/{code}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json

    body = scan(pallet.sscc)
    assert body["kind"] == "sscc" and body["valid"] and body["found"]
    assert body["matches"][0]["type"] == "package"
    assert body["matches"][0]["contents"][0]["sku"] == "APT-PRE-800"
    body = scan(APT_GTIN)
    assert body["kind"] == "gtin" and body["valid"]
    assert [m["sku"] for m in body["matches"]] == ["APT-PRE-800"]
    body = scan(f"(01)0{APT_GTIN}(10)L2026-0312(17)270911")
    assert body["kind"] == "gs1" and body["valid"]
    assert body["parts"]["lot"] == "L2026-0312" and body["parts"]["expiry"] == "2027-09-11"
    assert body["matches"][0]["sku"] == "APT-PRE-800"
    body = scan(make_s10("RR", 12345678, "CN"))
    assert body["kind"] == "s10" and body["valid"] and not body["found"]
    body = scan(make_awb("176", 1234567))
    assert body["kind"] == "awb" and body["valid"]
    body = scan("CSQU3054383")
    assert body["kind"] == "container" and body["valid"]
    body = scan("LZB-A-01-01")
    assert body["kind"] == "text" and body["matches"][0]["type"] == "location"
    assert body["matches"][0]["contents"][0]["quantity"] == "240"
    body = scan("4008746009124")  # wrong check digit
    assert body["kind"] == "gtin" and body["valid"] is False and body["error"]
    assert not body["found"]
    body = scan("NOTHING-HERE")
    assert body["kind"] == "text" and not body["found"]


def test_scan_is_owner_scoped_and_needs_a_token(client, db):
    assert_error(client.get(f"/api/v1/scan/{APT_GTIN}"), 401, "unauthorized")
    owner = bearer(db, "owner")
    assert client.get(f"/api/v1/scan/{APT_GTIN}", headers=owner).json["found"]
    cosmetics = client.get("/api/v1/scan/8806400012344", headers=owner).json
    assert cosmetics["valid"] and not cosmetics["found"]


# ---------------------------------------------------------------- stock, products, locations

def test_stock_filters_and_pagination(client, db):
    headers = bearer(db, "supervisor")
    body = client.get("/api/v1/stock", headers=headers).json
    count = stocked_count(db)
    assert body["total"] == count and len(body["items"]) == min(count, 100)
    item = next(i for i in body["items"] if i["location"] == "LZB/Stock/A/A-01-01")
    assert item == {**item, "sku": "APT-PRE-800", "lot": "L2026-0312", "expiry": "2027-09-11",
                    "owner": OWNER_MILK, "customs_status": "bonded", "quantity": "240",
                    "reserved": "0", "available": "240", "location_barcode": "LZB-A-01-01"}
    body = client.get("/api/v1/stock", query_string={"location": "LZB-A", "per_page": 2},
                      headers=headers).json
    in_a = stocked_count(db, Location.full_path.startswith("LZB/Stock/A/"))
    assert body["total"] == in_a and body["pages"] == -(-in_a // 2) and len(body["items"]) == 2
    body = client.get("/api/v1/stock", query_string={"customs_status": "export",
                                                     "warehouse": "LZB"}, headers=headers).json
    assert {"LX-HUANGQI-1KG", "MX-DANGGUI-1KG"} <= {i["sku"] for i in body["items"]}
    assert {i["customs_status"] for i in body["items"]} == {"export"}
    body = client.get("/api/v1/stock", query_string={"owner": OWNER_COSMETICS, "q": "雪花秀"},
                      headers=headers).json
    assert {i["sku"] for i in body["items"]} == {"SWS-ESSENCE-150"}
    assert_error(client.get("/api/v1/stock", query_string={"customs_status": "x"},
                            headers=headers), 422, "validation_error", "customs_status")
    assert_error(client.get("/api/v1/stock", query_string={"location": "NOWHERE"},
                            headers=headers), 404, "not_found", "location")


def test_owner_token_sees_only_its_own(client, db):
    headers = bearer(db, "owner")
    milk = db.scalar(select(Product.owner_id).where(Product.sku == "APT-PRE-800"))
    own = stocked_count(db, Quant.owner_id == milk)
    stock = client.get("/api/v1/stock", headers=headers).json
    assert {i["owner"] for i in stock["items"]} == {OWNER_MILK} and stock["total"] == own
    assert client.get("/api/v1/stock", query_string={"q": "SWS"},
                      headers=headers).json["total"] == 0
    assert_error(client.get("/api/v1/stock", query_string={"owner": OWNER_COSMETICS},
                            headers=headers), 404, "not_found", "owner")
    products = client.get("/api/v1/products", headers=headers).json
    assert {p["owner"] for p in products["items"]} == {OWNER_MILK}
    other = db.scalar(select(Product.id).where(Product.sku == "SWS-ESSENCE-150"))
    assert_error(client.get("/api/v1/moves", query_string={"product": other}, headers=headers),
                 404, "not_found", "product")
    moves = client.get("/api/v1/moves", headers=headers).json
    assert moves["total"] == db.scalar(select(func.count()).select_from(StockMove).where(
        StockMove.owner_id == milk, StockMove.state == "done")) and {m["owner"] for m in moves["items"]} == {OWNER_MILK}


def test_locations(client, db):
    headers = bearer(db, "operator")
    body = client.get("/api/v1/locations", query_string={"warehouse": "LZB",
                                                         "usage": "internal"},
                      headers=headers).json
    paths = [loc["path"] for loc in body["items"]]
    assert "LZB/Stock/A/A-01-01" in paths and paths == sorted(paths)
    assert all(loc["usage"] == "internal" and loc["warehouse"] == "LZB"
               for loc in body["items"])
    assert_error(client.get("/api/v1/locations", query_string={"usage": "attic"},
                            headers=headers), 422, "validation_error", "usage")


NEW_PRODUCT = {"owner": OWNER_MILK, "sku": "API-MILK-900", "name_zh": "接口奶粉",
               "hs_code": "1901101010", "gname": "婴儿配方奶粉", "gmodel": "900g/罐",
               "customs_unit": "122", "legal_unit1": "035", "legal_factor1": "0.9",
               "origin_country": "304", "net_weight_kg": "0.9", "gross_weight_kg": "1.1",
               "track_lot": True}


def test_create_product_is_validated_and_idempotent(client, db):
    headers = {**bearer(db, "customs"), "Idempotency-Key": "product-1"}
    assert_error(client.post("/api/v1/products", json={**NEW_PRODUCT, "hs_code": "19"},
                             headers=headers), 422, "validation_error", "hs_code")
    assert_error(client.post("/api/v1/products", json={**NEW_PRODUCT, "sku": "APT-PRE-800"},
                             headers=headers), 409, "conflict", "sku")
    assert_error(client.post("/api/v1/products", json={**NEW_PRODUCT, "weight": 1},
                             headers=headers), 422, "validation_error", "weight")
    first = client.post("/api/v1/products", json=NEW_PRODUCT, headers=headers)
    again = client.post("/api/v1/products", json=NEW_PRODUCT, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json and again.headers["Idempotent-Replayed"] == "true"
    assert first.json["sku"] == "API-MILK-900" and first.json["legal_factor1"] == "0.9"
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Product)
                     .where(Product.sku == "API-MILK-900")) == 1
    assert_error(client.post("/api/v1/products", json=NEW_PRODUCT,
                             headers=bearer(db, "operator")), 403, "forbidden")


# ---------------------------------------------------------------- moves

def line(**changes) -> dict:
    base = {"sku": "APT-PRE-800", "owner": OWNER_MILK, "quantity": 10,
            "from_location": "LZB-A-01-01", "to_location": "LZB-A-01-02", "lot": "L2026-0312",
            "customs_status": "bonded"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_transfer_replayed_three_times_moves_stock_once(client, db):
    headers = {**bearer(db, "operator"), "Idempotency-Key": "move-7f3a"}
    payload = {"lines": [line()], "origin": "API test", "reason": "re-slot"}
    start = (quantity_at(db, "APT-PRE-800", "LZB-A-01-01"),
             quantity_at(db, "APT-PRE-800", "LZB-A-01-02"))
    answers = [client.post("/api/v1/moves", json=payload, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json == answers[1].json == answers[2].json
    assert "Idempotent-Replayed" not in answers[0].headers
    assert answers[2].headers["Idempotent-Replayed"] == "true"
    body = answers[0].json
    assert body["state"] == "done" and body["name"].startswith("LZB/INT/")
    assert body["lines"][0]["quantity"] == "10"
    assert quantity_at(db, "APT-PRE-800", "LZB-A-01-01") == start[0] - 10
    assert quantity_at(db, "APT-PRE-800", "LZB-A-01-02") == start[1] + 10
    # the same key for a different request is refused, and changes nothing
    other = {"lines": [line(quantity=5)]}
    assert_error(client.post("/api/v1/moves", json=other, headers=headers),
                 409, "conflict", "idempotency_key")
    assert quantity_at(db, "APT-PRE-800", "LZB-A-01-01") == start[0] - 10
    apt = db.scalar(select(Product.id).where(Product.sku == "APT-PRE-800"))
    ledger = client.get("/api/v1/moves", query_string={"location": "LZB-A-01-02",
                                                       "product": apt}, headers=headers).json
    assert ledger["total"] == 1
    assert ledger["items"][0] == {**ledger["items"][0], "document": body["name"],
                                  "quantity_in": "10", "quantity_out": None,
                                  "reason": "re-slot", "user": "operator"}


def test_transfer_by_ids_and_package(client, db):
    headers = bearer(db, "supervisor")
    pallet = db.scalar(select(Package).where(Package.owner_id.is_not(None)))
    apt = db.scalar(select(Product.id).where(Product.sku == "APT-PRE-800"))
    source = db.scalar(select(Location.id).where(Location.barcode == "LZB-B-01-01"))
    before = (quantity_at(db, "APT-PRE-800", "LZB-B-01-01"),
              quantity_at(db, "APT-PRE-800", "LZB-OUT"))
    response = client.post("/api/v1/moves", json={"lines": [
        {"product_id": apt, "quantity": 12.5, "from_location_id": source,
         "to_location": "LZB-OUT", "lot": "L2026-0518", "package": pallet.sscc,
         "customs_status": "bonded"}]}, headers=headers)
    assert response.status_code == 201, response.json
    assert quantity_at(db, "APT-PRE-800", "LZB-B-01-01") == before[0] - Decimal("12.5")
    assert quantity_at(db, "APT-PRE-800", "LZB-OUT") == before[1] + Decimal("12.5")


@pytest.mark.parametrize("lines, status, code, field", [
    ([line(quantity=0)], 422, "validation_error", "lines[0].quantity"),
    ([line(quantity=-3)], 422, "validation_error", "lines[0].quantity"),
    ([line(quantity=1.0001)], 422, "validation_error", "lines[0].quantity"),
    ([line(quantity=100000)], 409, "insufficient_stock", "lines[0].quantity"),
    ([line(), line(sku="MEIJI-STEP-800", lot="MJ260401", from_location="LZB-A-01-02", to_location="LZB-A-01-01",
                   quantity=500)], 409, "insufficient_stock", "lines[1].quantity"),
    ([line(lot="MJ260401")], 422, "validation_error", "lines[0].lot"),       # Meiji's lot
    ([line(lot=None)], 422, "validation_error", "lines[0].lot"),             # lot-tracked
    ([line(to_location="LZB-A")], 422, "validation_error", "lines[0].to_location"),  # view
    ([line(), line(to_location="NOWHERE")], 404, "not_found", "lines[1].to_location"),
    ([line(owner=OWNER_COSMETICS)], 404, "not_found", "lines[0].sku"),
    ([line(sku=None, owner=OWNER_COSMETICS, product_id="apt")], 422, "validation_error",
     "lines[0].owner"),
    ([line(package="069061230000009999")], 404, "not_found", "lines[0].package"),
    ([line(customs_status="smuggled")], 422, "validation_error", "lines[0].customs_status"),
    ([line(to_location="LZB-A-01-01")], 422, "validation_error", "lines[0].to_location"),
    ([], 422, "validation_error", "lines"),
])
def test_bad_transfers_are_refused_naming_the_field(client, db, lines, status, code, field):
    apt = db.scalar(select(Product.id).where(Product.sku == "APT-PRE-800"))
    lines = [{**ln, "product_id": apt} if ln.get("product_id") == "apt" else ln
             for ln in lines]
    before = ledger_size(db)
    start = quantity_at(db, "APT-PRE-800", "LZB-A-01-01")
    headers = {**bearer(db, "operator"), "Idempotency-Key": f"bad-{field}-{status}"}
    response = client.post("/api/v1/moves", json={"lines": lines}, headers=headers)
    assert_error(response, status, code, field)
    assert quantity_at(db, "APT-PRE-800", "LZB-A-01-01") == start
    assert ledger_size(db) == before
    # nothing stored for the key either: a corrected request with the same key goes through
    fixed = client.post("/api/v1/moves", json={"lines": [line()]}, headers=headers)
    assert fixed.status_code == 201


def test_owner_product_of_another_owner_is_not_found_for_moves(client, db):
    headers, owner = bearer(db, "operator"), bearer(db, "owner")
    sws = db.scalar(select(Product.id).where(Product.sku == "SWS-ESSENCE-150"))
    response = client.post("/api/v1/moves", json={"lines": [
        {"product_id": sws, "owner": OWNER_MILK, "quantity": 1,
         "from_location": "LZB-A-02-01", "to_location": "LZB-A-02-02", "lot": "SW6A21",
         "customs_status": "bonded"}]}, headers=headers)
    assert_error(response, 422, "validation_error", "lines[0].owner")
    assert_error(client.post("/api/v1/moves", json={"lines": [line()]},
                             headers=owner), 403, "forbidden")


def test_ledger_api_of_a_product(client, db):
    headers = bearer(db, "supervisor")
    apt = db.scalar(select(Product.id).where(Product.sku == "APT-PRE-800"))
    client.post("/api/v1/moves", json={"lines": [line(quantity=4)]}, headers=headers)
    body = client.get("/api/v1/moves", query_string={"product": apt}, headers=headers).json
    fresh(db)
    assert body["total"] == db.scalar(select(func.count()).select_from(StockMove).where(
        StockMove.product_id == apt, StockMove.state == "done"))
    newest = body["items"][0]
    # an internal transfer: leaves one stocked place and enters another
    assert newest["quantity_in"] == newest["quantity_out"] == "4"
    assert {"240", "480"} <= {i["quantity_in"] for i in body["items"][1:]}


@pytest.mark.parametrize("barcode, field", [("V-SUPPLIERS", "from_location"),
                                            ("V-CUSTOMERS", "to_location")])
def test_a_transfer_from_or_to_a_virtual_location_is_refused(client, db, barcode, field):
    headers = bearer(db, "operator")
    before = ledger_size(db)
    response = client.post("/api/v1/moves", json={"lines": [line(), line(**{field: barcode})]},
                           headers=headers)
    assert_error(response, 422, "validation_error", f"lines[1].{field}")
    assert ledger_size(db) == before
    # the place's usage is said in the reader's language (the API default is Chinese)
    message = response.get_json()["error"]["message"]
    assert "suppliers" not in message and "customers" not in message


@pytest.mark.parametrize("quantity", [10**16, 1e300, "１０"])  # a string: not a JSON number
def test_a_quantity_the_ledger_cannot_hold_is_a_clear_422(client, db, quantity):
    response = client.post("/api/v1/moves", json={"lines": [line(quantity=quantity)]},
                           headers=bearer(db, "operator"))
    assert_error(response, 422, "validation_error", "lines[0].quantity")


def test_posting_1000_lines_by_codes_costs_what_10_cost(client, db, statements):
    """SKU + owner + location barcode + lot on every line, 1,000 different products."""
    from tests.inventory.conftest import many_products
    from wms.partners.models import Enterprise
    owner = db.scalar(select(Enterprise).where(Enterprise.customs_code == OWNER_MILK))
    source = db.scalar(select(Location).where(Location.barcode == "LZB-A-01-01"))
    rows = many_products(db, owner.id, 1010, source.id, quantity=5)
    db.commit()
    headers = bearer(db, "operator")
    client.get("/api/v1/me", headers=headers)  # the token's once-a-minute use, not the door

    def post(chosen, key) -> int:
        lines = [line(sku=sku, lot=lot, quantity=2) for sku, lot in chosen]
        with statements() as sent:
            response = client.post("/api/v1/moves", json={"lines": lines},
                                   headers={**headers, "Idempotency-Key": key})
        assert response.status_code == 201, response.json
        assert len(response.json["lines"]) == len(chosen)
        return len(sent)
    small, large = post(rows[:10], "small"), post(rows[10:], "large")
    assert small == large, (small, large)
    assert quantity_at(db, rows[500][0], "LZB-A-01-02") == 2


# ---------------------------------------------------------------- counts

def test_a_count_through_the_api_waits_and_is_approved_once(client, db):
    operator = {**bearer(db, "operator"), "Idempotency-Key": "count-1"}
    body = {"location": "LZB-A-01-01", "lines": [{"code": APT_GTIN, "quantity": 200,
                                                  "lot": "L2026-0312"}]}
    first = client.post("/api/v1/counts", json=body, headers=operator)
    again = client.post("/api/v1/counts", json=body, headers=operator)
    assert first.status_code == again.status_code == 201, first.json
    assert first.json == again.json and again.headers["Idempotent-Replayed"] == "true"
    assert first.json["state"] == "to_approve" and first.json["document"] is None
    assert first.json["lines"][0] == {**first.json["lines"][0], "expected": "240",
                                      "counted": "200", "difference": "-40"}
    assert quantity_at(db, "APT-PRE-800", "LZB-A-01-01") == 240
    count_id = first.json["id"]
    assert_error(client.post(f"/api/v1/counts/{count_id}/approve", json={"reason": "ok"},
                             headers=bearer(db, "operator")), 403, "forbidden")
    supervisor = bearer(db, "supervisor")
    assert_error(client.post(f"/api/v1/counts/{count_id}/reject", json={"reason": " "},
                             headers=supervisor), 422, "validation_error", "reason")
    approved = client.post(f"/api/v1/counts/{count_id}/approve",
                           json={"reason": "recounted"}, headers=supervisor)
    assert approved.status_code == 200 and approved.json["state"] == "done"
    assert approved.json["document"].startswith("LZB/ADJ/")
    assert quantity_at(db, "APT-PRE-800", "LZB-A-01-01") == 200
    assert_error(client.post(f"/api/v1/counts/{count_id}/approve", json={"reason": "again"},
                             headers=supervisor), 422, "validation_error", "count")
    assert_error(client.post("/api/v1/counts/999999/reject", json={"reason": "x"},
                             headers=supervisor), 404, "not_found", "count")


def test_a_bad_count_scan_has_the_handhelds_error_code_and_field(client, db):
    before = ledger_size(db)
    response = client.post("/api/v1/counts", json={"location": "LZB-A-01-01", "lines": [
        {"code": APT_GTIN}, {"code": "NOPE"}]}, headers=bearer(db, "operator"))
    assert_error(response, 404, "not_found", "lines[1].code")
    response = client.post("/api/v1/counts", json={"location": "V-SUPPLIERS", "lines": [
        {"code": APT_GTIN}]}, headers=bearer(db, "operator"))
    assert_error(response, 422, "validation_error", "location")
    assert ledger_size(db) == before


def test_counts_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/counts", "/api/v1/counts/{count_id}/approve",
            "/api/v1/counts/{count_id}/reject", "/api/v1/moves"} <= set(paths)
    assert "post" in paths["/api/v1/counts"]


def test_ids_in_query_strings_are_ascii_digits_within_the_column(client, db):
    headers = bearer(db, "supervisor")
    assert_error(client.get("/api/v1/stock", query_string={"product": "٣"}, headers=headers),
                 422, "validation_error", "product")
    huge = client.get("/api/v1/stock", query_string={"product": str(10**12)}, headers=headers)
    assert huge.status_code == 200 and huge.json["total"] == 0
    assert_error(client.get("/api/v1/moves", query_string={"product": str(10**12)},
                            headers=headers), 404, "not_found", "product")
    assert_error(client.get("/api/v1/stock", query_string={"location": str(10**12)},
                            headers=headers), 404, "not_found", "location")
    assert_error(client.post(f"/api/v1/counts/{10**12}/approve", json={"reason": "x"},
                             headers=headers), 404, "not_found", "count")
