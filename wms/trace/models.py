"""Recalls: a lot (or a product's lots in an expiry range) taken out of circulation.

While a recall is open its lots are blocked: the reservation query of a wave and the pick
both leave them alone, and customs sees the block on the trace page and in the API. The
lots are frozen when the recall starts, so closing it lifts exactly the block it put on.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, exists, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.catalog.models import Lot, Product
from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.sequence import Sequenced, unique_name_index
from wms.core.states import StateMachine
from wms.core.types import UtcDateTime
from wms.inbound.models import TallyScan
from wms.inventory.models import Quant, StockMove
from wms.outbound.models import Waybill


class Recall(StateMachine, Sequenced, Audited, Base):
    """Who started it, why, which lots; who closed it and with what note."""

    __tablename__ = "recall"
    __states__ = ("open", "closed")
    __transitions__ = {"open": ("closed",)}
    __tracked__ = ("reason", "close_note")
    __table_args__ = (unique_name_index("recall"),
                      CheckConstraint("state IN ('open', 'closed')", name="state"),
                      CheckConstraint("expiry_from IS NULL OR expiry_to IS NULL OR "
                                      "expiry_from <= expiry_to", name="expiry_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="open")
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    expiry_from: Mapped[date | None]
    expiry_to: Mapped[date | None]
    reason: Mapped[str] = mapped_column(String(300))
    authority: Mapped[str | None] = mapped_column(String(200))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    close_note: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship(lazy="joined")
    lots: Mapped[list[RecallLot]] = relationship(back_populates="recall",
                                                 cascade="all, delete-orphan")


class RecallLot(Base):
    """One lot a recall blocks."""

    __tablename__ = "recall_lot"
    __table_args__ = (Index("ix_recall_lot_lot", "lot_id", "recall_id"),)

    recall_id: Mapped[int] = mapped_column(ForeignKey("recall.id", ondelete="CASCADE"),
                                           primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), primary_key=True)
    # Denormalised from the recall so the block check is one index probe.
    blocking: Mapped[bool] = mapped_column(default=True)

    recall: Mapped[Recall] = relationship(back_populates="lots")
    lot: Mapped[Lot] = relationship(lazy="joined")


def lot_is_blocked(lot_column):
    """SQL: true when an open recall blocks the lot in ``lot_column`` (a reservation query's
    ``Quant.lot_id``, a pick's ``StockMove.lot_id``)."""
    return exists(select(RecallLot.lot_id).where(RecallLot.lot_id == lot_column,
                                                 RecallLot.blocking.is_(True)))


def blocked_lots(session, lot_ids) -> set[int]:
    """Which of these lots an open recall blocks: one query."""
    ids = {i for i in lot_ids if i}
    if not ids:
        return set()
    return set(session.scalars(select(RecallLot.lot_id).where(RecallLot.lot_id.in_(ids),
                                                               RecallLot.blocking.is_(True))))


# The indexes trace follows a lot and a parcel by, declared with the room that needs them.
Index("ix_stock_move_lot", StockMove.__table__.c.lot_id)
Index("ix_quant_lot", Quant.__table__.c.lot_id)
Index("ix_tally_scan_lot", TallyScan.__table__.c.lot_id)
Index("ix_tally_scan_package", TallyScan.__table__.c.package_id)
Index("ix_waybill_logistics_no", Waybill.__table__.c.logistics_no)
