"""Benchmark: the stock list and its CSV export on 100,000 quants, against a floor.

Builds a SQLite database migrated with Alembic (as the tests do), loads the demo, then bulk
inserts 100,000 quants (plus products, lots, locations and 1,000 reservations) directly: it
is a benchmark, not a ledger. Then times through the Flask test client, logged in as a
supervisor:

- the first page, a filtered page (owner + customs status + product search), the last page
  (deep OFFSET), the owner user's first page (scoped), and the full CSV export;

against floors measured in the same run on the same engine:

- page floor: a bare ``SELECT`` of the same columns with the same joins, ``ORDER BY
  quant.id LIMIT 50`` (no filter, no sort work, no rendering);
- CSV floor: the same bare ``SELECT`` of every row, fetched and thrown away.

Target: each page well under 1 s. Run: .venv/bin/python bench/stock_pages.py [quants]
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("WMS_SCRYPT_N", "1024")
os.environ.setdefault("WMS_SECRET_KEY", "bench")

from sqlalchemy import insert, select, text  # noqa: E402

from wms.catalog.models import Lot, Product  # noqa: E402
from wms.core.context import SYSTEM, acting_as  # noqa: E402
from wms.core.db import make_engine, make_session_factory, utcnow  # noqa: E402
from wms.inventory.models import Location, Quant, StockMove, Warehouse  # noqa: E402
from wms.inventory.services import quant_key  # noqa: E402
from wms.partners.models import Enterprise  # noqa: E402

N_QUANTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
N_PRODUCTS = 2_000
N_BINS = 500
STATUSES = ("bonded", "bonded", "bonded", "arrived", "released", "export", "held")


def migrate(engine) -> None:
    from alembic import command
    from wms.cli import alembic_config
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def build(path: str):
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    with acting_as(SYSTEM):
        session = sessions()
        from wms.demo import load_demo
        load_demo(session)
        session.commit()
        owners = [e.id for e in session.scalars(select(Enterprise)) if "owner" in e.roles]
        lzb = session.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
        stock_view = session.scalar(select(Location).where(Location.full_path == "LZB/Stock"))
        now = utcnow()
        audit = dict(created_at=now, updated_at=now)
        # bins: 10 aisles (views) x 50 bins
        views = []
        for a in range(10):
            views.append(dict(warehouse_id=lzb.id, parent_id=stock_view.id, name=f"Z{a:02d}",
                              full_path=f"LZB/Stock/Z{a:02d}", usage="view",
                              barcode=f"LZB-Z{a:02d}", active=True, **audit))
        session.execute(insert(Location), views)
        view_ids = dict(session.execute(select(Location.name, Location.id).where(
            Location.name.like("Z%"), Location.usage == "view")).all())
        bins = [dict(warehouse_id=lzb.id, parent_id=view_ids[f"Z{b % 10:02d}"],
                     name=f"Z{b % 10:02d}-{b:03d}", full_path=f"LZB/Stock/Z{b % 10:02d}/"
                     f"Z{b % 10:02d}-{b:03d}", usage="internal", barcode=f"LZB-Z-{b:03d}",
                     capacity=Decimal(1000), active=True, **audit) for b in range(N_BINS)]
        session.execute(insert(Location), bins)
        bin_ids = list(session.scalars(select(Location.id).where(
            Location.barcode.like("LZB-Z-%")).order_by(Location.id)))
        products = [dict(owner_id=owners[p % len(owners)], sku=f"BENCH-{p:05d}",
                         gtin=None, name_zh=f"基准商品 {p:05d} 奶粉", name_en=f"Bench {p}",
                         hs_code="1901101010", gname="婴儿配方奶粉", gmodel="800g/罐",
                         customs_unit="122", legal_unit1="035", legal_factor1=Decimal(1),
                         origin_country="304", declared_price=Decimal(100),
                         net_weight_kg=Decimal(1), gross_weight_kg=Decimal(1), track_lot=True,
                         track_expiry=True, active=True, **audit) for p in range(N_PRODUCTS)]
        session.execute(insert(Product), products)
        product_rows = session.execute(select(Product.id, Product.owner_id).where(
            Product.sku.like("BENCH-%")).order_by(Product.id)).all()
        lots = [dict(product_id=pid, name=f"L{k}", expiry_date=date(2027, 1, 1)
                     + timedelta(days=k * 30)) for pid, _ in product_rows for k in range(5)]
        session.execute(insert(Lot), lots)
        lot_ids = {(pid, name): lid for lid, pid, name in session.execute(
            select(Lot.id, Lot.product_id, Lot.name))}
        rows, keys = [], []
        for i in range(N_QUANTS):
            pid, owner = product_rows[i % N_PRODUCTS]
            loc = bin_ids[(i + i // N_PRODUCTS) % N_BINS]
            lot = lot_ids[(pid, f"L{(i // N_PRODUCTS) % 5}")]
            status = STATUSES[(i // (N_PRODUCTS * 5)) % len(STATUSES)]
            key = quant_key(pid, loc, lot, None, owner, status)
            rows.append(dict(quant_key=key, product_id=pid, location_id=loc, lot_id=lot,
                             package_id=None, owner_id=owner, customs_status=status,
                             quantity=Decimal(10 + i % 90), in_date=now))
            keys.append((key, pid, loc, lot, owner, status))
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Quant), rows[start:start + 10_000])
        output = session.scalar(select(Location.id).where(Location.full_path == "LZB/Output"))
        session.execute(insert(StockMove), [dict(
            product_id=pid, quantity=Decimal(3), from_location_id=loc, to_location_id=output,
            lot_id=lot, owner_id=owner, customs_status=status, to_customs_status=status,
            state="reserved", source_key=key, created_at=now)
            for key, pid, loc, lot, owner, status in keys[::max(1, N_QUANTS // 1000)]])
        session.commit()
        session.close()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return engine, time.perf_counter() - started


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm up (template compile, SQLite page cache)
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="wms-bench-")
    path = os.path.join(workdir, "bench.db")
    engine, build_s = build(path)
    print(f"built {N_QUANTS:,} quants in {build_s:.1f} s ({path})")

    from web import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "bench", "INSTANCE_PATH": os.path.join(workdir, "i")})
    staff, owner = app.test_client(), app.test_client()
    for client, login in ((staff, "supervisor"), (owner, "owner")):
        assert client.post("/login", data={"login": login, "password": "Lanzhou-2026"}
                           ).status_code == 302
    with engine.connect() as conn:
        milk = conn.scalar(select(Enterprise.id).where(Enterprise.customs_code == "6201W60012"))
        total = conn.scalar(text("SELECT count(*) FROM quant WHERE quantity <> 0"))
    last_page = -(-total // 50)

    def page(client, query):
        def run():
            response = client.get("/stock/", query_string=query)
            assert response.status_code == 200, response.status_code
            return response
        return run

    def csv_export():
        response = staff.get("/stock/", query_string={"format": "csv"})
        size = sum(len(chunk) for chunk in response.response)
        assert response.status_code == 200 and size > 0

    bare = ("SELECT quant.id, quant.quantity, quant.customs_status, product.sku, "
            "product.name_zh, location.full_path, lot.name, lot.expiry_date, "
            "enterprise.customs_code FROM quant JOIN product ON product.id = quant.product_id "
            "JOIN location ON location.id = quant.location_id JOIN enterprise ON "
            "enterprise.id = quant.owner_id LEFT JOIN lot ON lot.id = quant.lot_id "
            "ORDER BY quant.id")

    def floor_page():
        with engine.connect() as conn:
            conn.execute(text(bare + " LIMIT 50")).all()

    def floor_all():
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=2000).execute(text(bare))
            for _ in result:
                pass

    floor = timed(floor_page, 9)
    floor_csv = timed(floor_all, 3)
    cases = [
        ("first page", page(staff, {})),
        ("filtered page (owner+bonded+q)", page(staff, {"owner": milk,
                                                         "customs_status": "bonded",
                                                         "q": "BENCH-001"})),
        ("location subtree page", page(staff, {"location": "", "q": "",
                                               "warehouse": 1, "lot": "L2"})),
        ("last page", page(staff, {"page": last_page})),
        ("sorted by product, page 100", page(staff, {"sort": "product", "page": 100})),
        ("owner user, first page", page(owner, {})),
    ]
    print(f"{total:,} quants; page floor (bare SELECT ... LIMIT 50): {floor * 1000:.1f} ms; "
          f"CSV floor (bare SELECT of all rows): {floor_csv * 1000:.0f} ms")
    print(f"{'case':34} {'median ms':>10} {'x floor':>9}")
    worst = 0.0
    for name, fn in cases:
        seconds = timed(fn)
        worst = max(worst, seconds)
        print(f"{name:34} {seconds * 1000:10.1f} {seconds / floor:9.1f}")
    seconds = timed(csv_export, 2)
    print(f"{'CSV export (all rows)':34} {seconds * 1000:10.1f} {seconds / floor_csv:9.1f}"
          f"   ({total / seconds:,.0f} rows/s, x CSV floor)")
    print(f"slowest page: {worst * 1000:.0f} ms (target: well under 1000 ms)"
          f" -> {'OK' if worst < 0.5 else 'SLOW'}")


if __name__ == "__main__":
    main()
