"""Picking and packing (``/m/pick``) for operators and supervisors, on a phone or a scanner.

* Waves: released orders of a warehouse, reserved first expiry first out from the owner's
  stock of the right customs status (``wms.outbound.services.create_wave``).
* The wave's pick list, sorted by location, on screen and as an A4 PDF.
* Handheld picking: scan the location, scan the product (SKU, GTIN or a GS1 label), confirm
  the quantity; less than reserved is a short pick and needs a reason.
* The packing station: scan the order (or its waybill), check its picked items by scanning
  them, weigh, scan or type the waybill / S10 number, pack, print the parcel label, ship
  through the second line; a 9810 export is later marked arrived at its overseas warehouse.

Writes from the scanner pages go to JSON endpoints under ``/m/pick/api/`` through
``web.idempotency.write``, each with an idempotency key (``static/picking.js`` keeps an
offline queue like the handheld's), so a write sent twice happens once.
"""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from flask import (Blueprint, Response, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.core.errors import N_, Conflict, DomainError, NotFound, ValidationError
from wms.core.idempotency import run_idempotent
from wms.catalog.models import Lot, Product
from wms.inventory.models import Location, StockMove, Warehouse
from wms.outbound import services as outbound
from wms.outbound.documents import pick_list_pdf, pick_rows
from wms.outbound.models import Parcel, SalesOrder, Wave, WaveOrder, Waybill

from . import errors as web_errors
from .auth import blueprint_roles
from .db import close_session, db
from wms.inventory.resolve import find_location, resolve_item
from .idempotency import write
from .orders import STATE_TITLES, num, parcels_of

bp = Blueprint("picking", __name__, url_prefix="/m/pick")
blueprint_roles(bp, "operator", "supervisor")
API_PREFIX = "/m/pick/api/"

# Customs country codes (3 digits) to the ISO 3166 alpha-2 codes a CN22 shows.
ISO_COUNTRY = {"142": "CN", "116": "JP", "133": "KR", "110": "HK", "304": "DE", "303": "GB",
               "305": "FR", "502": "US"}


# ---------------------------------------------------------------------------- helpers

def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(N_("Send a JSON object"), field=None)
    return payload


def _text(payload: dict, name: str, limit: int = 200) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value[:limit] or None


def _id(payload: dict, name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not str(value or "").strip().isdigit():
        raise ValidationError(N_("This field is required"), field=name)
    return int(value)


def _write(payload: dict, use_case):
    """The write runs in a session and transaction of its own (see ``web.handheld``)."""
    return write(payload, use_case)


def get_wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(N_("Wave %(id)s not found"), field="wave", id=wave_id)
    return wave


def find_order(session: Session, code: str | None) -> SalesOrder:
    """The order a packer scanned: its name, the platform's order number, its waybill
    number or a parcel's tracking number."""
    code = (code or "").strip()
    if not code:
        raise ValidationError(N_("Scan the order or its waybill"), field="order")
    if code.isdigit() and len(code) < 10:
        order = session.get(SalesOrder, int(code))
        if order is not None:
            return order
    order = session.scalars(select(SalesOrder).where(
        (SalesOrder.order_no == code) | (SalesOrder.name == code)
        | (SalesOrder.name == code.replace("-", "/")))).first()
    if order is None:
        order = session.scalar(select(SalesOrder).join(Waybill, Waybill.order_id ==
                                                       SalesOrder.id)
                               .where(func.upper(Waybill.logistics_no) == code.upper()))
    if order is None:
        order = session.scalar(select(SalesOrder).join(Parcel, Parcel.order_id == SalesOrder.id)
                               .where(Parcel.tracking_no == code.upper()))
    if order is None:
        raise NotFound(N_("No order, waybill or parcel %(code)s"), field="order", code=code)
    return order


def wave_orders(session: Session, wave: Wave) -> list[SalesOrder]:
    return list(session.scalars(select(SalesOrder).join(
        WaveOrder, WaveOrder.order_id == SalesOrder.id).where(WaveOrder.wave_id == wave.id)
        .order_by(SalesOrder.id)))


def wave_lines(session: Session, wave: Wave) -> list[dict]:
    """The pick lines in walking order, as the handheld page needs them."""
    lines = []
    for r in pick_rows(session, wave):
        product = r.product
        lines.append({
            "move": r.move.id, "location": r.location.full_path,
            "location_barcode": r.location.barcode or "", "sku": product.sku,
            "gtin": product.gtin or "", "name": product.name_zh,
            "lot": r.lot.name if r.lot else "",
            "expiry": r.lot.expiry_date.isoformat() if r.lot and r.lot.expiry_date else "",
            "qty": num(r.expected), "state": r.move.state,
            "picked": num(r.picked) if r.picked is not None else "",
            "short": bool(r.short), "reason": r.short.reason if r.short else "",
            "order": r.order_name,
        })
    return lines


def _progress(session: Session, wave: Wave) -> tuple[int, int]:
    moves = outbound.wave_moves(session, wave)
    return sum(1 for m in moves if m.state != "reserved"), len(moves)


# ---------------------------------------------------------------------------- writes

def do_pick(session: Session, payload: dict) -> tuple[int, dict]:
    """One confirmed pick: the location and the product scanned must be the reserved ones."""
    wave = get_wave(session, _id(payload, "wave"))
    move_id = _id(payload, "move")
    move = session.get(StockMove, move_id)
    if move is None or move.document_id != wave.document_id:
        raise NotFound(N_("No open pick %(id)s in this wave"), field="move", id=move_id)
    product_row = session.get(Product, move.product_id)
    location_code = _text(payload, "location", 60)
    if location_code:
        location = find_location(session, location_code, "location")
        if location.id != move.from_location_id:
            raise ValidationError(N_("Wrong location %(code)s: pick from %(path)s"),
                                  field="location", code=location_code,
                                  path=session.get(Location, move.from_location_id).full_path)
    product_code = _text(payload, "product", 400)
    if product_code:
        item = resolve_item(session, product_code, "product")
        if item.package is not None or move.product_id not in {p.id for p in
                                                                item.products or []}:
            raise ValidationError(N_("%(code)s is not %(sku)s"), field="product",
                                  code=product_code, sku=product_row.sku)
        lot_row = session.get(Lot, move.lot_id) if move.lot_id else None
        lot = lot_row.name if lot_row else None
        if item.lot and lot and item.lot != lot:
            raise ValidationError(N_("Lot %(lot)s is not the reserved lot %(expected)s"),
                                  field="product", lot=item.lot, expected=lot)
    raw = payload.get("quantity")
    if raw in (None, ""):
        raise ValidationError(N_("Enter the quantity picked"), field="quantity")
    reason = _text(payload, "reason", 200)
    expected = move.quantity
    outbound.confirm_pick(session, wave, move.id, str(raw).strip(), reason)
    open_left = session.scalar(select(func.count()).select_from(StockMove).where(
        StockMove.document_id == wave.document_id, StockMove.state == "reserved"))
    try:
        qty = Decimal(str(raw).strip())
    except InvalidOperation:
        qty = Decimal(0)
    if qty < expected:
        message = _("Short pick recorded: %(qty)s of %(expected)s × %(sku)s",
                    qty=num(qty), expected=num(expected), sku=product_row.sku)
    else:
        message = _("Picked %(qty)s × %(sku)s", qty=num(qty), sku=product_row.sku)
    return 201, {"ok": True, "message": message, "move": move.id, "left": open_left,
                 "short": qty < expected, "wave_state": wave.state}


def _order_for_write(session: Session, payload: dict) -> SalesOrder:
    return find_order(session, _text(payload, "order", 60))


def do_pack(session: Session, payload: dict) -> tuple[int, dict]:
    order = _order_for_write(session, payload)
    parcel = outbound.pack_order(session, order, tracking_no=_text(payload, "tracking_no", 40)
                                 or "", weight_kg=_text(payload, "weight_kg", 20))
    return 201, {"ok": True, "order": order.order_no, "state": order.state,
                 "tracking_no": parcel.tracking_no,
                 "label_url": url_for("picking.label", order_id=order.id),
                 "message": _("Order %(no)s packed: parcel %(tracking)s",
                              no=order.order_no, tracking=parcel.tracking_no)}


def do_ship(session: Session, payload: dict) -> tuple[int, dict]:
    order = _order_for_write(session, payload)
    outbound.ship_order(session, order)
    return 201, {"ok": True, "order": order.order_no, "state": order.state,
                 "message": _("Order %(no)s shipped through the second line.",
                              no=order.order_no)}


def already_arrived(session: Session, order: SalesOrder) -> bool:
    return bool(session.scalar(select(StockMove.id).where(
        StockMove.reason == f"arrived {order.name}", StockMove.state == "done").limit(1)))


def do_arrive(session: Session, payload: dict) -> tuple[int, dict]:
    order = _order_for_write(session, payload)
    outbound.arrive_overseas(session, order)
    destination = session.get(Warehouse, order.destination_warehouse_id)
    session.flush()
    return 201, {"ok": True, "order": order.order_no, "state": order.state,
                 "message": _("Order %(no)s arrived at %(warehouse)s: the goods are stock "
                              "there now.", no=order.order_no,
                              warehouse=destination.code if destination else "?")}


@bp.post("/api/pick")
def api_pick():
    payload = _payload()
    return _write(payload, lambda session: do_pick(session, payload))


@bp.post("/api/pack")
def api_pack():
    payload = _payload()
    return _write(payload, lambda session: do_pack(session, payload))


@bp.post("/api/ship")
def api_ship():
    payload = _payload()
    return _write(payload, lambda session: do_ship(session, payload))


@bp.post("/api/arrive")
def api_arrive():
    payload = _payload()
    return _write(payload, lambda session: do_arrive(session, payload))


# ---------------------------------------------------------------------------- pages

def js_strings() -> dict[str, str]:
    return {
        "scan_location": _("Scan the location"),
        "scan_product": _("Scan the product"),
        "confirm": _("Check the quantity and confirm"),
        "wrong_location": _("Wrong location: go to"),
        "wrong_product": _("Wrong product: pick"),
        "reason_needed": _("Less than reserved: say why"),
        "all_done": _("Everything in this wave is picked."),
        "scan_order": _("Scan the order or its waybill"),
        "scan_items": _("Scan each item into the parcel"),
        "scan_tracking": _("Scan or type the waybill or S10 number"),
        "not_in_order": _("Not in this order:"),
        "too_many": _("Already checked:"),
        "not_checked": _("Scan every item first"),
        "queued": _("No network: saved on this device, it will be sent when the network is "
                    "back."),
        "sent": _("Sent from this device:"),
        "session": _("Your session has ended: log in again. The waiting scans are kept."),
        "server": _("The server could not answer; the scan stays in the queue."),
        "offline": _("Offline"),
        "online": _("Online"),
    }


def _context(flow: str, **extra) -> dict:
    return dict(flow=flow, num=num, pick_i18n=js_strings(), pick_urls={
        "pick": url_for("picking.api_pick"), "pack": url_for("picking.api_pack"),
        "ship": url_for("picking.api_ship"), "arrive": url_for("picking.api_arrive"),
        "pack_page": url_for("picking.pack")}, **extra)


def _warehouses(session: Session) -> list[Warehouse]:
    rows = session.scalars(select(Warehouse).order_by(Warehouse.code)).all()
    return sorted(rows, key=lambda w: (w.kind != "bonded", w.code))


@bp.get("/")
def index():
    session = db()
    warehouses = _warehouses(session)
    code = request.args.get("warehouse") or (warehouses[0].code if warehouses else "")
    warehouse = next((w for w in warehouses if w.code == code), None)
    released = list(session.scalars(select(SalesOrder).where(
        SalesOrder.state == "released", SalesOrder.warehouse_id == (
            warehouse.id if warehouse else 0)).order_by(SalesOrder.ordered_at,
                                                        SalesOrder.id))) if warehouse else []
    waves = list(session.scalars(select(Wave).where(
        Wave.warehouse_id == (warehouse.id if warehouse else 0))
        .order_by(Wave.state != "open", Wave.id.desc()).limit(20)))
    progress = {w.id: _progress(session, w) for w in waves}
    # Waves with lines still to pick first, then the newest.
    waves.sort(key=lambda w: (progress[w.id][0] >= progress[w.id][1], -w.id))
    packable = list(session.scalars(select(SalesOrder).where(
        SalesOrder.state.in_(("picked", "packed")), SalesOrder.warehouse_id == (
            warehouse.id if warehouse else 0)).order_by(SalesOrder.id)))
    return render_template("picking/index.html", **_context(
        "waves", warehouse_code=code, warehouses=warehouses, warehouse=warehouse, released=released, waves=waves,
        progress=progress, packable=packable, state_titles=STATE_TITLES,
        idempotency_key=uuid.uuid4().hex))


@bp.post("/waves")
def create_wave():
    """A wave from the released orders ticked on the page; a double tap makes one wave."""
    code = (request.form.get("warehouse") or "").strip()
    ids = sorted({int(v) for v in request.form.getlist("order") if v.isdigit()})
    key = (request.form.get("idempotency_key") or "").strip() or uuid.uuid4().hex

    def use_case(session: Session) -> tuple[int, dict]:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == code))
        if warehouse is None:
            raise ValidationError(N_("Unknown warehouse %(code)s"), field="warehouse",
                                  code=code)
        orders = list(session.scalars(select(SalesOrder).where(SalesOrder.id.in_(ids or [0]))
                                      .order_by(SalesOrder.id)))
        wave = outbound.create_wave(session, warehouse, orders)
        joined = {o.id for o in wave_orders(session, wave)}
        skipped = [f"{o.order_no}: {o.hold_reason}" for o in orders if o.id not in joined]
        if not joined:
            raise Conflict(N_("No order could be reserved: %(why)s"), field="orders",
                           why="; ".join(skipped))
        return 201, {"wave": wave.id, "name": wave.name, "orders": len(joined),
                     "skipped": skipped}

    sessions = current_app.extensions["wms.sessionmaker"]
    close_session()
    try:
        _status, body, _replayed = run_idempotent(
            sessions, key, request.endpoint, {"warehouse": code, "orders": ids}, use_case)
    except DomainError as exc:
        flash(web_errors.translate_error(exc), "error")
        return redirect(url_for("picking.index", warehouse=code))
    flash(ngettext("Wave %(name)s: %(num)s order reserved.",
                   "Wave %(name)s: %(num)s orders reserved.", body["orders"],
                   name=body["name"]), "ok")
    for line in body["skipped"]:
        flash(_("Not in the wave (no stock): %(why)s", why=line), "error")
    return redirect(url_for("picking.wave", wave_id=body["wave"]))


@bp.get("/waves/<int:wave_id>")
def wave(wave_id: int):
    """Handheld picking of one wave."""
    session = db()
    w = get_wave(session, wave_id)
    lines = wave_lines(session, w)
    return render_template("picking/wave.html", **_context(
        "pick", warehouse_code=session.get(Warehouse, w.warehouse_id).code, wave=w,
        lines=lines, orders=wave_orders(session, w),
        done=sum(1 for ln in lines if ln["state"] != "reserved")))


@bp.get("/waves/<int:wave_id>/list")
def pick_list(wave_id: int):
    session = db()
    w = get_wave(session, wave_id)
    return render_template("picking/list.html", **_context(
        "list", wave=w, rows=pick_rows(session, w), orders=wave_orders(session, w)))


@bp.get("/waves/<int:wave_id>/picklist.pdf")
def pick_list_file(wave_id: int):
    session = db()
    w = get_wave(session, wave_id)
    warehouse = session.get(Warehouse, w.warehouse_id)
    pdf = pick_list_pdf(w, pick_rows(session, w),
                        warehouse_name=f"{warehouse.code} {warehouse.name}",
                        orders=[f"{o.order_no} ({o.name})" for o in wave_orders(session, w)])
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{w.name.replace("/", "-")}-picklist.pdf"'})


@bp.get("/pack")
def pack():
    """The packing station: the order scanned, its picked items to check, weight, number."""
    session = db()
    code = (request.args.get("code") or "").strip()[:60]
    order, error, parcels = None, None, []
    if code:
        try:
            order = find_order(session, code)
            parcels = parcels_of(session, order)
        except DomainError as exc:
            error = web_errors.translate_error(exc)
    items = []
    if order is not None:
        for ln in order.lines:
            items.append({"sku": ln.product.sku, "gtin": ln.product.gtin or "",
                          "name": ln.product.name_zh, "qty": num(ln.picked_qty),
                          "ordered": num(ln.qty)})
    destination = session.get(Warehouse, order.destination_warehouse_id) \
        if order is not None and order.destination_warehouse_id else None
    arrived = order is not None and order.trade_mode == "9810" and \
        already_arrived(session, order)
    return render_template("picking/pack.html", **_context(
        "pack", code=code, order=order, error=error, items=items, parcels=parcels,
        destination=destination, arrived=arrived, state_titles=STATE_TITLES)), \
        404 if error else 200


# ---------------------------------------------------------------------------- the label

def parcel_label_fields(session: Session, order: SalesOrder, parcel: Parcel) -> dict:
    """The parcel label's data (``labels`` kind ``parcel``): CN22-style items with HS code,
    value and origin from the order lines as picked."""
    warehouse = order.warehouse
    owner = order.owner
    items = []
    for ln in order.lines:
        qty = ln.picked_qty or ln.qty
        origin = ISO_COUNTRY.get(ln.product.origin_country)
        if origin is None:
            raise ValidationError(N_("No ISO country code for customs country %(code)s"),
                                  field="origin", code=ln.product.origin_country)
        value = (ln.price * qty).quantize(Decimal("0.01"))
        items.append({"description": ln.product.name_en or ln.product.gname,
                      "quantity": int(qty), "weight_kg": float(qty * ln.product.net_weight_kg),
                      "value": float(value), "hs_code": ln.product.hs_code,
                      "origin": origin})
    logistics = order.logistics
    return {
        "tracking_number": parcel.tracking_no,
        "sender": f"{owner.name_en or owner.name}\n{warehouse.name}\n{warehouse.address or ''}"
        .strip(),
        "consignee": f"{order.consignee}\n{order.consignee_address}\n{order.consignee_phone}",
        "weight_kg": float(parcel.weight_kg), "items": items, "category": "sale of goods",
        "currency": "CNY",
        "carrier": (logistics.name_en or logistics.name) if logistics else "",
        "order_number": order.order_no,
    }


@bp.get("/orders/<int:order_id>/label.pdf")
def label(order_id: int):
    from labels import LabelDataError, render_pdf
    session = db()
    order = session.get(SalesOrder, order_id)
    if order is None:
        raise NotFound(N_("Order %(id)s not found"), field="order", id=order_id)
    parcels = parcels_of(session, order)
    if not parcels:
        raise NotFound(N_("Order %(name)s has no parcel yet: pack it first"), field="order",
                       name=order.order_no)
    try:
        pdf = render_pdf("parcel", [parcel_label_fields(session, order, p) for p in parcels])
    except LabelDataError as exc:
        raise ValidationError(N_("The label cannot be printed: %(field)s %(detail)s"),
                              field=exc.field, detail=str(exc)) from exc
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="parcel-{parcels[-1].tracking_no}.pdf"'})
