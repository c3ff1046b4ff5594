"""Cycle counts: within the threshold posted at once, above it approved by a supervisor."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from wms.core.errors import IllegalTransition, ValidationError
from wms.inventory.counts import approve_count, record_count, reject_count, start_count, \
    submit_count
from wms.inventory.ledger import check_ledger
from wms.catalog.models import Product
from wms.inventory.models import Quant


def on_shelf(db, site, product):
    db.flush()
    db.expire_all()
    return db.scalar(select(Quant.quantity).where(Quant.location_id == site.shelf.id,
                                                  Quant.product_id == product.id))


def test_small_difference_is_posted_at_once(db, site):
    site.receive(db, site.herbs, 10)
    count = start_count(db, site.shelf)
    assert count.name.startswith("TST/CNT/")
    record_count(db, count, site.herbs, 6)
    record_count(db, count, site.herbs, 2)
    submit_count(db, count, threshold=Decimal(5))
    assert count.state == "done"
    assert on_shelf(db, site, site.herbs) == 8
    assert check_ledger(db) == []


def test_big_difference_waits_for_approval(db, site, lots):
    site.receive(db, site.herbs, 50)
    site.receive(db, site.milk, 5, lot=lots[0])
    count = start_count(db, site.shelf)
    record_count(db, count, site.herbs, 20)  # milk not scanned: counted as zero
    submit_count(db, count, threshold=Decimal(5))
    assert count.state == "to_approve"
    assert on_shelf(db, site, site.herbs) == 50
    lines = {ln.product_id: (ln.expected, ln.counted) for ln in count.lines}
    assert lines == {site.herbs.id: (50, 20), site.milk.id: (5, 0)}
    with pytest.raises(ValidationError):
        approve_count(db, count, reason="")
    approve_count(db, count, reason="recount confirmed by supervisor")
    assert count.state == "done"
    assert on_shelf(db, site, site.herbs) == 20
    assert on_shelf(db, site, site.milk) is None
    assert check_ledger(db) == []


def test_rejected_count_changes_nothing_and_closed_count_takes_no_scans(db, site):
    site.receive(db, site.herbs, 50)
    count = start_count(db, site.shelf)
    record_count(db, count, site.herbs, 1)
    submit_count(db, count)
    reject_count(db, count, "scanner misread")
    assert on_shelf(db, site, site.herbs) == 50
    with pytest.raises(ValidationError):
        record_count(db, count, site.herbs, 1)
    with pytest.raises(IllegalTransition):
        reject_count(db, count, "again")


def test_lot_tracked_product_needs_its_lot(db, site):
    count = start_count(db, site.shelf)
    with pytest.raises(ValidationError) as err:
        record_count(db, count, site.milk, 1)
    assert err.value.field == "lot"


def test_count_scans_is_the_whole_count_in_one_door(db, site, lots):
    from wms.inventory.counts import count_scans
    site.receive(db, site.herbs, 10)
    site.receive(db, site.milk, 4, lot=lots[0])
    count = count_scans(db, location="tst-s1", lines=[
        {"code": "HERB", "quantity": "9"}, {"code": "4008746009123", "quantity": 4}],
        threshold=Decimal(5))
    assert count.state == "done"  # the milk's one lot on the books is the one counted
    assert on_shelf(db, site, site.herbs) == 9


@pytest.mark.parametrize("lines, field", [
    ([{"code": "HERB"}, {"code": "NOPE"}], "lines[1].code"),
    ([{"code": "HERB", "quantity": "0"}], "lines[0].quantity"),
    ([{"code": "HERB", "quantity": "99999999999999"}], "lines[0].quantity"),
    ([{"code": "MILK", "lot": "NO-SUCH"}], "lines[0].lot"),
    (["HERB"], "lines[0]"),
])
def test_count_scans_names_the_bad_line(db, site, lines, field):
    from wms.core.errors import DomainError
    from wms.inventory.counts import count_scans
    with pytest.raises(DomainError) as err:
        count_scans(db, location="TST-S1", lines=lines)
    assert err.value.field == field


def test_only_internal_locations_are_counted(db, site):
    from wms.inventory.counts import count_scans
    with pytest.raises(ValidationError) as err:
        count_scans(db, location=site.loss.barcode, lines=[{"code": "HERB"}])
    assert err.value.field == "location"


def test_approve_and_reject_by_id_take_a_reason(db, site):
    from wms.core.errors import NotFound
    from wms.inventory.counts import approve, count_scans, reject
    site.receive(db, site.herbs, 50)
    first = count_scans(db, location="TST-S1", lines=[{"code": "HERB", "quantity": "20"}])
    assert first.state == "to_approve"  # 30 off: above the default threshold of 5
    with pytest.raises(ValidationError) as err:
        reject(db, first.id, "  ")
    assert err.value.field == "reason"
    with pytest.raises(ValidationError):
        approve(db, first.id, "")
    approve(db, first.id, "recounted")
    assert first.state == "done" and on_shelf(db, site, site.herbs) == 20
    with pytest.raises(ValidationError):  # decided once, not twice
        approve(db, first.id, "again")
    second = count_scans(db, location="TST-S1", lines=[{"code": "HERB", "quantity": "1"}])
    reject(db, second.id, "scanner fault")
    assert second.state == "cancelled" and on_shelf(db, site, site.herbs) == 20
    with pytest.raises(NotFound):
        approve(db, 10**6, "why")


def test_a_count_costs_the_same_statements_for_10_and_500_scans(db, site, statements):
    """Every scan names another product and lot; approving posts them in one go too."""
    from wms.inventory.counts import MAX_COUNT_LINES, approve, count_scans
    from .conftest import many_products
    small_rows = many_products(db, site.owner.id, 10, site.shelf.id, prefix="SMALL",
                               quantity=50)
    large_rows = many_products(db, site.owner.id, MAX_COUNT_LINES, site.shelf2.id,
                               prefix="LARGE", quantity=50)

    def count(rows, location) -> tuple[int, int]:
        lines = [{"code": sku, "lot": lot, "quantity": 40} for sku, lot in rows]
        with statements() as sent:
            counted = count_scans(db, location=location, lines=lines)
            db.flush()
        assert counted.state == "to_approve"
        with statements() as posted:
            approve(db, counted.id, "recounted")
            db.flush()
        return len(sent), len(posted)
    small, large = count(small_rows, "TST-S1"), count(large_rows, "TST-S2")
    assert small == large, (small, large)
    assert on_shelf(db, site, db.get(Product, db.scalar(select(Product.id).where(
        Product.sku == small_rows[0][0])))) == 40
    assert check_ledger(db) == []


def test_scans_adding_up_past_the_column_are_refused(db, site):
    from wms.inventory.counts import count_scans
    big = "9000000000000"
    with pytest.raises(ValidationError) as err:
        count_scans(db, location="TST-S1", lines=[{"code": "HERB", "quantity": big},
                                                  {"code": "HERB", "quantity": big}])
    assert err.value.field == "lines[1].quantity"
