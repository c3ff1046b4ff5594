"""Customs code tables kept as data (units, countries, currencies, trade and transport modes,
customs offices, province codes of resident IDs)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.types import UtcDateTime

CODE_TABLES = ("unit", "country", "trade_mode", "transport_mode", "currency", "customs_office",
               "province")


class CustomsCode(Base):
    """One code of a customs code table: ``("unit", "035")`` is 千克 / kg."""

    __tablename__ = "customs_code"
    __table_args__ = (CheckConstraint(
        "code_table IN (" + ", ".join(repr(t) for t in CODE_TABLES) + ")", name="code_table"),)

    code_table: Mapped[str] = mapped_column(String(20), primary_key=True)
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))


MESSAGE_STATES = ("draft", "sent", "accepted", "released", "held", "rejected", "failed")


class CustomsMessage(Audited, Base):
    """A message for customs in the outbox: built, checked, sent, answered.

    Its state follows the receipts that come back (``returnStatus``); the XML is kept as
    sent, since customs may ask for it years later.
    """

    __tablename__ = "customs_message"
    __tracked__ = ("state",)
    __table_args__ = (
        UniqueConstraint("guid"),
        CheckConstraint("state IN (" + ", ".join(repr(s) for s in MESSAGE_STATES) + ")",
                        name="state"),
        Index("ix_customs_message_type_key", "message_type", "business_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_type: Mapped[str] = mapped_column(String(16))
    guid: Mapped[str] = mapped_column(String(36))
    business_key: Mapped[str] = mapped_column(String(60))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    xml: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    return_status: Mapped[str | None] = mapped_column(String(6))
    return_info: Mapped[str | None] = mapped_column(Text)

    receipts: Mapped[list["CustomsReceipt"]] = relationship(
        back_populates="message", order_by="CustomsReceipt.id", cascade="all, delete-orphan")


class CustomsReceipt(Base):
    """A receipt (回执) customs sent back for a message, kept raw beside what it said."""

    __tablename__ = "customs_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("customs_message.id", ondelete="CASCADE"),
                                            index=True)
    return_status: Mapped[str] = mapped_column(String(6))
    return_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    return_info: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    message: Mapped[CustomsMessage] = relationship(back_populates="receipts")
