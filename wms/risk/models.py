"""The warnings the risk rules raise: one row per rule and subject, kept up to date."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.db import Base
from wms.core.types import UtcDateTime
from wms.partners.models import Enterprise

RISK_CATEGORIES = ("market", "transaction", "product_quality", "logistics", "customs")
RISK_STATES = ("open", "acknowledged")
RISK_LEVELS = (1, 2, 3)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RiskWarning(Base):
    """What a rule found about one subject (a receipt, an order, a lot, a buyer's address,
    a shipment, a return, an enterprise), with the facts it found. ``subject`` is the key a
    rule finds the same thing by again, so a second run updates the warning instead of
    raising it twice; ``document``/``document_id`` say which record to open."""

    __tablename__ = "risk_warning"
    __table_args__ = (
        UniqueConstraint("rule", "subject"),
        CheckConstraint(_in("category", RISK_CATEGORIES), name="category"),
        CheckConstraint(_in("state", RISK_STATES), name="state"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        Index("ix_risk_warning_state_level", "state", "level", "id"),
        Index("ix_risk_warning_owner", "owner_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    level: Mapped[int]
    category: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    document: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[int | None]
    reference: Mapped[str | None] = mapped_column(String(80))
    facts: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="open")
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                      ondelete="SET NULL"))
    acknowledged_by_login: Mapped[str | None] = mapped_column(String(64))

    owner: Mapped[Enterprise | None] = relationship(lazy="joined")
