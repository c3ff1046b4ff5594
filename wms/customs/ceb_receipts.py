"""Receipts from customs (回执): CEB312, 412, 512, 622, 626 (import), 304, 506, 604, 702
(export) and CEB900 (the message could not be read: format error, no business status).

Receipts use the CEB namespace as default namespace without prefix (the export ones are
also seen with the ``ceb:`` prefix; both are read). One receipt message may hold up to 100
returns; ``parse_receipts`` gives one ``CebReceipt`` for each.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from lxml import etree

from wms.core.errors import N_, ValidationError

from .ceb_base import CEB_NS, local_name, parse_return_time, parse_xml

# receipt message -> its return element
RECEIPT_TYPES: dict[str, str] = {
    "CEB312": "OrderReturn", "CEB412": "PaymentReturn", "CEB512": "LogisticsReturn",
    "CEB622": "InventoryReturn", "CEB626": "InvtRefundReturn",
    "CEB304": "OrderReturn", "CEB506": "LogisticsReturn", "CEB604": "InventoryReturn",
    "CEB702": "SummaryReturn",
    "CEB900": "MessageReturn",
}
# the message each receipt answers
ANSWERS: dict[str, str] = {"CEB312": "CEB311", "CEB412": "CEB411", "CEB512": "CEB511",
                           "CEB622": "CEB621", "CEB626": "CEB625", "CEB304": "CEB303",
                           "CEB506": "CEB505", "CEB604": "CEB603", "CEB702": "CEB701"}
FORMAT_ERROR = "CEB900"

# business key elements -> CebReceipt attribute
KEY_FIELDS = {"orderNo": "order_no", "copNo": "cop_no", "preNo": "pre_no", "invtNo": "invt_no",
              "logisticsNo": "logistics_no", "logisticsCode": "logistics_code",
              "payCode": "pay_code", "payTransactionId": "pay_transaction_id",
              "ebpCode": "ebp_code", "ebcCode": "ebc_code", "agentCode": "agent_code",
              "customsCode": "customs_code", "sumNo": "sum_no",
              "statisticsFlag": "statistics_flag", "msgSeqNo": "msg_seq_no"}


@dataclass(frozen=True, kw_only=True)
class CebReceipt:
    """One return of a receipt message.

    ``guid``: the guid of the business record answered (as sent in its head; for CEB900
    the guid of the message that could not be read). ``return_status`` as sent (a string:
    "120", "800", "-301010" ...; see ``STATE_BY_STATUS`` in ``outbox``); ``return_time``
    aware, Beijing time. ``format_error``: a CEB900 (the message was not readable; it
    carries no business status, customs sends a negative one). ``fields``: every element
    of the return, as text.
    """
    message_type: str
    guid: str
    return_status: str
    return_time: datetime
    return_info: str
    message_guid: str | None = None
    answers: str | None = None          # the message type answered, e.g. CEB311
    order_no: str | None = None
    cop_no: str | None = None
    pre_no: str | None = None
    invt_no: str | None = None
    logistics_no: str | None = None
    logistics_code: str | None = None
    pay_code: str | None = None
    pay_transaction_id: str | None = None
    ebp_code: str | None = None
    ebc_code: str | None = None
    agent_code: str | None = None
    customs_code: str | None = None
    sum_no: str | None = None
    statistics_flag: str | None = None
    msg_seq_no: str | None = None
    format_error: bool = False
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def failed(self) -> bool:
        """A format error or a negative status (处理异常)."""
        return self.format_error or self.return_status.startswith("-")

    @property
    def business_key(self) -> str | None:
        for value in (self.invt_no, self.pre_no, self.cop_no, self.order_no,
                      self.logistics_no, self.pay_transaction_id, self.sum_no):
            if value:
                return value
        return None


def _bad(message: str, field_: str = "xml", **params) -> ValidationError:
    return ValidationError(message, field=field_, error_code="ceb_receipt", **params)


def parse_receipts(xml: bytes) -> list[CebReceipt]:
    """The returns of a CEB receipt message, in document order.

    Malformed XML, a DOCTYPE, a root that is not a known receipt: ``ValidationError``
    naming ``xml``; a return without guid, status or a readable time: ``ValidationError``
    naming that element (``OrderReturn[2].returnTime``).
    """
    root = parse_xml(xml)
    qname = etree.QName(root)
    name = qname.localname
    code = name[:-len("Message")] if name.endswith("Message") else name
    if qname.namespace not in (CEB_NS, None) or code not in RECEIPT_TYPES:
        raise _bad(N_("%(root)s is not a CEB receipt"), root=name)
    return_name = RECEIPT_TYPES[code]
    returns = [c for c in root if isinstance(c.tag, str) and local_name(c) == return_name]
    if not returns:
        raise _bad(N_("%(root)s holds no %(element)s"), root=name, element=return_name)
    receipts = []
    for index, element in enumerate(returns, start=1):
        path = f"{return_name}[{index}]"
        values: dict[str, str] = {}
        for child in element:
            if isinstance(child.tag, str):
                values[local_name(child)] = (child.text or "").strip()
        for required in ("guid", "returnStatus", "returnTime"):
            if not values.get(required):
                raise _bad(N_("%(field)s is missing"), f"{path}.{required}", field=required)
        try:
            returned = parse_return_time(values["returnTime"])
        except ValidationError as exc:
            raise _bad(exc.template, f"{path}.returnTime", **exc.params) from None
        keys = {attr: values[elem] or None for elem, attr in KEY_FIELDS.items()
                if elem in values}
        answers = ANSWERS.get(code)
        if code == FORMAT_ERROR:
            original = values.get("oriMessageType") or ""
            answers = original[:-len("Message")] if original.endswith("Message") else None
        receipts.append(CebReceipt(
            message_type=code, guid=values["guid"], return_status=values["returnStatus"],
            return_time=returned, return_info=values.get("returnInfo", ""),
            message_guid=root.get("guid"), answers=answers,
            format_error=code == FORMAT_ERROR, fields=MappingProxyType(values), **keys))
    return receipts
