"""The import-side CEB business documents (1210 bonded import): order, payment voucher,
waybill, inventory list and return application, as frozen dataclasses."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .ceb_base import new_guid


# --- import side -------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OrderItem:
    """CEB311 OrderList. ``gnum`` None: numbered by position."""
    item_name: str
    gmodel: str
    unit: str
    qty: Decimal
    price: Decimal
    total_price: Decimal
    country: str
    gnum: int | None = None
    item_no: str | None = None
    item_describe: str | None = None
    bar_code: str | None = None
    currency: str = "142"
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Order:
    """CEB311 OrderHead + OrderList: an import order from the platform."""
    app_time: datetime
    order_no: str
    ebp_code: str
    ebp_name: str
    ebc_code: str
    ebc_name: str
    goods_value: Decimal
    freight: Decimal
    discount: Decimal
    tax_total: Decimal
    actural_paid: Decimal
    buyer_reg_no: str
    buyer_name: str
    buyer_telephone: str
    buyer_id_number: str
    consignee: str
    consignee_telephone: str
    consignee_address: str
    items: Sequence[OrderItem]
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    order_type: str = "I"
    currency: str = "142"
    buyer_id_type: str = "1"
    pay_code: str | None = None
    pay_name: str | None = None
    pay_transaction_id: str | None = None
    batch_numbers: str | None = None
    consignee_district: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Payment:
    """CEB411 PaymentHead: the payment voucher (the XSD has no ``payType``)."""
    app_time: datetime
    pay_code: str
    pay_name: str
    pay_transaction_id: str
    order_no: str
    ebp_code: str
    ebp_name: str
    payer_id_number: str
    payer_name: str
    amount_paid: Decimal
    pay_time: datetime
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    payer_id_type: str = "1"
    telephone: str | None = None
    currency: str = "142"
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Logistics:
    """CEB511 LogisticsHead: the import waybill."""
    app_time: datetime
    logistics_code: str
    logistics_name: str
    logistics_no: str
    order_no: str
    weight: Decimal
    consignee: str
    consignee_address: str
    consignee_telephone: str
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    bill_no: str | None = None
    freight: Decimal | None = None
    insured_fee: Decimal | None = None
    currency: str = "142"
    pack_no: int = 1
    goods_info: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class InventoryItem:
    """CEB621 InventoryList. ``item_record_no`` (账册备案料号) is required for 1210."""
    gcode: str
    gname: str
    gmodel: str
    country: str
    qty: Decimal
    unit: str
    qty1: Decimal
    unit1: str
    price: Decimal
    total_price: Decimal
    gnum: int | None = None
    item_record_no: str | None = None
    item_no: str | None = None
    item_name: str | None = None
    bar_code: str | None = None
    trade_country: str | None = None
    currency: str = "142"
    qty2: Decimal | None = None
    unit2: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """CEB621 InventoryHead + InventoryList: the import list (清单) per parcel.

    Trade mode 1210 (bonded): ``ems_no``, ``area_code``, ``area_name`` required, ``country``
    142, ``traf_no``/``voyage_no``/``bill_no`` empty. 9610 (direct purchase): the reverse.
    """
    app_time: datetime
    order_no: str
    ebp_code: str
    ebp_name: str
    ebc_code: str
    ebc_name: str
    logistics_no: str
    logistics_code: str
    logistics_name: str
    assure_code: str
    decl_time: date | datetime
    customs_code: str
    port_code: str
    buyer_id_number: str
    buyer_name: str
    buyer_telephone: str
    consignee_address: str
    agent_code: str
    agent_name: str
    trade_mode: str
    traf_mode: str
    country: str
    freight: Decimal
    insured_fee: Decimal
    gross_weight: Decimal
    net_weight: Decimal
    items: Sequence[InventoryItem]
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    cop_no: str | None = None
    pre_no: str | None = None
    ems_no: str | None = None
    invt_no: str | None = None
    ie_flag: str = "I"
    ie_date: date | datetime | None = None
    buyer_id_type: str = "1"
    area_code: str | None = None
    area_name: str | None = None
    traf_no: str | None = None
    voyage_no: str | None = None
    bill_no: str | None = None
    loct_no: str | None = None
    license_no: str | None = None
    currency: str = "142"
    wrap_type: str | None = None
    pack_no: int = 1
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class InvtRefundItem:
    """CEB625 InvtRefundList. ``gnum`` is the item's number on the original list."""
    gnum: int
    gcode: str
    gname: str
    qty: Decimal
    unit: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class InvtRefund:
    """CEB625 InvtRefundHead + InvtRefundList: the return application (退货申请单)."""
    app_time: datetime
    customs_code: str
    order_no: str
    ebp_code: str
    ebp_name: str
    ebc_code: str
    ebc_name: str
    logistics_no: str
    logistics_code: str
    logistics_name: str
    invt_no: str
    buyer_id_number: str
    buyer_name: str
    buyer_telephone: str
    agent_code: str
    agent_name: str
    reason: str
    items: Sequence[InvtRefundItem]
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    cop_no: str | None = None
    pre_no: str | None = None
    buyer_id_type: str = "1"
    note: str | None = None
