"""The export-side CEB business documents (9610/9710/9810): order, waybill, inventory list
and the summary application, as frozen dataclasses."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .ceb_base import new_guid


# --- export side -------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ExportOrderItem:
    """CEB303 OrderList."""
    item_no: str
    item_name: str
    unit: str
    qty: Decimal
    price: Decimal
    total_price: Decimal
    gnum: int | None = None
    item_describe: str | None = None
    bar_code: str | None = None
    currency: str = "142"
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExportOrder:
    """CEB303 OrderHead + OrderList. ``order_type`` E B2C export, B B2B export, W 外综服."""
    app_time: datetime
    order_no: str
    ebp_code: str
    ebp_name: str
    ebc_code: str
    ebc_name: str
    goods_value: Decimal
    freight: Decimal
    items: Sequence[ExportOrderItem]
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    order_type: str = "E"
    currency: str = "142"
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExportLogistics:
    """CEB505 Logistics: the export waybill (the fields sit directly in ``Logistics``)."""
    app_time: datetime
    logistics_code: str
    logistics_name: str
    logistics_no: str
    freight: Decimal
    insured_fee: Decimal
    gross_weight: Decimal
    goods_info: str
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    currency: str = "142"
    pack_no: int = 1
    ebc_code: str | None = None
    ebc_name: str | None = None
    ebc_telephone: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExportInventoryItem:
    """CEB603 InventoryList.

    ``gcode``: 10 digits; or 4 digits (9610, statistics flag A) / 6 digits (9710, 9810)
    when ``simplified_eligible`` (the goods need no export tax, tax refund or licence) and
    the item is worth at most 5,000 RMB; a short code is written padded with zeros to 10.
    """
    item_no: str
    gcode: str
    gname: str
    gmodel: str
    country: str
    qty: Decimal
    qty1: Decimal
    unit: str
    unit1: str
    price: Decimal
    total_price: Decimal
    gnum: int | None = None
    item_record_no: str | None = None
    item_name: str | None = None
    bar_code: str = "无"
    currency: str = "142"
    qty2: Decimal | None = None
    unit2: str | None = None
    note: str | None = None
    simplified_eligible: bool = False   # not sent: no export tax, refund or licence


@dataclass(frozen=True, kw_only=True)
class ExportInventory:
    """CEB603 InventoryHead + InventoryList: the export list. ``statistics_flag`` A
    simplified declaration, B summary declaration; ``country`` destination, ``pod`` port of
    destination."""
    app_time: datetime
    customs_code: str
    ebp_code: str
    ebp_name: str
    order_no: str
    logistics_code: str
    logistics_name: str
    logistics_no: str
    cop_no: str
    port_code: str
    ie_date: date | datetime
    statistics_flag: str
    agent_code: str
    agent_name: str
    ebc_code: str
    ebc_name: str
    owner_code: str
    owner_name: str
    trade_mode: str
    traf_mode: str
    country: str
    pod: str
    freight: Decimal
    insured_fee: Decimal
    wrap_type: str
    gross_weight: Decimal
    net_weight: Decimal
    items: Sequence[ExportInventoryItem]
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    pre_no: str | None = None
    invt_no: str | None = None
    ie_flag: str = "E"
    iac_code: str | None = None
    iac_name: str | None = None
    ems_no: str | None = None
    traf_name: str | None = None
    voyage_no: str | None = None
    bill_no: str | None = None
    total_package_no: str | None = None
    loct_no: str | None = None
    license_no: str | None = None
    f_currency: str = "142"
    f_flag: str = "3"
    i_currency: str = "142"
    i_flag: str = "3"
    pack_no: int = 1
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class SummaryApply:
    """CEB701 SummaryApplyHead + SummaryApplyList: the export summary application
    (汇总申请单) over released B2C export lists, by list number or by time range."""
    app_time: datetime
    customs_code: str
    cop_no: str
    agent_code: str
    agent_name: str
    ebc_code: str
    ebc_name: str
    decl_agent_code: str
    decl_agent_name: str
    invt_nos: Sequence[str] = ()
    guid: str = field(default_factory=new_guid)
    app_type: str = "1"
    app_status: str = "2"
    pre_no: str | None = None
    sum_no: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    loct_no: str | None = None
    summary_flag: str = "1"
    item_name_flag: str = "1"
    msg_count: int = 1
    msg_seq_no: int = 1
    note: str | None = None

    @property
    def items(self) -> Sequence[str]:
        return self.invt_nos
