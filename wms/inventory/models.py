"""The stock ledger's tables.

A stock move takes a quantity of one product from one location to another; a quant is the
materialised balance of one key (product, location, lot, package, owner, customs status).
Done moves are never changed: a correction is a new move. Every location, virtual ones
included, has quants, so each product's quants sum to zero over all locations.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.sequence import Sequenced, unique_name_index
from wms.core.states import StateMachine
from wms.core.types import UtcDateTime

WAREHOUSE_KINDS = ("bonded", "overseas", "general")
LOCATION_USAGES = ("view", "internal", "supplier", "customer", "inventory", "transit",
                   "customs", "scrap")
# Where stock is physically in the warehouse and must never go negative.
STOCKED_USAGES = ("internal", "customs")
CUSTOMS_STATUSES = ("arrived", "bonded", "held", "released", "export")
PACKAGE_KINDS = ("pallet", "carton", "bag")
QTY = Numeric(16, 3)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Warehouse(Audited, Base):
    __tablename__ = "warehouse"
    __tracked__ = ("name", "kind", "customs_area_code", "ems_no", "active")
    __table_args__ = (UniqueConstraint("code"), CheckConstraint(_in("kind", WAREHOUSE_KINDS),
                                                                name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    customs_area_code: Mapped[str | None] = mapped_column(String(10))
    ems_no: Mapped[str | None] = mapped_column(String(20))
    gs1_company_prefix: Mapped[str | None] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(default=True)


class Location(Audited, Base):
    """A place in the location tree; internal ones belong to a warehouse."""

    __tablename__ = "location"
    __tracked__ = ("name", "usage", "barcode", "capacity", "active")
    __table_args__ = (
        UniqueConstraint("warehouse_id", "barcode"),
        CheckConstraint(_in("usage", LOCATION_USAGES), name="usage"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        Index("ix_location_barcode", "barcode"),
        Index("ix_location_full_path", "full_path"),  # the stock list's default order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    name: Mapped[str] = mapped_column(String(60))
    full_path: Mapped[str] = mapped_column(String(400))
    usage: Mapped[str] = mapped_column(String(10))
    barcode: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[Decimal | None] = mapped_column(QTY)
    active: Mapped[bool] = mapped_column(default=True)

    warehouse: Mapped[Warehouse | None] = relationship()
    parent: Mapped[Location | None] = relationship(remote_side="Location.id")

    @property
    def is_stocked(self) -> bool:
        return self.usage in STOCKED_USAGES


class Package(Audited, Base):
    """A pallet, carton or bag with its SSCC; packages nest (cartons on a pallet)."""

    __tablename__ = "package"
    __tracked__ = ("location_id", "parent_id")
    __table_args__ = (UniqueConstraint("sscc"), CheckConstraint(_in("kind", PACKAGE_KINDS),
                                                                name="kind"),
                      CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_self"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sscc: Mapped[str] = mapped_column(String(18))
    kind: Mapped[str] = mapped_column(String(10), default="pallet")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))

    location: Mapped[Location | None] = relationship()
    parent: Mapped[Package | None] = relationship(remote_side="Package.id")


class Quant(Base):
    """On-hand balance of one key. ``quant_key`` is the key as text: unique on both backends,
    where a unique constraint over nullable lot and package columns would not be."""

    __tablename__ = "quant"
    __table_args__ = (
        UniqueConstraint("quant_key"),
        CheckConstraint(_in("customs_status", CUSTOMS_STATUSES), name="customs_status"),
        Index("ix_quant_location_product", "location_id", "product_id"),
        Index("ix_quant_product", "product_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quant_key: Mapped[str] = mapped_column(String(80))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    customs_status: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    in_date: Mapped[datetime] = mapped_column(UtcDateTime())


class StockDocument(StateMachine, Sequenced, Audited, Base):
    """What caused a set of moves: a transfer, a putaway, a count, an adjustment, and later
    receipts, pickings and returns, which point their moves at one of these."""

    __tablename__ = "stock_document"
    __states__ = ("draft", "reserved", "done", "cancelled")
    __transitions__ = {"draft": ("reserved", "done", "cancelled"),
                       "reserved": ("done", "cancelled")}
    __tracked__ = ("state",)
    __table_args__ = (unique_name_index("stock_document"),
                      CheckConstraint("state IN ('draft', 'reserved', 'done', 'cancelled')",
                                      name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    origin: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StockMove(Base):
    """One line of the ledger. ``reserved`` moves hold stock at their source; ``done`` moves
    are the ledger and are never updated."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # A move goes somewhere, or changes customs status (a release in place), or packs
        # or unpacks: anything else is not a move.
        CheckConstraint("from_location_id <> to_location_id "
                        "OR customs_status <> to_customs_status "
                        "OR COALESCE(package_id, 0) <> COALESCE(to_package_id, 0)",
                        name="changes_something"),
        CheckConstraint("state IN ('reserved', 'done', 'cancelled')", name="state"),
        CheckConstraint(_in("customs_status", CUSTOMS_STATUSES), name="customs_status"),
        CheckConstraint(_in("to_customs_status", CUSTOMS_STATUSES), name="to_customs_status"),
        Index("ix_stock_move_product_done", "product_id", "done_at"),
        Index("ix_stock_move_reserved", "state", "source_key"),
        Index("ix_stock_move_to", "to_location_id"),
        Index("ix_stock_move_order_line", "order_line_id"),
        Index("ix_stock_move_return_line", "return_line_id"),
        Index("ix_stock_move_origin", "origin_move_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[Decimal] = mapped_column(QTY)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"))
    to_package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    customs_status: Mapped[str] = mapped_column(String(10))
    to_customs_status: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10))
    # The quant key the move takes from: reservations are summed by it.
    source_key: Mapped[str] = mapped_column(String(80))
    # Typed links to what caused the move; ``reason`` is only a note for people.
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"))
    return_line_id: Mapped[int | None] = mapped_column(ForeignKey("return_line.id"))
    origin_move_id: Mapped[int | None] = mapped_column(ForeignKey("stock_move.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    document: Mapped[StockDocument | None] = relationship()


class CountSession(StateMachine, Sequenced, Audited, Base):
    """A cycle count of one location: scan what is there, submit; differences above the
    threshold wait for a supervisor before they are posted."""

    __tablename__ = "count_session"
    __states__ = ("counting", "to_approve", "done", "cancelled")
    __transitions__ = {"counting": ("to_approve", "done", "cancelled"),
                       "to_approve": ("done", "cancelled")}
    __table_args__ = (unique_name_index("count_session"),
                      CheckConstraint("state IN ('counting', 'to_approve', 'done', 'cancelled')",
                                      name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    state: Mapped[str] = mapped_column(String(12), default="counting")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    location: Mapped[Location] = relationship()
    lines: Mapped[list[CountLine]] = relationship(back_populates="session",
                                                  order_by="CountLine.id",
                                                  cascade="all, delete-orphan")


class CountLine(Base):
    __tablename__ = "count_line"
    __table_args__ = (UniqueConstraint("session_id", "line_key"),
                      CheckConstraint("counted >= 0", name="counted"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("count_session.id", ondelete="CASCADE"))
    line_key: Mapped[str] = mapped_column(String(80))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    customs_status: Mapped[str] = mapped_column(String(10))
    counted: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    expected: Mapped[Decimal | None] = mapped_column(QTY)

    session: Mapped[CountSession] = relationship(back_populates="lines")

    @property
    def difference(self) -> Decimal:
        return self.counted - (self.expected or Decimal(0))
