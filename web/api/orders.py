"""Cross-border orders over the API.

Platforms (or their integrators) send orders in batches: a JSON list, or ``{"orders":
[...]}``, checked completely and stored all or nothing (``wms.outbound.intake.
receive_orders``). An order number already received from the platform with the same content
answers with the stored order (``created: false``); with other content it is refused. Owner
tokens (``owner_viewer``) may send and read their own owner's orders only. Errors name the
field as ``orders[2].actual_paid``; an order over a retail limit is refused with the buyer's
remaining annual quota (``remaining_quota`` beside ``error``).

The warehouse's side has the same doors as the scanner pages, with the same idempotency keys
(``Idempotency-Key`` header or ``idempotency_key`` field) and the same error codes: a wave
(``POST /waves``), its lines (``GET /waves/{id}``), picks with short picks
(``POST /waves/{id}/picks``), packing (``POST /orders/{ref}/pack``), shipping
(``POST /orders/{ref}/ship``) and a 9810 export's arrival (``POST /orders/{ref}/arrival``).
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import jsonify, request
from flask_babel import gettext
from sqlalchemy.orm import Session, object_session

from wms.core.parsing import ascii_id
from wms.core.privacy import actor_sees_personal_data, mask_id_number
from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.inventory.models import Warehouse
from wms.outbound import declare as declaring
from wms.outbound import fulfilment, intake, order_csv, overseas, queries
from wms.outbound.models import ORDER_STATES, TRADE_MODES, SalesOrder, Wave
from wms.outbound.summary import list_numbers

from ..db import db
from ..errors import error_response, stored_text, translate_error
from ..idempotency import write
from ..settings import settings
from .core import operation, page_of
from .schema import Field, Schema

PAGING = (("page", "integer", "page number, from 1"),
          ("per_page", "integer", "rows per page, at most 500"))
WRITERS = ("supervisor", "customs_clerk", "owner_viewer")
DECLARANTS = ("supervisor", "customs_clerk")
REF_DOC = "The order is named by its id, the platform's order number or its name."

ORDER_LINE = Schema("OrderLine", (
    Field("gnum", "integer", True),
    Field("product_id", "integer", True),
    Field("sku", "string", True),
    Field("name", "string", True),
    Field("hs_code", "string", True),
    Field("qty", "string", True, "decimal as a string"),
    Field("price", "string", True),
    Field("total_price", "string", True),
    Field("tax", "string", True, "comprehensive tax of the line (1210), CNY"),
    Field("picked_qty", "string", True),
), "One order line.")

MESSAGE_REF = Schema("OrderMessage", (
    Field("guid", "string", True),
    Field("type", "string", True, "CEB311, CEB411, CEB511, CEB621; CEB303, CEB505, CEB603"),
    Field("state", "string", True),
    Field("return_status", "string", True, nullable=True),
    Field("return_info", "string", True, nullable=True),
    Field("xml_url", "string", True),
), "A message of the order in the customs outbox.")

ORDER_FIELDS = (
    Field("id", "integer", True),
    Field("name", "string", True, "the warehouse's name, e.g. LZB/OUT/2026/00012"),
    Field("order_no", "string", True, "the platform's order number"),
    Field("state", "string", True, enum=ORDER_STATES),
    Field("trade_mode", "string", True, enum=TRADE_MODES),
    Field("b2b", "boolean", True, "9710 / 9810 B2B export, kept apart from retail"),
    Field("platform", "string", True, "platform's customs code"),
    Field("owner", "string", True, "owner's customs code"),
    Field("warehouse", "string", True),
    Field("destination_warehouse", "string", True, nullable=True),
    Field("ordered_at", "string", True),
    Field("buyer_name", "string", True),
    Field("buyer_id_number", "string", True, "masked (620102********123X) unless the token "
          "is a customs clerk's or a supervisor's"),
    Field("consignee", "string", True),
    Field("consignee_address", "string", True),
    Field("country", "string", True),
    Field("goods_value", "string", True),
    Field("freight", "string", True),
    Field("discount", "string", True),
    Field("tax_total", "string", True),
    Field("actual_paid", "string", True),
    Field("hold_reason", "string", True, "customs' reason for a hold or a rejection",
          nullable=True),
    Field("logistics_no", "string", True, nullable=True),
    Field("lines", "array", True, items=ORDER_LINE),
)
ORDER = Schema("Order", ORDER_FIELDS, "A cross-border order.")
ORDER_DETAIL = Schema("OrderDetail", (
    *ORDER_FIELDS,
    Field("remaining_quota", "string", True, "1210: what the buyer may still spend this "
          "year, CNY", nullable=True),
    Field("list", "object", True, "the inventory list: name, state, pre_no, invt_no, "
          "released_at; null before the declaration", nullable=True),
    Field("messages", "array", True, items=MESSAGE_REF),
    Field("parcels", "array", True, "tracking_no, weight_kg, shipped_at", items="object"),
), "An order with its list, messages and parcels.")
RECEIVED = Schema("ReceivedOrder", (
    *ORDER_FIELDS,
    Field("created", "boolean", True, "false: this order number was received before with "
          "the same content, the stored order is returned"),
    Field("remaining_quota", "string", True, "1210: the buyer's annual quota left after this "
          "order", nullable=True),
), "An order as stored.")
RECEIVED_BATCH = Schema("ReceivedOrders", (
    Field("orders", "array", True, items=RECEIVED),
    Field("created", "integer", True, "how many were new"),
), "The batch as stored, in the order sent.")

ORDER_INPUT_SPEC = {
    "description": "A JSON list of orders, or an object {\"orders\": [...]} (an optional "
                   "idempotency_key beside them). Each order: platform, owner, warehouse "
                   "(codes), order_no, trade_mode (1210, 9610, 9710, 9810), ordered_at (ISO "
                   "8601 with zone), buyer_name, buyer_id_type (1), buyer_id_number (check "
                   "digit verified for 1210), buyer_phone, consignee, consignee_phone, "
                   "consignee_address, goods_value, freight, discount, tax_total, "
                   "actual_paid (= goods + freight + tax - discount), country, "
                   "destination_warehouse (9810), lines [{product (SKU or GTIN), qty, price, "
                   "total_price}], payment {pay_code, pay_name, pay_transaction_id, "
                   "amount_paid}, waybill {logistics_code, logistics_no, consignee, "
                   "consignee_phone, consignee_address, weight_kg}.",
    "oneOf": [{"type": "array", "items": {"type": "object"}},
              {"type": "object", "properties": {
                  "orders": {"type": "array", "items": {"type": "object"}},
                  "idempotency_key": {"type": "string"}}, "required": ["orders"]}],
}
CANCEL_IN = Schema("CancelInput", (
    Field("reason", "string", True, max_length=300),
    Field("idempotency_key", "string", max_length=80),
), "Why the order is cancelled.")


def _s(value) -> str | None:
    return queries.plain_number(value) if value is not None else None


def _money(value) -> str:
    return f"{value:,.2f}"


def order_json(o: SalesOrder) -> dict:
    return {
        "id": o.id, "name": o.name, "order_no": o.order_no, "state": o.state,
        "trade_mode": o.trade_mode, "b2b": o.trade_mode in ("9710", "9810"),
        "platform": o.platform.customs_code, "owner": o.owner.customs_code,
        "warehouse": o.warehouse.code,
        "destination_warehouse": _destination(o), "ordered_at": o.ordered_at.isoformat(),
        "buyer_name": o.buyer_name, "buyer_id_number": o.buyer_id_number
        if actor_sees_personal_data() else mask_id_number(o.buyer_id_number),
        "consignee": o.consignee, "consignee_address": o.consignee_address,
        "country": o.country, "goods_value": _s(o.goods_value), "freight": _s(o.freight),
        "discount": _s(o.discount), "tax_total": _s(o.tax_total),
        "actual_paid": _s(o.actual_paid), "hold_reason": stored_text(o.hold_reason),
        "logistics_no": o.waybill.logistics_no if o.waybill else None,
        "lines": [{"gnum": ln.gnum, "product_id": ln.product_id, "sku": ln.product.sku,
                   "name": ln.product.name_zh, "hs_code": ln.product.hs_code,
                   "qty": _s(ln.qty), "price": _s(ln.price),
                   "total_price": _s(ln.total_price), "tax": _s(ln.tax),
                   "picked_qty": _s(ln.picked_qty)} for ln in o.lines],
    }


def _destination(o: SalesOrder) -> str | None:
    if not o.destination_warehouse_id:
        return None
    warehouse = (object_session(o) or db()).get(Warehouse, o.destination_warehouse_id)
    return warehouse.code if warehouse else None


def message_ref(m) -> dict:
    from flask import url_for
    return {"guid": m.guid, "type": m.message_type, "state": m.state,
            "return_status": m.return_status, "return_info": m.return_info,
            "xml_url": url_for("api.customs_message_xml", guid=m.guid)}


def order_detail_json(session: Session, o: SalesOrder) -> dict:
    body = order_json(o)
    quota = queries.order_quota(session, o, settings().retail_limits)
    body["remaining_quota"] = _s(quota)
    listing = queries.listing_of(session, o)
    if listing is not None:
        pre_no, invt_no = list_numbers(session, listing)
        body["list"] = {"name": listing.name, "state": listing.state, "pre_no": pre_no,
                        "invt_no": invt_no, "released_at": listing.released_at.isoformat()
                        if listing.released_at else None}
    else:
        body["list"] = None
    body["messages"] = [message_ref(m) for m in queries.messages_of(session, o)]
    body["parcels"] = [{"tracking_no": p.tracking_no, "weight_kg": _s(p.weight_kg),
                        "shipped_at": p.shipped_at.isoformat() if p.shipped_at else None}
                       for p in queries.parcels_of(session, o)]
    return body


def _batch(data) -> list:
    if isinstance(data, dict):
        unknown = [k for k in data if k not in ("orders", "idempotency_key")]
        if unknown:
            raise ValidationError(N_("Unknown field"), field=unknown[0])
        data = data.get("orders")
    if not isinstance(data, list) or not data:
        raise ValidationError(N_("Send a non-empty list of orders"), field="orders")
    return data


ORDER_INDEX = re.compile(r"^orders\[(\d+)\]\.")


def limit_response(exc: intake.LimitExceeded, batch: list):
    """The limit error, with the buyer's remaining annual quota in the message and beside
    the error (the per-transaction message of the service does not carry it)."""
    message = translate_error(exc)
    remaining = exc.params.get("remaining")
    match = ORDER_INDEX.match(exc.field or "")
    if remaining is None and match and int(match.group(1)) < len(batch):
        data = batch[int(match.group(1))]
        year = datetime.now().year
        try:
            year = datetime.fromisoformat(str(data.get("ordered_at"))).year
        except (TypeError, ValueError):
            pass
        limits = settings().retail_limits
        remaining = queries.remaining_quota(db(), str(data.get("buyer_id_number") or ""), year,
                                            limits)
        message = f"{message}; " + gettext(
            "the buyer has %(remaining)s of %(limit)s left this year",
            remaining=_money(remaining), limit=_money(limits.per_year))
    response = error_response(exc.status, exc.code, message, exc.field)
    body = response.get_json()
    body["remaining_quota"] = _s(remaining) if remaining is not None else None
    answer = jsonify(body)
    answer.status_code = exc.status
    return answer


def _received(session: Session, results: list[intake.OrderResult]) -> tuple[int, dict]:
    items = []
    limits = settings().retail_limits
    for r in results:
        item = order_json(r.order)
        item["created"] = r.created
        item["remaining_quota"] = _s(r.remaining_quota) if r.created else \
            _s(queries.order_quota(session, r.order, limits))
        items.append(item)
    created = sum(1 for r in results if r.created)
    return (201 if created else 200), {"orders": items, "created": created}


@operation("/orders", "POST", summary="Receive a batch of platform orders", tag="orders",
           response=RECEIVED_BATCH, status=201, roles=WRITERS, body_spec=ORDER_INPUT_SPEC)
def orders_receive():
    """All or nothing: every order is checked (ID check digit, amounts that reconcile,
    payment equal to the paid amount, consignee equal on order and waybill, registered
    products in bonded stock of the owner, retail limits and the buyer's quota) before any
    is stored; the first error names ``orders[i].field`` and nothing is written. Replays
    (same platform + order number, same content) answer with the stored orders, created
    false, status 200. An Idempotency-Key header is honoured as well."""
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationError(N_("Send a JSON body with Content-Type application/json"))
    batch = _batch(data)
    config = settings()

    def use_case(session: Session):
        return _received(session, intake.receive_orders(session, batch, settings=config))
    try:
        return write(data, use_case)
    except intake.LimitExceeded as exc:
        return limit_response(exc, batch)


@operation("/orders/csv", "POST", summary="Receive orders from a CSV file", tag="orders",
           response=RECEIVED_BATCH, status=201, roles=WRITERS, body_spec={
               "type": "string", "description": "The CSV file as the body (Content-Type "
               "text/csv; UTF-8 or GB18030): one row per order line, grouped by order_no; "
               "columns " + ", ".join(order_csv.ORDER_CSV_COLUMNS) + ". Errors name the line "
               "and the column, e.g. field \"line 4: qty\"."})
def orders_receive_csv():
    """All or nothing, like the JSON batch."""
    content = request.get_data()
    if not content.strip():
        raise ValidationError(N_("Send the CSV file as the request body"), field="file")
    text = intake.decode_upload(content)
    config = settings()

    def use_case(session: Session):
        return _received(session, order_csv.receive_csv(session, text, settings=config))
    try:
        return write(text, use_case)
    except order_csv.CsvError as exc:
        if not isinstance(exc.__cause__, DomainError):
            raise
        message = gettext(exc.template, **{**exc.params,
                                           "detail": translate_error(exc.__cause__)})
        return error_response(exc.status, exc.code, message, exc.field)


@operation("/orders", summary="List orders", tag="orders", response=ORDER, many=True,
           query=(("state", "string", "only orders in this state"),
                  ("trade_mode", "string", "1210, 9610, 9710 or 9810"),
                  ("kind", "string", "import (1210), b2c (9610) or b2b (9710 and 9810)"),
                  *PAGING))
def orders_list():
    """Newest first; owner tokens see their own owner's orders only."""
    state = request.args.get("state") or None
    if state and state not in ORDER_STATES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="state",
                              values=", ".join(ORDER_STATES))
    mode = request.args.get("trade_mode") or None
    if mode and mode not in TRADE_MODES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="trade_mode",
                              values=", ".join(TRADE_MODES))
    kind = request.args.get("kind") or None
    if kind and kind not in queries.KINDS:
        raise ValidationError(N_("Must be one of: %(values)s"), field="kind",
                              values=", ".join(queries.KINDS))
    return jsonify(page_of(queries.orders_query(state, mode, kind=kind), order_json))


@operation("/orders/<ref>", summary="One order with its list, messages and parcels",
           tag="orders", response=ORDER_DETAIL)
def order_get(ref: str):
    return jsonify(order_detail_json(db(), queries.resolve_order(db(), ref)))


@operation("/orders/<ref>/declare", "POST", summary="Declare the order to customs",
           tag="orders", response=ORDER_DETAIL, status=201, roles=DECLARANTS)
def order_declare(ref: str):
    """Builds the three documents (CEB311/411/511, or CEB303/505 for export) and the
    inventory list (CEB621 / CEB603), checks them against the code tables and business
    rules, and against the official XSD when the app is configured with its folder
    (``CEB_XSD_DIR``), then queues them in the customs outbox. A message that fails a
    check is refused with code ``ceb_invalid`` / ``ceb_xsd`` naming the element, and
    nothing is queued. Takes no body; send an Idempotency-Key header to make a retry safe."""
    config = settings()

    def use_case(session: Session):
        order, _listing = declaring.declare(session, ref, settings=config)
        return 201, order_detail_json(session, order)
    return write({}, use_case)


@operation("/orders/<ref>/cancel", "POST", summary="Cancel an order", tag="orders",
           body=CANCEL_IN, response=ORDER_DETAIL, status=201, roles=DECLARANTS)
def order_cancel(ref: str, payload: dict):
    """Only before picking: received, declared or released orders."""
    def use_case(session: Session):
        order = queries.resolve_order(session, ref, lock=True)
        intake.cancel_order(session, order, payload["reason"])
        return 201, order_detail_json(session, order)
    return write(payload, use_case)


# ---------------------------------------------------------------------------- the warehouse

PICKERS = ("operator", "supervisor")
WAVE_LINE = Schema("WaveLine", (
    Field("move", "integer", True, "the reserved move to confirm"),
    Field("location", "string", True, "the location's path"),
    Field("location_barcode", "string", True),
    Field("sku", "string", True),
    Field("gtin", "string", True),
    Field("name", "string", True),
    Field("lot", "string", True),
    Field("expiry", "string", True, "YYYY-MM-DD or empty"),
    Field("qty", "string", True, "reserved (decimal as a string)"),
    Field("state", "string", True, "reserved (to pick), done (picked) or cancelled"),
    Field("picked", "string", True, "what was picked, empty while open"),
    Field("short", "boolean", True),
    Field("reason", "string", True, "why less was picked"),
    Field("order", "string", True, "the order's name"),
), "One line of a wave, in walking order.")
WAVE = Schema("Wave", (
    Field("id", "integer", True),
    Field("name", "string", True),
    Field("state", "string", True, enum=Wave.__states__),
    Field("warehouse", "string", True),
    Field("orders", "array", True, "the orders in the wave (platform order numbers)"),
    Field("skipped", "array", True, "orders left out, with the reason (no stock)"),
    Field("lines", "array", True, items=WAVE_LINE),
), "A wave: released orders reserved first expiry first out.")
WAVE_IN = Schema("WaveInput", (
    Field("warehouse", "string", True, "the warehouse's code", max_length=20),
    Field("orders", "array", True, "released orders by id, platform order number or name"),
    Field("idempotency_key", "string", max_length=80),
), "The released orders to reserve in one wave.")
PICK_IN = Schema("PickInput", (
    Field("move", "integer", True, "the wave line (reserved move) picked"),
    Field("quantity", "string", True, "what was picked (decimal as a string); less than "
          "reserved is a short pick", max_length=20),
    Field("reason", "string", description="why less was picked (required then)",
          max_length=200),
    Field("location", "string", description="the location barcode scanned: must be the "
          "line's", max_length=60),
    Field("product", "string", description="the product scanned (SKU, GTIN or a GS1 label "
          "with the lot): must be the line's", max_length=400),
    Field("idempotency_key", "string", max_length=80),
), "One pick, as the handheld reports it.")
PICK_OUT = Schema("Pick", (
    Field("move", "integer", True),
    Field("sku", "string", True),
    Field("expected", "string", True),
    Field("picked", "string", True),
    Field("short", "boolean", True),
    Field("left", "integer", True, "lines of the wave still to pick"),
    Field("wave_state", "string", True),
), "The pick as recorded.")
PACK_IN = Schema("PackInput", (
    Field("tracking_no", "string", True, "the parcel's waybill or UPU S10 number (check "
          "digit verified)", max_length=40),
    Field("weight_kg", "string", True, "the parcel's weight (decimal as a string)",
          max_length=20),
    Field("idempotency_key", "string", max_length=80),
), "The parcel of a picked order.")
DOOR_IN = Schema("WarehouseStep", (
    Field("idempotency_key", "string", max_length=80),
), "No data: the order named in the path moves on.")


def wave_json(session: Session, wave: Wave, skipped: list[SalesOrder] = ()) -> dict:
    return {"id": wave.id, "name": wave.name, "state": wave.state,
            "warehouse": session.get(Warehouse, wave.warehouse_id).code,
            "orders": [o.order_no for o in queries.wave_orders(session, wave)],
            "skipped": [f"{o.order_no}: {stored_text(o.hold_reason)}" for o in skipped],
            "lines": queries.wave_lines(session, wave)}


@operation("/waves", "POST", summary="Reserve released orders in a wave", tag="warehouse",
           body=WAVE_IN, response=WAVE, status=201, roles=PICKERS)
def wave_create(payload: dict):
    """First expiry first out from the owner's stock of the order's customs status; an
    order the stock cannot cover stays released (``skipped`` says why); none covered:
    409 and no wave. Only released orders of the warehouse join (409 otherwise)."""
    def use_case(session: Session):
        started = fulfilment.start_wave(session, payload["warehouse"], payload["orders"])
        return 201, wave_json(session, started.wave, started.skipped)
    return write(payload, use_case)


@operation("/waves/<wave_id>", summary="A wave with its lines in walking order",
           tag="warehouse", response=WAVE, roles=PICKERS)
def wave_get(wave_id: str):
    return jsonify(wave_json(db(), queries.get_wave(db(), _wave_id(wave_id))))


def _wave_id(value: str) -> int:
    if not ascii_id(value):
        raise NotFound(N_("Wave %(id)s not found"), field="wave", id=value)
    return ascii_id(value)


@operation("/waves/<wave_id>/picks", "POST", summary="Confirm a pick", tag="warehouse",
           body=PICK_IN, response=PICK_OUT, status=201, roles=PICKERS)
def wave_pick(wave_id: str, payload: dict):
    """As the handheld's pick: the scanned location and product (and a GS1 label's lot) must
    be the line's (422 ``location`` / ``product``; an unknown code 404); less than reserved
    needs a ``reason`` and is recorded as a short pick, the rest released; a line picked
    already is 404."""
    def use_case(session: Session):
        result, wave, left = fulfilment.pick(session, _wave_id(wave_id), fulfilment.PickScan(
            payload["move"], payload["quantity"], payload.get("reason"),
            payload.get("location"), payload.get("product")))
        return 201, {"move": result.move_id, "sku": result.sku,
                     "expected": _s(result.expected), "picked": _s(result.picked),
                     "short": result.short, "left": left, "wave_state": wave.state}
    return write(payload, use_case)


@operation("/orders/<ref>/pack", "POST", summary="Pack a picked order", tag="warehouse",
           body=PACK_IN, response=ORDER_DETAIL, status=201, roles=PICKERS)
def order_pack(ref: str, payload: dict):
    """The parcel gets its waybill or S10 number (an S10 with a wrong check digit is 422
    ``tracking_no``; a number on another parcel 409). The order may also be named by its
    waybill number."""
    def use_case(session: Session):
        order, _parcel = fulfilment.pack(session, ref, payload["tracking_no"],
                                         payload["weight_kg"])
        return 201, order_detail_json(session, order)
    return write(payload, use_case)


@operation("/orders/<ref>/ship", "POST", summary="Ship a packed order", tag="warehouse",
           body=DOOR_IN, response=ORDER_DETAIL, status=201, roles=PICKERS)
def order_ship(ref: str, payload: dict):
    """Through the second line: the goods leave the output area for the customer (1210:
    duty paid, written off the account book) or, for a 9810 export, for transit. Only a
    packed order ships (409). The order may be named by its waybill or parcel number."""
    def use_case(session: Session):
        return 201, order_detail_json(session, fulfilment.ship(session, ref))
    return write(payload, use_case)


@operation("/orders/<ref>/arrival", "POST", summary="A 9810 export arrives overseas",
           tag="warehouse", body=DOOR_IN, response=ORDER_DETAIL, status=201, roles=PICKERS)
def order_arrival(ref: str, payload: dict):
    """The shipped export's goods leave transit for its overseas warehouse's input area,
    released there; once only (409)."""
    def use_case(session: Session):
        order, _destination = overseas.arrive(session, ref)
        return 201, order_detail_json(session, order)
    return write(payload, use_case)
