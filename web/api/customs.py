"""The customs message outbox over the API: list, read the XML, import receipts, and the
export summary application (CEB701).

Every message for customs is a row of the outbox; receipts (CEB312, 412, 512, 622, 304,
506, 604, 702 and the CEB900 format error) are imported as the XML customs sent and move
the messages and, for lists, the orders: 800 releases an order for shipping, 500 holds it
for inspection, 100 rejects it with customs' reason. A receipt for a guid that was never
sent is refused (404) and nothing of the file is applied.
"""
from __future__ import annotations

from flask import Response, jsonify, request, url_for
from sqlalchemy.orm import Session

from wms.core.errors import N_, ValidationError
from wms.customs.models import MESSAGE_STATES, CustomsMessage
from wms.customs.outbox import get_message, messages_query
from wms.customs.inbox import apply_receipt_file
from wms.outbound.summary import build_summary, parse_day

from ..db import db
from ..idempotency import write
from ..settings import settings
from .core import operation, page_of
from .schema import Field, Schema

PAGING = (("page", "integer", "page number, from 1"),
          ("per_page", "integer", "rows per page, at most 500"))
CLERKS = ("customs_clerk", "supervisor")

RECEIPT_OUT = Schema("CustomsReceipt", (
    Field("return_status", "string", True, "customs' returnStatus: 800 released, 500 "
          "inspection, 100 rejected, 120 entered... negative: format error"),
    Field("return_info", "string", True, nullable=True),
    Field("return_time", "string", True, nullable=True),
    Field("received_at", "string", True),
), "A receipt customs sent for a message.")
MESSAGE = Schema("CustomsMessage", (
    Field("guid", "string", True),
    Field("type", "string", True, "CEB311, CEB411, CEB511, CEB621, CEB303, CEB505, CEB603, "
          "CEB701..."),
    Field("state", "string", True, enum=MESSAGE_STATES),
    Field("business_key", "string", True, "order number, list or summary copNo"),
    Field("owner", "string", True, "owner's customs code", nullable=True),
    Field("sent_at", "string", True, nullable=True),
    Field("return_status", "string", True, nullable=True),
    Field("return_info", "string", True, nullable=True),
    Field("xml_url", "string", True),
    Field("receipts", "array", True, items=RECEIPT_OUT),
), "A message in the customs outbox.")
APPLIED = Schema("AppliedReceipts", (
    Field("messages", "array", True, items=MESSAGE),
), "The messages the receipts answered, as they stand now.")
SUMMARY_IN = Schema("SummaryInput", (
    Field("owner", "string", True, "the e-commerce enterprise's customs code", max_length=10),
    Field("date_from", "string", True, "YYYY-MM-DD, lists released from this day (Beijing)",
          max_length=10),
    Field("date_to", "string", True, "YYYY-MM-DD, to this day included", max_length=10),
    Field("invt_nos", "array", description="only these list numbers (default: every "
          "released 9610 list of the owner in the period not yet summed up)", items="string"),
    Field("idempotency_key", "string", max_length=80),
), "The export summary application to build.")
SUMMARY_OUT = Schema("SummaryApplication", (
    Field("guid", "string", True),
    Field("type", "string", True, "CEB701"),
    Field("state", "string", True, enum=MESSAGE_STATES),
    Field("cop_no", "string", True),
    Field("invt_nos", "array", True, items="string"),
    Field("orders", "array", True, "the orders (cop_no of each list)", items="string"),
    Field("xml_url", "string", True),
), "A CEB701 summary application queued in the outbox.")


def message_json(m: CustomsMessage) -> dict:
    return {
        "guid": m.guid, "type": m.message_type, "state": m.state,
        "business_key": m.business_key,
        "owner": _owner_code(m), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        "return_status": m.return_status, "return_info": m.return_info,
        "xml_url": url_for("api.customs_message_xml", guid=m.guid),
        "receipts": [{"return_status": r.return_status, "return_info": r.return_info,
                      "return_time": r.return_time.isoformat() if r.return_time else None,
                      "received_at": r.received_at.isoformat()} for r in m.receipts],
    }


def _owner_code(m: CustomsMessage) -> str | None:
    if m.owner_id is None:
        return None
    from wms.partners.models import Enterprise
    from sqlalchemy.orm import object_session
    owner = (object_session(m) or db()).get(Enterprise, m.owner_id)
    return owner.customs_code if owner else None


@operation("/customs/messages", summary="List the customs message outbox", tag="customs",
           response=MESSAGE, many=True,
           query=(("type", "string", "message type, e.g. CEB621"),
                  ("state", "string", "draft, sent, accepted, released, held, rejected, "
                   "failed"), *PAGING))
def customs_messages():
    """Newest first; owner tokens see their own owner's messages only."""
    state = request.args.get("state") or None
    if state and state not in MESSAGE_STATES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="state",
                              values=", ".join(MESSAGE_STATES))
    message_type = (request.args.get("type") or "").strip().upper() or None
    return jsonify(page_of(messages_query(message_type, state), message_json))


@operation("/customs/messages/<guid>.xml", summary="One message's XML as queued",
           tag="customs", produces=("application/xml",))
def customs_message_xml(guid: str):
    message = get_message(db(), guid)
    return Response(message.xml.encode("utf-8"),
                    headers={"Content-Type": "application/xml; charset=utf-8"})


@operation("/customs/receipts", "POST", summary="Import customs receipts", tag="customs",
           response=APPLIED, status=201, roles=CLERKS, body_spec={
               "type": "string", "description": "The receipt XML exactly as customs sent it "
               "(CEB312, 412, 512, 622, 304, 506, 604, 702 or CEB900; send it with "
               "Content-Type application/xml; shown here as a string)"})
def customs_receipts():
    """Every receipt of the file applies, or none: a receipt for an unknown guid answers
    404 (field ``guid``) and nothing changes. On an inventory list 800 releases the order,
    500 holds it for inspection, 100 rejects it with the reason kept on the order."""
    content = request.get_data()
    if not content.strip():
        raise ValidationError(N_("Send the receipt XML as the request body"), field="xml")

    def use_case(session: Session):
        touched = apply_receipt_file(session, content)
        session.flush()
        seen, unique = set(), []
        for m in touched:
            if m.id not in seen:
                seen.add(m.id)
                unique.append(m)
        return 201, {"messages": [message_json(m) for m in unique]}
    return write(content.decode("utf-8", "replace"), use_case)


@operation("/customs/summary", "POST", summary="Build the export summary application "
           "(CEB701)", tag="customs", body=SUMMARY_IN, response=SUMMARY_OUT, status=201,
           roles=CLERKS)
def customs_summary(payload: dict):
    """Over the owner's B2C export (9610) lists customs released in the period: built from
    the lists, checked (and validated against the official XSD when configured), queued in
    the outbox. A list already in a summary is refused (409, ``invt_nos[i]``)."""
    date_from = parse_day(payload["date_from"], "date_from")
    date_to = parse_day(payload["date_to"], "date_to")
    config = settings()

    def use_case(session: Session):
        result = build_summary(session, owner_code=payload["owner"], date_from=date_from,
                               date_to=date_to, invt_nos=payload.get("invt_nos") or None,
                               settings=config)
        return 201, {"guid": result.message.guid, "type": "CEB701",
                     "state": result.message.state, "cop_no": result.doc.cop_no,
                     "invt_nos": list(result.doc.invt_nos),
                     "orders": [c.listing.name for c in result.lists],
                     "xml_url": url_for("api.customs_message_xml",
                                        guid=result.message.guid)}
    return write(payload, use_case)
