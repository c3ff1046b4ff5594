"""A small document model used only by the toolkit tests, on a metadata of its own so that
it never reaches the migrations."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from wms.core.audit import Audited
from wms.core.db import NAMING_CONVENTION
from wms.core.sequence import Sequenced, unique_name_index
from wms.core.states import StateMachine
from wms.models import metadata as wms_metadata


class TestBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The tables the test model points at, known to its metadata (create_all skips them).
for _name in ("app_user", "enterprise"):
    wms_metadata.tables[_name].to_metadata(TestBase.metadata)


class Voucher(StateMachine, Sequenced, Audited, TestBase):
    """A document with states, a gapless name, and a tracked note."""

    __tablename__ = "test_voucher"
    __states__ = ("draft", "confirmed", "done", "cancelled")
    __transitions__ = {"draft": ("confirmed", "cancelled"), "confirmed": ("done", "cancelled")}
    __tracked__ = ("note",)
    __table_args__ = (unique_name_index("test_voucher"),
                      CheckConstraint("state IN ('draft', 'confirmed', 'done', 'cancelled')",
                                      name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    note: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
