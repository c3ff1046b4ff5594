"""The outbound doors are set-based: a batch of 1,000 orders, a wave of 1,000 lines, 1,000
picks and shipping 1,000 lines take as many SQL statements as 10 do (both databases)."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from wms.catalog.models import Lot, Product
from wms.customs.rules import RetailLimits, line_tax
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Location, Quant, Warehouse
from wms.inventory.services import MoveLine, post_moves, virtual_location
from wms.outbound.fulfilment import PickScan, confirm_picks, create_wave, pack_order, ship_order
from wms.outbound.intake import receive_orders
from wms.outbound.models import SalesOrder
from wms.outbound.queries import wave_moves
from wms.settings import Settings

from .conftest import make_order

pytestmark = pytest.mark.usefixtures("demo")

# Quotas out of the way: these tests count statements, the limits have their own tests.
OPEN_LIMITS = Settings(retail_limits=RetailLimits(per_transaction=Decimal(10**9),
                                                  per_year=Decimal(10**9)))
SKU = "APT-PRE-800"


def buyer_id(n: int) -> str:
    body = f"62010219900307{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def add_stock(db, quantity: int) -> None:
    """More bonded stock of the milk powder in the lot a wave takes first (first expiry
    first out), so big orders are served from one quant, as small ones are."""
    quant = db.scalar(select(Quant).join(Product, Product.id == Quant.product_id).join(
        Location, Location.id == Quant.location_id).outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Product.sku == SKU, Quant.customs_status == "bonded", Quant.quantity > 0,
               Location.usage == "internal", Location.full_path.startswith("LZB/Stock/"))
        .order_by(Lot.expiry_date.is_(None), Lot.expiry_date, Quant.in_date, Quant.id)
        .limit(1))
    post_moves(db, [MoveLine(quant.product_id, Decimal(quantity),
                             virtual_location(db, "supplier").id, quant.location_id,
                             quant.owner_id, "bonded", quant.lot_id)])


def order_of_lines(order_no: str, lines: int) -> dict:
    """One order of ``lines`` lines, one can each, amounts reconciled."""
    data = make_order(order_no, qty=1, price="1.00", buyer_id_number=buyer_id(lines))
    tax = line_tax(Decimal("1.00"), Decimal("0.13"), Decimal(0)) * lines
    paid = Decimal(lines) + Decimal("10.00") + tax
    data.update(lines=[{"product": SKU, "qty": 1, "price": "1.00", "total_price": "1.00"}
                       for _ in range(lines)],
                goods_value=str(Decimal(lines)), tax_total=str(tax), actual_paid=str(paid))
    data["payment"]["amount_paid"] = str(paid)
    return data


def count_in(statements, action):
    with statements() as sent:
        result = action()
    return len(sent), result


def kinds(sent: list[str]) -> Counter:
    """Statements by what they do: ``INSERT INTO sales_order``, ``SELECT ... FROM lot``..."""
    return Counter(" ".join(s.split()[:3]) if s.startswith(("INSERT", "UPDATE", "DELETE"))
                   else " ".join(s.split("FROM", 1)[1].split()[:1]) if "FROM" in s else s[:30]
                   for s in sent)


def test_receiving_a_batch_takes_the_same_statements_for_10_and_1000_orders(db, statements):
    add_stock(db, 10)

    def batch(prefix: str, n: int) -> list[dict]:
        return [make_order(f"{prefix}-{i}", qty=1, buyer_id_number=buyer_id(i))
                for i in range(n)]
    with statements() as small:
        results = receive_orders(db, batch("SB10", 10), settings=OPEN_LIMITS)
    assert [r.created for r in results] == [True] * 10
    with statements() as large:
        results = receive_orders(db, batch("SB1K", 1000), settings=OPEN_LIMITS)
    assert len(results) == 1000 and all(r.created for r in results)
    small, large = kinds(small), kinds(large)
    # One statement per table whatever the size, but PostgreSQL takes at most 32,767
    # parameters in one statement: 1,000 orders of 35 columns go in two INSERTs there.
    split = 2 if db.get_bind().dialect.name == "postgresql" else 1
    assert large.pop("INSERT INTO sales_order") == split
    assert small.pop("INSERT INTO sales_order") == 1
    assert small == large, (small, large)
    assert sum(large.values()) < 25
    names = [r.order.name for r in results]
    assert len(set(names)) == 1000  # one take of the sequence, consecutive and unique
    assert [int(n.rsplit("/", 1)[1]) for n in names] == list(
        range(int(names[0].rsplit("/", 1)[1]), int(names[0].rsplit("/", 1)[1]) + 1000))
    replayed, again = count_in(statements, lambda: receive_orders(db, batch("SB1K", 1000),
                                                                  settings=OPEN_LIMITS))
    assert not any(r.created for r in again) and [r.order.id for r in again] == \
        [r.order.id for r in results]
    assert replayed < 12  # a replay only reads


def fulfil_counts(db, statements, order_no: str, lines: int) -> dict[str, int]:
    order = receive_orders(db, [order_of_lines(order_no, lines)], settings=OPEN_LIMITS)[0].order
    order.state = "released"  # customs' release has its own tests
    db.flush()
    warehouse = db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    counts = {}
    counts["wave"], wave = count_in(statements, lambda: create_wave(db, warehouse, [order]))
    moves = wave_moves(db, wave)
    assert sum(m.quantity for m in moves) == lines and order.state == "picking"
    scans = [PickScan(m.id, m.quantity) for m in moves[1:]]
    scans.insert(0, PickScan(moves[0].id, moves[0].quantity - 1, "dented can left"))
    counts["picks"], _ = count_in(statements, lambda: confirm_picks(db, wave, scans))
    assert order.state == "released"  # one can short: back to the queue
    second = create_wave(db, warehouse, [order])
    confirm_picks(db, second, [PickScan(m.id, m.quantity) for m in wave_moves(db, second)])
    assert order.state == "picked"
    pack_order(db, order, tracking_no=f"PKG-{order_no}", weight_kg="1.5")
    counts["ship"], _ = count_in(statements, lambda: ship_order(db, order))
    assert order.state == "shipped"
    return counts


def test_wave_picks_and_shipping_take_the_same_statements_for_10_and_1000_lines(db,
                                                                                statements):
    add_stock(db, 1500)
    fulfil_counts(db, statements, "SET-1", 1)  # the first of the day makes the dispatch
    small = fulfil_counts(db, statements, "SET-10", 10)
    large = fulfil_counts(db, statements, "SET-1000", 1000)
    assert small == large, (small, large)
    assert check_ledger(db) == []
    assert db.scalar(select(func.count()).select_from(SalesOrder).where(
        SalesOrder.order_no.in_(("SET-10", "SET-1000")), SalesOrder.state == "shipped")) == 2
