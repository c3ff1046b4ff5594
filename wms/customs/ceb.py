"""China customs cross-border e-commerce messages (CEB, rev. 202205): builders and parsers.

Pure functions over frozen dataclasses, no database, so the order and return services can
call them. One dataclass per business record; its snake_case attributes map to the camelCase
elements (``acturalPaid`` -> ``actural_paid``, ``POD`` -> ``pod``), its ``items`` to the list
blocks. ``build`` writes a ``ceb:CEBnnnMessage``: the business blocks in the XSD's order,
then ``ceb:BaseTransfer``; a ``Signer`` may add the ``ds:Signature`` afterwards (the
enterprise's hardware key does; the default signer does nothing).

Import side (retail import, 1210 bonded / 9610 direct purchase):
  CEB311 ``Order``, CEB411 ``Payment``, CEB511 ``Logistics``, CEB621 ``Inventory``,
  CEB625 ``InvtRefund`` (return application).
Export side (B2C export 9610, B2B 9710/9810):
  CEB303 ``ExportOrder``, CEB505 ``ExportLogistics``, CEB603 ``ExportInventory``,
  CEB701 ``SummaryApply`` (汇总申请单).
Receipts (CEB312/412/512/622/626, 304/506/604/702, 900): ``parse_receipts``.

Amounts are ``Decimal`` (int and str are accepted too) and are written without trailing
zeros; times are aware datetimes written in Beijing time. Element paths in errors and
problems look like ``InventoryList[2].gcode``, list indexes counting from 1 like ``gnum``.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .ceb_base import (BEIJING, CebValidationError, Problem, new_guid, parse_return_time,
                       problems_error)
from .ceb_export_docs import (ExportInventory, ExportInventoryItem, ExportLogistics,
                              ExportOrder, ExportOrderItem, SummaryApply)
from .ceb_import_docs import (Inventory, InventoryItem, InvtRefund, InvtRefundItem, Logistics,
                              Order, OrderItem, Payment)
from .ceb_model import (MESSAGE_TYPE_BY_CLASS, MESSAGE_TYPES, BaseTransfer, MessageType,
                        NoSigner, Signer, build_element, doc_fields, message_type_of, to_bytes)
from .ceb_receipts import CebReceipt, parse_receipts
from .ceb_rules import (check_business_rules, check_guid, check_three_documents,
                        check_transfer)
from .ceb_xsd import validate_against_xsd

XSD_DIR_ENV = "WMS_CEB_XSD_DIR"


def build(docs: Any | Sequence[Any], transfer: BaseTransfer, signer: Signer | None = None, *,
          message_guid: str | None = None, check: bool = True,
          xsd_dir: str | Path | None = None) -> bytes:
    """The CEB message for one business document (or a list of up to 100 of one type),
    as UTF-8 bytes, signed by ``signer`` (default: unsigned).

    The message type follows the dataclass (``MESSAGE_TYPE_BY_CLASS``). The root ``guid``
    is the record's own guid for a single record (receipts quote that guid), else a new one.
    ``check``: run ``check_business_rules`` (and the transfer's) first and raise
    ``CebValidationError`` on the first problem (all are in ``.errors``). ``xsd_dir``: also
    validate against the official schema in that folder (``wms.settings.Settings.ceb_xsd_dir``).
    """
    records = list(docs) if isinstance(docs, (list, tuple)) else [docs]
    if check:
        problems = check_transfer(transfer)
        if message_guid is not None:
            problems += check_guid(message_guid, "guid")
        for index, doc in enumerate(records, start=1):
            found = check_business_rules(doc)
            if len(records) > 1:
                record = message_type_of(doc).record
                found = [Problem(f"{record}[{index}].{p.field}", p.code, p.template, p.params)
                         for p in found]
            problems += found
        if problems:
            raise problems_error(problems)
    xml = to_bytes(build_element(records, transfer, message_guid=message_guid))
    xml = (signer or NoSigner()).sign(xml)
    if xsd_dir is not None:
        validate_against_xsd(xml, xsd_dir)
    return xml


_KEY_ATTRS = ("cop_no", "order_no", "pay_transaction_id", "logistics_no")


def business_key(doc: Any) -> str:
    """The key a message is filed under in the outbox (``CustomsMessage.business_key``):
    the enterprise's own number (``copNo``) for lists, return and summary applications,
    else the order number, the payment's transaction id, the waybill number."""
    mtype = message_type_of(doc)
    order = {"CEB411": ("pay_transaction_id",), "CEB511": ("logistics_no",),
             "CEB505": ("logistics_no",)}.get(mtype.code, _KEY_ATTRS)
    for attr in order:
        value = getattr(doc, attr, None)
        if value:
            return str(value)[:60]
    return doc.guid


__all__ = [
    "BaseTransfer", "Signer", "NoSigner", "Order", "OrderItem", "Payment", "Logistics",
    "Inventory", "InventoryItem", "InvtRefund", "InvtRefundItem", "ExportOrder",
    "ExportOrderItem", "ExportLogistics", "ExportInventory", "ExportInventoryItem",
    "SummaryApply", "MessageType", "MESSAGE_TYPES", "MESSAGE_TYPE_BY_CLASS", "XSD_DIR_ENV",
    "build", "build_element", "business_key", "to_bytes", "message_type_of", "doc_fields",
    "validate_against_xsd", "check_business_rules", "check_three_documents", "parse_receipts",
    "parse_return_time", "CebReceipt", "CebValidationError", "Problem", "new_guid", "BEIJING",
]
