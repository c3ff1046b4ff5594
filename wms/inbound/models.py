"""Receipts, their tally, the discrepancies found and the entry declaration built from it.

Tally scans are insert-only rows, so any number of operators can tally one receipt at once
without losing a count; closing the tally freezes what was counted into discrepancies and
the declaration is built from those counts, never from the supplier's advice.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.catalog.models import Product
from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.errors import N_
from wms.core.sequence import Sequenced, unique_name_index
from wms.core.states import StateMachine
from wms.core.types import UtcDateTime
from wms.inventory.models import QTY, Location, Warehouse
from wms.partners.models import Enterprise

RECEIPT_STATES = ("draft", "expected", "arrived", "tallying", "tallied", "declared", "held",
                  "released", "rejected", "stored", "cancelled")
DISCREPANCY_KINDS = ("short", "over", "damaged", "unexpected", "wrong_lot")
DECISIONS = ("pending", "released", "held", "rejected")
# What each state is called where people read it (translated at the edge).
STATE_TITLES = {
    "draft": N_("Draft"), "expected": N_("Expected"), "arrived": N_("Arrived"),
    "tallying": N_("Tallying"), "tallied": N_("Tallied"), "declared": N_("Declared"),
    "held": N_("Held by customs"), "released": N_("Released"), "rejected": N_("Rejected"),
    "stored": N_("Stored"), "cancelled": N_("Cancelled"),
}
# What a discrepancy's note says, by the code the row keeps: pages and PDFs translate it.
NOTE_TEMPLATES = {
    "not_advised": N_("not on the advice"),
    "advised_lots": N_("advised lot(s): %(lots)s"),
    "damaged_on_arrival": N_("damaged on arrival"),
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Receipt(StateMachine, Sequenced, Audited, Base):
    """An advance shipping notice and everything that happens to it until putaway."""

    __tablename__ = "receipt"
    __states__ = RECEIPT_STATES
    __transitions__ = {
        "draft": ("expected", "cancelled"),
        "expected": ("arrived", "cancelled"),
        "arrived": ("tallying", "cancelled"),
        "tallying": ("tallied", "cancelled"),
        "tallied": ("declared", "cancelled"),
        "declared": ("released", "held", "rejected"),
        "held": ("released", "rejected"),
        "released": ("stored",),
    }
    __tracked__ = ("supplier", "expected_arrival", "vehicle_no", "container_no", "seal_no")
    __table_args__ = (unique_name_index("receipt"),
                      CheckConstraint(_in("state", RECEIPT_STATES), name="state"),
                      Index("ix_receipt_owner_state", "owner_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    supplier: Mapped[str] = mapped_column(String(200))
    supplier_ref: Mapped[str | None] = mapped_column(String(60))
    trade_mode: Mapped[str] = mapped_column(String(4), default="1210")
    transport_mode: Mapped[str | None] = mapped_column(String(1))
    bill_of_lading: Mapped[str | None] = mapped_column(String(40))
    air_waybill: Mapped[str | None] = mapped_column(String(12))
    train_no: Mapped[str | None] = mapped_column(String(20))
    rail_note_no: Mapped[str | None] = mapped_column(String(40))
    mail_dispatch_no: Mapped[str | None] = mapped_column(String(40))
    expected_arrival: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    vehicle_no: Mapped[str | None] = mapped_column(String(20))
    container_no: Mapped[str | None] = mapped_column(String(11))
    seal_no: Mapped[str | None] = mapped_column(String(20))
    tally_closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    declared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    owner: Mapped[Enterprise] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
    lines: Mapped[list[ReceiptLine]] = relationship(back_populates="receipt",
                                                    order_by="ReceiptLine.line_no",
                                                    cascade="all, delete-orphan")


class ReceiptLine(Base):
    """What the supplier says is coming."""

    __tablename__ = "receipt_line"
    __table_args__ = (CheckConstraint("expected_qty > 0", name="expected_qty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"),
                                            index=True)
    line_no: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    expected_qty: Mapped[Decimal] = mapped_column(QTY)
    lot_name: Mapped[str | None] = mapped_column(String(40))
    expiry_date: Mapped[date | None]
    sscc: Mapped[str | None] = mapped_column(String(18))

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class TallyScan(Base):
    """One counted quantity, as scanned. Never updated: a correction is a negative scan."""

    __tablename__ = "tally_scan"
    __table_args__ = (CheckConstraint("quantity <> 0", name="quantity"),
                      CheckConstraint("condition IN ('good', 'damaged')", name="condition"))

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"),
                                            index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"))
    quantity: Mapped[Decimal] = mapped_column(QTY)
    condition: Mapped[str] = mapped_column(String(8), default="good")
    damage_reason: Mapped[str | None] = mapped_column(String(200))
    photo: Mapped[str | None] = mapped_column(String(200))
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An undone scan is never deleted: its reversal points at it (one reversal per scan).
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("tally_scan.id"),
                                                    unique=True)

    product: Mapped[Product] = relationship(lazy="joined")


class Discrepancy(Base):
    """A difference between the advice and the tally, frozen when the tally closes."""

    __tablename__ = "receipt_discrepancy"
    __table_args__ = (CheckConstraint(_in("kind", DISCREPANCY_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(12))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    lot_name: Mapped[str | None] = mapped_column(String(40))
    expected_qty: Mapped[Decimal] = mapped_column(QTY)
    tallied_qty: Mapped[Decimal] = mapped_column(QTY)
    note_code: Mapped[str | None] = mapped_column(String(30))
    note_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def difference(self) -> Decimal:
        return self.tallied_qty - self.expected_qty

    def note(self, translate=lambda template: template) -> str | None:
        """The note in the reader's language: ``translate`` is the edge's gettext."""
        template = NOTE_TEMPLATES.get(self.note_code or "")
        if template is None:
            return None
        text = translate(template)
        return text % self.note_params if self.note_params else text


class EntryDeclaration(StateMachine, Sequenced, Audited, Base):
    """The entry record list (进境备案清单) built from the closed tally."""

    __tablename__ = "entry_declaration"
    __states__ = ("draft", "filed", "decided")
    __transitions__ = {"draft": ("filed",), "filed": ("decided",)}
    __table_args__ = (unique_name_index("entry_declaration"),
                      CheckConstraint("state IN ('draft', 'filed', 'decided')", name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id"), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="draft")
    guid: Mapped[str] = mapped_column(String(36))
    total_value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    total_net_kg: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    total_gross_kg: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    filed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    message_id: Mapped[int | None] = mapped_column(ForeignKey("customs_message.id"))

    receipt: Mapped[Receipt] = relationship()
    lines: Mapped[list[DeclarationLine]] = relationship(back_populates="declaration",
                                                        order_by="DeclarationLine.gnum",
                                                        cascade="all, delete-orphan")


class DeclarationLine(Base):
    """One declared item: tallied goods grouped by registration number, HS code and origin."""

    __tablename__ = "declaration_line"
    __table_args__ = (CheckConstraint(_in("decision", DECISIONS), name="decision"),
                      CheckConstraint("qty > 0", name="qty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(
        ForeignKey("entry_declaration.id", ondelete="CASCADE"), index=True)
    gnum: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    item_record_no: Mapped[str] = mapped_column(String(30))
    hs_code: Mapped[str] = mapped_column(String(10))
    gname: Mapped[str] = mapped_column(String(250))
    gmodel: Mapped[str] = mapped_column(String(250))
    origin_country: Mapped[str] = mapped_column(String(3))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit: Mapped[str] = mapped_column(String(3))
    qty1: Mapped[Decimal] = mapped_column(QTY)
    unit1: Mapped[str] = mapped_column(String(3))
    qty2: Mapped[Decimal | None] = mapped_column(QTY)
    unit2: Mapped[str | None] = mapped_column(String(3))
    price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    total_price: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    net_kg: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    gross_kg: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    decision: Mapped[str] = mapped_column(String(8), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(300))

    declaration: Mapped[EntryDeclaration] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class PutawayRule(Audited, Base):
    """Where goods go: the most specific matching rule (product, then category, then owner,
    then any) names a place; a location under it with room is suggested."""

    __tablename__ = "putaway_rule"
    __tracked__ = ("location_id", "product_id", "category", "owner_id", "sequence")

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    category: Mapped[str | None] = mapped_column(String(60))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    sequence: Mapped[int] = mapped_column(default=10)

    location: Mapped[Location] = relationship(lazy="joined")
