"""The demo's account book: the opening balance of the bonded warehouse is booked, and every
door that changes bonded stock books what it does (customs release, shipping, returns in
and out), so the demo's book reconciles with bonded stock item by item."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.inventory.models import StockDocument

from .models import AccountBookEntry
from .services import book_document


def load_accountbook_demo(session: Session) -> int:
    """Book the demo's opening balance once; returns how many rows were written."""
    from wms.demo import OPENING_ORIGIN
    opening = session.scalar(select(StockDocument).where(
        StockDocument.origin == OPENING_ORIGIN, StockDocument.kind == "opening"))
    if opening is None or session.scalar(select(AccountBookEntry.id).where(
            AccountBookEntry.document_id == opening.id).limit(1)):
        return 0
    return len(book_document(session, opening, "opening", "期初 opening balance (demo)"))
