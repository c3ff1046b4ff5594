"""People who log in and the machines that call the API on their behalf."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.types import UtcDateTime

USER_ROLES = ("admin", "supervisor", "operator", "dispatcher", "returns_clerk",
              "customs_clerk", "owner_viewer")
LOCALES = ("zh_CN", "en")


class User(Audited, Base):
    __tablename__ = "app_user"
    __tracked__ = ("login", "display_name", "active", "locale")
    __table_args__ = (
        UniqueConstraint("login"),
        CheckConstraint("locale IN ('zh_CN', 'en')", name="locale"),
        CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Every login session carries the generation it began in; raising it (logout, password
    # change, lock) ends all of the user's sessions at once, whatever cookies were saved.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    owner_rows: Mapped[list[UserOwner]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    @property
    def owner_ids(self) -> frozenset[int]:
        return frozenset(o.enterprise_id for o in self.owner_rows)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(
        "role IN (" + ", ".join(repr(r) for r in USER_ROLES) + ")", name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class UserOwner(Base):
    """An enterprise whose goods the user may see; an owner viewer sees only these."""

    __tablename__ = "user_owner"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="CASCADE"),
                                               primary_key=True)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is kept, so a leaked table grants nothing."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()
