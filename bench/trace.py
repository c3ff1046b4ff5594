"""Benchmark: trace and recall on 1,000,000 quants, against a floor measured in the same run.

Builds the database of ``bench/stock_pages.py`` (Alembic, the demo, then bulk rows: 2,000
products with 5 lots each, quants spread over 500 bins), gives every quant the done move
that put it there (so the ledger holds as many moves as there are quants) and adds 2,000
shipped-looking orders whose picks took lots of the bench products. Then times, in the
domain (no HTTP rendering):

- trace from an order number (back through its lot to the stock and the other orders),
- trace from a buyer's ID number (10 orders),
- trace of an ambiguous lot name shared by 2,000 products (capped at 50 lots: truncated),
- a recall started for one lot, its notice list, and the wave's reservation filter check;

against the floor: one indexed probe of the ledger by lot, ``SELECT ... FROM stock_move
WHERE lot_id = ?``, fetched. Prints each median and its ratio to the floor.

Run: .venv/bin/python bench/trace.py [quants]   (default 1,000,000; building takes minutes:
``WMS_BENCH_DB=path`` times a database an earlier run built again)
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if len(sys.argv) < 2:
    sys.argv.append("1000000")
from bench import stock_pages  # noqa: E402  (reads the quant count from sys.argv)

from sqlalchemy import func, insert, select, text  # noqa: E402

import wms.models  # noqa: F401,E402
from wms.catalog.models import Lot, Product  # noqa: E402
from wms.core.context import SYSTEM, acting_as  # noqa: E402
from wms.core.db import make_session_factory  # noqa: E402
from wms.inventory.models import Location, Quant, StockDocument, StockMove  # noqa: E402
from wms.outbound.models import OrderLine, SalesOrder  # noqa: E402
from wms.partners.models import Enterprise  # noqa: E402
from wms.trace.models import lot_is_blocked  # noqa: E402
from wms.trace.queries import trace  # noqa: E402
from wms.trace.recall import notice_list, start_recall  # noqa: E402

N_ORDERS = 2_000
BUYERS = 200


def add_ledger_and_orders(engine) -> None:
    """One done move per quant (supplier -> its bin), then orders with picks."""
    sessions = make_session_factory(engine)
    with acting_as(SYSTEM), sessions() as session:
        supplier = session.scalar(select(Location.id).where(Location.usage == "supplier",
                                                            Location.warehouse_id.is_(None)))
        output = session.scalar(select(Location.id).where(Location.full_path == "LZB/Output"))
        now = datetime.now(timezone.utc)
        session.execute(text(
            "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, "
            "lot_id, owner_id, customs_status, to_customs_status, state, source_key, "
            "created_at, done_at) SELECT product_id, quantity, :supplier, location_id, lot_id, "
            "owner_id, customs_status, customs_status, 'done', quant_key, :now, :now "
            "FROM quant WHERE lot_id IS NOT NULL AND product_id IN "
            "(SELECT id FROM product WHERE sku LIKE 'BENCH-%')"),
            {"supplier": supplier, "now": now})
        platform = session.scalar(select(Enterprise.id).where(
            Enterprise.customs_code == "6201W60045"))
        products = session.execute(select(Product.id, Product.owner_id).where(
            Product.sku.like("BENCH-%")).order_by(Product.id).limit(N_ORDERS)).all()
        lots = dict(session.execute(select(Lot.product_id, Lot.id).where(
            Lot.name == "L0", Lot.product_id.in_([p for p, _ in products]))).all())
        pick = StockDocument(kind="pick", name="BENCH/PICK", state="done")
        session.add(pick)
        session.flush()
        warehouse = session.scalar(text("SELECT id FROM warehouse WHERE code = 'LZB'"))
        orders = [dict(
            name=f"BENCH/OUT/{i:05d}", state="shipped", trade_mode="1210",
            platform_id=platform, owner_id=owner, warehouse_id=warehouse,
            order_no=f"BENCH-ORDER-{i:05d}", ordered_at=now, buyer_reg_no=f"B{i % BUYERS}",
            buyer_name="王小兰", buyer_id_type="1",
            buyer_id_number=f"6201021990{i % BUYERS:07d}X"[:18], buyer_phone="13909310001",
            consignee="王小兰", consignee_phone="13909310001",
            consignee_address="甘肃省兰州市城关区庆阳路 88 号", country="142",
            goods_value=Decimal(100), freight=Decimal(0), discount=Decimal(0),
            tax_total=Decimal(0), actual_paid=Decimal(100), refunded=Decimal(0),
            currency="142", created_at=now, updated_at=now)
            for i, (pid, owner) in enumerate(products)]
        session.execute(insert(SalesOrder.__table__), orders)
        order_ids = list(session.scalars(select(SalesOrder.id).where(
            SalesOrder.name.like("BENCH/OUT/%")).order_by(SalesOrder.id)))
        session.execute(insert(OrderLine.__table__), [dict(
            order_id=oid, gnum=1, product_id=pid, qty=Decimal(1), price=Decimal(100),
            total_price=Decimal(100), tax=Decimal(0), picked_qty=Decimal(1),
            returned_qty=Decimal(0)) for oid, (pid, _o) in zip(order_ids, products)])
        lines = session.execute(select(OrderLine.id, OrderLine.product_id).where(
            OrderLine.order_id.in_(order_ids))).all()
        bins = dict(session.execute(text(
            "SELECT lot_id, MIN(location_id) FROM quant WHERE lot_id IN "
            f"({','.join(str(v) for v in lots.values())}) GROUP BY lot_id")).all())
        owners = dict(products)
        session.execute(insert(StockMove.__table__), [dict(
            document_id=pick.id, product_id=pid, quantity=Decimal(1),
            from_location_id=bins[lots[pid]], to_location_id=output, lot_id=lots[pid],
            owner_id=owners[pid], customs_status="bonded", to_customs_status="bonded",
            state="done", source_key="bench", order_line_id=line_id, created_at=now,
            done_at=now) for line_id, pid in lines])
        session.commit()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def main() -> None:
    reuse = os.environ.get("WMS_BENCH_DB")   # a database an earlier run built, to time again
    if reuse:
        path, build_s = reuse, 0.0
        engine = stock_pages.make_engine(f"sqlite:///{path}")
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="wms-bench-trace-"), "bench.db")
        engine, build_s = stock_pages.build(path)
    started = time.perf_counter()
    if not reuse:
        add_ledger_and_orders(engine)
    with engine.connect() as conn:
        quants = conn.scalar(text("SELECT count(*) FROM quant"))
        moves = conn.scalar(text("SELECT count(*) FROM stock_move"))
    print(f"{'reused' if reuse else 'built'} {quants:,} quants, {moves:,} moves in "
          f"{build_s + time.perf_counter() - started:.1f} s ({path}); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sessions = make_session_factory(engine)
    session = sessions()
    order = session.scalar(select(SalesOrder).where(SalesOrder.order_no == "BENCH-ORDER-00042"))
    lot = session.scalar(select(Lot).join(Product, Product.id == Lot.product_id).where(
        Product.sku == "BENCH-00042", Lot.name == "L0"))

    def floor():
        with engine.connect() as conn:
            conn.execute(text("SELECT id, quantity, from_location_id, to_location_id "
                              "FROM stock_move WHERE lot_id = :lot"), {"lot": lot.id}).all()

    def traced(code, check):
        def run():
            with acting_as(SYSTEM):
                result = trace(session, code)
            assert check(result), code
            session.rollback()
        return run

    def recall():
        with acting_as(SYSTEM):
            started = start_recall(session, product="BENCH-00042", lot="L0", reason="bench")
            notices, stock = notice_list(session, started)
            free = session.scalar(select(func.count()).select_from(Quant).where(
                Quant.lot_id == lot.id, ~lot_is_blocked(Quant.lot_id)))
        assert notices and stock and free == 0
        session.rollback()

    cases = [
        ("trace from an order number", traced(order.order_no, lambda t: t.orders and t.stock)),
        ("trace from a buyer ID (10 orders)", traced(order.buyer_id_number,
                                                     lambda t: len(t.orders) >= 10)),
        ("trace of a lot name on 2,000 products", traced("L0", lambda t: t.truncated)),
        ("recall one lot + notice list + block", recall),
    ]
    bottom = stock_pages.timed(floor, 9)
    print(f"floor (indexed SELECT of one lot's moves): {bottom * 1000:.2f} ms")
    print(f"{'case':40} {'median ms':>10} {'x floor':>9}")
    worst = 0.0
    for name, fn in cases:
        seconds = stock_pages.timed(fn)
        worst = max(worst, seconds)
        print(f"{name:40} {seconds * 1000:10.1f} {seconds / bottom:9.1f}")
    print(f"slowest: {worst * 1000:.0f} ms (target: well under 1000 ms) -> "
          f"{'OK' if worst < 0.5 else 'SLOW'}")
    session.close()


if __name__ == "__main__":
    main()
