"""Returns over the API: platforms send return requests; the returns centre's systems scan
parcels, declare, grade and dispose.

Writes go through ``web.idempotency.write``: the same ``Idempotency-Key`` replayed answers the
same and changes nothing. A request that repeats the platform's return number answers with
the stored request too. A return whose documents disagree answers 422 with ``problems``:
``[{"document", "field", "detail"}]``, naming the order, inventory list, waybill or return.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext
from sqlalchemy.orm import Session

from wms.core.errors import N_, ValidationError
from wms.returns import declaration, dispositions, inspection, queries, receiving
from wms.returns import requests as return_requests
from wms.returns.messages import read_message
from wms.returns.models import (BUYER_CHOICES, DISPOSITION_STATES, DISPOSITIONS, GRADES,
                                PARCEL_STATES, REQUEST_STATES, ReturnParcel, ReturnRequest)

from ..db import db
from ..settings import settings
from ..errors import error_response, translate_error
from ..idempotency import write
from .core import operation, paging
from .schema import Field, Schema

CLERKS = ("returns_clerk", "supervisor")
PAGING = (("page", "integer", "page number, from 1"),
          ("per_page", "integer", "rows per page, at most 500"))
IDEMPOTENCY = Field("idempotency_key", "string", description="Same as the Idempotency-Key "
                    "header, for clients that cannot set headers", max_length=80)

LINE_IN = Schema("ReturnLineInput", (
    Field("gnum", "integer", description="item number on the order and its list"),
    Field("product", "string", description="SKU or GTIN, instead of gnum", max_length=60),
    Field("qty", "number", True, "whole number above zero, at most what was sold and not "
          "returned yet"),
), "One item coming back.")
RETURN_IN = Schema("ReturnInput", (
    Field("order", "string", True, "the platform's order number (or the order's name)",
          max_length=60),
    Field("reason", "string", True, max_length=200),
    Field("buyer_choice", "string", description="refund (default) or exchange",
          enum=BUYER_CHOICES),
    Field("platform_return_no", "string", description="your return number; sending it again "
          "answers with the stored return", max_length=60, nullable=True),
    Field("return_waybill_no", "string", description="waybill of the parcel coming back",
          max_length=60, nullable=True),
    Field("requested_at", "string", description="ISO 8601 with a time zone; now if left out",
          max_length=40, nullable=True),
    Field("note", "string", max_length=2000, nullable=True),
    Field("lines", "array", description="the items; the whole order when left out",
          items=LINE_IN),
    IDEMPOTENCY,
), "A return request.")
LINE_OUT = Schema("ReturnLine", (
    Field("gnum", "integer", True), Field("sku", "string", True),
    Field("qty", "string", True),
    Field("grade", "string", True, enum=GRADES, nullable=True),
    Field("grade_reason", "string", True, nullable=True),
    Field("disposition", "string", True, enum=DISPOSITIONS, nullable=True),
    Field("disposition_state", "string", True, enum=DISPOSITION_STATES),
    Field("disposition_reason", "string", True, nullable=True),
    Field("exchange_order", "string", True, "order number of the replacement",
          nullable=True),
), "An item of a return.")
RETURN = Schema("Return", (
    Field("id", "integer", True), Field("name", "string", True, "e.g. LZB/RMA/2026/00001"),
    Field("state", "string", True, enum=REQUEST_STATES),
    Field("order", "string", True), Field("owner", "string", True),
    Field("platform_return_no", "string", True, nullable=True),
    Field("return_waybill_no", "string", True, nullable=True),
    Field("reason", "string", True), Field("buyer_choice", "string", True, enum=BUYER_CHOICES),
    Field("requested_at", "string", True), Field("apply_by", "string", True, nullable=True),
    Field("arrive_by", "string", True, nullable=True),
    Field("received_at", "string", True, nullable=True),
    Field("late", "boolean", True, "past a deadline: non-bonded handling only"),
    Field("late_reason", "string", True, "why it is late, in words", nullable=True),
    Field("late_code", "string", True, "applied_late or arrived_late", nullable=True),
    Field("refund_amount", "string", True, "given back to the buyer's annual quota once "
          "customs approves"),
    Field("declaration", "string", True, "sent, approved or rejected; null before",
          nullable=True),
    Field("lines", "array", True, items=LINE_OUT),
), "A return request and where it stands.")
PARCEL_SCAN = Schema("ReturnParcelScan", (
    Field("code", "string", description="waybill, S10 or return number as scanned",
          max_length=60, nullable=True),
    Field("notes", "string", description="for an unlabelled parcel: what it looks like",
          max_length=2000, nullable=True),
), "A parcel as scanned at the returns centre.")
PARCELS_IN = Schema("ReturnParcelsInput", (
    Field("parcels", "array", True, "the parcels, in the order they were scanned (at most "
          "5,000)", items=PARCEL_SCAN),
    Field("warehouse", "string", description="warehouse code, LZB by default", max_length=10),
    IDEMPOTENCY,
), "Parcels received at the returns centre into its open consolidation batch.")
PARCEL = Schema("ReturnParcel", (
    Field("id", "integer", True), Field("code", "string", True, nullable=True),
    Field("state", "string", True, enum=PARCEL_STATES),
    Field("batch", "string", True), Field("return", "string", True, nullable=True),
    Field("matched_by", "string", True, nullable=True),
    Field("duplicate", "boolean", True, "scanned before: nothing was added"),
    Field("notes", "string", True, nullable=True),
), "A parcel and the return it was matched to.")
PARCELS = Schema("ReturnParcelsReceived", (
    Field("batch", "string", True, "the open consolidation batch they are in"),
    Field("created", "integer", True), Field("duplicates", "integer", True),
    Field("parcels", "array", True, "one per parcel sent, in the same order", items=PARCEL),
), "What became of each parcel.")
MATCH_IN = Schema("ReturnMatchInput", (
    Field("return", "string", True, "return number, platform return number or order number",
          max_length=60), IDEMPOTENCY), "Match an unidentified parcel.")
BATCH = Schema("ReturnBatch", (
    Field("name", "string", True), Field("state", "string", True),
    Field("parcels", "integer", True), Field("unidentified", "integer", True),
    Field("document", "string", True, "the stock document of the arrival", nullable=True),
), "A consolidation batch.")
GRADE_IN = Schema("ReturnGradeInput", (
    Field("grade", "string", True, enum=GRADES),
    Field("reason", "string", description="required unless new", max_length=200,
          nullable=True), IDEMPOTENCY), "Inspection result of one item.")
DISPOSITION_IN = Schema("ReturnDispositionInput", (
    Field("disposition", "string", True, enum=DISPOSITIONS),
    Field("reason", "string", max_length=300, nullable=True),
    Field("product", "string", description="exchange: SKU of the replacement, the same "
          "product by default", max_length=60, nullable=True), IDEMPOTENCY),
    "Where one graded item goes.")
DISPOSITION_LINE = Schema("ReturnDispositionLine", (
    Field("return", "string", True, "return number (slashes or hyphens), id or platform "
          "return number", max_length=60),
    Field("gnum", "integer", True),
    Field("disposition", "string", True, enum=DISPOSITIONS),
    Field("reason", "string", max_length=300, nullable=True),
    Field("product", "string", max_length=60, nullable=True)), "One graded item and where "
    "it goes.")
DISPOSITIONS_IN = Schema("ReturnDispositionsInput", (
    Field("lines", "array", True, "at most 5,000 items of any returns", items=DISPOSITION_LINE),
    IDEMPOTENCY), "Where many graded items go, all or none.")
DISPOSED = Schema("ReturnDispositions", (
    Field("returns", "array", True, items=RETURN),), "The returns as they stand now.")
APPROVAL_IN = Schema("ScrapApprovalInput", (
    Field("approve", "boolean", True), Field("note", "string", max_length=300, nullable=True),
    IDEMPOTENCY), "A supervisor's decision on a scrap.")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def words(text: str | None) -> str | None:
    """A stored message or reason code in the token's language; a person's words as written."""
    found = read_message(text)
    if found is None:
        return None
    template, params = found
    return gettext(template, **params) if params else gettext(template)


def return_json(session: Session, r: ReturnRequest,
                declared: dict | None = None) -> dict:
    """``declared``: the declarations of a page of returns, read at once."""
    current = declared.get(r.id) if declared is not None else \
        queries.declaration_of(session, r)
    return {
        "id": r.id, "name": r.name, "state": r.state, "order": r.order.order_no,
        "owner": r.order.owner.customs_code, "platform_return_no": r.platform_return_no,
        "return_waybill_no": r.return_waybill_no, "reason": r.reason,
        "buyer_choice": r.buyer_choice, "requested_at": _iso(r.requested_at),
        "apply_by": _iso(r.apply_by), "arrive_by": _iso(r.arrive_by),
        "received_at": _iso(r.received_at), "late": r.late,
        "late_reason": words(r.late_reason), "late_code": r.late_reason,
        "refund_amount": format(r.refund_amount, "f"),
        "declaration": current.state if current else None,
        "lines": [{"gnum": ln.gnum, "sku": ln.product.sku, "qty": queries.num(ln.qty),
                   "grade": ln.grade, "grade_reason": ln.grade_reason,
                   "disposition": ln.disposition, "disposition_state": ln.disposition_state,
                   "disposition_reason": words(ln.disposition_reason),
                   "exchange_order": ln.exchange_order.order_no if ln.exchange_order else None}
                  for ln in r.lines],
    }


def parcel_json(parcel: ReturnParcel, duplicate: bool = False) -> dict:
    return {"id": parcel.id, "code": parcel.code, "state": parcel.state,
            "batch": parcel.batch.name, "return": parcel.request.name if parcel.request else None,
            "matched_by": parcel.matched_by, "duplicate": duplicate, "notes": parcel.notes}


def _disagree(exc: declaration.DocumentsDisagree):
    response = error_response(exc.status, exc.code, translate_error(exc), exc.field)
    body = response.get_json()
    body["problems"] = [{"document": gettext(p["document"]), "field": p["field"],
                         "detail": gettext(p["template"], **p["params"])}
                        for p in exc.problems]
    answer = jsonify(body)
    answer.status_code = exc.status
    return answer


@operation("/returns", "POST", summary="Create a return request", tag="returns",
           body=RETURN_IN, response=RETURN, status=201,
           roles=(*CLERKS, "owner_viewer"))
def create_return(payload: dict):
    """Checked against the order and its released list: more than was sold and not yet
    returned, a list not released, an order not shipped are refused (422/409) naming the
    field. Past the 30-day application deadline the return is accepted but ``late``: it goes
    to non-bonded handling. The same ``platform_return_no`` again answers 200 with the
    stored return."""
    def use_case(session: Session):
        result = return_requests.create_request(session, payload)
        return (201 if result.created else 200), return_json(session, result.request)
    return write(payload, use_case)


@operation("/returns", summary="List returns", tag="returns", response=RETURN, many=True,
           query=(("state", "string", "only returns in this state"), *PAGING))
def list_returns():
    """Newest first; owner tokens see their own returns only."""
    state = request.args.get("state") or None
    if state and state not in REQUEST_STATES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="state",
                              values=", ".join(REQUEST_STATES))
    session = db()
    page, size = paging()
    rows, total = queries.requests_page(session, state, page, size)
    declared = queries.declarations_of(session, [r.id for r in rows])
    return jsonify({"items": [return_json(session, r, declared) for r in rows],
                    "total": total, "page": page, "pages": max(1, -(-total // size))})


@operation("/returns/<ref>", summary="One return", tag="returns", response=RETURN)
def get_return(ref: str):
    """By id, name (slashes as hyphens: LZB-RMA-2026-00001) or the platform's number."""
    session = db()
    return jsonify(return_json(session, queries.find_request(session, ref)))


@operation("/returns/lookup", summary="The return a scanned code names", tag="returns",
           response=RETURN, query=(("code", "string", "return number, platform return "
                                    "number or the code of a parcel received for it"),))
def lookup_return():
    """What the inspection scanner shows when a parcel or return label is scanned; 422
    ``validation_error`` (field ``code``) when the code names no return."""
    session = db()
    return jsonify(return_json(session, queries.lookup_return(session, request.args.get("code"))))


@operation("/returns/<ref>/declaration", "POST", summary="Declare the return (CEB625)",
           tag="returns", response=RETURN, status=201, roles=CLERKS)
def declare_return(ref: str):
    """When order, list, waybill and items agree the CEB625 goes into the customs outbox;
    its CEB626 approves or rejects it. Otherwise 422 ``documents_disagree`` with
    ``problems``; a late return is 422 ``past_deadline``."""
    def use_case(session: Session):
        r = queries.find_request(session, ref)
        declaration.declare_return(session, r, settings=settings())
        return 201, return_json(session, r)
    try:
        return write({}, use_case)
    except declaration.DocumentsDisagree as exc:
        return _disagree(exc)


@operation("/returns/parcels", "POST", summary="Receive parcels at the returns centre",
           tag="returns", body=PARCELS_IN, response=PARCELS, status=201, roles=CLERKS)
def receive_parcels(payload: dict):
    """Into the warehouse's open consolidation batch, each matched to its return by return
    number, platform return number, return waybill, original waybill or S10, or order
    number; kept as ``unidentified`` otherwise. A parcel received before answers with
    ``duplicate: true`` and adds nothing (200 when nothing was added). A bad parcel refuses
    them all (422, ``parcels[i].code``): the same door and error codes as the scanner."""
    scans = [receiving.ParcelScan(p.get("code"), p.get("notes")) for p in payload["parcels"]]

    def use_case(session: Session):
        warehouse = queries.returns_warehouse(session, payload.get("warehouse") or None)
        results = receiving.receive_parcels(session, scans, warehouse=warehouse)
        created = sum(1 for r in results if r.created)
        return (201 if created else 200), {
            "batch": results[0].parcel.batch.name, "created": created,
            "duplicates": sum(1 for r in results if r.duplicate),
            "parcels": [parcel_json(r.parcel, r.duplicate) for r in results]}
    return write(payload, use_case)


@operation("/returns/parcels/<parcel_id>/match", "POST", summary="Match an unidentified "
           "parcel", tag="returns", body=MATCH_IN, response=PARCEL, status=201, roles=CLERKS)
def match_parcel(parcel_id: str, payload: dict):
    """If its batch has arrived, the goods enter the returns dock at once."""
    def use_case(session: Session):
        parcel = receiving.match_parcel_by_id(session, parcel_id, payload["return"])
        return 201, parcel_json(parcel)
    return write(payload, use_case)


@operation("/returns/batches/<ref>/arrive", "POST", summary="A consolidation batch arrives",
           tag="returns", response=BATCH, status=201, roles=CLERKS)
def arrive_batch(ref: str):
    """One stock document moves every matched parcel's goods into the returns dock: held
    (waiting for the return declaration) or released (late, non-bonded)."""
    def use_case(session: Session):
        batch = receiving.arrive_batch(session, queries.find_batch(session, ref))
        done = queries.batch_figures(session, batch)
        return 201, {"name": batch.name, "state": batch.state, "parcels": done.parcels,
                     "unidentified": done.unidentified, "document": done.document}
    return write({}, use_case)


@operation("/returns/<ref>/lines/<gnum>/grade", "POST", summary="Grade an item",
           tag="returns", body=GRADE_IN, response=RETURN, status=201, roles=CLERKS)
def grade_line(ref: str, gnum: str, payload: dict):
    def use_case(session: Session):
        r = queries.find_request(session, ref)
        inspection.grade_line(session, r, gnum, payload["grade"], payload.get("reason"))
        return 201, return_json(session, r)
    return write(payload, use_case)


@operation("/returns/<ref>/lines/<gnum>/dispose", "POST", summary="Dispose of an item",
           tag="returns", body=DISPOSITION_IN, response=RETURN, status=201, roles=CLERKS)
def dispose_line(ref: str, gnum: str, payload: dict):
    """restock (customs approved, in time, resellable), exchange (a replacement order; kept
    ``pending`` with the reason when it cannot be ordered), scrap (waits for a supervisor),
    return_to_vendor, non_bonded (late or rejected returns)."""
    def use_case(session: Session):
        r = queries.find_request(session, ref)
        dispositions.dispose_line(session, r, gnum, payload["disposition"],
                                  reason=payload.get("reason"),
                                  product_code=payload.get("product"))
        return 201, return_json(session, r)
    return write(payload, use_case)


@operation("/returns/dispositions", "POST", summary="Dispose of many items", tag="returns",
           body=DISPOSITIONS_IN, response=DISPOSED, status=201, roles=CLERKS)
def dispose_lines(payload: dict):
    """The same rules as one item, for items of any returns in one go: all are disposed of
    or none (422/409 naming ``lines[i].<field>``)."""
    def use_case(session: Session):
        lines = dispositions.dispose_lines(session, payload["lines"])
        seen: dict[int, ReturnRequest] = {}
        for line in lines:
            seen.setdefault(line.request_id, line.request)
        declared = queries.declarations_of(session, seen)
        return 201, {"returns": [return_json(session, r, declared) for r in seen.values()]}
    return write(payload, use_case)


@operation("/returns/<ref>/lines/<gnum>/scrap-approval", "POST", summary="Approve or "
           "refuse a scrap (supervisor)", tag="returns", body=APPROVAL_IN, response=RETURN,
           status=201, roles=("supervisor",))
def scrap_approval(ref: str, gnum: str, payload: dict):
    def use_case(session: Session):
        r = queries.find_request(session, ref)
        dispositions.approve_scrap(session, r, gnum, payload["approve"], payload.get("note"))
        return 201, return_json(session, r)
    return write(payload, use_case)
