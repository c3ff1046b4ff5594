"""Enterprises registered with customs, each with one or more roles in the trade."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base

ENTERPRISE_ROLES = ("owner", "platform", "logistics", "agent", "carrier")
CREDIT_CLASSES = ("advanced", "general", "regular", "dishonest")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Enterprise(Audited, Base):
    """An enterprise: USCC for traceability, the 10-character customs code for messages."""

    __tablename__ = "enterprise"
    __tracked__ = ("name", "customs_code", "uscc", "credit_class", "active")
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

    role_rows: Mapped[list[EnterpriseRole]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    def __repr__(self) -> str:
        return f"<Enterprise {self.customs_code} {self.name}>"


class EnterpriseRole(Base):
    __tablename__ = "enterprise_role"
    __table_args__ = (CheckConstraint(_in("role", ENTERPRISE_ROLES), name="role"),)

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    enterprise: Mapped[Enterprise] = relationship(back_populates="role_rows")
