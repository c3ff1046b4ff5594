"""Recalls on both backends: the block is respected by the wave's reservation and by the
pick at once, the notice list names every order and buyer, closing lifts the block, who did
what is recorded; bad input names its field; starting takes a fixed number of statements."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from wms.accounts.models import User
from wms.catalog.models import Lot, Product
from wms.core.audit import AuditEvent
from wms.core.context import Actor, acting_as
from wms.core.errors import Conflict, NotFound, ValidationError
from wms.inventory.models import StockMove, Warehouse
from wms.outbound.fulfilment import confirm_picks, create_wave, PickScan
from wms.outbound.models import OrderLine, SalesOrder, Wave
from wms.trace.models import Recall, blocked_lots
from wms.trace.recall import close_recall, notice_list, start_recall

pytestmark = pytest.mark.usefixtures("demo")


def supervisor(db) -> Actor:
    user = db.scalar(select(User).where(User.login == "supervisor"))
    return Actor(user_id=user.id, login=user.login, roles=frozenset({"supervisor"}))


def demo_recall(db) -> Recall:
    return db.scalar(select(Recall).where(Recall.state == "open").order_by(Recall.id))


def test_the_demo_recall_blocks_its_lot_and_lists_every_buyer(db):
    recall = demo_recall(db)
    lot = db.scalar(select(Lot).where(Lot.name == "MJ260401"))
    assert blocked_lots(db, {lot.id}) == {lot.id}
    assert recall.started_by_id is not None and recall.authority
    notices, stock = notice_list(db, recall)
    stages = {n.order: n.stage for n in notices}
    assert set(stages.values()) == {"reserved", "shipped"}
    assert all("*" in n.buyer_id for n in notices)       # the demo acts as admin
    assert sum(s.quantity for s in stock) > 0
    with acting_as(Actor(user_id=None, login="c", roles=frozenset({"customs_clerk"}))):
        full, _stock = notice_list(db, recall)
    assert all("*" not in n.buyer_id for n in full)


def test_a_recalled_lot_cannot_be_picked_and_closing_lifts_the_block(db):
    recall = demo_recall(db)
    lot_ids = {rl.lot_id for rl in recall.lots}
    move = db.scalar(select(StockMove).where(StockMove.state == "reserved",
                                             StockMove.lot_id.in_(lot_ids)))
    wave = db.scalar(select(Wave).where(Wave.document_id == move.document_id))
    with pytest.raises(Conflict) as refused:
        confirm_picks(db, wave, [PickScan(move.id, move.quantity)])
    assert refused.value.field == "move" and "MJ260401" in str(refused.value.params)
    with acting_as(supervisor(db)):
        close_recall(db, recall.id, "复检合格 retest passed")
    assert recall.state == "closed" and recall.closed_by_id and recall.closed_at
    assert blocked_lots(db, lot_ids) == set()
    [result] = confirm_picks(db, wave, [PickScan(move.id, move.quantity)])
    assert result.picked == move.quantity
    events = {(e.kind, e.new_value) for e in db.scalars(select(AuditEvent).where(
        AuditEvent.model == "recall", AuditEvent.record_id == recall.id))}
    assert ("transition", "closed") in events
    with pytest.raises(Conflict):
        close_recall(db, recall.id, "again")


def test_a_wave_does_not_reserve_recalled_lots(db):
    warehouse = db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    order = db.scalar(select(SalesOrder).where(SalesOrder.state == "released",
                                               SalesOrder.trade_mode == "1210"))
    product = db.get(Product, db.scalar(select(OrderLine.product_id).where(
        OrderLine.order_id == order.id)))
    with acting_as(supervisor(db)):
        recall = start_recall(db, product=product.sku, expiry_from="2000-01-01",
                              expiry_to="2099-12-31", reason="全部批次召回 all lots")
    create_wave(db, warehouse, [order])
    assert order.state == "released" and order.hold_reason   # nothing reservable
    close_recall(db, recall.id, "lifted")
    create_wave(db, warehouse, [order])
    assert order.state == "picking"


@pytest.mark.parametrize("fields, field", [
    (dict(product="APT-PRE-800", lot="L2026-0901", reason=""), "reason"),
    (dict(product="APT-PRE-800", reason="x"), "lot"),
    (dict(product="APT-PRE-800", expiry_from="2027-01-01", expiry_to="2026-01-01",
          reason="x"), "expiry_to"),
    (dict(product="APT-PRE-800", expiry_from="01/01/2027", reason="x"), "expiry_from"),
    (dict(product="", lot="L2026-0901", reason="x"), "product"),
])
def test_bad_input_names_the_field(db, fields, field):
    with pytest.raises(ValidationError) as error:
        start_recall(db, **fields)
    assert error.value.field == field


def test_unknown_product_or_lot_is_not_found(db):
    with pytest.raises(NotFound) as error:
        start_recall(db, product="NO-SUCH-SKU", lot="X", reason="x")
    assert error.value.field == "product"
    with pytest.raises(NotFound) as error:
        start_recall(db, product="APT-PRE-800", lot="NO-SUCH-LOT", reason="x")
    assert error.value.field == "lot"


def test_starting_a_recall_of_10_or_1000_lots_takes_the_same_statements(db, statements):
    product = db.scalar(select(Product).where(Product.sku == "SHI-ULT-50"))
    for year, count in ((2031, 10), (2032, 1000)):
        db.execute(insert(Lot.__table__), [
            dict(product_id=product.id, name=f"BENCH-{year}-{i:04d}",
                 expiry_date=date(year, 1 + i % 12, 1 + i % 28)) for i in range(count)])
    db.flush()
    counts = []
    for year, count in ((2031, 10), (2032, 1000)):
        with statements() as sent:
            recall = start_recall(db, product=product.sku, expiry_from=f"{year}-01-01",
                                  expiry_to=f"{year}-12-31", reason="bench")
        assert len(recall.lots) == count
        counts.append(len(sent))
    assert counts[0] == counts[1]
