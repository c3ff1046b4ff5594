"""A stand-in for customs' answers, for the demo data and for tests.

Customs' network cannot be reached from here, so the demo and the tests need receipts that
look like customs' own: the receipt message that answers a message in the outbox, in the
default CEB namespace, carrying the business keys of the original and the status given.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from wms.core.db import utcnow

from .ceb_base import CEB_NS
from .ceb_receipts import ANSWERS, RECEIPT_TYPES
from .models import CustomsMessage

RECEIPT_OF = {sent: receipt for receipt, sent in ANSWERS.items()}
KEYS = ("ebpCode", "ebcCode", "orderNo", "payCode", "payTransactionId", "logisticsCode",
        "logisticsNo", "agentCode", "copNo", "customsCode")


def receipt_for(message: CustomsMessage, status: str, info: str = "",
                when: datetime | None = None, invt_no: str | None = None) -> bytes:
    """The receipt customs would send for ``message`` with ``status`` (e.g. 800)."""
    receipt_type = RECEIPT_OF[message.message_type]
    original = etree.fromstring(message.xml.encode())
    root = etree.Element(f"{{{CEB_NS}}}{receipt_type}Message", nsmap={None: CEB_NS},
                         guid=message.guid, version="1.0")
    answer = etree.SubElement(root, f"{{{CEB_NS}}}{RECEIPT_TYPES[receipt_type]}")

    def add(name: str, value: str | None) -> None:
        if value:
            etree.SubElement(answer, f"{{{CEB_NS}}}{name}").text = value
    add("guid", message.guid)
    for key in KEYS:
        add(key, original.findtext(f".//{{{CEB_NS}}}{key}"))
    if receipt_type in ("CEB622", "CEB604"):
        add("preNo", "B" + message.guid.replace("-", "")[:17])
        add("invtNo", invt_no or original.findtext(f".//{{{CEB_NS}}}customsCode", "") +
            message.guid.replace("-", "")[:14])
    add("returnStatus", status)
    stamp = (when or utcnow()).astimezone(ZoneInfo("Asia/Shanghai"))
    add("returnTime", stamp.strftime("%Y%m%d%H%M%S") + f"{stamp.microsecond // 1000:03d}")
    add("returnInfo", info or status)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
