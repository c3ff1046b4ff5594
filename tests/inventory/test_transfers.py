"""The transfer door: real internal places only, customs status kept, quantities bounded,
a document by codes resolved in a fixed number of statements."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from wms.core.errors import NotFound, ValidationError
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant, StockMove
from wms.inventory.resolve import ascii_id
from wms.inventory.services import (MoveLine, parse_quantity, post_moves, transfer,
                                    virtual_location)
from wms.inventory.transfers import ChooseStock, transfer_lines, transfer_scan

from .conftest import many_products


def line(site, **changes) -> dict:
    base = {"sku": "HERB", "owner": site.owner.customs_code, "quantity": 5,
            "from_location": "TST-S1", "to_location": "TST-S2", "customs_status": "bonded"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def on_hand(db, location, product) -> Decimal:
    return sum(db.scalars(select(Quant.quantity).where(Quant.location_id == location.id,
                                                       Quant.product_id == product.id)),
               Decimal(0))


def test_a_transfer_by_codes_moves_and_keeps_the_dimensions(db, site, lots):
    site.receive(db, site.herbs, 20)
    site.receive(db, site.milk, 8, lot=lots[0])
    posted = transfer_lines(db, [line(site), line(site, sku="MILK", lot="EARLY", quantity=3)],
                            origin="re-slot", reason="aisle change")
    assert posted.document.state == "done" and posted.document.name.startswith("TST/INT/")
    assert [ln.product.sku for ln in posted.lines] == ["HERB", "MILK"]
    assert on_hand(db, site.shelf, site.herbs) == 15 and on_hand(db, site.shelf2, site.herbs) == 5
    moves = db.scalars(select(StockMove).where(StockMove.document_id == posted.document.id))
    assert {(m.customs_status, m.to_customs_status, m.reason) for m in moves} == \
        {("bonded", "bonded", "aisle change")}
    assert check_ledger(db) == []


@pytest.mark.parametrize("place", ["supplier", "customer", "inventory", "transit", "scrap"])
@pytest.mark.parametrize("end", ["from_location", "to_location"])
def test_virtual_locations_are_refused_naming_the_line(db, site, place, end):
    site.receive(db, site.herbs, 20)
    virtual = virtual_location(db, place)
    with pytest.raises(ValidationError) as err:
        transfer_lines(db, [line(site), line(site, **{end: virtual.barcode})])
    assert err.value.field == f"lines[1].{end}"
    assert "transfer" in err.value.message and virtual.full_path in err.value.message
    assert on_hand(db, site.shelf, site.herbs) == 20


def test_customs_hold_and_view_locations_are_refused(db, site):
    site.receive(db, site.herbs, 20)
    with pytest.raises(ValidationError) as err:
        transfer_lines(db, [line(site, to_location="TST-HOLD")])
    assert err.value.field == "lines[0].to_location" and "customs hold" in err.value.message
    with pytest.raises(ValidationError) as err:
        transfer_lines(db, [line(site, to_location="TST-STOCK")])
    assert "view location" in err.value.message


def test_a_handheld_transfer_from_a_virtual_place_is_refused(db, site):
    site.receive(db, site.herbs, 20)
    with pytest.raises(ValidationError) as err:
        transfer_scan(db, item="HERB", source=site.supplier.barcode, destination="TST-S2",
                      quantity="5")
    assert err.value.field == "source"
    with pytest.raises(ValidationError) as err:
        transfer_scan(db, item="HERB", source="TST-S1", destination=site.customer.barcode,
                      quantity="5")
    assert err.value.field == "destination"
    assert on_hand(db, site.shelf, site.herbs) == 20


def test_a_transfer_never_changes_customs_status(db, site):
    site.receive(db, site.herbs, 20, status="arrived")
    with pytest.raises(ValidationError) as err:
        transfer(db, [MoveLine(site.herbs.id, Decimal(5), site.shelf.id, site.shelf2.id,
                               site.owner.id, "arrived", to_customs_status="bonded")])
    assert err.value.field == "to_customs_status"
    moved = transfer_scan(db, item="HERB", source="TST-S1", destination="TST-S2",
                          quantity="5")
    assert moved.quantity == 5
    assert set(db.scalars(select(Quant.customs_status).where(
        Quant.product_id == site.herbs.id, Quant.location_id.in_(
            [site.shelf.id, site.shelf2.id])))) == {"arrived"}


@pytest.mark.parametrize("raw, message", [
    ("10000000000000", "at most"), (1e20, "at most"), ("٣", "number"), ("３", "number"),
    (True, "number"), ("NaN", "greater than zero"), ("1.0001", "three decimals"),
])
def test_quantities_are_bounded_and_ascii(raw, message):
    with pytest.raises(ValidationError) as err:
        parse_quantity(raw, "lines[2].quantity")
    assert err.value.field == "lines[2].quantity" and message in err.value.message
    assert parse_quantity("9999999999999.999") == Decimal("9999999999999.999")


def test_a_quantity_above_the_column_is_a_clear_error_not_a_database_error(db, site):
    site.receive(db, site.herbs, 20)
    with pytest.raises(ValidationError) as err:
        transfer_lines(db, [line(site), line(site, quantity=10**16)])
    assert err.value.field == "lines[1].quantity"


@pytest.mark.parametrize("raw, expected", [("12", 12), (" 7 ", 7), ("٣", None), ("-1", None),
                                           ("0", 0), (str(2**31), 0), ("1e3", None),
                                           (True, None), (None, None)])
def test_ids_are_ascii_digits_within_the_column(raw, expected):
    assert ascii_id(raw) == expected


def test_a_location_id_out_of_range_is_not_found(db, site):
    with pytest.raises(NotFound) as err:
        transfer_lines(db, [line(site, to_location=None, to_location_id=2**40)])
    assert err.value.field == "lines[0].to_location"


def test_several_stock_keys_at_the_source_ask_which(db, site, lots):
    site.receive(db, site.milk, 5, lot=lots[0])
    site.receive(db, site.milk, 5, lot=lots[1])
    with pytest.raises(ChooseStock) as err:
        transfer_scan(db, item="MILK", source="TST-S1", destination="TST-S2", quantity="2")
    assert {c["lot"] for c in err.value.extra["choices"]} == {"EARLY", "LATE"}
    moved = transfer_scan(db, item="MILK", source="TST-S1", destination="TST-S2",
                          quantity="2", lot="LATE")
    assert moved.lot.name == "LATE"


def test_statements_do_not_grow_with_the_lines_of_a_transfer_by_codes(db, site, statements):
    """1,000 lines naming 1,000 different products, lots and places by code cost what 10 do."""
    rows = many_products(db, site.owner.id, 1010, site.shelf.id, quantity=10)

    def count(chosen) -> int:
        lines = [line(site, sku=sku, lot=lot, quantity=1) for sku, lot in chosen]
        with statements() as sent:
            transfer_lines(db, lines)
            db.flush()
        return len(sent)
    small, large = count(rows[:10]), count(rows[10:])
    assert small == large, (small, large)
    assert small <= 26
    assert check_ledger(db) == []


def test_a_balance_past_the_column_is_refused_naming_the_line(db, site):
    site.receive(db, site.herbs, 9_000_000_000_000, location=site.shelf2)
    post_moves(db, [MoveLine(site.herbs.id, Decimal(5_000_000_000_000), site.loss.id,
                             site.shelf.id, site.owner.id, "bonded")])  # not the suppliers'
    with pytest.raises(ValidationError) as err:
        transfer_lines(db, [line(site, quantity=1), line(site, quantity=4_000_000_000_000)])
    assert err.value.field == "lines[1].quantity" and "TST/Stock/S2" in err.value.message
    assert on_hand(db, site.shelf2, site.herbs) == 9_000_000_000_000
