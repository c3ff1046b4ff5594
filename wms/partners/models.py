"""Enterprises registered with customs, each with one or more roles in the trade."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.types import UtcDateTime

ENTERPRISE_ROLES = ("owner", "platform", "logistics", "agent", "carrier")
# The customs enterprise credit classes (海关企业信用管理): 高级认证企业 (advanced certified,
# the AEO of the mutual-recognition agreements), 一般认证企业 (general certified, the class
# before the 2021 measures), 注册登记企业 (regular) and 失信企业 (dishonest).
CREDIT_CLASSES = ("advanced", "general", "regular", "dishonest")
HOLD_DOCUMENTS = ("receipt", "order")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Enterprise(Audited, Base):
    """An enterprise: USCC for traceability, the 10-character customs code for messages."""

    __tablename__ = "enterprise"
    __tracked__ = ("name", "customs_code", "uscc", "credit_class", "aeo_certificate", "active")
    __table_args__ = (
        UniqueConstraint("customs_code"),
        UniqueConstraint("uscc"),
        CheckConstraint(_in("credit_class", CREDIT_CLASSES), name="credit_class"),
        CheckConstraint("length(customs_code) = 10", name="customs_code_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customs_code: Mapped[str] = mapped_column(String(10))
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    credit_class: Mapped[str] = mapped_column(String(16), default="regular")
    address: Mapped[str | None] = mapped_column(String(300))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    # The AEO certificate number customs gives an advanced certified enterprise
    # ("AEOCN" + its customs code); only advanced certified enterprises carry one.
    aeo_certificate: Mapped[str | None] = mapped_column(String(20))

    role_rows: Mapped[list[EnterpriseRole]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan")  # loaded where roles are read

    blacklist_entries: Mapped[list[BlacklistEntry]] = relationship(
        back_populates="enterprise", order_by="BlacklistEntry.id.desc()", viewonly=True)

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    @property
    def aeo_status(self) -> str:
        """``certified`` for an advanced certified enterprise with its certificate,
        ``pending`` for one still without, ``none`` otherwise."""
        if self.credit_class != "advanced":
            return "none"
        return "certified" if self.aeo_certificate else "pending"

    @property
    def blacklisting(self) -> BlacklistEntry | None:
        """The entry that puts the enterprise on the blacklist today, if any (pages; the
        doors ask ``wms.partners.blacklist.refuse_blacklisted`` in one query)."""
        today = date.today()
        return next((e for e in self.blacklist_entries if e.in_force(today)), None)

    def __repr__(self) -> str:
        return f"<Enterprise {self.customs_code} {self.name}>"


class EnterpriseRole(Base):
    __tablename__ = "enterprise_role"
    __table_args__ = (CheckConstraint(_in("role", ENTERPRISE_ROLES), name="role"),)

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    enterprise: Mapped[Enterprise] = relationship(back_populates="role_rows")


class BlacklistEntry(Audited, Base):
    """One listing of an enterprise on the blacklist (黑名单): who decided it and why, from
    when until when; lifting it keeps the row, so the history of listings stays."""

    __tablename__ = "blacklist_entry"
    __tracked__ = ("reason", "authority", "listed_from", "listed_until", "lifted_at",
                   "lift_reason")
    __table_args__ = (
        CheckConstraint("listed_until IS NULL OR listed_until >= listed_from",
                        name="listed_dates"),
        Index("ix_blacklist_entry_enterprise", "enterprise_id", "lifted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    reason: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(200))
    listed_from: Mapped[date]
    listed_until: Mapped[date | None]
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                ondelete="SET NULL"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship(back_populates="blacklist_entries")

    def in_force(self, today: date) -> bool:
        return (self.lifted_at is None and self.listed_from <= today
                and (self.listed_until is None or self.listed_until >= today))


class EnterpriseRefusal(Base):
    """A document a blacklisted enterprise tried to create and was refused: written after
    the refusing transaction rolled back, so the attempt stays on record."""

    __tablename__ = "enterprise_refusal"
    __table_args__ = (Index("ix_enterprise_refusal_enterprise", "enterprise_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entry.id"))
    document: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(80))
    user_login: Mapped[str] = mapped_column(String(64))
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DocumentHold(Base):
    """A pending receipt or order of a blacklisted enterprise, held until a supervisor
    releases it (one hold per document and listing)."""

    __tablename__ = "document_hold"
    __table_args__ = (
        CheckConstraint(_in("document", HOLD_DOCUMENTS), name="document"),
        UniqueConstraint("document", "document_id", "entry_id"),
        Index("ix_document_hold_open", "document", "released_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(String(10))
    document_id: Mapped[int]
    reference: Mapped[str] = mapped_column(String(80))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entry.id"))
    held_at: Mapped[datetime] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    release_note: Mapped[str | None] = mapped_column(Text)

    enterprise: Mapped[Enterprise] = relationship()
