"""Orders, their three documents and inventory list, waves and parcels (the account book has
its own room, ``wms.accountbook``).

An order carries what the platform sent (buyer, consignee, amounts, lines); the payment and
the waybill are its other two documents; the inventory list (清单) is what customs releases.
Each document has a customs message in the outbox; receipts drive the order's state.
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
from wms.partners.models import Enterprise
# Moved to its own room; still importable from here for the code that reads it.
from wms.accountbook.models import AccountBookEntry  # noqa: F401,E402

MONEY = Numeric(14, 2)
ORDER_STATES = ("received", "declared", "released", "held", "rejected", "picking", "picked",
                "packed", "shipped", "cancelled")
TRADE_MODES = ("1210", "9610", "9710", "9810")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SalesOrder(StateMachine, Sequenced, Audited, Base):
    """A cross-border order: 1210 bonded import to a Chinese buyer, 9610 B2C export, or B2B
    export (9710 direct, 9810 to an overseas warehouse), kept apart from general trade."""

    __tablename__ = "sales_order"
    __states__ = ORDER_STATES
    __transitions__ = {
        "received": ("declared", "cancelled"),
        "declared": ("released", "held", "rejected", "cancelled"),
        "held": ("released", "rejected"),
        "released": ("picking", "cancelled"),
        "picking": ("picked", "released"),
        "picked": ("packed",),
        "packed": ("shipped",),
    }
    __tracked__ = ("consignee", "consignee_address", "consignee_phone")
    __table_args__ = (
        unique_name_index("sales_order"),
        UniqueConstraint("platform_id", "order_no"),
        CheckConstraint(_in("state", ORDER_STATES), name="state"),
        CheckConstraint(_in("trade_mode", TRADE_MODES), name="trade_mode"),
        CheckConstraint("goods_value >= 0 AND freight >= 0 AND discount >= 0 AND "
                        "tax_total >= 0 AND actual_paid >= 0", name="amounts"),
        Index("ix_sales_order_buyer", "buyer_id_number", "ordered_at"),
        Index("ix_sales_order_owner_state", "owner_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="received")
    trade_mode: Mapped[str] = mapped_column(String(4), default="1210")
    platform_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    logistics_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    order_no: Mapped[str] = mapped_column(String(60))
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    buyer_reg_no: Mapped[str] = mapped_column(String(60))
    buyer_name: Mapped[str] = mapped_column(String(60))
    buyer_id_type: Mapped[str] = mapped_column(String(1), default="1")
    buyer_id_number: Mapped[str] = mapped_column(String(60))
    buyer_phone: Mapped[str] = mapped_column(String(30))
    consignee: Mapped[str] = mapped_column(String(100))
    consignee_phone: Mapped[str] = mapped_column(String(50))
    consignee_address: Mapped[str] = mapped_column(String(200))
    consignee_district: Mapped[str | None] = mapped_column(String(6))
    country: Mapped[str] = mapped_column(String(3), default="142")
    goods_value: Mapped[Decimal] = mapped_column(MONEY)
    freight: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    actual_paid: Mapped[Decimal] = mapped_column(MONEY)
    # Given back to the buyer's annual quota by returns.
    refunded: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="142")
    pay_code: Mapped[str | None] = mapped_column(String(18))
    pay_name: Mapped[str | None] = mapped_column(String(100))
    pay_transaction_id: Mapped[str | None] = mapped_column(String(60))
    note: Mapped[str | None] = mapped_column(Text)
    hold_reason: Mapped[str | None] = mapped_column(String(300))
    destination_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))

    platform: Mapped[Enterprise] = relationship(foreign_keys=[platform_id], lazy="joined")
    owner: Mapped[Enterprise] = relationship(foreign_keys=[owner_id], lazy="joined")
    logistics: Mapped[Enterprise | None] = relationship(foreign_keys=[logistics_id])
    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id])
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order",
                                                  order_by="OrderLine.gnum",
                                                  cascade="all, delete-orphan")
    payment: Mapped[Payment | None] = relationship(back_populates="order", uselist=False,
                                                   cascade="all, delete-orphan")
    waybill: Mapped[Waybill | None] = relationship(back_populates="order", uselist=False,
                                                   cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty"),
                      CheckConstraint("picked_qty >= 0", name="picked_qty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"),
                                          index=True)
    gnum: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    total_price: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    picked_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class Payment(Base):
    """The payment voucher (CEB411): its amount must equal the order's actual paid."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("pay_code", "pay_transaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"),
                                          unique=True)
    pay_code: Mapped[str] = mapped_column(String(18))
    pay_name: Mapped[str] = mapped_column(String(100))
    pay_transaction_id: Mapped[str] = mapped_column(String(60))
    pay_type: Mapped[str] = mapped_column(String(1), default="1")
    payer_id_type: Mapped[str] = mapped_column(String(1), default="1")
    payer_id_number: Mapped[str] = mapped_column(String(60))
    payer_name: Mapped[str] = mapped_column(String(60))
    telephone: Mapped[str] = mapped_column(String(30))
    amount_paid: Mapped[Decimal] = mapped_column(MONEY)
    paid_at: Mapped[datetime] = mapped_column(UtcDateTime())

    order: Mapped[SalesOrder] = relationship(back_populates="payment")


class Waybill(Base):
    """The logistics waybill (CEB511); consignee, phone and address must equal the order's."""

    __tablename__ = "waybill"
    __table_args__ = (UniqueConstraint("logistics_code", "logistics_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"),
                                          unique=True)
    logistics_code: Mapped[str] = mapped_column(String(18))
    logistics_name: Mapped[str] = mapped_column(String(100))
    logistics_no: Mapped[str] = mapped_column(String(60))
    bill_no: Mapped[str | None] = mapped_column(String(37))
    freight: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    insured_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    pack_no: Mapped[int] = mapped_column(default=1)
    goods_info: Mapped[str | None] = mapped_column(String(200))
    consignee: Mapped[str] = mapped_column(String(100))
    consignee_phone: Mapped[str] = mapped_column(String(50))
    consignee_address: Mapped[str] = mapped_column(String(200))

    order: Mapped[SalesOrder] = relationship(back_populates="waybill")


class InventoryList(StateMachine, Sequenced, Audited, Base):
    """The inventory list (清单, CEB621 / CEB603) customs releases a parcel by."""

    __tablename__ = "inventory_list"
    __states__ = ("draft", "sent", "released", "held", "rejected", "cancelled")
    __transitions__ = {"draft": ("sent", "cancelled"),
                       "sent": ("released", "held", "rejected"),
                       "held": ("released", "rejected")}
    __table_args__ = (unique_name_index("inventory_list"),
                      CheckConstraint("state IN ('draft', 'sent', 'released', 'held', "
                                      "'rejected', 'cancelled')", name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("customs_message.id"))
    pre_no: Mapped[str | None] = mapped_column(String(18))
    invt_no: Mapped[str | None] = mapped_column(String(18))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    order: Mapped[SalesOrder] = relationship()


class Wave(StateMachine, Sequenced, Audited, Base):
    """Released orders picked together."""

    __tablename__ = "wave"
    __states__ = ("open", "done", "cancelled")
    __transitions__ = {"open": ("done", "cancelled")}
    __table_args__ = (unique_name_index("wave"),
                      CheckConstraint("state IN ('open', 'done', 'cancelled')", name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    state: Mapped[str] = mapped_column(String(10), default="open")
    document_id: Mapped[int] = mapped_column(ForeignKey("stock_document.id"))


class WaveOrder(Base):
    __tablename__ = "wave_order"

    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"),
                                         primary_key=True)
    # An order picked short goes back to the queue and joins a later wave too.
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), primary_key=True)


class ShortPick(Base):
    """A pick that found less than reserved: recorded, never hidden."""

    __tablename__ = "short_pick"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    move_id: Mapped[int] = mapped_column(ForeignKey("stock_move.id"))
    expected_qty: Mapped[Decimal] = mapped_column(QTY)
    picked_qty: Mapped[Decimal] = mapped_column(QTY)
    reason: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Parcel(Audited, Base):
    """A packed parcel of one order, with its waybill or UPU S10 number."""

    __tablename__ = "parcel"
    __table_args__ = (UniqueConstraint("tracking_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), index=True)
    tracking_no: Mapped[str] = mapped_column(String(40))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
