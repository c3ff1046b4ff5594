"""The demo's account book: the opening balance of the bonded warehouse is booked, and every
door books what it does, so the book reconciles with bonded stock except for one difference
the moves explain: a count that found a can of APT-PRE-800 short, whose write-off customs has
not approved yet (a count adjustment is booked only once customs agrees to the loss)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.inventory.models import Location, Quant, StockDocument
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location

from .models import AccountBookEntry
from .services import book_document

COUNT_ORIGIN = "盘点 LZB 奶粉区（演示）"


def load_accountbook_demo(session: Session) -> int:
    """Book the demo's opening balance once and leave one count loss awaiting customs;
    returns how many records were written."""
    from wms.demo import OPENING_ORIGIN
    created = 0
    opening = session.scalar(select(StockDocument).where(
        StockDocument.origin == OPENING_ORIGIN, StockDocument.kind == "opening"))
    if opening is not None and not session.scalar(select(AccountBookEntry.id).where(
            AccountBookEntry.document_id == opening.id).limit(1)):
        created += len(book_document(session, opening, "opening", "期初 opening balance (demo)"))
    return created + _count_loss_awaiting_write_off(session)


def _count_loss_awaiting_write_off(session: Session) -> int:
    if session.scalar(select(StockDocument.id).where(StockDocument.origin == COUNT_ORIGIN)):
        return 0
    quant = session.scalar(select(Quant).join(Product, Product.id == Quant.product_id).where(
        Product.sku == "APT-PRE-800", Quant.customs_status == "bonded",
        Quant.quantity >= 1).order_by(Quant.id))
    if quant is None:
        return 0
    place = session.get(Location, quant.location_id)
    document = new_document(session, "count", f"{place.warehouse.code}/ADJ",
                            warehouse_id=place.warehouse_id, origin=COUNT_ORIGIN)
    post_moves(session, [MoveLine(quant.product_id, Decimal(1), quant.location_id,
                                  virtual_location(session, "inventory").id, quant.owner_id,
                                  "bonded", quant.lot_id, quant.package_id,
                                  reason="盘点短少 1 罐：损耗待海关核销")], document)
    document.transition("done")
    document.done_at = utcnow()
    return 1
