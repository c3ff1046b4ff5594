"""Rows of the account book (账册, emsNo): every quantity that entered or left bond.

A row is written by the door whose moves changed bonded stock (customs' release of an entry
declaration writes "in", shipping writes "out", scrap and destruction their own kinds), and
names that door's stock document, so a difference between the book and the stock can be
traced to the moves that have no row.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wms.core.db import Base
from wms.core.types import UtcDateTime
from wms.inventory.models import QTY

# kind -> direction: what the row is, and whether it adds to or takes from the balance.
KINDS = {"receipt": "in", "opening": "in", "return": "in", "shipment": "out",
         "write_off": "out", "scrap": "out", "destruction": "out"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AccountBookEntry(Base):
    """One row of the book: an item (product and its registration number), a quantity in
    declared and in legal units, the declaration or list it went under and the document."""

    __tablename__ = "account_book_entry"
    __table_args__ = (Index("ix_account_book_ems_product", "ems_no", "product_id"),
                      CheckConstraint("direction IN ('in', 'out')", name="direction"),
                      CheckConstraint(_in("kind", KINDS), name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ems_no: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    item_record_no: Mapped[str | None] = mapped_column(String(30))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(12), default="shipment")
    qty: Mapped[Decimal] = mapped_column(QTY)
    legal_qty: Mapped[Decimal | None] = mapped_column(QTY)
    legal_unit: Mapped[str | None] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(60))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"),
                                                    index=True)
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime())
