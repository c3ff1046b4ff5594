"""Desk pages for stock: filters, CSV, pagination, owner scoping, location and product forms."""
from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from wms.catalog.models import Product
from wms.demo import OWNER_COSMETICS, OWNER_MILK
from wms.inventory.models import Location, Package, Quant, StockMove
from wms.inventory.places import location_by_path
from wms.inventory.services import MoveLine, post_moves, virtual_location
from wms.partners.models import Enterprise

pytestmark = pytest.mark.usefixtures("demo")


def fresh(db) -> None:
    """See what the app committed: end the test session's transaction (on SQLite a read
    snapshot; on PostgreSQL a savepoint, which a rollback would undo the app's work with)."""
    db.commit()
    db.expire_all()


def as_user(client, user: str) -> None:
    client.post("/logout")
    assert login(client, user).status_code == 302


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def parse_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese right
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def stocked(db, *where):
    """What the stock list should show: non-zero quants in internal and customs locations."""
    fresh(db)
    return db.execute(select(func.count(Quant.id), func.coalesce(func.sum(Quant.quantity), 0))
                      .join(Location, Location.id == Quant.location_id)
                      .where(Location.usage.in_(("internal", "customs")), Quant.quantity != 0,
                             *where)).one()


def product_id(db, sku: str) -> int:
    return db.scalar(select(Product.id).where(Product.sku == sku))


def owner_id(db, code: str) -> int:
    return db.scalar(select(Enterprise.id).where(Enterprise.customs_code == code))


def test_stock_list_shows_every_stocked_quant_with_totals(client, db):
    count, total = stocked(db)
    as_user(client, "supervisor")
    page = text(client.get("/stock/"))
    for sku in ("APT-PRE-800", "MEIJI-STEP-800", "SWS-ESSENCE-150", "MX-DANGGUI-1KG"):
        assert sku in page
    assert "LZB/库存区/A/A-01-01" in page and "L2026-0312" in page  # set-up areas translated
    assert "Supplier" not in page and "Partners/Suppliers" not in page  # virtual: not listed
    assert f"<strong>{count}</strong>" in page
    assert f"<strong>{Decimal(total).normalize():f}</strong>" in page


@pytest.mark.parametrize("args, expected, absent", [
    ({"q": "APT"}, {"APT-PRE-800"}, {"MEIJI-STEP-800", "SHI-ULT-50"}),
    ({"q": "4902000001703"}, {"MEIJI-STEP-800"}, {"APT-PRE-800"}),       # GTIN
    ({"q": "资生堂"}, {"SHI-ULT-50"}, {"SWS-ESSENCE-150"}),               # name
    ({"lot": "MX2026-10"}, {"MX-DANGGUI-1KG"}, {"LX-HUANGQI-1KG"}),
    ({"customs_status": "export"}, {"MX-DANGGUI-1KG", "LX-HUANGQI-1KG"}, {"APT-PRE-800"}),
])
def test_stock_filters(client, args, expected, absent):
    as_user(client, "supervisor")
    page = text(client.get("/stock/", query_string=args))
    for sku in expected:
        assert sku in page
    for sku in absent:
        assert f"<code>{sku}</code>" not in page


def test_location_filter_includes_children_and_warehouse_filter(client, db):
    as_user(client, "supervisor")
    view_a = location_by_path(db, "LZB/Stock/A")
    page = text(client.get("/stock/", query_string={"location": view_a.id}))
    assert "A-01-01" in page and "A-02-02" in page
    assert "<code>MX-DANGGUI-1KG</code>" not in page  # in C
    ala = db.scalar(select(Location.warehouse_id).where(Location.full_path == "ALA/Stock/R-01"))
    page = text(client.get("/stock/", query_string={"warehouse": ala}))
    assert "ALA/库存区/R-01" in page and "LZB/库存区" not in page
    cosmetics = owner_id(db, OWNER_COSMETICS)
    page = text(client.get("/stock/", query_string={"owner": cosmetics}))
    assert "<code>SWS-ESSENCE-150</code>" in page and "<code>APT-PRE-800</code>" not in page
    assert client.get("/stock/", query_string={"customs_status": "smuggled"}).status_code == 400


def test_stock_shows_reserved_and_available(client, db):
    """A reserved move against a quant shows as reserved; available is what is left."""
    quant = db.scalar(select(Quant).join(Product, Product.id == Quant.product_id)
                      .join(Location, Location.id == Quant.location_id)
                      .where(Product.sku == "MEIJI-STEP-800",
                             Location.full_path == "LZB/Stock/A/A-01-02"))
    output = location_by_path(db, "LZB/Output")
    held = db.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
        StockMove.state == "reserved", StockMove.source_key == quant.quant_key))
    db.add(StockMove(product_id=quant.product_id, quantity=Decimal(30),
                     from_location_id=quant.location_id, to_location_id=output.id,
                     lot_id=quant.lot_id, owner_id=quant.owner_id, customs_status="bonded",
                     to_customs_status="bonded", state="reserved", source_key=quant.quant_key,
                     created_at=quant.in_date))
    db.commit()
    as_user(client, "admin")
    where = {"q": "MEIJI", "location": quant.location_id}
    rows = parse_csv(client.get("/stock/", query_string={**where, "format": "csv"}))
    assert rows[0][-3:] == ["Quantity", "Reserved", "Available"]
    on_hand, reserved = quant.quantity, held + 30
    expected = [str(int(v)) for v in (on_hand, reserved, on_hand - reserved)]
    assert rows[1][0] == "MEIJI-STEP-800" and rows[1][-3:] == expected
    page = text(client.get("/stock/", query_string=where))
    assert f"<strong>{expected[1]}</strong>" in page
    assert f"<strong>{expected[2]}</strong>" in page


def test_csv_export_is_the_filtered_result_with_bom(client, db):
    count, _total = stocked(db)
    export = set(db.scalars(select(Product.sku).join(Quant, Quant.product_id == Product.id)
                            .where(Quant.customs_status == "export", Quant.quantity > 0)))
    as_user(client, "admin")
    rows = parse_csv(client.get("/stock/", query_string={"format": "csv"}))
    assert rows[0][0] == "SKU" and len(rows) == 1 + count
    names = {r[1] for r in rows[1:]}
    assert "爱他美婴儿配方奶粉 Pre段 800g" in names  # Chinese survives the round trip
    rows = parse_csv(client.get("/stock/", query_string={"format": "csv",
                                                         "customs_status": "export"}))
    assert {r[0] for r in rows[1:]} == export and "MX-DANGGUI-1KG" in export
    assert {r[7] for r in rows[1:]} == {"export"}


def test_pagination_of_the_stock_list(client, db):
    """60 more quants: page 1 has 50 rows, page 2 the rest, both with the same total."""
    supplier = virtual_location(db, "supplier")
    apt = db.scalar(select(Product).where(Product.sku == "MEIJI-STEP-800"))
    lot = db.scalar(select(Quant.lot_id).where(Quant.product_id == apt.id))
    bins = db.scalars(select(Location).where(Location.usage == "internal",
                                             Location.warehouse_id.is_not(None))).all()
    lines = [MoveLine(apt.id, Decimal(i + 1), supplier.id, bins[i % len(bins)].id,
                      apt.owner_id, status, lot, None, None)
             for i, status in enumerate(["arrived", "released", "held", "export"] * 15)
             if not (status == "held") or True]
    lines = [ln for ln in lines if bins[0] is not None]
    post_moves(db, [ln for ln in lines if
                    db.get(Location, ln.to_location_id).usage == "internal"
                    or ln.customs_status == "held"], None)
    db.commit()
    total = db.scalar(select(func.count()).select_from(Quant).join(
        Location, Location.id == Quant.location_id).where(
        Location.usage.in_(("internal", "customs")), Quant.quantity != 0))
    assert total > 50
    as_user(client, "supervisor")
    first = text(client.get("/stock/"))
    second = text(client.get("/stock/", query_string={"page": 2}))
    count = lambda page: page.count('" class="num">') // 2  # quantity + available cells
    assert count(first) == 50
    assert count(second) == total - 50
    assert "?page=2" in first and f"{total} " in first


def test_owner_user_sees_only_its_own_stock(client, db):
    as_user(client, "owner")
    page = text(client.get("/stock/"))
    assert "APT-PRE-800" in page and "MEIJI-STEP-800" in page
    assert "SWS-ESSENCE-150" not in page and "MX-DANGGUI-1KG" not in page
    assert OWNER_COSMETICS not in page
    # asking for the other owner explicitly does not help
    cosmetics = owner_id(db, OWNER_COSMETICS)
    page = text(client.get("/stock/", query_string={"owner": cosmetics}))
    assert "SWS-ESSENCE-150" not in page
    rows = parse_csv(client.get("/stock/", query_string={"format": "csv"}))
    assert {r[0] for r in rows[1:]} == {"APT-PRE-800", "MEIJI-STEP-800"}
    other = product_id(db, "SWS-ESSENCE-150")
    assert client.get(f"/stock/products/{other}").status_code == 404
    assert client.get("/stock/ledger", query_string={"product": other}).status_code == 404
    assert client.get("/stock/ledger", query_string={"product": other,
                                                     "format": "csv"}).status_code == 404
    products = text(client.get("/stock/products"))
    assert "APT-PRE-800" in products and "SWS-ESSENCE-150" not in products
    # a location ledger shows only the owner's own moves
    a_02_01 = location_by_path(db, "LZB/Stock/A/A-02-01")
    assert "SWS-ESSENCE-150" not in text(client.get("/stock/ledger",
                                                    query_string={"location": a_02_01.id}))
    # and they cannot maintain anything
    assert client.get("/stock/products/new").status_code == 403
    assert client.get("/stock/locations/new").status_code == 403


def test_owner_user_packages_are_scoped(client, db):
    as_user(client, "owner")
    page = text(client.get("/stock/packages"))
    own = db.scalar(select(Package).where(Package.owner_id == owner_id(db, OWNER_MILK)))
    assert own.sscc in page
    samples = db.scalars(select(Package).where(Package.owner_id.is_(None))).all()
    for p in samples:
        assert p.sscc not in page
        assert client.get(f"/stock/packages/{p.id}").status_code == 404
    detail = text(client.get(f"/stock/packages/{own.id}"))
    assert "APT-PRE-800" in detail and "L2026-0518" in detail


def test_ledger_of_a_product_and_a_location(client, db):
    as_user(client, "supervisor")
    apt = product_id(db, "APT-PRE-800")
    page = text(client.get("/stock/ledger", query_string={"product": apt}))
    assert "LZB/OPEN/" in page and "opening balance (demo)" in page
    assert "L2026-0312" in page and "L2026-0518" in page
    rows = parse_csv(client.get("/stock/ledger", query_string={"product": apt,
                                                               "format": "csv"}))
    fresh(db)
    assert len(rows) == 1 + db.scalar(select(func.count()).select_from(StockMove).where(
        StockMove.product_id == apt, StockMove.state == "done"))
    assert {"240", "480"} <= {r[9] for r in rows[1:]}  # "In": into the warehouse
    c = location_by_path(db, "LZB/Stock/C")
    rows = parse_csv(client.get("/stock/ledger", query_string={"location": c.id,
                                                               "format": "csv"}))
    assert {r[2] for r in rows[1:]} >= {"LX-HUANGQI-1KG", "MX-DANGGUI-1KG"}
    assert all(r[3].startswith("LZB/Stock/C") or r[4].startswith("LZB/Stock/C")
               for r in rows[1:])
    assert client.get("/stock/ledger", query_string={"product": 999999}).status_code == 404


def test_ledger_is_newest_first_and_paginated(client, db):
    supplier = virtual_location(db, "supplier")
    herbs = db.scalar(select(Product).where(Product.sku == "LX-HUANGQI-1KG"))
    lot = db.scalar(select(Quant.lot_id).where(Quant.product_id == herbs.id))
    c = location_by_path(db, "LZB/Stock/C/C-01-01")
    for i in range(55):
        post_moves(db, [MoveLine(herbs.id, Decimal(i + 1), supplier.id, c.id, herbs.owner_id,
                                 "export", lot, reason=f"batch {i}")])
    db.commit()
    as_user(client, "supervisor")
    first = text(client.get("/stock/ledger", query_string={"product": herbs.id}))
    assert first.index("batch 54") < first.index("batch 53")
    assert "opening balance" not in first
    last = text(client.get("/stock/ledger", query_string={"product": herbs.id, "page": 2}))
    assert "opening balance" in last and "batch 0" in last


def test_locations_page_and_create_location(client, db):
    as_user(client, "supervisor")
    page = text(client.get("/stock/locations"))
    assert "LZB-A-01-01" in page and 'id="print-form"' in page
    view_b = location_by_path(db, "LZB/Stock/B")
    response = client.post("/stock/locations/new", data={
        "parent": view_b.id, "name": "B-02-01", "usage": "internal", "barcode": "",
        "capacity": "500"})
    assert response.status_code == 302
    fresh(db)
    created = location_by_path(db, "LZB/Stock/B/B-02-01")
    assert created.barcode == "LZB-STOCK-B-B-02-01" and created.capacity == 500
    assert created.warehouse_id == view_b.warehouse_id


@pytest.mark.parametrize("data, field, message", [
    ({"name": "bad/name"}, "name", "Location name must be 1-60 characters without '/'"),
    ({"barcode": "LZB-A-01-01"}, "barcode", "Barcode LZB-A-01-01 is used by another location"),
    ({"capacity": "-5"}, "capacity", "Capacity must be greater than zero"),
    ({"parent": "bin"}, "parent", "Locations can only be placed under a view location"),
])
def test_location_form_errors_are_shown_next_to_the_field(client, db, data, field, message):
    as_user(client, "admin")  # English
    view_a = location_by_path(db, "LZB/Stock/A")
    bin_ = location_by_path(db, "LZB/Stock/A/A-01-01")
    form = {"parent": view_a.id, "name": "A-09-09", "usage": "internal", "barcode": "",
            "capacity": ""}
    form.update(data)
    if form["parent"] == "bin":
        form["parent"] = bin_.id
    before = db.scalar(select(func.count()).select_from(Location))
    response = client.post("/stock/locations/new", data=form)
    assert response.status_code in (409, 422)
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">{re.escape(html.escape(message).replace("&#x27;", "&#39;"))}', page), page
    assert db.scalar(select(func.count()).select_from(Location)) == before


def test_location_form_offers_only_view_parents_and_needs_supervisor(client, db):
    as_user(client, "operator")
    assert client.get("/stock/locations/new").status_code == 403
    assert client.get("/stock/locations").status_code == 200
    as_user(client, "supervisor")
    page = text(client.get("/stock/locations/new"))
    assert "LZB/Stock/A</option>" in page and "LZB/Stock/A/A-01-01</option>" not in page


def test_archive_only_empty_locations(client, db):
    as_user(client, "supervisor")
    full = location_by_path(db, "LZB/Stock/A/A-01-01")
    empty = location_by_path(db, "LZB/Stock/B/B-01-02")
    client.post(f"/stock/locations/{full.id}/archive")
    client.post(f"/stock/locations/{empty.id}/archive")
    fresh(db)
    assert db.get(Location, full.id).active
    assert not db.get(Location, empty.id).active


def product_form(**changes) -> dict:
    form = dict(owner=OWNER_MILK, sku="NEW-MILK-400", gtin="", name_zh="新奶粉 400g",
                name_en="New milk 400 g", category="milk powder", hs_code="1901101010",
                gname="婴儿配方奶粉", gmodel="0-6月龄|400g/罐", customs_unit="122",
                legal_unit1="035", legal_factor1="0.4", legal_unit2="", legal_factor2="",
                origin_country="304", declared_price="99", net_weight_kg="0.4",
                gross_weight_kg="0.5", item_record_no="", track_lot="y", track_expiry="y")
    form.update(changes)
    return form


def test_create_product_and_see_its_detail(client, db):
    as_user(client, "customs")
    response = client.post("/stock/products/new", data=product_form())
    assert response.status_code == 302
    fresh(db)
    product = db.scalar(select(Product).where(Product.sku == "NEW-MILK-400"))
    assert product.track_expiry and product.legal_factor1 == Decimal("0.4")
    page = text(client.get(response.headers["Location"]))
    assert "NEW-MILK-400" in page and f"/history/product/{product.id}" in page
    assert f"/stock/ledger?product={product.id}" in page


@pytest.mark.parametrize("changes, field, message", [
    ({"hs_code": "19011010"}, "hs_code", "HS code must have 10 digits"),
    ({"sku": "APT-PRE-800"}, "sku", "SKU APT-PRE-800 already exists for this owner"),
    ({"customs_unit": "999"}, "customs_unit", "999 is not in the customs unit table"),
    ({"gross_weight_kg": "0.1"}, "gross_weight_kg", "Gross weight cannot be less than net weight"),
    ({"gtin": "4008746009124"}, "gtin", None),
])
def test_product_form_errors_are_shown_next_to_the_field(client, db, changes, field, message):
    as_user(client, "admin")
    before = db.scalar(select(func.count()).select_from(Product))
    response = client.post("/stock/products/new", data=product_form(**changes))
    assert response.status_code in (409, 422)
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">{re.escape(message or "")}', page), page
    assert db.scalar(select(func.count()).select_from(Product)) == before


def test_product_maintenance_roles(client):
    as_user(client, "operator")
    assert client.get("/stock/products/new").status_code == 403
    assert client.get("/stock/products").status_code == 200
    as_user(client, "supervisor")
    assert client.get("/stock/products/new").status_code == 200


def test_product_list_search_and_owner_filter(client, db):
    as_user(client, "supervisor")
    page = text(client.get("/stock/products", query_string={"q": "黄芪"}))
    assert "LX-HUANGQI-1KG" in page and "MX-DANGGUI-1KG" not in page
    page = text(client.get("/stock/products",
                           query_string={"owner": owner_id(db, OWNER_COSMETICS)}))
    assert "SHI-ULT-50" in page and "APT-PRE-800" not in page


def test_packages_list_and_nested_detail(client, db):
    as_user(client, "supervisor")
    page = text(client.get("/stock/packages"))
    pallets = db.scalars(select(Package).where(Package.parent_id.is_(None),
                                               Package.owner_id.is_(None))).all()
    assert len(pallets) == 1
    pallet = pallets[0]
    cartons = db.scalars(select(Package).where(Package.parent_id == pallet.id)).all()
    assert pallet.sscc in page and all(c.sscc in page for c in cartons)
    detail = text(client.get(f"/stock/packages/{pallet.id}"))
    assert all(c.sscc in detail for c in cartons) and "LZB/Input" in detail
    assert text(client.get("/stock/packages", query_string={"q": cartons[0].sscc})) \
        .count("<code>") == 1 + 1  # the carton and its pallet as "inside"


def test_every_stock_page_for_every_reader(client, db):
    apt = product_id(db, "APT-PRE-800")
    package = db.scalar(select(Package.id).where(Package.owner_id.is_not(None)))
    for user in ("supervisor", "customs", "operator", "dispatcher", "returns", "admin",
                 "owner"):
        as_user(client, user)
        for url in ("/stock/", "/stock/ledger", f"/stock/ledger?product={apt}",
                    "/stock/locations", "/stock/locations?warehouse=virtual",
                    "/stock/products", f"/stock/products/{apt}", "/stock/packages",
                    f"/stock/packages/{package}"):
            assert client.get(url).status_code == 200, (user, url)
