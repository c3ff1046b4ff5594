"""The CEB message layout: the transfer block, the element specs (XSD order, rev. 202205)
of the business documents in ``ceb_import_docs`` and ``ceb_export_docs``, and
``build_element``, which writes the unsigned message tree.

Public names are re-exported by ``wms.customs.ceb``; see its docstring.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from lxml import etree

from .ceb_base import (CEB_NS, NSMAP, F, date8, dec, fixed, integer, is_blank, new_guid, o,
                       render, s, time14)
from .ceb_export_docs import ExportInventory, ExportLogistics, ExportOrder, SummaryApply
from .ceb_import_docs import Inventory, InvtRefund, Logistics, Order, Payment

MESSAGE_VERSION = "1.0"
MAX_RECORDS = 100  # business records (Order, Inventory ...) per message, per the XSD


# --- transfer and signature --------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class BaseTransfer:
    """The sender: ``copCode`` must be the enterprise the DXP client is registered for."""
    cop_code: str
    cop_name: str
    dxp_id: str
    dxp_mode: str = "DXP"
    note: str | None = None


class Signer(Protocol):
    """Adds the enterprise's ``ds:Signature`` (the hardware key); returns the signed XML."""

    def sign(self, xml: bytes) -> bytes: ...


class NoSigner:
    """The default: leaves the message unsigned (a signing client signs it later)."""

    def sign(self, xml: bytes) -> bytes:
        return xml


# --- the element specs, in XSD order -----------------------------------------------------

def _head(app_status_len: int = 3) -> tuple[F, ...]:
    status = s("appStatus", 3) if app_status_len == 3 else fixed("appStatus", 1)
    return (fixed("guid", 36), fixed("appType", 1), time14("appTime"), status)


BASE_TRANSFER_SPEC = (s("copCode", 18), s("copName", 100), fixed("dxpMode", 3),
                      s("dxpId", 30), o("note", 1000))

ORDER_HEAD = _head() + (
    fixed("orderType", 1), s("orderNo", 60), s("ebpCode", 18), s("ebpName", 100),
    s("ebcCode", 18), s("ebcName", 100), dec("goodsValue"), dec("freight"), dec("discount"),
    dec("taxTotal"), dec("acturalPaid"), fixed("currency", 3), s("buyerRegNo", 60),
    s("buyerName", 60), s("buyerTelephone", 30), fixed("buyerIdType", 1),
    s("buyerIdNumber", 60), o("payCode", 18), o("payName", 100), o("payTransactionId", 60),
    o("batchNumbers", 100), s("consignee", 100), s("consigneeTelephone", 50),
    s("consigneeAddress", 200), fixed("consigneeDistrict", 6, required=False),
    o("note", 1000))
ORDER_LIST = (
    integer("gnum"), o("itemNo", 30), s("itemName", 250), s("gmodel", 510),
    o("itemDescribe", 1000), o("barCode", 50), fixed("unit", 3), dec("qty"), dec("price"),
    dec("totalPrice"), fixed("currency", 3), fixed("country", 3), o("note", 1000))

PAYMENT_HEAD = _head() + (
    s("payCode", 18), s("payName", 100), s("payTransactionId", 60), s("orderNo", 60),
    s("ebpCode", 18), s("ebpName", 100), fixed("payerIdType", 1), s("payerIdNumber", 60),
    s("payerName", 60), o("telephone", 60), dec("amountPaid"), fixed("currency", 3),
    time14("payTime"), o("note", 1000))

LOGISTICS_HEAD = _head() + (
    s("logisticsCode", 18), s("logisticsName", 100), s("logisticsNo", 60), o("billNo", 37),
    s("orderNo", 60), dec("freight", required=False), dec("insuredFee", required=False),
    fixed("currency", 3), dec("weight"), integer("packNo"), o("goodsInfo", 200),
    s("consignee", 100), s("consigneeAddress", 200), s("consigneeTelephone", 50),
    o("note", 1000))

INVENTORY_HEAD = _head() + (
    s("orderNo", 60), s("ebpCode", 18), s("ebpName", 100), s("ebcCode", 18),
    s("ebcName", 100), s("logisticsNo", 60), s("logisticsCode", 18), s("logisticsName", 100),
    o("copNo", 20), o("preNo", 18), s("assureCode", 30), o("emsNo", 30), o("invtNo", 18),
    fixed("ieFlag", 1), date8("declTime"), fixed("customsCode", 4), fixed("portCode", 4),
    date8("ieDate", required=False), fixed("buyerIdType", 1), s("buyerIdNumber", 60),
    s("buyerName", 60), s("buyerTelephone", 30), s("consigneeAddress", 200),
    s("agentCode", 18), s("agentName", 100), o("areaCode", 18), o("areaName", 100),
    fixed("tradeMode", 4), fixed("trafMode", 1), o("trafNo", 100), o("voyageNo", 32),
    o("billNo", 37), o("loctNo", 10), o("licenseNo", 19), fixed("country", 3),
    dec("freight"), dec("insuredFee"), fixed("currency", 3),
    fixed("wrapType", 1, required=False), integer("packNo"), dec("grossWeight"),
    dec("netWeight"), o("note", 1000))
INVENTORY_LIST = (
    integer("gnum"), o("itemRecordNo", 30), o("itemNo", 20), o("itemName", 250),
    fixed("gcode", 10), s("gname", 250), s("gmodel", 510), o("barCode", 50),
    fixed("country", 3), o("tradeCountry", 3), fixed("currency", 3), dec("qty"),
    fixed("unit", 3), dec("qty1"), fixed("unit1", 3), dec("qty2", required=False),
    fixed("unit2", 3, required=False), dec("price"), dec("totalPrice"), o("note", 1000))

INVT_REFUND_HEAD = _head() + (
    fixed("customsCode", 4), s("orderNo", 60), s("ebpCode", 18), s("ebpName", 100),
    s("ebcCode", 18), s("ebcName", 100), s("logisticsNo", 60), s("logisticsCode", 18),
    s("logisticsName", 100), o("copNo", 20), o("preNo", 18), s("invtNo", 18),
    fixed("buyerIdType", 1), s("buyerIdNumber", 60), s("buyerName", 60),
    s("buyerTelephone", 30), s("agentCode", 18), s("agentName", 100), s("reason", 1000),
    o("note", 1000))
INVT_REFUND_LIST = (integer("gnum"), fixed("gcode", 10), s("gname", 250), dec("qty"),
                    fixed("unit", 3), o("note", 1000))

EXPORT_ORDER_HEAD = _head(1) + (
    fixed("orderType", 1), s("orderNo", 60), s("ebpCode", 18), s("ebpName", 100),
    s("ebcCode", 18), s("ebcName", 100), dec("goodsValue"), dec("freight"),
    fixed("currency", 3), o("note", 1000))
EXPORT_ORDER_LIST = (
    integer("gnum"), s("itemNo", 30), s("itemName", 250), o("itemDescribe", 1000),
    o("barCode", 50), fixed("unit", 3), fixed("currency", 3), dec("qty"), dec("price"),
    dec("totalPrice"), o("note", 1000))

EXPORT_LOGISTICS = _head(1) + (
    s("logisticsCode", 18), s("logisticsName", 100), s("logisticsNo", 32), dec("freight"),
    dec("insuredFee"), fixed("currency", 3), dec("grossWeight"), integer("packNo"),
    s("goodsInfo", 200), o("ebcCode", 18), o("ebcName", 100), o("ebcTelephone", 50),
    o("note", 1000))

EXPORT_INVENTORY_HEAD = _head(1) + (
    fixed("customsCode", 4), s("ebpCode", 18), s("ebpName", 100), s("orderNo", 60),
    s("logisticsCode", 18), s("logisticsName", 100), s("logisticsNo", 32), s("copNo", 30),
    fixed("preNo", 18, required=False), o("invtNo", 20), fixed("ieFlag", 1),
    fixed("portCode", 4), date8("ieDate"), fixed("statisticsFlag", 1), s("agentCode", 18),
    s("agentName", 100), s("ebcCode", 18), s("ebcName", 100), s("ownerCode", 18),
    s("ownerName", 100), o("iacCode", 18), o("iacName", 100), o("emsNo", 30),
    fixed("tradeMode", 4), fixed("trafMode", 1), o("trafName", 100), o("voyageNo", 32),
    o("billNo", 37), o("totalPackageNo", 37), o("loctNo", 10), o("licenseNo", 19),
    fixed("country", 3), F("POD", "str", True, max_len=4, min_len=3), dec("freight"),
    fixed("fCurrency", 3), fixed("fFlag", 1), dec("insuredFee"), fixed("iCurrency", 3),
    fixed("iFlag", 1), fixed("wrapType", 1), integer("packNo"), dec("grossWeight"),
    dec("netWeight"), o("note", 1000))
EXPORT_INVENTORY_LIST = (
    integer("gnum"), s("itemNo", 20), o("itemRecordNo", 30), o("itemName", 250),
    F("gcode", "hs", True, length=10), s("gname", 250), s("gmodel", 250), s("barCode", 50),
    fixed("country", 3), fixed("currency", 3), dec("qty"), dec("qty1"),
    dec("qty2", required=False), fixed("unit", 3), fixed("unit1", 3), o("unit2", 3),
    dec("price"), dec("totalPrice"), o("note", 1000))

SUMMARY_APPLY_HEAD = _head(1) + (
    fixed("customsCode", 4), s("copNo", 30), o("preNo", 18), o("sumNo", 18),
    s("agentCode", 18), s("agentName", 100), s("ebcCode", 18), s("ebcName", 100),
    s("declAgentCode", 18), s("declAgentName", 100), time14("startTime", required=False),
    time14("endTime", required=False), o("loctNo", 10), fixed("summaryFlag", 1),
    fixed("itemNameFlag", 1), integer("msgCount"), integer("msgSeqNo"), o("note", 1000))
SUMMARY_APPLY_LIST = (s("invtNo", 20),)


@dataclass(frozen=True)
class MessageType:
    """How one message type is laid out.

    ``record``: the element that holds one business record (``Order``, ``Inventory``...),
    ``head``/``head_spec``: its head block (for CEB505 the record itself is the head),
    ``list``/``list_spec``: its repeated item block, if any. ``signature_required``: the XSD
    requires ``ds:Signature`` (validate such unsigned messages block by block).
    """
    code: str
    side: str                       # "import" / "export"
    doc_class: type
    record: str
    head: str
    head_spec: tuple[F, ...]
    list: str | None = None
    list_spec: tuple[F, ...] = ()
    max_items: int = 99
    signature_required: bool = False
    title: str = ""

    @property
    def root(self) -> str:
        return f"{self.code}Message"


MESSAGE_TYPES: dict[str, MessageType] = {m.code: m for m in (
    MessageType("CEB311", "import", Order, "Order", "OrderHead", ORDER_HEAD, "OrderList",
                ORDER_LIST, title="import order"),
    MessageType("CEB411", "import", Payment, "Payment", "PaymentHead", PAYMENT_HEAD,
                title="payment voucher"),
    MessageType("CEB511", "import", Logistics, "Logistics", "LogisticsHead", LOGISTICS_HEAD,
                title="import waybill"),
    MessageType("CEB621", "import", Inventory, "Inventory", "InventoryHead", INVENTORY_HEAD,
                "InventoryList", INVENTORY_LIST, signature_required=True,
                title="import inventory list"),
    MessageType("CEB625", "import", InvtRefund, "InvtRefund", "InvtRefundHead",
                INVT_REFUND_HEAD, "InvtRefundList", INVT_REFUND_LIST, signature_required=True,
                title="import return application"),
    MessageType("CEB303", "export", ExportOrder, "Order", "OrderHead", EXPORT_ORDER_HEAD,
                "OrderList", EXPORT_ORDER_LIST, max_items=100, title="export order"),
    MessageType("CEB505", "export", ExportLogistics, "Logistics", "Logistics",
                EXPORT_LOGISTICS, title="export waybill"),
    MessageType("CEB603", "export", ExportInventory, "Inventory", "InventoryHead",
                EXPORT_INVENTORY_HEAD, "InventoryList", EXPORT_INVENTORY_LIST, max_items=100,
                title="export inventory list"),
    MessageType("CEB701", "export", SummaryApply, "SummaryApply", "SummaryApplyHead",
                SUMMARY_APPLY_HEAD, "SummaryApplyList", SUMMARY_APPLY_LIST,
                max_items=1_000_000, title="export summary application"),
)}
MESSAGE_TYPE_BY_CLASS: dict[type, MessageType] = {m.doc_class: m for m in
                                                  MESSAGE_TYPES.values()}

# fields of the dataclasses that are not elements
NON_ELEMENT_FIELDS = {"items", "invt_nos", "simplified_eligible"}


def message_type_of(doc: Any) -> MessageType:
    try:
        return MESSAGE_TYPE_BY_CLASS[type(doc)]
    except KeyError:
        raise TypeError(f"not a CEB business document: {type(doc).__name__}") from None


# --- building ----------------------------------------------------------------------------

def _q(name: str) -> str:
    return f"{{{CEB_NS}}}{name}"


def _item_value(item: Any, spec: F, position: int) -> Any:
    if isinstance(item, str):  # SummaryApplyList: the list number itself
        return item
    value = getattr(item, spec.attr)
    if spec.elem == "gnum" and value is None:
        return position
    return value


def _block(parent: etree._Element, name: str, specs: Sequence[F], obj: Any,
           position: int = 0) -> etree._Element:
    block = etree.SubElement(parent, _q(name))
    for spec in specs:
        value = _item_value(obj, spec, position)
        if is_blank(value):
            if not spec.required:
                continue  # optional and empty: left out
            value = ""    # required and empty: written empty, the XSD check names it
        else:
            value = render(spec, value)
        etree.SubElement(block, _q(spec.elem)).text = value
    return block


def build_element(docs: Any | Sequence[Any], transfer: BaseTransfer, *,
                  message_guid: str | None = None) -> etree._Element:
    """The unsigned message as an lxml element (``build`` without checks or signing)."""
    records = list(docs) if isinstance(docs, (list, tuple)) else [docs]
    if not records:
        raise ValueError("no business document to build")
    mtype = message_type_of(records[0])
    if any(type(r) is not mtype.doc_class for r in records):
        raise TypeError(f"a {mtype.code} message holds {mtype.doc_class.__name__} records only")
    if len(records) > MAX_RECORDS:
        raise ValueError(f"at most {MAX_RECORDS} records per message")
    guid = message_guid or (records[0].guid if len(records) == 1 else new_guid())
    root = etree.Element(_q(mtype.root), nsmap=NSMAP)
    root.set("guid", guid)
    root.set("version", MESSAGE_VERSION)
    for doc in records:
        if mtype.head == mtype.record:     # CEB505: the record is its own head
            _block(root, mtype.record, mtype.head_spec, doc)
            continue
        record = etree.SubElement(root, _q(mtype.record))
        _block(record, mtype.head, mtype.head_spec, doc)
        if mtype.list:
            for position, item in enumerate(doc.items, start=1):
                _block(record, mtype.list, mtype.list_spec, item, position)
    _block(root, "BaseTransfer", BASE_TRANSFER_SPEC, transfer)
    return root


XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def to_bytes(root: etree._Element) -> bytes:
    """UTF-8 bytes with the usual double-quoted declaration; lxml escapes & < > in text."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def doc_fields(cls: type) -> list[str]:
    """The dataclass fields of a document class that are written as elements."""
    return [f.name for f in fields(cls) if f.name not in NON_ELEMENT_FIELDS]
