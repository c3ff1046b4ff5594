"""Tally first, then declare: the whole inbound flow on both backends."""
from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from wms.catalog.models import Product
from wms.catalog.services import register_product
from wms.core.errors import Conflict, DomainError, ValidationError
from wms.customs.models import CustomsMessage
from wms.demo import OWNER_MILK
from wms.inbound.declaration import DeclarationNotReady, build_declaration, file_declaration
from wms.inbound.declaration_xml import NS, schema
from wms.inbound.decisions import decide, import_entry_return
from wms.inbound.models import Receipt
from wms.inbound.putaway import putaway, suggest_location
from wms.inbound.queries import tally_progress
from wms.inbound.receipts import gate_in, import_receipts_csv
from wms.inbound.tally import close_tally, record_tally
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant
from wms.inventory.places import location_by_path

CSV = """receipt,owner,warehouse,supplier,trade_mode,transport_mode,train_no,container_no,rail_note_no,expected_arrival,product,quantity,lot,expiry_date,sscc
DE-7781,6201W60012,LZB,Danone Nutricia GmbH,1210,3,X8024,CSQU3054383,SMGS-24-0091,2026-12-01T08:00:00+08:00,APT-PRE-800,100,L2026-1101,2027-11-01,
DE-7781,6201W60012,LZB,Danone Nutricia GmbH,1210,3,X8024,CSQU3054383,SMGS-24-0091,2026-12-01T08:00:00+08:00,4902000001703,50,MJ261101,2027-11-01,
"""


def stock(db, path, status=None):
    location = location_by_path(db, path)
    stmt = select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.location_id == location.id)
    if status:
        stmt = stmt.where(Quant.customs_status == status)
    db.flush()
    return db.scalar(stmt)


def product(db, sku):
    return db.scalar(select(Product).where(Product.sku == sku))


def test_csv_import_is_all_or_nothing(demo):
    db = demo
    before = db.scalar(select(func.count()).select_from(Receipt))
    bad = CSV + CSV.splitlines()[1].replace(",100,", ",0,") + "\n"
    with pytest.raises(ValidationError) as err:
        import_receipts_csv(db, bad)
    assert err.value.field == "line 4: quantity"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Receipt)) == before
    wrong_container = CSV.replace("CSQU3054383", "CSQU3054384")
    with pytest.raises(ValidationError) as err:
        import_receipts_csv(db, wrong_container)
    assert err.value.field == "line 2: container_no"
    assert (err.value.params["expected"], err.value.params["actual"]) == ("3", "4")
    db.rollback()
    with pytest.raises(ValidationError) as err:
        import_receipts_csv(db, CSV.replace("APT-PRE-800", "NOPE"))
    assert err.value.field == "line 2: product"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Receipt)) == before


def test_full_inbound_flow(demo, tmp_path):
    db = demo
    extra = register_product(db, owner_code=OWNER_MILK, sku="APT-1-800", name_zh="爱他美1段",
                             hs_code="1901101010", gname="婴儿配方奶粉", gmodel="800g/罐",
                             customs_unit="122", legal_unit1="035", legal_factor1="0.8",
                             origin_country="304", declared_price="188", net_weight_kg="0.8",
                             gross_weight_kg="1.0", item_record_no="LZB2026IR000103")
    [receipt] = import_receipts_csv(db, CSV)
    assert receipt.state == "expected" and receipt.name.startswith("LZB/IN/")
    base = {key: stock(db, *key) for key in [("LZB/Input", "arrived"), ("LZB/Input", "bonded"),
                                             ("LZB/Customs hold", "held")]}

    def delta(path, status):
        return stock(db, path, status) - base[(path, status)]
    with pytest.raises(Conflict):
        record_tally(db, receipt, product=product(db, "APT-PRE-800"), quantity=1,
                     lot_name="L2026-1101")
    with pytest.raises(ValidationError) as err:
        gate_in(db, receipt, vehicle_no="甘A·12345", container_no="CSQU3054384")
    assert err.value.field == "container_no" and receipt.state == "expected"
    gate_in(db, receipt, vehicle_no="甘A·12345", container_no="CSQU3054383", seal_no="S-1")
    assert receipt.state == "arrived"
    assert delta("LZB/Input", "arrived") == 150
    apt, meiji = product(db, "APT-PRE-800"), product(db, "MEIJI-STEP-800")
    record_tally(db, receipt, product=apt, quantity=90, lot_name="L2026-1101")
    record_tally(db, receipt, product=apt, quantity=5, lot_name="L2026-1101")
    record_tally(db, receipt, product=apt, quantity=2, lot_name="L2026-1101", damaged=True,
                 damage_reason="dented cans")
    record_tally(db, receipt, product=meiji, quantity=50, lot_name="MJ261102",
                 expiry_date="2027-11-02")
    record_tally(db, receipt, product=extra, quantity=6)
    for bad, field in [(dict(product=apt, quantity=0, lot_name="L2026-1101"), "quantity"),
                       (dict(product=apt, quantity=-1), "lot"),
                       (dict(product=product(db, "SWS-ESSENCE-150"), quantity=1,
                             lot_name="X"), "product"),
                       (dict(product=apt, quantity=1, lot_name="L2026-1101", damaged=True),
                        "damage_reason")]:
        with pytest.raises(ValidationError) as err:
            record_tally(db, receipt, **bad)
        assert err.value.field == field
    rows = {(r.product.sku, r.lot_name): (r.expected, r.tallied) for r in
            tally_progress(db, receipt)}
    assert rows[("APT-PRE-800", "L2026-1101")] == (100, 97)
    with pytest.raises(Conflict):
        build_declaration(db, receipt)
    found = close_tally(db, receipt)
    kinds = sorted((d.kind, d.product.sku) for d in found)
    assert kinds == [("damaged", "APT-PRE-800"), ("short", "APT-PRE-800"),
                     ("short", "MEIJI-STEP-800"), ("unexpected", "APT-1-800"),
                     ("wrong_lot", "MEIJI-STEP-800")]
    assert delta("LZB/Input", "arrived") == 97 + 50 + 6
    with pytest.raises(Conflict):
        record_tally(db, receipt, product=apt, quantity=1, lot_name="L2026-1101")
    declaration = build_declaration(db, receipt)
    assert [(ln.gnum, ln.qty, ln.item_record_no) for ln in declaration.lines] == [
        (1, 6, "LZB2026IR000103"), (2, 97, "LZB2026IR000101"), (3, 50, "LZB2026IR000102")]
    first = declaration.lines[1]
    assert first.qty1 == Decimal("77.6") and first.total_price == Decimal("19206.00")
    assert declaration.total_value == sum(ln.total_price for ln in declaration.lines)
    file_declaration(db, declaration)
    assert receipt.state == "declared"
    message = db.get(CustomsMessage, declaration.message_id)
    xml = etree.fromstring(message.xml.encode())
    assert schema().validate(xml)
    assert xml.findtext(f"{{{NS}}}Head/{{{NS}}}containerNo") == "CSQU3054383"
    decide(db, declaration, {1: "released", 2: "released", 3: "held"}, note="random check")
    assert receipt.state == "held"
    assert delta("LZB/Customs hold", "held") == 50
    assert delta("LZB/Input", "bonded") == 103
    with pytest.raises(Conflict):
        decide(db, declaration, {1: "held"})
    answer = (f'<EntryRecordListReturn xmlns="{NS}"><guid>{declaration.guid}</guid>'
              f'<returnTime>20261202101500</returnTime><Item><gnum>3</gnum>'
              f'<returnStatus>800</returnStatus><returnInfo>inspection passed</returnInfo>'
              f'</Item></EntryRecordListReturn>').encode()
    import_entry_return(db, answer)
    assert receipt.state == "released" and declaration.state == "decided"
    assert message.state == "released" and message.receipts[-1].return_status == "800"
    assert delta("LZB/Input", "bonded") == 153
    from wms.catalog.models import Lot
    for sku, lot_name, qty in [("APT-PRE-800", "L2026-1101", 97),
                               ("MEIJI-STEP-800", "MJ261102", 50), ("APT-1-800", None, 6)]:
        item = product(db, sku)
        lot_id = db.scalar(select(Lot.id).where(Lot.product_id == item.id,
                                                Lot.name == lot_name)) if lot_name else None
        target = suggest_location(db, receipt.warehouse, item, qty)
        assert target is not None and target.usage == "internal"
        putaway(db, receipt, product=item, quantity=qty, to_location=target, lot_id=lot_id)
    assert receipt.state == "stored"
    assert delta("LZB/Input", "bonded") == 0
    assert check_ledger(db) == []


def test_declaring_too_early_and_unregistered_products(demo):
    db = demo
    [receipt] = import_receipts_csv(db, CSV)
    gate_in(db, receipt, container_no="CSQU3054383")
    apt = product(db, "APT-PRE-800")
    record_tally(db, receipt, product=apt, quantity=100, lot_name="L2026-1101")
    with pytest.raises(Conflict):
        build_declaration(db, receipt)
    close_tally(db, receipt)
    apt.item_record_no = None
    with pytest.raises(DeclarationNotReady) as err:
        build_declaration(db, receipt)
    assert err.value.field == "product APT-PRE-800: item_record_no"
    assert receipt.state == "tallied"


def test_release_without_declaration_is_refused(demo):
    db = demo
    [receipt] = import_receipts_csv(db, CSV)
    with pytest.raises(DomainError):
        receipt.transition("released")


def test_discrepancy_report_and_declaration_pdfs_read_back(demo):
    import pypdfium2 as pdfium
    from wms.inbound.documents import declaration_pdf, discrepancy_report_pdf
    from wms.inbound.models import Discrepancy
    db = demo
    [receipt] = import_receipts_csv(db, CSV)
    gate_in(db, receipt, container_no="CSQU3054383")
    record_tally(db, receipt, product=product(db, "APT-PRE-800"), quantity=93,
                 lot_name="L2026-1101")
    record_tally(db, receipt, product=product(db, "MEIJI-STEP-800"), quantity=50,
                 lot_name="MJ261101", expiry_date="2027-11-01")
    close_tally(db, receipt)
    found = db.scalars(select(Discrepancy).where(Discrepancy.receipt_id == receipt.id)).all()

    def text(pdf: bytes) -> str:
        return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf))
    report = text(discrepancy_report_pdf(receipt, found))
    assert "理货差异报告" in report and receipt.name in report and "APT-PRE-800" in report
    assert "-7" in report
    declaration = build_declaration(db, receipt)
    printed = text(declaration_pdf(declaration))
    assert "进境备案清单" in printed and "1901101010" in printed and declaration.guid in printed


def test_same_advice_twice_and_arrival_in_the_future_are_refused(demo):
    from datetime import timedelta
    from wms.core.db import utcnow
    db = demo
    [receipt] = import_receipts_csv(db, CSV)
    with pytest.raises(Conflict) as err:
        import_receipts_csv(db, CSV)
    assert err.value.field == "line 2: receipt"
    with pytest.raises(ValidationError) as err:
        gate_in(db, receipt, container_no="CSQU3054383", arrived_at=utcnow() + timedelta(days=1))
    assert err.value.field == "arrived_at" and receipt.state == "expected"
