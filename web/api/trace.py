"""Trace, recalls and the account book over the API.

``GET /trace?code=`` answers from ``wms.trace.queries.trace`` (owner-scoped, buyers masked
unless the token's role may see personal data); recalls are started and closed through the
recall doors with an idempotency key; ``GET /account-book/reconciliation`` answers from
``wms.accountbook.queries.reconcile``.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

from flask import g, jsonify, request
from sqlalchemy.orm import Session

from wms.accountbook.queries import reconcile
from wms.core.errors import N_, ValidationError
from wms.inventory.services import format_quantity
from wms.trace.queries import trace as trace_of
from wms.trace.recall import close_recall, get_recall, list_recalls, notice_list, start_recall

from ..db import db
from ..idempotency import write
from .core import operation
from .schema import Field, Schema

RECALLERS = ("supervisor", "customs_clerk")
IDEMPOTENCY = Field("idempotency_key", "string", description="Same as the Idempotency-Key "
                    "header, for clients that cannot set headers", max_length=80)

TRACE = Schema("Trace", (
    Field("code", "string", True, "the code as given, trimmed"),
    Field("kind", "string", True, "what the code named", nullable=True,
          enum=("lot", "sscc", "gtin", "receipt", "order", "parcel", "buyer")),
    Field("found", "boolean", True),
    Field("truncated", "boolean", True, "true when more than 50 lots, 2,000 moves, 1,000 "
          "stock lines or 500 orders matched: only the first are listed"),
    Field("personal_data_shown", "boolean", True, "false: buyers' ID and phone numbers are "
          "masked for this token's role"),
    Field("lots", "array", True, "lots traced: id, name, expiry, sku, product, owner, "
          "recalls (open recalls blocking the lot), blocked", items="object"),
    Field("receipts", "array", True, "where the goods came from: receipt, supplier, ASN, "
          "transport, tally counts, entry declaration with customs' decisions",
          items="object"),
    Field("stock", "array", True, "stock now per location, customs status and SSCC",
          items="object"),
    Field("moves", "array", True, "the done ledger moves, oldest first", items="object"),
    Field("orders", "array", True, "orders the goods left on: buyer (masked), goods, "
          "inventory list, parcels with tracking events, returns", items="object"),
    Field("other_orders", "integer", True, "orders with the same lots not listed (when the "
          "trace started from an order, parcel or buyer)"),
), "The whole chain of a code, forward and back.")

RECALL_IN = Schema("RecallInput", (
    Field("product", "string", True, "SKU or GTIN", max_length=40),
    Field("lot", "string", description="the lot; or give an expiry range", max_length=40),
    Field("expiry_from", "string", description="YYYY-MM-DD: lots expiring on or after",
          max_length=10),
    Field("expiry_to", "string", description="YYYY-MM-DD: lots expiring on or before",
          max_length=10),
    Field("reason", "string", True, max_length=300),
    Field("authority", "string", description="who ordered the recall", max_length=200),
    IDEMPOTENCY,
), "Start a recall: the lots are blocked at once.")
RECALL_CLOSE = Schema("RecallClose", (
    Field("note", "string", True, "why the recall is over", max_length=2000), IDEMPOTENCY,
), "Close a recall: its block is lifted.")
RECALL = Schema("Recall", (
    Field("id", "integer", True),
    Field("name", "string", True),
    Field("state", "string", True, enum=("open", "closed")),
    Field("sku", "string", True),
    Field("lots", "array", True, items="string"),
    Field("reason", "string", True),
    Field("authority", "string", True, nullable=True),
    Field("started_at", "string", True, "ISO time"),
    Field("started_by_id", "integer", True, nullable=True),
    Field("closed_at", "string", True, nullable=True),
    Field("closed_by_id", "integer", True, nullable=True),
    Field("close_note", "string", True, nullable=True),
    Field("notices", "array", description="orders and buyers to tell (one recall only)",
          items="object"),
    Field("blocked_stock", "array", description="the stock blocked (one recall only)",
          items="object"),
), "A recall, who started and closed it.")

RECONCILIATION = Schema("AccountBookItem", (
    Field("ems_no", "string", True, "the account book number"),
    Field("sku", "string", True),
    Field("name", "string", True),
    Field("item_record_no", "string", True, nullable=True),
    Field("booked_in", "string", True, "decimal"),
    Field("booked_out", "string", True, "decimal"),
    Field("balance", "string", True, "in minus out"),
    Field("physical", "string", True, "bonded stock in stocked locations"),
    Field("difference", "string", True, "physical minus balance"),
    Field("unexplained", "string", True, "the part of the difference no unbooked move "
          "explains"),
    Field("moves", "array", True, "unbooked moves behind the difference: move_id, document, "
          "document_kind, done_at, change, reason", items="object"),
), "An account-book item against bonded stock.")


def plain(value):
    """Dataclasses, decimals and times as JSON: decimals as strings, times in ISO 8601."""
    if isinstance(value, Decimal):
        return format_quantity(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _whole(items: list) -> dict:
    """A list answered whole, in the paged envelope every list of the API has."""
    return {"items": items, "total": len(items), "page": 1, "pages": 1}


def _named(rows, names):
    return [dict(zip(names, row)) for row in rows]


def trace_json(t) -> dict:
    lots = [dict(asdict(lot), blocked=lot.blocked) for lot in t.lots]
    receipts = []
    for r in t.receipts:
        item = asdict(r)
        if r.declaration:
            item["declaration"]["items"] = _named(r.declaration.items, (
                "gnum", "item_record_no", "decision", "qty", "unit"))
        receipts.append(item)
    orders = []
    for o in t.orders:
        item = asdict(o)
        item["goods"] = _named(o.goods, ("sku", "lot", "quantity"))
        item["inventory_list"] = dict(zip(("name", "invt_no", "state", "released_at"),
                                          o.inventory_list)) if o.inventory_list else None
        for ret, node in zip(item["returns"], o.returns):
            ret["lines"] = _named(node.lines, ("sku", "qty", "grade", "disposition"))
        orders.append(item)
    return plain({"code": t.code, "kind": t.kind, "found": t.found, "truncated": t.truncated,
                  "personal_data_shown": t.personal, "lots": lots, "receipts": receipts,
                  "stock": [asdict(s) for s in t.stock], "moves": [asdict(m) for m in t.moves],
                  "orders": orders, "other_orders": t.other_orders})


@operation("/trace", summary="Trace a code forward and back", tag="trace", response=TRACE,
           query=(("code", "string", "lot, SSCC, GTIN or GS1 label, receipt name or ASN, "
                   "order name or platform number, S10 or waybill number, or buyer ID number; "
                   "at most 120 characters"),))
def trace_code():
    """Answers in a bounded number of queries; nothing found is a 200 with found=false."""
    code = (request.args.get("code") or "").strip()
    if not code:
        raise ValidationError(N_("This field is required"), field="code")
    if len(code) > 120:
        raise ValidationError(N_("At most %(n)s characters"), field="code", n=120)
    return jsonify(trace_json(trace_of(db(), code)))


def recall_json(session: Session, recall, with_notices: bool = False) -> dict:
    body = {"id": recall.id, "name": recall.name, "state": recall.state,
            "sku": recall.product.sku, "lots": [rl.lot.name for rl in recall.lots],
            "reason": recall.reason, "authority": recall.authority,
            "started_at": recall.started_at, "started_by_id": recall.started_by_id,
            "closed_at": recall.closed_at, "closed_by_id": recall.closed_by_id,
            "close_note": recall.close_note}
    if with_notices:
        notices, stock = notice_list(session, recall)
        body["notices"] = [asdict(n) for n in notices]
        body["blocked_stock"] = [asdict(s) for s in stock]
    return plain(body)


@operation("/recalls", summary="List recalls, newest first", tag="trace", response=RECALL,
           many=True)
def recalls():
    """The 200 newest recalls the token's owners may see."""
    session = db()
    return jsonify(_whole([recall_json(session, r) for r in list_recalls(session)]))


@operation("/recalls/<recall_id>", summary="A recall with its notice list", tag="trace",
           response=RECALL)
def recall_detail(recall_id: str):
    """Orders and buyers the recalled lots reached (masked as for the pages) and the
    blocked stock."""
    session = db()
    return jsonify(recall_json(session, get_recall(session, recall_id), with_notices=True))


@operation("/recalls", "POST", summary="Start a recall", tag="trace", body=RECALL_IN,
           response=RECALL, status=201, roles=RECALLERS)
def create_recall(payload: dict):
    """Blocks the lot (or the product's lots expiring in the range) at once: no wave
    reserves it and no pick takes it until the recall is closed."""
    data = {k: v for k, v in payload.items() if k != "idempotency_key"}

    def use_case(session: Session):
        return 201, recall_json(session, start_recall(session, **data), with_notices=True)
    return write(payload, use_case)


@operation("/recalls/<recall_id>/close", "POST", summary="Close a recall", tag="trace",
           body=RECALL_CLOSE, response=RECALL, roles=RECALLERS)
def close_recall_api(payload: dict, recall_id: str):
    """Lifts the block; who closed it and why are kept on the recall and in the audit."""
    def use_case(session: Session):
        return 200, recall_json(session, close_recall(session, recall_id, payload["note"]))
    return write(payload, use_case)


@operation("/account-book/reconciliation", summary="Account book against bonded stock",
           tag="trace", response=RECONCILIATION, many=True,
           query=(("ems_no", "string", "one account book (emsNo); at most 20 characters"),
                  ("differences", "boolean", "true: only the items that differ")))
def account_book_reconciliation():
    """Each item's balance (in minus out) against bonded stock, with the unbooked moves
    behind each difference. Owner tokens see their own products only."""
    ems_no = (request.args.get("ems_no") or "").strip() or None
    if ems_no and len(ems_no) > 20:
        raise ValidationError(N_("At most %(n)s characters"), field="ems_no", n=20)
    only = (request.args.get("differences") or "").lower() in ("1", "true", "yes")
    owners = g.api_actor.owner_ids
    lines = reconcile(db(), ems_no, set(owners) if owners is not None else None)
    items = [plain({"ems_no": ln.ems_no, "sku": ln.sku, "name": ln.name,
                    "item_record_no": ln.item_record_no, "booked_in": ln.booked_in,
                    "booked_out": ln.booked_out, "balance": ln.balance,
                    "physical": ln.physical, "difference": ln.difference,
                    "unexplained": ln.unexplained, "moves": [asdict(m) for m in ln.moves]})
             for ln in lines if ln.difference or not only]
    return jsonify(_whole(items))
