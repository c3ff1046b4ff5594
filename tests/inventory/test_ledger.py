"""The double-entry ledger: moves, quants, availability, errors that change nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from wms.catalog.services import lot_for
from wms.core.errors import NotFound, ValidationError
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant, StockMove
from wms.inventory.packages import create_package, nest_package
from wms.inventory.services import (InsufficientStock, MoveLine, adjust_count,
                                    available_quantity, move_package, new_document, on_hand,
                                    post_moves, reserve_fefo, transfer, unreserve,
                                    validate_reserved)


def qty_at(db, product, location) -> Decimal:
    return db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.product_id == product.id, Quant.location_id == location.id))


def snapshot(db):
    return sorted((q.quant_key, q.quantity) for q in db.scalars(select(Quant)))


def test_receive_and_transfer_keep_the_books_balanced(db, site):
    site.receive(db, site.herbs, 100)
    transfer(db, [MoveLine(site.herbs.id, Decimal(30), site.shelf.id, site.shelf2.id,
                           site.owner.id, "bonded")])
    assert qty_at(db, site.herbs, site.shelf) == 70
    assert qty_at(db, site.herbs, site.shelf2) == 30
    assert qty_at(db, site.herbs, site.supplier) == -100
    assert check_ledger(db) == []


def test_done_moves_are_the_ledger_and_a_quant_emptied_is_removed(db, site):
    site.receive(db, site.herbs, 5)
    transfer(db, [MoveLine(site.herbs.id, Decimal(5), site.shelf.id, site.shelf2.id,
                           site.owner.id, "bonded")])
    assert on_hand(db, product_id=site.herbs.id, location_id=site.shelf.id) == []
    moves = db.scalars(select(StockMove).order_by(StockMove.id)).all()
    assert [(m.state, m.quantity) for m in moves] == [("done", 5), ("done", 5)]


@pytest.mark.parametrize("qty", ["0", "-3", "abc", "1.0005"])
def test_bad_quantity_is_refused_naming_the_field(db, site, qty):
    site.receive(db, site.herbs, 10)
    before = snapshot(db)
    with pytest.raises(ValidationError) as err:
        post_moves(db, [MoveLine(site.herbs.id, qty, site.shelf.id, site.shelf2.id,
                                 site.owner.id, "bonded")])
    assert err.value.field == "quantity"
    assert snapshot(db) == before


def test_more_than_available_is_refused_and_stock_unchanged(db, site):
    site.receive(db, site.herbs, 10)
    before = snapshot(db)
    with pytest.raises(InsufficientStock) as err:
        post_moves(db, [MoveLine(site.herbs.id, Decimal(11), site.shelf.id, site.shelf2.id,
                                 site.owner.id, "bonded")])
    assert err.value.code == "insufficient_stock"
    assert "10 available, 11 wanted" in err.value.message
    assert snapshot(db) == before


def test_two_lines_from_the_same_quant_are_checked_together(db, site):
    site.receive(db, site.herbs, 10)
    with pytest.raises(InsufficientStock):
        post_moves(db, [MoveLine(site.herbs.id, Decimal(6), site.shelf.id, site.shelf2.id,
                                 site.owner.id, "bonded")] * 2)


def test_lot_of_another_product_view_location_and_foreign_owner(db, site, lots):
    other_lot = lot_for(db, site.foreign, "X1")
    site.receive(db, site.milk, 10, lot=lots[0])
    before = snapshot(db)
    cases = [
        (MoveLine(site.milk.id, Decimal(1), site.shelf.id, site.shelf2.id, site.owner.id,
                  "bonded", other_lot.id), "lot"),
        (MoveLine(site.milk.id, Decimal(1), site.shelf.id, site.stock_view.id, site.owner.id,
                  "bonded", lots[0].id), "to_location"),
        (MoveLine(site.foreign.id, Decimal(1), site.supplier.id, site.shelf.id, site.owner.id,
                  "bonded"), "owner"),
        (MoveLine(site.milk.id, Decimal(1), site.shelf.id, site.shelf2.id, site.owner.id,
                  "bonded"), "lot"),
    ]
    for line, field in cases:
        with pytest.raises(ValidationError) as err:
            post_moves(db, [line])
        assert err.value.field == field, (line, err.value.message)
    with pytest.raises(NotFound):
        post_moves(db, [MoveLine(site.milk.id, Decimal(1), 999999, site.shelf.id,
                                 site.owner.id, "bonded", lots[0].id)])
    assert snapshot(db) == before


def test_error_in_a_long_document_names_the_line(db, site):
    site.receive(db, site.herbs, 10)
    lines = [MoveLine(site.herbs.id, Decimal(1), site.shelf.id, site.shelf2.id, site.owner.id,
                      "bonded")] * 3
    lines.append(MoveLine(site.herbs.id, Decimal(0), site.shelf.id, site.shelf2.id,
                          site.owner.id, "bonded"))
    with pytest.raises(ValidationError) as err:
        post_moves(db, lines)
    assert err.value.field == "lines[3].quantity"


def test_statements_do_not_grow_with_the_number_of_lines(db, site, bind):
    """Posting 1,000 lines costs the same number of SQL statements as posting 10."""
    engine = bind.engine if hasattr(bind, "engine") else bind
    site.receive(db, site.herbs, 5000)
    db.flush()

    def count(n: int) -> int:
        lines = [MoveLine(site.herbs.id, Decimal(1), site.shelf.id, site.shelf2.id,
                          site.owner.id, "bonded", reason=f"line {i}") for i in range(n)]
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            post_moves(db, lines)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)
    count(10)  # warm-up: the first post may load what the session has not seen yet
    small, large = count(10), count(1000)
    assert small == large, (small, large)
    assert small <= 12
    assert check_ledger(db) == []


def test_fefo_reservation_takes_the_earliest_expiry_and_blocks_it(db, site, lots):
    early, late = lots
    site.receive(db, site.milk, 10, lot=late)
    site.receive(db, site.milk, 4, site.shelf2, lot=early)
    document = new_document(db, "pick", "TST/PICK")
    moves = reserve_fefo(db, document, product=site.milk, quantity=Decimal(6),
                         owner_id=site.owner.id, from_root=site.stock_view,
                         to_location=site.customer)
    assert [(m.lot_id, m.quantity) for m in moves] == [(early.id, 4), (late.id, 2)]
    assert document.state == "reserved"
    late_quant = db.scalar(select(Quant).where(Quant.lot_id == late.id, Quant.location_id == site.shelf.id))
    assert available_quantity(db, late_quant) == 8
    with pytest.raises(InsufficientStock):  # only 8 of the 10 are free
        transfer(db, [MoveLine(site.milk.id, Decimal(9), site.shelf.id, site.shelf2.id,
                               site.owner.id, "bonded", late.id)])
    validate_reserved(db, document)
    assert document.state == "done"
    assert qty_at(db, site.milk, site.customer) == 6
    assert available_quantity(db, db.scalar(select(Quant).where(Quant.lot_id == late.id, Quant.location_id == site.shelf.id))) == 8
    assert check_ledger(db) == []


def test_arrived_goods_are_never_reserved_and_unreserve_frees(db, site):
    site.receive(db, site.herbs, 10, status="arrived")
    document = new_document(db, "pick", "TST/PICK")
    with pytest.raises(InsufficientStock):
        reserve_fefo(db, document, product=site.herbs, quantity=Decimal(1),
                     owner_id=site.owner.id, from_root=site.stock_view,
                     to_location=site.customer)
    site.receive(db, site.herbs, 10)
    reserve_fefo(db, document, product=site.herbs, quantity=Decimal(10),
                 owner_id=site.owner.id, from_root=site.stock_view, to_location=site.customer)
    bonded = db.scalar(select(Quant).where(Quant.customs_status == "bonded",
                                           Quant.location_id == site.shelf.id))
    assert available_quantity(db, bonded) == 0
    assert unreserve(db, document) == 1
    assert available_quantity(db, bonded) == 10


def test_package_move_takes_nested_contents(db, site, lots):
    pallet = create_package(db, site.warehouse, location=site.shelf)
    carton = create_package(db, site.warehouse, kind="carton", location=site.shelf,
                            parent=pallet)
    assert pallet.sscc.startswith("06906125") and len(pallet.sscc) == 18
    site.receive(db, site.milk, 12, lot=lots[0], package_id=carton.id)
    site.receive(db, site.herbs, 3, package_id=pallet.id)
    move_package(db, pallet, site.shelf2)
    assert qty_at(db, site.milk, site.shelf2) == 12 and qty_at(db, site.herbs, site.shelf2) == 3
    assert qty_at(db, site.milk, site.shelf) == 0
    db.refresh(carton)
    assert carton.location_id == site.shelf2.id
    with pytest.raises(ValidationError, match="into itself"):
        nest_package(db, pallet, carton)
    assert check_ledger(db) == []


def test_count_adjustment_posts_the_difference_against_inventory_loss(db, site):
    site.receive(db, site.herbs, 10)
    assert adjust_count(db, location=site.shelf, product=site.herbs, counted=Decimal(7),
                        owner_id=site.owner.id, customs_status="bonded",
                        reason="damaged cartons found") == -3
    assert qty_at(db, site.herbs, site.shelf) == 7
    assert qty_at(db, site.herbs, site.loss) == 3
    move = db.scalars(select(StockMove).order_by(StockMove.id.desc())).first()
    assert move.reason == "damaged cartons found"
    with pytest.raises(ValidationError) as err:
        adjust_count(db, location=site.shelf, product=site.herbs, counted=Decimal(9),
                     owner_id=site.owner.id, customs_status="bonded", reason=" ")
    assert err.value.field == "reason"
    assert check_ledger(db) == []


def test_check_ledger_finds_a_tampered_quant(db, site):
    site.receive(db, site.herbs, 10)
    quant = db.scalar(select(Quant).where(Quant.location_id == site.shelf.id))
    quant.quantity = Decimal(-1)
    db.flush()
    problems = check_ledger(db)
    assert any("books say" in p for p in problems)
    assert any("negative stock" in p for p in problems)
    assert any("sums to" in p for p in problems)
