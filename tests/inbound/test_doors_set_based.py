"""Every inbound door resolves what its lines name in a fixed number of queries: the same
number of statements for a receipt of 10 lines as for one of 1,000 (both databases)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from stdnum import ean

from wms.catalog.models import Lot, Product
from wms.core.db import utcnow
from wms.demo import OWNER_MILK
from wms.inbound.declaration import build_declaration, file_declaration
from wms.inbound.decisions import decide
from wms.inbound.models import PutawayRule, Receipt, TallyScan
from wms.inbound.putaway import putaway_receipt
from wms.inbound.queries import tally_progress
from wms.inbound.receipts import LineInput, create_receipt, gate_in
from wms.inbound.tally import TallyInput, close_tally, scan_tally
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Package, Warehouse
from wms.inventory.places import create_location, location_by_path
from wms.partners.models import Enterprise

DOORS = ("create", "gate_in", "close_tally", "declare", "release", "putaway", "scan")


def sscc(serial: int) -> str:
    body = "0" + "6906123" + f"{serial:09d}"
    return body + ean.calc_check_digit(body)


def make_products(db, tag: str, count: int) -> list[Product]:
    owner = db.scalar(select(Enterprise).where(Enterprise.customs_code == OWNER_MILK))
    products = [Product(owner_id=owner.id, sku=f"{tag}-{i:05d}", name_zh=f"测试商品 {i}",
                        hs_code="1901101010", gname="婴儿配方奶粉", gmodel="800g/罐",
                        customs_unit="122", legal_unit1="035", legal_factor1=Decimal("0.8"),
                        origin_country="304", declared_price=Decimal("10"),
                        net_weight_kg=Decimal("0.8"), gross_weight_kg=Decimal("1"),
                        track_lot=True, item_record_no=f"LZB{tag}IR{i:06d}",
                        category="set-based test")
                for i in range(count)]
    db.add_all(products)
    db.flush()
    return products


def run_receipt(db, statements, tag: str, count: int) -> dict[str, int]:
    """A receipt of ``count`` lines through every door, counting each door's statements.
    Every line has a lot, every other one arrives on its own pallet; every fifth is short by
    one, so the close posts corrections (out of the pallet where there is one)."""
    products = make_products(db, tag, count)
    sent: dict[str, int] = {}
    serials = 800000 if tag == "S" else 900000
    lines = [LineInput(p.sku, 5, f"L{tag}{i}", None, sscc(serials + i) if i % 2 else None)
             for i, p in enumerate(products)]
    with statements() as log:
        receipt = create_receipt(db, owner_code=OWNER_MILK, warehouse_code="LZB",
                                 supplier="Set-based GmbH", supplier_ref=f"SET-{tag}",
                                 lines=lines)
    sent["create"] = len(log)
    with statements() as log:
        gate_in(db, receipt, container_no="CSQU3054383")
    sent["gate_in"] = len(log)
    # The scans themselves are one door call each; write them directly for speed.
    receipt.transition("tallying")
    lots = {lot.product_id: lot.id for lot in db.scalars(select(Lot).where(
        Lot.product_id.in_([p.id for p in products])))}
    db.add_all([TallyScan(receipt_id=receipt.id, product_id=p.id, lot_id=lots[p.id],
                          quantity=Decimal(4 if i % 5 == 0 else 5), condition="good",
                          scanned_at=utcnow()) for i, p in enumerate(products)])
    db.flush()
    with statements() as log:
        scan_tally(db, receipt, TallyInput(item=products[1].sku, quantity=1,
                                           lot=f"L{tag}1", correction=True))
    sent["scan"] = len(log)
    with statements() as log:
        found = close_tally(db, receipt)
    sent["close_tally"] = len(log)
    assert sorted({d.kind for d in found}) == ["short"]
    assert len(found) == len(range(0, count, 5)) + 1
    with statements() as log:
        declaration = build_declaration(db, receipt)
        file_declaration(db, declaration)
    sent["declare"] = len(log)
    assert len(declaration.lines) == count
    with statements() as log:
        decide(db, declaration, {ln.gnum: "released" for ln in declaration.lines})
    sent["release"] = len(log)
    assert receipt.state == "released"
    with statements() as log:
        done = putaway_receipt(db, receipt)
    sent["putaway"] = len(log)
    assert receipt.state == "stored" and done.stored == [receipt.name]
    pallets = db.scalars(select(Package).where(Package.sscc.in_(
        [ln.sscc for ln in lines if ln.sscc]))).all()
    assert len(pallets) == count // 2
    assert {p.location.full_path for p in pallets} == {"LZB/Stock/T"}
    assert all(row.tallied == row.expected - (1 if row.status == "short" else 0)
               for row in tally_progress(db, db.get(Receipt, receipt.id)))
    return sent


def test_every_inbound_door_is_set_based(demo, statements):
    warehouse = demo.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    shelf = create_location(demo, warehouse, location_by_path(demo, "LZB/Stock"), "T",
                            "internal", barcode="LZB-T")
    demo.add(PutawayRule(warehouse_id=warehouse.id, category="set-based test",
                         location_id=shelf.id))
    demo.flush()
    small = run_receipt(demo, statements, "S", 10)
    large = run_receipt(demo, statements, "L", 1000)
    assert {door: small[door] for door in DOORS} == {door: large[door] for door in DOORS}
    assert check_ledger(demo) == []
