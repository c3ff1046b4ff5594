"""The account book on both backends: customs' release writes "in" rows, shipping "out"
rows, the balance per item is a query, and the reconciliation with bonded stock names the
moves behind each difference; check-ledger reports it; booking is set-based."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from wms.accountbook.checks import account_book_report
from wms.accountbook.models import AccountBookEntry
from wms.accountbook.queries import reconcile
from wms.accountbook.services import book_document
from wms.catalog.models import Product
from wms.catalog.services import lot_for
from wms.inbound.decisions import decide
from wms.inbound.models import EntryDeclaration, Receipt
from wms.inventory.models import Location, Quant
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location

pytestmark = pytest.mark.usefixtures("demo")
EMS = "T9602W000018"


def item(db, sku: str):
    return next(ln for ln in reconcile(db, EMS) if ln.sku == sku)


def test_the_demo_book_reconciles_item_by_item(db):
    """Receipts, shipments and returns (received, restocked, scrapped) are booked by their
    doors: every item's balance is its bonded stock."""
    lines = reconcile(db, EMS)
    assert lines and all(ln.difference == 0 and ln.physical == ln.balance for ln in lines)
    problems, notes = account_book_report(db)
    assert problems == [] and notes == []
    kinds = set(db.scalars(select(AccountBookEntry.kind)))
    assert {"opening", "receipt", "shipment", "return"} <= kinds


def test_customs_release_writes_in_rows_in_legal_units(db):
    receipt = db.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R6"))  # held
    declaration = db.scalar(select(EntryDeclaration).where(
        EntryDeclaration.receipt_id == receipt.id))
    held = [ln for ln in declaration.lines if ln.decision == "held"]
    product = held[0].product
    before = item(db, product.sku)
    decide(db, declaration, {ln.gnum: "released" for ln in held}, note="inspection passed")
    rows = list(db.scalars(select(AccountBookEntry).where(
        AccountBookEntry.reference == declaration.name).order_by(AccountBookEntry.id)))
    new = rows[-1]
    assert new.direction == "in" and new.kind == "receipt" and new.document_id
    assert new.qty == held[0].qty
    assert new.legal_qty == (new.qty * product.legal_factor1).quantize(Decimal("0.001"))
    assert new.legal_unit == product.legal_unit1 and new.item_record_no == product.item_record_no
    after = item(db, product.sku)
    assert after.booked_in == before.booked_in + held[0].qty
    assert after.physical == before.physical + held[0].qty
    assert after.difference == before.difference


def test_an_unbooked_write_off_is_a_difference_until_its_door_books_it(db):
    product = db.scalar(select(Product).where(Product.sku == "SWS-ESSENCE-150"))
    quant = db.scalar(select(Quant).where(Quant.product_id == product.id,
                                          Quant.customs_status == "bonded",
                                          Quant.quantity > 3))
    place = db.get(Location, quant.location_id)
    document = new_document(db, "scrap", "LZB/SCRAP", warehouse_id=place.warehouse_id,
                            origin="销毁 destruction under supervision")
    post_moves(db, [MoveLine(product.id, Decimal(3), quant.location_id,
                             virtual_location(db, "scrap").id, quant.owner_id, "bonded",
                             quant.lot_id, quant.package_id)], document)
    line = item(db, product.sku)
    assert line.difference == Decimal(-3) and line.unexplained == 0
    assert [(m.document, m.change) for m in line.moves] == [(document.name, Decimal(-3))]
    assert account_book_report(db)[0] == []       # explained: a note, not a problem
    [row] = book_document(db, document, "destruction", document.origin)
    assert row["direction"] == "out" and row["kind"] == "destruction"
    assert item(db, product.sku).difference == 0


def test_a_book_row_without_goods_is_an_unexplained_problem(db):
    product = db.scalar(select(Product).where(Product.sku == "SHI-ULT-50"))
    db.add(AccountBookEntry(ems_no=EMS, product_id=product.id, direction="in", kind="receipt",
                            qty=Decimal(5), reference="TAMPERED", booked_at=db.scalar(
                                select(AccountBookEntry.booked_at).limit(1))))
    db.flush()
    line = item(db, product.sku)
    assert line.difference == Decimal(-5) and line.unexplained == Decimal(-5)
    problems, _notes = account_book_report(db)
    assert len(problems) == 1 and "SHI-ULT-50" in problems[0]


def test_booking_10_or_1000_moves_takes_the_same_statements(db, statements):
    supplier = virtual_location(db, "supplier")
    place = db.scalar(select(Location).where(Location.full_path == "LZB/Input"))
    products = list(db.scalars(select(Product).where(Product.owner_id == db.scalar(
        select(Product.owner_id).where(Product.sku == "APT-PRE-800")))))
    lots = [lot_for(db, p, "BOOK-BENCH", date(2028, 1, 31)) for p in products]
    counts = []
    for n in (10, 1000):
        document = new_document(db, "customs", "LZB/CUS", warehouse_id=place.warehouse_id)
        post_moves(db, [MoveLine(products[i % len(products)].id, Decimal(1), supplier.id,
                                 place.id, products[i % len(products)].owner_id, "bonded",
                                 lots[i % len(products)].id) for i in range(n)], document)
        with statements() as sent:
            rows = book_document(db, document, "receipt", f"BENCH-{n}")
        assert sum(r["qty"] for r in rows) == n
        counts.append(len(sent))
    assert counts[0] == counts[1] <= 4
