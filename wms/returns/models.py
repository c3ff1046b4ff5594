"""Return requests, the parcels that bring the goods back, consolidation batches, and the
return application (CEB625) customs answers with CEB626.

A request names the order and the lines (by the list's item number ``gnum``) coming back.
Parcels are scanned at the returns centre into a consolidation batch (集中收货); a parcel
that matches nothing is kept as *unidentified* with its photo and notes until someone
matches it. The batch's arrival moves every matched parcel's goods from the customer back
into the bonded zone's returns dock in one stock document.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.catalog.models import Product
from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.sequence import Sequenced, unique_name_index
from wms.core.states import StateMachine
from wms.core.types import UtcDateTime
from wms.inventory.models import QTY, Warehouse
from wms.outbound.models import SalesOrder

REQUEST_STATES = ("requested", "received", "inspected", "closed", "cancelled")
BUYER_CHOICES = ("refund", "exchange")
GRADES = ("new", "open_box", "damaged", "scrap")
RESELLABLE = ("new", "open_box")
DISPOSITIONS = ("restock", "exchange", "scrap", "return_to_vendor", "non_bonded")
DISPOSITION_STATES = ("none", "pending", "to_approve", "done")
PARCEL_STATES = ("matched", "unidentified", "arrived")
BATCH_STATES = ("open", "arrived", "cancelled")
DECLARATION_STATES = ("sent", "approved", "rejected")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReturnRequest(StateMachine, Sequenced, Audited, Base):
    """What the buyer sends back from one order, why, and what they want instead."""

    __tablename__ = "return_request"
    __states__ = REQUEST_STATES
    __transitions__ = {"requested": ("received", "cancelled"),
                       "received": ("inspected",),
                       "inspected": ("closed",)}
    __tracked__ = ("late", "late_reason", "buyer_choice")
    __table_args__ = (unique_name_index("return_request"),
                      UniqueConstraint("platform_return_no"),
                      CheckConstraint(_in("state", REQUEST_STATES), name="state"),
                      CheckConstraint(_in("buyer_choice", BUYER_CHOICES), name="buyer_choice"),
                      Index("ix_return_request_owner_state", "owner_id", "state"),
                      Index("ix_return_request_order", "order_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="requested")
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    platform_return_no: Mapped[str | None] = mapped_column(String(60))
    return_waybill_no: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(200))
    buyer_choice: Mapped[str] = mapped_column(String(10), default="refund")
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    apply_by: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arrive_by: Mapped[datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Past a deadline: routed to non-bonded handling, never declared or restocked as bonded.
    late: Mapped[bool] = mapped_column(default=False)
    late_reason: Mapped[str | None] = mapped_column(String(200))
    refund_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[SalesOrder] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(back_populates="request",
                                                   order_by="ReturnLine.gnum",
                                                   cascade="all, delete-orphan")


class ReturnLine(Audited, Base):
    """One item of the order's list coming back, its grade and where it went."""

    __tablename__ = "return_line"
    __tracked__ = ("grade", "disposition", "disposition_state")
    __table_args__ = (UniqueConstraint("request_id", "gnum"),
                      CheckConstraint("qty > 0", name="qty"),
                      CheckConstraint(f"grade IS NULL OR {_in('grade', GRADES)}", name="grade"),
                      CheckConstraint(f"disposition IS NULL OR "
                                      f"{_in('disposition', DISPOSITIONS)}", name="disposition"),
                      CheckConstraint(_in("disposition_state", DISPOSITION_STATES),
                                      name="disposition_state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_request.id", ondelete="CASCADE"),
                                            index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"))
    gnum: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    grade: Mapped[str | None] = mapped_column(String(10))
    grade_reason: Mapped[str | None] = mapped_column(String(200))
    photo: Mapped[str | None] = mapped_column(String(200))
    graded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disposition: Mapped[str | None] = mapped_column(String(20))
    disposition_state: Mapped[str] = mapped_column(String(10), default="none")
    disposition_reason: Mapped[str | None] = mapped_column(String(300))
    disposed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    exchange_order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"))

    request: Mapped[ReturnRequest] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")
    units: Mapped[list[ReturnUnit]] = relationship(back_populates="line",
                                                   order_by="ReturnUnit.unit_no",
                                                   cascade="all, delete-orphan")
    exchange_order: Mapped[SalesOrder | None] = relationship(foreign_keys=[exchange_order_id])


class ReturnUnit(Audited, Base):
    """One unit of a returned item as graded: two units of one item may differ (one as new,
    one dented). The item's ``grade`` is the worst of its units once all are graded."""

    __tablename__ = "return_unit"
    __tracked__ = ("grade", "grade_reason")
    __table_args__ = (UniqueConstraint("line_id", "unit_no"),
                      CheckConstraint("unit_no > 0", name="unit_no"),
                      CheckConstraint(_in("grade", GRADES), name="grade"))

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("return_line.id", ondelete="CASCADE"))
    unit_no: Mapped[int]
    grade: Mapped[str] = mapped_column(String(10))
    grade_reason: Mapped[str | None] = mapped_column(String(200))
    photo: Mapped[str | None] = mapped_column(String(200))
    graded_at: Mapped[datetime] = mapped_column(UtcDateTime())

    line: Mapped[ReturnLine] = relationship(back_populates="units")


class ConsolidationBatch(StateMachine, Sequenced, Audited, Base):
    """Parcels gathered at the returns centre (集中收货) that re-enter the bonded zone as one
    movement with one set of papers."""

    __tablename__ = "return_batch"
    __states__ = BATCH_STATES
    __transitions__ = {"open": ("arrived", "cancelled")}
    __table_args__ = (unique_name_index("return_batch"),
                      CheckConstraint(_in("state", BATCH_STATES), name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    state: Mapped[str] = mapped_column(String(10), default="open")
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stock_document.id"))

    warehouse: Mapped[Warehouse] = relationship()
    parcels: Mapped[list[ReturnParcel]] = relationship(back_populates="batch",
                                                       order_by="ReturnParcel.id")


class ReturnParcel(Audited, Base):
    """A parcel as scanned at the returns centre. Unidentified ones are never dropped."""

    __tablename__ = "return_parcel"
    __tracked__ = ("request_id", "state", "notes")
    __table_args__ = (UniqueConstraint("code"),
                      CheckConstraint(_in("state", PARCEL_STATES), name="state"),
                      Index("ix_return_parcel_state", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # What was scanned (waybill, S10, return number), upper-cased; NULL for an unlabelled one.
    code: Mapped[str | None] = mapped_column(String(60))
    batch_id: Mapped[int] = mapped_column(ForeignKey("return_batch.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("return_request.id"), index=True)
    # A hint for unidentified parcels: the order the code named, when it named one.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"))
    state: Mapped[str] = mapped_column(String(12))
    matched_by: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(200))
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    matched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    batch: Mapped[ConsolidationBatch] = relationship(back_populates="parcels")
    request: Mapped[ReturnRequest | None] = relationship()


class ReturnDeclaration(StateMachine, Audited, Base):
    """The return application (退货申请单, CEB625) of one request; its CEB626 decides."""

    __tablename__ = "return_declaration"
    __states__ = DECLARATION_STATES
    __transitions__ = {"sent": ("approved", "rejected")}
    __table_args__ = (CheckConstraint(_in("state", DECLARATION_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_request.id", ondelete="CASCADE"),
                                            index=True)
    state: Mapped[str] = mapped_column(String(10), default="sent")
    message_id: Mapped[int] = mapped_column(ForeignKey("customs_message.id"), unique=True)
    invt_no: Mapped[str] = mapped_column(String(18))
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    return_info: Mapped[str | None] = mapped_column(String(300))

    request: Mapped[ReturnRequest] = relationship()
