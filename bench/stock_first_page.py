"""Bench: the stock list's first page on 1,000,000 quants, desk and API (issue 18, target
<= 100 ms), against the floor of a bare ``SELECT`` of the same columns ``ORDER BY quant.id
LIMIT 50``; prints the EXPLAIN of the page's id query.

Rows are bulk inserted with SQL (it is a benchmark, not a ledger): 5,000 products of the
demo owners, 2,000 bins in 20 aisles, quants spread over them.
"""
from __future__ import annotations

from common import Database, arguments, report, timed  # noqa: I001

from sqlalchemy import select, text

from wms.core.context import SYSTEM, acting_as
from wms.inventory import queries

PRODUCTS, BINS = 5_000, 2_000


def load(db: Database, quants: int) -> None:
    pg = db.kind == "postgresql"
    series = (lambda n: f"generate_series(0, {n - 1}) AS g(i)") if pg else \
        (lambda n: f"(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s "
                   f"WHERE i < {n - 1}) SELECT i FROM s) AS g")
    now = "now()" if pg else "CURRENT_TIMESTAMP"
    cat = (lambda *parts: " || ".join(parts))
    lpad = (lambda e, n: f"lpad(({e})::text, {n}, '0')") if pg else \
        (lambda e, n: f"substr('0000000000' || ({e}), -{n})")
    with db.engine.begin() as conn:
        wh, stock = conn.execute(text(
            "SELECT warehouse_id, id FROM location WHERE full_path = 'LZB/Stock'")).one()
        conn.execute(text(
            "INSERT INTO location (warehouse_id, parent_id, name, full_path, usage, barcode, "
            f"active, created_at, updated_at) SELECT :wh, :stock, {cat(repr('Z'), lpad('i', 2))}, "
            f"{cat(repr('LZB/Stock/Z'), lpad('i', 2))}, 'view', {cat(repr('LZB-Z'), lpad('i', 2))}, "
            f"true, {now}, {now} FROM {series(20)}"), {"wh": wh, "stock": stock})
        conn.execute(text(
            "INSERT INTO location (warehouse_id, parent_id, name, full_path, usage, barcode, "
            "capacity, active, created_at, updated_at) SELECT :wh, v.id, "
            f"{cat('v.name', repr('-'), lpad('i', 4))}, {cat('v.full_path', repr('/'), 'v.name', repr('-'), lpad('i', 4))}, "
            f"'internal', {cat(repr('LZB-ZB-'), lpad('i', 4))}, 100000, true, {now}, {now} "
            f"FROM {series(BINS)} JOIN location v ON v.barcode = "
            f"{cat(repr('LZB-Z'), lpad('i % 20', 2))}"), {"wh": wh})
        owners = [r[0] for r in conn.execute(text(
            "SELECT e.id FROM enterprise e JOIN enterprise_role r ON r.enterprise_id = e.id "
            "WHERE r.role = 'owner' ORDER BY e.id"))]
        cases = " ".join(f"WHEN {k} THEN {o}" for k, o in enumerate(owners))
        conn.execute(text(
            "INSERT INTO product (owner_id, sku, name_zh, name_en, hs_code, gname, gmodel, "
            "customs_unit, legal_unit1, legal_factor1, origin_country, declared_price, "
            "net_weight_kg, gross_weight_kg, track_lot, track_expiry, active, created_at, "
            f"updated_at) SELECT CASE i % {len(owners)} {cases} END, "
            f"{cat(repr('BENCH-'), lpad('i', 5))}, {cat(repr('基准奶粉 '), lpad('i', 5))}, "
            f"{cat(repr('Bench '), lpad('i', 5))}, '1901101010', '婴儿配方奶粉', '800g/罐', "
            "'122', '035', 1, '304', 100, 1, 1, false, false, true, "
            f"{now}, {now} FROM {series(PRODUCTS)}"))
        conn.execute(text(
            "INSERT INTO quant (quant_key, product_id, location_id, lot_id, package_id, owner_id, "
            "customs_status, quantity, in_date) SELECT "
            f"{cat(repr('bench-'), 'i')}, p.id, b.id, NULL, NULL, p.owner_id, 'bonded', "
            f"10 + i % 90, {now} FROM {series(quants)} "
            f"JOIN product p ON p.sku = {cat(repr('BENCH-'), lpad(f'i % {PRODUCTS}', 5))} "
            f"JOIN location b ON b.barcode = {cat(repr('LZB-ZB-'), lpad(f'(i / {PRODUCTS} + i) % {BINS}', 4))}"))
    db.analyze()


def main() -> None:
    args = arguments(__doc__.splitlines()[0], 1_000_000, 50_000)
    db = Database()
    try:
        load(db, args.size)
        app = db.app()
        desk = app.test_client()
        assert desk.post("/login", data={"login": "supervisor", "password": "Lanzhou-2026"}
                         ).status_code == 302
        token = db.token("supervisor")
        api = app.test_client()

        def desk_page():
            assert desk.get("/stock/").status_code == 200

        def api_page():
            assert api.get("/api/v1/stock", headers=token).status_code == 200

        bare = text("SELECT quant.id, quant.quantity, quant.customs_status, product.sku, "
                    "product.name_zh, location.full_path, enterprise.customs_code FROM quant "
                    "JOIN product ON product.id = quant.product_id JOIN location ON "
                    "location.id = quant.location_id JOIN enterprise ON enterprise.id = "
                    "quant.owner_id ORDER BY quant.id LIMIT 50")

        def floor():
            with db.engine.connect() as conn:
                conn.execute(bare).all()

        with acting_as(SYSTEM), db.engine.connect() as conn:
            stmt = queries.stock_ids(queries.StockFilter(), "location").limit(50)
            compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN ANALYZE " if db.kind == "postgresql" else "EXPLAIN QUERY PLAN "
            print(f"-- {args.size:,} quants; EXPLAIN of the first page's ids ({db.kind}):")
            for row in conn.execute(text(explain + str(compiled))):
                print("   ", " | ".join(str(c) for c in row))
            conn.rollback()
        floor_s = timed(floor, 9)
        desk_s = timed(desk_page, 5)
        api_s = timed(api_page, 5)
        report(f"stock list first page, {args.size:,} quants (desk)", desk_s * 1000,
               floor_s * 1000, "ms", "<= 100 ms", desk_s <= 0.1)
        report(f"stock list first page, {args.size:,} quants (API)", api_s * 1000,
               floor_s * 1000, "ms", "<= 100 ms", api_s <= 0.1)
    finally:
        db.drop()


if __name__ == "__main__":
    main()
