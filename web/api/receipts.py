"""Receipts (ASN) over the API.

An owner's own system may send its advance shipping notices (``owner_viewer`` tokens, for
their own owner only); warehouse staff send any. Writes go through
``web.idempotency.write``: the same ``Idempotency-Key`` replayed creates one receipt and
answers the same every time. Errors name the field as the services do, e.g.
``lines[2].quantity`` or ``container_no``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app, jsonify, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, DomainError, ValidationError
from wms.customs.models import CustomsMessage
from wms.inbound.tally_checks import ConfirmWarnings, parse_confirm
from wms.inbound import declaration as declarations
from wms.inbound import decisions as customs_decisions
from wms.inbound import photos, queries, receipts, tally
from wms.inbound import putaway as putaways
from wms.inbound.models import (DISCREPANCY_KINDS, RECEIPT_STATES, STATE_TITLES,
                                EntryDeclaration, Receipt)

from ..db import db
from ..errors import error_response, translate_error
from ..idempotency import write
from .core import operation, page_of
from .schema import Field, Schema

PAGING = (("page", "integer", "page number, from 1"),
          ("per_page", "integer", "rows per page, at most 500"))
IDEMPOTENCY = Field("idempotency_key", "string", description="Same as the Idempotency-Key "
                    "header, for clients that cannot set headers", max_length=80)
REF_DOC = ("The receipt is named by its id or its name; in a URL write the name's slashes "
           "as hyphens (LZB-IN-2026-00001) or percent-encode them.")

LINE_IN = Schema("ReceiptLineInput", (
    Field("product", "string", True, "SKU or GTIN of one of the owner's products",
          max_length=40),
    Field("quantity", "number", True, "greater than zero, at most three decimals"),
    Field("lot", "string", description="lot number; required for lot-tracked products",
          max_length=40, nullable=True),
    Field("expiry_date", "string", description="YYYY-MM-DD; required with a lot when the "
          "product tracks expiry", max_length=10, nullable=True),
    Field("sscc", "string", description="SSCC-18 of the expected package, check digit "
          "verified", max_length=18, nullable=True),
), "One advised line.")

RECEIPT_IN = Schema("ReceiptInput", (
    Field("owner", "string", True, "owner's customs code; an owner token may only name its "
          "own", max_length=10),
    Field("warehouse", "string", True, "warehouse code, e.g. LZB", max_length=10),
    Field("supplier", "string", True, max_length=200),
    Field("supplier_ref", "string", description="your reference for this shipment",
          max_length=60, nullable=True),
    Field("trade_mode", "string", description="customs trade mode, 1210 by default",
          max_length=4),
    Field("transport_mode", "string", description="customs transport mode: 2 water, 3 rail, "
          "4 road, 5 air, 6 mail...", max_length=1, nullable=True),
    Field("bill_of_lading", "string", max_length=40, nullable=True),
    Field("air_waybill", "string", description="IATA air waybill, check digit verified",
          max_length=12, nullable=True),
    Field("train_no", "string", max_length=20, nullable=True),
    Field("container_no", "string", description="ISO 6346, check digit verified",
          max_length=11, nullable=True),
    Field("rail_note_no", "string", description="CIM/SMGS consignment note", max_length=40,
          nullable=True),
    Field("mail_dispatch_no", "string", max_length=40, nullable=True),
    Field("expected_arrival", "string", description="ISO 8601 with a time zone",
          max_length=40, nullable=True),
    Field("note", "string", max_length=2000, nullable=True),
    Field("lines", "array", True, items=LINE_IN),
    IDEMPOTENCY,
), "An advance shipping notice.")

LINE_OUT = Schema("ReceiptLine", (
    Field("line_no", "integer", True),
    Field("product_id", "integer", True),
    Field("sku", "string", True),
    Field("gtin", "string", True, nullable=True),
    Field("quantity", "string", True, "decimal as a string"),
    Field("lot", "string", True, nullable=True),
    Field("expiry_date", "string", True, nullable=True),
    Field("sscc", "string", True, nullable=True),
), "An advised line.")

PROGRESS = Schema("TallyProgress", (
    Field("product_id", "integer", True),
    Field("sku", "string", True),
    Field("lot", "string", True, nullable=True),
    Field("expected", "string", True),
    Field("tallied", "string", True, "good and damaged"),
    Field("damaged", "string", True),
    Field("difference", "string", True, "tallied - expected"),
), "Expected against counted, per product and lot.")

DISCREPANCY = Schema("Discrepancy", (
    Field("kind", "string", True, enum=DISCREPANCY_KINDS),
    Field("product_id", "integer", True),
    Field("sku", "string", True),
    Field("lot", "string", True, nullable=True),
    Field("expected", "string", True),
    Field("tallied", "string", True),
    Field("note_code", "string", True, "not_advised, advised_lots or damaged_on_arrival",
          nullable=True),
    Field("note", "string", True, "the note in the request's language", nullable=True),
), "A difference frozen when the tally closed.")

DECLARATION_LINE = Schema("DeclarationLine", (
    Field("gnum", "integer", True),
    Field("item_record_no", "string", True),
    Field("hs_code", "string", True),
    Field("gname", "string", True),
    Field("origin_country", "string", True),
    Field("qty", "string", True),
    Field("unit", "string", True),
    Field("qty1", "string", True),
    Field("unit1", "string", True),
    Field("qty2", "string", True, nullable=True),
    Field("unit2", "string", True, nullable=True),
    Field("total_price", "string", True, "CNY"),
    Field("decision", "string", True, enum=("pending", "released", "held", "rejected")),
    Field("decision_note", "string", True, nullable=True),
), "One declared item and customs' decision on it.")

DECLARATION = Schema("EntryDeclaration", (
    Field("name", "string", True),
    Field("state", "string", True, enum=("draft", "filed", "decided")),
    Field("guid", "string", True),
    Field("total_value", "string", True, "CNY"),
    Field("total_net_kg", "string", True),
    Field("total_gross_kg", "string", True),
    Field("filed_at", "string", True, nullable=True),
    Field("message_state", "string", True, "the outbox message's state", nullable=True),
    Field("return_status", "string", True, "customs' last returnStatus", nullable=True),
    Field("lines", "array", True, items=DECLARATION_LINE),
), "The entry record list built from the closed tally.")

RECEIPT_FIELDS = (
    Field("id", "integer", True),
    Field("name", "string", True, "e.g. LZB/IN/2026/00007"),
    Field("state", "string", True, enum=RECEIPT_STATES),
    Field("owner", "string", True, "owner's customs code"),
    Field("warehouse", "string", True),
    Field("supplier", "string", True),
    Field("supplier_ref", "string", True, nullable=True),
    Field("trade_mode", "string", True),
    Field("transport_mode", "string", True, nullable=True),
    Field("bill_of_lading", "string", True, nullable=True),
    Field("air_waybill", "string", True, nullable=True),
    Field("train_no", "string", True, nullable=True),
    Field("container_no", "string", True, nullable=True),
    Field("rail_note_no", "string", True, nullable=True),
    Field("mail_dispatch_no", "string", True, nullable=True),
    Field("expected_arrival", "string", True, nullable=True),
    Field("arrived_at", "string", True, nullable=True),
    Field("vehicle_no", "string", True, nullable=True),
    Field("seal_no", "string", True, nullable=True),
    Field("tally_closed_at", "string", True, nullable=True),
    Field("declared_at", "string", True, nullable=True),
    Field("declare_by", "string", True, "gate-in + the declaration deadline, while it runs",
          nullable=True),
    Field("overdue", "boolean", True, "arrived and not declared within the deadline"),
    Field("lines", "array", True, items=LINE_OUT),
)
RECEIPT = Schema("Receipt", RECEIPT_FIELDS, "A receipt (ASN) and where it stands.")
RECEIPT_DETAIL = Schema("ReceiptDetail", (
    *RECEIPT_FIELDS,
    Field("progress", "array", True, items=PROGRESS),
    Field("discrepancies", "array", True, items=DISCREPANCY),
    Field("declaration", "object", True, "an EntryDeclaration, or null before one is built",
          nullable=True),
), "A receipt with its tally, discrepancies and declaration.")

GATE_IN = Schema("GateInInput", (
    Field("vehicle_no", "string", max_length=20, nullable=True),
    Field("container_no", "string", description="ISO 6346, check digit verified",
          max_length=13, nullable=True),
    Field("seal_no", "string", max_length=20, nullable=True),
    Field("arrived_at", "string", description="ISO 8601 with a time zone; now if left out",
          max_length=40, nullable=True),
    IDEMPOTENCY,
), "The goods cross the first line into the zone.")

DECISION_IN = Schema("DecisionInput", (
    Field("gnum", "integer", True, "declaration item number"),
    Field("decision", "string", True, enum=("released", "held", "rejected")),
), "Customs' decision on one item.")
DECISIONS_IN = Schema("DecisionsInput", (
    Field("decisions", "array", True, items=DECISION_IN),
    Field("note", "string", max_length=300, nullable=True),
    IDEMPOTENCY,
), "Customs' decisions as a clerk records them.")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _s(value) -> str | None:
    """A quantity without trailing zeros: 240, 0.5, 12.125."""
    return format(Decimal(value).normalize(), "f") if value is not None else None


def deadline() -> timedelta:
    return timedelta(hours=current_app.config.get("DECLARATION_DEADLINE_HOURS", 72))


def receipt_json(r: Receipt) -> dict:
    limit = deadline()
    return {
        "id": r.id, "name": r.name, "state": r.state, "owner": r.owner.customs_code,
        "warehouse": r.warehouse.code, "supplier": r.supplier, "supplier_ref": r.supplier_ref,
        "trade_mode": r.trade_mode, "transport_mode": r.transport_mode,
        "bill_of_lading": r.bill_of_lading, "air_waybill": r.air_waybill,
        "train_no": r.train_no, "container_no": r.container_no,
        "rail_note_no": r.rail_note_no, "mail_dispatch_no": r.mail_dispatch_no,
        "expected_arrival": _iso(r.expected_arrival), "arrived_at": _iso(r.arrived_at),
        "vehicle_no": r.vehicle_no, "seal_no": r.seal_no,
        "tally_closed_at": _iso(r.tally_closed_at), "declared_at": _iso(r.declared_at),
        "declare_by": _iso(queries.due_at(r, limit)), "overdue": queries.is_overdue(r, limit),
        "lines": [{"line_no": ln.line_no, "product_id": ln.product_id, "sku": ln.product.sku,
                   "gtin": ln.product.gtin, "quantity": _s(ln.expected_qty),
                   "lot": ln.lot_name, "expiry_date": _iso(ln.expiry_date), "sscc": ln.sscc}
                  for ln in r.lines],
    }


def declaration_json(session: Session, d: EntryDeclaration | None) -> dict | None:
    if d is None:
        return None
    message = session.get(CustomsMessage, d.message_id) if d.message_id else None
    return {
        "name": d.name, "state": d.state, "guid": d.guid, "total_value": _s(d.total_value),
        "total_net_kg": _s(d.total_net_kg), "total_gross_kg": _s(d.total_gross_kg),
        "filed_at": _iso(d.filed_at), "message_state": message.state if message else None,
        "return_status": message.return_status if message else None,
        "lines": [{"gnum": ln.gnum, "item_record_no": ln.item_record_no,
                   "hs_code": ln.hs_code, "gname": ln.gname,
                   "origin_country": ln.origin_country, "qty": _s(ln.qty), "unit": ln.unit,
                   "qty1": _s(ln.qty1), "unit1": ln.unit1, "qty2": _s(ln.qty2),
                   "unit2": ln.unit2, "total_price": _s(ln.total_price),
                   "decision": ln.decision, "decision_note": ln.decision_note}
                  for ln in d.lines],
    }


def receipt_detail_json(session: Session, r: Receipt) -> dict:
    body = receipt_json(r)
    body["progress"] = [
        {"product_id": row.product.id, "sku": row.product.sku, "lot": row.lot_name,
         "expected": _s(row.expected), "tallied": _s(row.tallied), "damaged": _s(row.damaged),
         "difference": _s(row.difference)}
        for row in (queries.tally_progress(session, r)
                    if r.state not in ("draft", "expected", "cancelled") else [])]
    body["discrepancies"] = [
        {"kind": d.kind, "product_id": d.product_id, "sku": d.product.sku, "lot": d.lot_name,
         "expected": _s(d.expected_qty), "tallied": _s(d.tallied_qty),
         "note_code": d.note_code, "note": d.note(gettext)}
        for d in queries.discrepancies_of(session, r)]
    body["declaration"] = declaration_json(session, _declaration(session, r))
    return body


def _declaration(session: Session, r: Receipt) -> EntryDeclaration | None:
    return queries.declaration_of(session, r)


def resolve(session: Session, ref: str) -> Receipt:
    """A receipt by id or name (owner-scoped: another owner's receipt is not found)."""
    return queries.resolve_receipt(session, ref)


def _lines(payload: dict) -> list[receipts.LineInput]:
    return [receipts.LineInput(product=line["product"], quantity=str(line["quantity"]),
                              lot=line.get("lot"), expiry_date=line.get("expiry_date"),
                              sscc=line.get("sscc")) for line in payload["lines"]]


@operation("/receipts", "POST", summary="Create a receipt (ASN)", tag="receipts",
           body=RECEIPT_IN, response=RECEIPT, status=201,
           roles=("supervisor", "customs_clerk", "owner_viewer"))
def create_receipt(payload: dict):
    """The receipt is checked line by line and created as ``expected`` with its name; an
    error names the field (``lines[2].quantity``) and nothing is written. Send an
    ``Idempotency-Key``: a retry then answers with the same receipt instead of a second."""
    def use_case(session: Session):
        receipt = receipts.create_receipt(
            session, owner_code=payload["owner"], warehouse_code=payload["warehouse"],
            supplier=payload["supplier"], lines=_lines(payload),
            trade_mode=payload.get("trade_mode") or "1210",
            transport_mode=payload.get("transport_mode") or None,
            supplier_ref=payload.get("supplier_ref"),
            bill_of_lading=payload.get("bill_of_lading"),
            air_waybill=payload.get("air_waybill"), train_no=payload.get("train_no"),
            container_no=payload.get("container_no"),
            rail_note_no=payload.get("rail_note_no"),
            mail_dispatch_no=payload.get("mail_dispatch_no"),
            expected_arrival=payload.get("expected_arrival"), note=payload.get("note"))
        return 201, receipt_json(receipt)
    return write(payload, use_case)


@operation("/receipts", summary="List receipts", tag="receipts", response=RECEIPT, many=True,
           query=(("state", "string", "only receipts in this state"),
                  ("name", "string", "only the receipt of this name"), *PAGING))
def list_receipts():
    """Newest first; owner tokens see their own receipts only."""
    state = request.args.get("state") or None
    if state and state not in RECEIPT_STATES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="state",
                              values=", ".join(RECEIPT_STATES))
    stmt = queries.receipts_query(state)
    name = (request.args.get("name") or "").strip()
    if name:
        stmt = stmt.where(Receipt.name == name)
    return jsonify(page_of(stmt, receipt_json))


@operation("/receipts/<ref>", summary="One receipt with tally, discrepancies and "
           "declaration", tag="receipts", response=RECEIPT_DETAIL)
def get_receipt(ref: str):
    return jsonify(receipt_detail_json(db(), resolve(db(), ref)))


def _parse_time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                              field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"), field=field)
    if parsed > utcnow():
        raise ValidationError(N_("Arrival cannot be in the future"), field=field)
    return parsed


@operation("/receipts/<ref>/gate-in", "POST", summary="Gate-in: the goods arrive",
           tag="receipts", body=GATE_IN, response=RECEIPT, status=201,
           roles=("supervisor", "customs_clerk", "operator"))
def gate_in(ref: str, payload: dict):
    """Only an expected receipt gates in; the container number's check digit is verified.
    The advised goods move into the input area as ``arrived`` (never reservable)."""
    def use_case(session: Session):
        receipt = resolve(session, ref)
        receipts.gate_in(session, receipt, vehicle_no=payload.get("vehicle_no"),
                        container_no=payload.get("container_no"),
                        seal_no=payload.get("seal_no"),
                        arrived_at=_parse_time(payload.get("arrived_at"), "arrived_at"))
        return 201, receipt_json(receipt)
    return write(payload, use_case)


@operation("/receipts/<ref>/close-tally", "POST", summary="Close the tally (supervisor)",
           tag="receipts", response=RECEIPT_DETAIL, status=201, roles=("supervisor",))
def close_tally(ref: str):
    """Freezes the counts into discrepancies (short, over, damaged, unexpected, wrong lot).
    Takes no body; send an Idempotency-Key header to make a retry safe."""
    def use_case(session: Session):
        receipt = resolve(session, ref)
        tally.close_tally(session, receipt)
        return 201, receipt_detail_json(session, receipt)
    return write({}, use_case)


@operation("/receipts/<ref>/declaration", "POST", summary="Build, check and file the entry "
           "declaration", tag="receipts", response=DECLARATION, status=201,
           roles=("customs_clerk", "supervisor"))
def declare(ref: str):
    """Built from the closed tally and checked (every product registered for this owner,
    HS code form, unit conversions, totals); when it is not ready the answer is 422 with
    ``problems``: ``[{"sku", "product_id", "field", "message"}]``, each pointing at a
    product to fix. Filed, the XML waits in the customs outbox."""
    def use_case(session: Session):
        receipt = resolve(session, ref)
        declaration = declarations.build_declaration(session, receipt)
        declarations.file_declaration(session, declaration)
        return 201, declaration_json(session, declaration)
    try:
        return write({}, use_case)
    except declarations.DeclarationNotReady as exc:
        response = error_response(exc.status, exc.code, translate_error(exc), exc.field)
        body = response.get_json()
        ids = _product_ids(ref, exc.problems)
        body["problems"] = [{"sku": p.sku, "product_id": ids.get(p.sku), "field": p.field,
                             "message": gettext(p.message)} for p in exc.problems]
        answer = jsonify(body)
        answer.status_code = exc.status
        return answer


def _product_ids(ref: str, problems) -> dict[str, int]:
    from wms.catalog.models import Product
    receipt = resolve(db(), ref)
    skus = {p.sku for p in problems}
    return {p.sku: p.id for p in db().scalars(select(Product).where(
        Product.owner_id == receipt.owner_id, Product.sku.in_(skus or {""})))}


@operation("/receipts/<ref>/decisions", "POST", summary="Record customs' decision per item",
           tag="receipts", body=DECISIONS_IN, response=RECEIPT_DETAIL, status=201,
           roles=("customs_clerk", "supervisor"))
def decisions(ref: str, payload: dict):
    """Release makes the goods ``bonded``; held moves them to the customs hold area; a held
    item can later be released or rejected."""
    def use_case(session: Session):
        receipt = resolve(session, ref)
        declaration = _declaration(session, receipt)
        if declaration is None:
            raise ValidationError(N_("Releasing needs a filed declaration"),
                                  field="declaration")
        chosen = {}
        for i, item in enumerate(payload["decisions"]):
            if item["gnum"] in chosen:
                raise ValidationError(N_("Item %(gnum)s is given twice"),
                                      field=f"decisions[{i}].gnum", gnum=item["gnum"])
            chosen[item["gnum"]] = item["decision"]
        if not chosen:
            raise ValidationError(N_("Choose a decision for at least one item"),
                                  field="decisions")
        customs_decisions.decide(session, declaration, chosen, note=payload.get("note"))
        return 201, receipt_detail_json(session, receipt)
    return write(payload, use_case)


@operation("/customs/entry-receipts", "POST", summary="Import customs' answer to an entry "
           "declaration", tag="receipts", response=RECEIPT_DETAIL, status=201,
           roles=("customs_clerk", "supervisor"), body_spec={
               "type": "string", "description": "The EntryRecordListReturn XML document "
               "(send it with Content-Type application/xml; shown here as a string)"})
def entry_receipt():
    """returnStatus 800 releases an item, 500 holds it for inspection, 100 rejects it; the
    answer is kept with the outbox message."""
    content = request.get_data()
    if not content.strip():
        raise ValidationError(N_("Send the receipt XML as the request body"), field="xml")

    def use_case(session: Session):
        declaration = customs_decisions.import_entry_return(session, content)
        return 201, receipt_detail_json(session, declaration.receipt)
    return write(content.decode("utf-8", "replace"), use_case)


TALLY_SCAN_IN = Schema("TallyScanInput", (
    Field("item", "string", True, "what was scanned: an advised package's SSCC, a GTIN, a SKU "
          "or a GS1-128 carton label (lot, expiry and count are read from it)", max_length=400),
    Field("quantity", "number", description="how many; the label's count or 1 if left out; "
          "never zero or negative (take back with correction)"),
    Field("lot", "string", max_length=40, nullable=True),
    Field("expiry_date", "string", description="YYYY-MM-DD, for a new lot of an "
          "expiry-tracked product", max_length=10, nullable=True),
    Field("correction", "boolean", description="take back an earlier count"),
    Field("damaged", "boolean", description="counted as damaged; needs damage_reason"),
    Field("damage_reason", "string", max_length=200, nullable=True),
    Field("photo", "string", description="id of a photo uploaded to /m/api/tally/photo",
          max_length=60, nullable=True),
    Field("confirm", "array", description="warnings confirmed (over_count, unadvised, "
          "short_shelf_life): a scan refused with code confirm is sent again naming them",
          items="string"),
    IDEMPOTENCY,
), "One tally scan, as the handheld sends it.")

COUNTED = Schema("TallyCounted", (
    Field("sku", "string", True),
    Field("lot", "string", True, nullable=True),
    Field("quantity", "string", True, "negative for a correction"),
    Field("condition", "string", True, enum=("good", "damaged")),
), "One counted quantity a scan recorded.")

TALLY_SCAN = Schema("TallyScan", (
    Field("ok", "boolean", True),
    Field("message", "string", True, "what was counted, in the request's language"),
    Field("receipt", "string", True),
    Field("package", "string", description="the advised package scanned, if one was"),
    Field("unexpected", "boolean", True, "the product is not on the advice"),
    Field("wrong_lot", "boolean", True, "the lot was not advised for this product"),
    Field("scans", "array", True, items=COUNTED),
), "The answer to a tally scan (the handheld's answer).")

CANCEL_IN = Schema("CancelInput", (
    Field("reason", "string", description="required once the goods have arrived: they are "
          "turned back", max_length=300, nullable=True),
    IDEMPOTENCY,
), "Why the receipt is cancelled.")

PUTAWAY_LINE_IN = Schema("PutawayLineInput", (
    Field("product", "string", True, "SKU or GTIN of the receipt owner's product",
          max_length=40),
    Field("quantity", "number", True),
    Field("lot", "string", max_length=40, nullable=True),
    Field("destination", "string", True, "location barcode or full path", max_length=200),
), "Released goods of the receipt from the input area to a place.")

PUTAWAY_IN = Schema("PutawayInput", (
    Field("receipt", "string", True, "the receipt's id or name", max_length=40),
    Field("lines", "array", description="what goes where; left out, everything released "
          "that waits in the input area goes to its suggested place", items=PUTAWAY_LINE_IN),
    IDEMPOTENCY,
), "A putaway of released goods of one receipt.")

PUTAWAY = Schema("Putaway", (
    Field("document", "string", True, "the putaway document's name"),
    Field("receipt", "string", True),
    Field("state", "string", True, enum=RECEIPT_STATES),
    Field("stored", "array", True, "receipts that became stored", items="string"),
), "A posted putaway.")


def _photo_folder() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / photos.PHOTO_DIR


def _localised(exc):
    """A receipt state in the request's language, as on the handheld."""
    if isinstance(exc, ConfirmWarnings):
        exc.extra = {"warnings": [w.as_dict(gettext) for w in exc.warnings]}
    if isinstance(exc, tally.TallyNotOpen) and "state" in exc.params:
        exc.params["state"] = gettext(STATE_TITLES.get(exc.params["state"],
                                                       exc.params["state"]))
    return exc


@operation("/receipts/<ref>/tally-scans", "POST", summary="Record a tally scan",
           tag="receipts", body=TALLY_SCAN_IN, response=TALLY_SCAN, status=201,
           roles=("operator", "supervisor"))
def tally_scan(ref: str, payload: dict):
    """The handheld's tally scan: the same fields, rules, answer, error codes
    (``choose_lot`` with the advised lots as ``choices``, ``conflict`` once the tally is
    closed) and idempotency key. Scans share the receipt, closing takes it alone: a scan
    is either counted before the close or refused after it."""
    given = tally.TallyInput(
        item=payload["item"], quantity=payload.get("quantity"), lot=payload.get("lot"),
        expiry_date=payload.get("expiry_date"), correction=bool(payload.get("correction")),
        damaged=bool(payload.get("damaged")), damage_reason=payload.get("damage_reason"),
        photo=photos.photo_reference(_photo_folder(), payload.get("photo")),
        confirm=parse_confirm(payload.get("confirm")))

    def use_case(session: Session):
        try:
            result = tally.scan_tally(session, resolve(session, ref), given)
        except DomainError as exc:
            raise _localised(exc) from None
        return 201, tally.scan_answer(result, gettext)
    return write(payload, use_case)


@operation("/receipts/<ref>/cancel", "POST", summary="Cancel a receipt", tag="receipts",
           body=CANCEL_IN, response=RECEIPT, status=201,
           roles=("supervisor", "customs_clerk"))
def cancel(ref: str, payload: dict):
    """Before gate-in nothing moved; after it (arrived, tallying, tallied, never declared)
    the goods are turned back to the supplier and a reason is required."""
    def use_case(session: Session):
        receipt = resolve(session, ref)
        receipts.cancel_receipt(session, receipt, payload.get("reason"))
        return 201, receipt_json(receipt)
    return write(payload, use_case)


@operation("/putaways", "POST", summary="Put released goods of a receipt away",
           tag="receipts", body=PUTAWAY_IN, response=PUTAWAY, status=201,
           roles=("supervisor", "operator"))
def create_putaway(payload: dict):
    """Only released (bonded) goods leave the input area; undeclared and held goods stay
    where customs wants them. Putaway never changes customs status. The receipt becomes
    ``stored`` once nothing released of it is left in the input area."""
    def use_case(session: Session):
        receipt = resolve(session, payload["receipt"])
        lines = [putaways.PutawayInput(product=ln["product"], quantity=str(ln["quantity"]),
                                       destination=ln["destination"], lot=ln.get("lot"))
                 for ln in payload.get("lines") or []]
        done = putaways.putaway_receipt(session, receipt, lines)
        return 201, {"document": done.document.name, "receipt": receipt.name,
                     "state": receipt.state, "stored": done.stored}
    return write(payload, use_case)
