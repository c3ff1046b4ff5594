"""Picking and packing (``/m/pick``) for operators and supervisors, on a phone or a scanner.

* Waves: released orders of a warehouse, reserved first expiry first out from the owner's
  stock of the right customs status (``wms.outbound.fulfilment.start_wave``).
* The wave's pick list, sorted by location, on screen and as an A4 PDF.
* Handheld picking: scan the location, scan the product (SKU, GTIN or a GS1 label), confirm
  the quantity; less than reserved is a short pick and needs a reason.
* The packing station: scan the order (or its waybill), check its picked items by scanning
  them, weigh, scan or type the waybill / S10 number, pack, print the parcel label, ship
  through the second line; a 9810 export is later marked arrived at its overseas warehouse.

Writes from the scanner pages go to JSON endpoints under ``/m/pick/api/`` through
``web.idempotency.write``, each with an idempotency key (``static/picking.js`` keeps an
offline queue like the handheld's), so a write sent twice happens once. Every rule and lock
is in the doors of ``wms.outbound.fulfilment`` and ``overseas``, which ``/api/v1`` calls too;
this module parses the scan, calls one door and words the answer.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from flask import (Blueprint, Response, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from wms.core.parsing import ascii_id, parse_id
from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.core.idempotency import run_idempotent
from wms.inventory.models import Warehouse
from wms.outbound import fulfilment, overseas, queries
from wms.outbound.documents import pick_list_pdf
from wms.outbound.models import Parcel, SalesOrder

from .. import errors as web_errors
from ..auth import blueprint_roles
from ..db import close_session, db
from ..idempotency import write
from ..desk.orders import STATE_TITLES, num

bp = Blueprint("picking", __name__, url_prefix="/m/pick")
blueprint_roles(bp, "operator", "supervisor")
API_PREFIX = "/m/pick/api/"

# Customs country codes (3 digits) to the ISO 3166 alpha-2 codes a CN22 shows.
ISO_COUNTRY = {"142": "CN", "116": "JP", "133": "KR", "110": "HK", "304": "DE", "303": "GB",
               "305": "FR", "502": "US"}


# ---------------------------------------------------------------------------- parsing

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
    if value in (None, ""):
        raise ValidationError(N_("This field is required"), field=name)
    return parse_id(value, name)


def pick_scan(payload: dict) -> fulfilment.PickScan:
    """The scanner's (and the API's) pick as the door takes it."""
    return fulfilment.PickScan(move_id=_id(payload, "move"), quantity=payload.get("quantity"),
                               reason=_text(payload, "reason", 200),
                               location=_text(payload, "location", 60),
                               product=_text(payload, "product", 400))


# ---------------------------------------------------------------------------- writes

def do_pick(session: Session, payload: dict) -> tuple[int, dict]:
    """One confirmed pick: the location and the product scanned must be the reserved ones."""
    result, wave, left = fulfilment.pick(session, _id(payload, "wave"), pick_scan(payload))
    if result.short:
        message = _("Short pick recorded: %(qty)s of %(expected)s × %(sku)s",
                    qty=num(result.picked), expected=num(result.expected), sku=result.sku)
    else:
        message = _("Picked %(qty)s × %(sku)s", qty=num(result.picked), sku=result.sku)
    return 201, {"ok": True, "message": message, "move": result.move_id, "left": left,
                 "short": result.short, "wave_state": wave.state}


def do_pack(session: Session, payload: dict) -> tuple[int, dict]:
    order, parcel = fulfilment.pack(session, _text(payload, "order", 60),
                                    _text(payload, "tracking_no", 40),
                                    _text(payload, "weight_kg", 20))
    return 201, {"ok": True, "order": order.order_no, "state": order.state,
                 "tracking_no": parcel.tracking_no,
                 "label_url": url_for("picking.label", order_id=order.id),
                 "message": _("Order %(no)s packed: parcel %(tracking)s",
                              no=order.order_no, tracking=parcel.tracking_no)}


def do_ship(session: Session, payload: dict) -> tuple[int, dict]:
    order = fulfilment.ship(session, _text(payload, "order", 60))
    return 201, {"ok": True, "order": order.order_no, "state": order.state,
                 "message": _("Order %(no)s shipped through the second line.",
                              no=order.order_no)}


def do_arrive(session: Session, payload: dict) -> tuple[int, dict]:
    order, destination = overseas.arrive(session, _text(payload, "order", 60))
    return 201, {"ok": True, "order": order.order_no, "state": order.state,
                 "message": _("Order %(no)s arrived at %(warehouse)s: the goods are stock "
                              "there now.", no=order.order_no, warehouse=destination.code)}


@bp.post("/api/pick")
def api_pick():
    payload = _payload()
    return write(payload, lambda session: do_pick(session, payload))


@bp.post("/api/pack")
def api_pack():
    payload = _payload()
    return write(payload, lambda session: do_pack(session, payload))


@bp.post("/api/ship")
def api_ship():
    payload = _payload()
    return write(payload, lambda session: do_ship(session, payload))


@bp.post("/api/arrive")
def api_arrive():
    payload = _payload()
    return write(payload, lambda session: do_arrive(session, payload))


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
        "pick_full": _("All of it is picked already:"),
        "step_invalid": _("Type a quantity above zero"),
        "undone": _("Last scan taken back."),
        "waybill_scanned": _("Waybill scanned:"),
        "weigh": _("Now weigh the parcel and tap Pack."),
        "progress": _("%(done)s/%(total)s lines, %(units)s units"),
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


@bp.get("/")
def index():
    session = db()
    warehouses = queries.picking_warehouses(session)
    code = request.args.get("warehouse") or (warehouses[0].code if warehouses else "")
    warehouse = next((w for w in warehouses if w.code == code), None)
    released, waves, progress, packable = [], [], {}, []
    if warehouse is not None:
        released = queries.released_orders(session, warehouse)
        waves, progress = queries.recent_waves(session, warehouse)
        packable = queries.packable_orders(session, warehouse)
    return render_template("picking/index.html", **_context(
        "waves", warehouse_code=code, warehouses=warehouses, warehouse=warehouse,
        released=released, waves=waves, progress=progress, packable=packable,
        state_titles=STATE_TITLES, idempotency_key=uuid.uuid4().hex))


@bp.post("/waves")
def create_wave():
    """A wave from the released orders ticked on the page; a double tap makes one wave."""
    code = (request.form.get("warehouse") or "").strip()
    ids = sorted({n for n in map(ascii_id, request.form.getlist("order")) if n})
    key = (request.form.get("idempotency_key") or "").strip() or uuid.uuid4().hex
    sessions = current_app.extensions["wms.sessionmaker"]
    close_session()
    try:
        _status, body, _replayed = run_idempotent(
            sessions, key, request.endpoint, {"warehouse": code, "orders": ids},
            lambda session: wave_answer(fulfilment.start_wave(session, code, ids)))
    except DomainError as exc:
        flash(web_errors.translate_error(exc), "error")
        return redirect(url_for("picking.index", warehouse=code))
    flash(ngettext("Wave %(name)s: %(num)s order reserved.",
                   "Wave %(name)s: %(num)s orders reserved.", body["orders"],
                   name=body["name"]), "ok")
    for line in body["skipped"]:
        flash(_("Not in the wave (no stock): %(why)s", why=line), "error")
    return redirect(url_for("picking.wave", wave_id=body["wave"]))


def wave_answer(started: fulfilment.WaveStart) -> tuple[int, dict]:
    """The stored answer of a new wave (the desk form and the API replay it alike)."""
    return 201, {"wave": started.wave.id, "name": started.wave.name,
                 "orders": len(started.joined),
                 "skipped": [f"{o.order_no}: {web_errors.stored_text(o.hold_reason)}"
                             for o in started.skipped]}


@bp.get("/waves/<int:wave_id>")
def wave(wave_id: int):
    """Handheld picking of one wave."""
    session = db()
    w = queries.get_wave(session, wave_id)
    lines = queries.wave_lines(session, w)
    return render_template("picking/wave.html", **_context(
        "pick", warehouse_code=session.get(Warehouse, w.warehouse_id).code, wave=w,
        lines=lines, orders=queries.wave_orders(session, w),
        done=sum(1 for ln in lines if ln["state"] != "reserved"),
        units=num(sum((Decimal(ln["picked"]) for ln in lines if ln["picked"]), Decimal(0)))))


@bp.get("/waves/<int:wave_id>/list")
def pick_list(wave_id: int):
    session = db()
    w = queries.get_wave(session, wave_id)
    return render_template("picking/list.html", **_context(
        "list", wave=w, rows=queries.pick_rows(session, w),
        orders=queries.wave_orders(session, w)))


@bp.get("/waves/<int:wave_id>/picklist.pdf")
def pick_list_file(wave_id: int):
    session = db()
    w = queries.get_wave(session, wave_id)
    warehouse = session.get(Warehouse, w.warehouse_id)
    pdf = pick_list_pdf(w, queries.pick_rows(session, w),
                        warehouse_name=f"{warehouse.code} {warehouse.name}",
                        orders=[f"{o.order_no} ({o.name})"
                                for o in queries.wave_orders(session, w)])
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
            order = queries.find_order_to_pack(session, code)
            parcels = queries.parcels_of(session, order)
        except DomainError as exc:
            error = web_errors.translate_error(exc)
    items = []
    if order is not None:
        for ln in order.lines:
            items.append({"sku": ln.product.sku, "gtin": ln.product.gtin or "",
                          "name": ln.product.name_zh, "qty": num(ln.picked_qty),
                          "ordered": num(ln.qty)})
    destination = queries.destination_of(session, order) if order is not None else None
    arrived = order is not None and order.trade_mode == "9810" and \
        queries.has_arrived(session, order)
    done = None
    if order is not None and request.args.get("done") == order.state and parcels:
        done = (_("Order %(no)s packed: parcel %(tracking)s. Print the label, then ship.",
                  no=order.order_no, tracking=parcels[-1].tracking_no)
                if order.state == "packed" else
                _("Order %(no)s shipped through the second line.", no=order.order_no))
    return render_template("picking/pack.html", **_context(
        "pack", code=code, order=order, error=error, items=items, parcels=parcels,
        destination=destination, arrived=arrived, state_titles=STATE_TITLES, done=done)), \
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
    order = queries.get_order(session, order_id)
    parcels = queries.parcels_of(session, order)
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
