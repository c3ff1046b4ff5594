"""The tally door's rules, the way on or back from every receipt state, and the putaway
rule (putaway never changes customs status), at service level on both databases."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wms.core.errors import Conflict, ValidationError
from wms.inbound.models import RECEIPT_STATES, Discrepancy, Receipt
from wms.inbound.putaway import put_away
from wms.inbound.queries import tally_progress
from wms.inbound.receipts import cancel_receipt, gate_in, import_receipts_csv
from wms.inbound.tally import TallyInput, TallyNotOpen, close_tally, scan_tally
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant
from wms.inventory.places import location_by_path
from wms.inventory.services import MoveLine

from .test_inbound_flow import CSV


def receipt_of(db, ref: str) -> Receipt:
    return db.scalar(select(Receipt).where(Receipt.supplier_ref == ref))


def arrived(db) -> Receipt:
    [receipt] = import_receipts_csv(db, CSV)
    gate_in(db, receipt, container_no="CSQU3054383")
    return receipt


def scan(db, receipt, item, **fields):
    return scan_tally(db, receipt, TallyInput(item=item, **fields))


def held_at(db, path: str, status: str, product_id: int | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.location_id == location_by_path(db, path).id, Quant.customs_status == status)
    if product_id:
        stmt = stmt.where(Quant.product_id == product_id)
    db.flush()
    return Decimal(db.scalar(stmt))


# ---------------------------------------------------------------- the tally door

def test_the_tally_door_counts_corrects_and_flags(demo):
    db = demo
    receipt = arrived(db)
    first = scan(db, receipt, "APT-PRE-800", lot="L2026-1101", quantity=10)
    assert receipt.state == "tallying" and not first.unexpected and not first.wrong_lot
    assert [(c.sku, c.quantity) for c in first.scans] == [("APT-PRE-800", 10)]
    damaged = scan(db, receipt, "APT-PRE-800", lot="L2026-1101", quantity=2, damaged=True,
                   damage_reason="dented")
    assert damaged.scans[0].condition == "damaged"
    with pytest.raises(ValidationError) as err:  # the damaged-correction rule
        scan(db, receipt, "APT-PRE-800", lot="L2026-1101", quantity=3, correction=True,
             damaged=True, damage_reason="miscounted")
    assert err.value.field == "quantity" and err.value.params["counted"] == "2"
    taken = scan(db, receipt, "APT-PRE-800", lot="L2026-1101", quantity=2, correction=True,
                 damaged=True, damage_reason="miscounted")
    assert taken.scans[0].quantity == -2
    wrong = scan(db, receipt, "4902000001703", lot="MJ000000", expiry_date="2027-01-01")
    assert wrong.wrong_lot and not wrong.unexpected
    with pytest.raises(ValidationError) as err:
        scan(db, receipt, "APT-PRE-800", lot="L2026-1101", photo="photos/x.jpg")
    assert err.value.field == "photo"
    with pytest.raises(ValidationError) as err:
        scan(db, receipt, "APT-PRE-800", lot="L2026-1101", quantity="-1")
    assert err.value.field == "quantity"
    with pytest.raises(ValidationError) as err:
        scan(db, receipt, "SWS-ESSENCE-150", lot="X")
    assert err.value.field == "item" and err.value.params["sku"] == "SWS-ESSENCE-150"
    rows = {(r.product.sku, r.lot_name): (r.tallied, r.damaged, r.status)
            for r in tally_progress(db, receipt)}
    assert rows[("APT-PRE-800", "L2026-1101")] == (10, 0, "short")
    assert rows[("MEIJI-STEP-800", "MJ000000")][2] == "wrong_lot"
    close_tally(db, receipt)
    with pytest.raises(TallyNotOpen) as err:
        scan(db, receipt, "APT-PRE-800", lot="L2026-1101")
    assert err.value.code == "conflict" and err.value.params["state"] == "tallied"
    notes = {d.kind: (d.note_code, d.note_params, d.note()) for d in db.scalars(
        select(Discrepancy).where(Discrepancy.receipt_id == receipt.id))}
    assert notes["wrong_lot"] == ("advised_lots", {"lots": "MJ261101"},
                                  "advised lot(s): MJ261101")
    assert notes["short"][0] is None
    assert check_ledger(db) == []


# ---------------------------------------------------------------- every state has a way

TERMINAL = {"rejected", "stored", "cancelled"}


def test_every_receipt_state_but_the_last_ones_has_a_way_on_or_back():
    ways = Receipt.__transitions__
    for state in RECEIPT_STATES:
        if state in TERMINAL:
            assert not ways.get(state), state
        else:
            assert ways.get(state), f"{state} is stuck"
    undeclared = ("draft", "expected", "arrived", "tallying", "tallied")
    assert all("cancelled" in ways[state] for state in undeclared)


def test_a_gated_in_receipt_with_no_scans_closes_all_short(demo):
    db = demo
    receipt = arrived(db)
    before = held_at(db, "LZB/Input", "arrived")
    found = close_tally(db, receipt)
    assert receipt.state == "tallied"
    assert sorted((d.kind, d.tallied_qty) for d in found) == [("short", 0), ("short", 0)]
    assert held_at(db, "LZB/Input", "arrived") == before - 150
    assert check_ledger(db) == []


@pytest.mark.parametrize("stage", ["arrived", "tallying", "tallied"])
def test_an_undeclared_receipt_is_turned_back_with_its_goods(demo, stage):
    db = demo
    receipt = arrived(db)
    before = held_at(db, "LZB/Input", "arrived")
    if stage != "arrived":
        scan(db, receipt, "APT-PRE-800", lot="L2026-1101", quantity=90)
    if stage == "tallied":
        close_tally(db, receipt)
    here = held_at(db, "LZB/Input", "arrived")
    with pytest.raises(ValidationError) as err:
        cancel_receipt(db, receipt, "")
    assert err.value.field == "reason" and receipt.state == stage
    cancel_receipt(db, receipt, "seal broken, refused")
    assert receipt.state == "cancelled"
    assert held_at(db, "LZB/Input", "arrived") == before - 150
    assert here - held_at(db, "LZB/Input", "arrived") == (90 if stage == "tallied" else 150)
    assert check_ledger(db) == []


def test_a_declared_receipt_is_not_cancelled(demo):
    declared = receipt_of(demo, "DEMO-R5")
    with pytest.raises(Conflict):
        cancel_receipt(demo, declared, "too late")
    assert declared.state == "declared"


# ---------------------------------------------------------------- putaway rule

def goods_line(db, receipt: Receipt, status: str, source_path: str, target_path: str):
    quant = db.scalar(select(Quant).where(
        Quant.location_id == location_by_path(db, source_path).id,
        Quant.owner_id == receipt.owner_id, Quant.customs_status == status,
        Quant.quantity > 0).order_by(Quant.id))
    return MoveLine(quant.product_id, Decimal(1), quant.location_id,
                    location_by_path(db, target_path).id, quant.owner_id, status,
                    quant.lot_id, quant.package_id)


def test_undeclared_goods_wait_in_the_input_area(demo):
    db = demo
    receipt = receipt_of(db, "DEMO-R2")  # arrived, not declared
    line = goods_line(db, receipt, "arrived", "LZB/Input", "LZB/Stock/B/B-01-01")
    with pytest.raises(ValidationError) as err:
        put_away(db, [line], warehouse_id=receipt.warehouse_id)
    assert err.value.field == "destination"
    assert held_at(db, "LZB/Stock/B/B-01-01", "arrived") == 0


def test_held_goods_stay_with_customs(demo):
    db = demo
    receipt = receipt_of(db, "DEMO-R6")  # held for inspection
    line = goods_line(db, receipt, "held", "LZB/Customs hold", "LZB/Stock/B/B-01-01")
    with pytest.raises(ValidationError) as err:
        put_away(db, [line], warehouse_id=receipt.warehouse_id)
    assert err.value.field == "destination"


def test_released_goods_are_put_away_as_bonded_and_stay_bonded(demo):
    db = demo
    receipt = receipt_of(db, "DEMO-R7")  # released, in the input area
    line = goods_line(db, receipt, "bonded", "LZB/Input", "LZB/Stock/B/B-01-01")
    before = held_at(db, "LZB/Stock/B/B-01-01", "bonded", line.product_id)
    put_away(db, [line], warehouse_id=receipt.warehouse_id)
    assert held_at(db, "LZB/Stock/B/B-01-01", "bonded", line.product_id) == before + 1
    with pytest.raises(ValidationError) as err:
        put_away(db, [MoveLine(line.product_id, Decimal(1), line.from_location_id,
                               line.to_location_id, line.owner_id, "bonded", line.lot_id,
                               to_customs_status="released")],
                 warehouse_id=receipt.warehouse_id)
    assert err.value.field == "customs_status"
    assert check_ledger(db) == []
