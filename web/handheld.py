"""Handheld pages (``/m``) for warehouse staff with keyboard-wedge scanners.

The pages are server-rendered; ``static/handheld.js`` drives the scan field, the sounds and
the offline queue. Writes go to JSON endpoints under ``/m/api/`` through
``web.idempotency.write``: every one carries an idempotency key, so the offline queue and
Wi-Fi retries may send the same scan again and stock moves once. Domain errors on those
endpoints answer ``{"error": {"code", "message", "field"}}`` like the API does.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.catalog.services import find_products_by_code
from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.core.idempotency import run_idempotent
from wms.inbound.putaway import store_finished_receipts
from wms.inventory import scan as scanning
from wms.inventory.barcodes import Scan, classify
from wms.inventory.counts import (DEFAULT_APPROVAL_THRESHOLD, approve_count, record_count,
                                  reject_count, start_count, submit_count)
from wms.inventory.models import CountSession, Location, Package, Quant
from wms.inventory.places import location_by_path
from wms.inventory.services import (InsufficientStock, MoveLine, move_package, package_tree,
                                    parse_quantity, transfer)
from wms.partners.models import Enterprise

from . import errors as web_errors
from .auth import blueprint_roles
from .db import close_session, db
from .idempotency import write

bp = Blueprint("handheld", __name__, url_prefix="/m")
blueprint_roles(bp, "operator", "supervisor")

API_PREFIX = "/m/api/"
MAX_COUNT_LINES = 500

KIND_TITLES = {
    "sscc": _l("Package (SSCC)"),
    "gtin": _l("Product number (GTIN)"),
    "gs1": _l("GS1-128 element string"),
    "s10": _l("UPU S10 postal item number"),
    "awb": _l("IATA air waybill number"),
    "container": _l("ISO 6346 container number"),
    "text": _l("Location, SKU or other text"),
}
PART_TITLES = {
    "sscc": _l("SSCC"), "gtin": _l("GTIN"), "content_gtin": _l("GTIN of contents"),
    "gtin14": _l("GTIN-14"), "lot": _l("Lot"), "expiry": _l("Expiry date"),
    "best_before": _l("Best before"), "production_date": _l("Production date"),
    "count": _l("Count"), "gross_weight_kg": _l("Gross weight (kg)"), "serial": _l("Serial"),
    "extension": _l("Extension digit"), "reference": _l("Reference"),
    "check": _l("Check digit"), "service": _l("Service indicator"), "country": _l("Country"),
    "prefix": _l("Airline prefix"), "owner": _l("Owner code"), "category": _l("Category"),
    "order": _l("Order number"), "ship_to_postal": _l("Ship-to postal code"),
    "ship_to_country": _l("Ship-to country"), "ship_to_gln": _l("Ship-to GLN"),
}
STATUS_TITLES = {
    "arrived": _l("Arrived"), "bonded": _l("Bonded"), "held": _l("Held by customs"),
    "released": _l("Released"), "export": _l("Export"),
}
COUNT_STATE_TITLES = {
    "counting": _l("Counting"), "to_approve": _l("Waiting for approval"),
    "done": _l("Done"), "cancelled": _l("Rejected"),
}


@bp.app_template_filter("hh_path")
def path_breaks(path: str | None) -> Markup:
    """A location path that may wrap after each '/' on a narrow screen, and nowhere else."""
    return Markup("/<wbr>").join(escape(path or "—").split("/"))


@bp.app_template_global("hh_status_title")
def status_title(status: str) -> str:
    return str(STATUS_TITLES.get(status, status))


class ChooseStock(ValidationError):
    """Several stock keys fit the scan: the handheld shows them and the operator picks one."""
    code = "choose_stock"

    def __init__(self, message: str, choices: list[dict], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.extra = {"choices": choices}


# ---------------------------------------------------------------------------- helpers

def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _text(payload: dict, name: str, limit: int = 200) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int)):
        raise ValidationError(N_("This field is required"), field=name)
    value = str(value).strip(" \t\r\n")
    return value[:limit] or None


def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(N_("Send a JSON object"), field=None)
    return payload


def find_location(session: Session, code: str | None, field: str) -> Location:
    """The active location whose barcode was scanned (case as printed or not)."""
    if not code:
        raise ValidationError(N_("Scan a location"), field=field)
    location = session.scalars(select(Location).where(
        func.upper(Location.barcode) == code.strip().upper(), Location.active)
        .order_by(Location.id)).first()
    if location is None:
        raise NotFound(N_("%(code)s is not a known location barcode"), field=field, code=code)
    return location


def _check_scan(scan: Scan, code: str, field: str) -> None:
    if not scan.valid:
        raise ValidationError(N_("%(code)s looks like a %(kind)s but does not check: misread? "
                                 "Scan again."), field=field, code=code,
                              kind=str(KIND_TITLES.get(scan.kind, scan.kind)))


@dataclass
class Item:
    """What the item scan names: a package, or a product with the label's lot and count."""
    package: Package | None = None
    products: list[Product] | None = None
    lot: str | None = None
    count: int | None = None


def resolve_item(session: Session, code: str | None, field: str = "item") -> Item:
    if not code:
        raise ValidationError(N_("Scan a package or a product"), field=field)
    scan = classify(code)
    if scan.kind == "text" and not scan.value:
        raise ValidationError(N_("Scan a package or a product"), field=field)
    _check_scan(scan, code, field)
    sscc = scan.parts.get("sscc") if scan.kind == "gs1" else (
        scan.value if scan.kind == "sscc" else None)
    if sscc:
        package = session.scalar(select(Package).where(Package.sscc == sscc))
        if package is None:
            raise NotFound(N_("No package has SSCC %(sscc)s"), field=field, sscc=sscc)
        return Item(package=package)
    if scan.kind in ("s10", "awb", "container"):
        raise ValidationError(N_("%(code)s is a %(kind)s, not a package or a product"),
                              field=field, code=code, kind=str(KIND_TITLES[scan.kind]))
    if scan.kind == "gs1":
        gtin = scan.parts.get("gtin") or scan.parts.get("content_gtin")
        if not gtin:
            raise ValidationError(N_("The label names no product (GTIN) and no package (SSCC)"),
                                  field=field)
        products = find_products_by_code(session, gtin)
        lot, count = scan.parts.get("lot"), scan.parts.get("count")
    else:
        products = find_products_by_code(session, scan.value if scan.kind == "gtin" else code)
        lot, count = None, None
    if not products:
        if scan.kind == "text" and session.scalar(select(Location.id).where(
                func.upper(Location.barcode) == code.strip().upper())):
            raise ValidationError(N_("%(code)s is a location, not a package or a product"),
                                  field=field, code=code)
        raise NotFound(N_("Unknown barcode %(code)s"), field=field, code=code)
    return Item(products=products, lot=lot, count=count)


def _owner(session: Session, code: str | None) -> Enterprise | None:
    if not code:
        return None
    owner = session.scalar(select(Enterprise).where(Enterprise.customs_code == code))
    if owner is None:
        raise NotFound(N_("Owner %(code)s not found"), field="owner", code=code)
    return owner


def _lots(session: Session, products: list[Product], name: str) -> dict[int, Lot]:
    """The lot of that name for each candidate product; a lot of another product is an
    error, not a quiet 'no stock'."""
    lots = {lot.product_id: lot for lot in session.scalars(select(Lot).where(
        Lot.name == name, Lot.product_id.in_([p.id for p in products])))}
    if not lots:
        product = products[0]
        if session.scalar(select(Lot.id).where(Lot.name == name)):
            raise ValidationError(N_("Lot %(lot)s does not belong to product %(sku)s"),
                                  field="lot", lot=name, sku=product.sku)
        raise NotFound(N_("Product %(sku)s has no lot %(lot)s"), field="lot", lot=name,
                       sku=product.sku)
    return lots


def pick_source_quant(session: Session, item: Item, source: Location, quantity: Decimal,
                      payload: dict) -> tuple[Product, Quant]:
    """The quant at the source to take from: the product (and lot) scanned, narrowed by the
    owner and customs status the operator chose. Several that fit: ask which."""
    products = item.products or []
    owner = _owner(session, _text(payload, "owner", 20))
    if owner is not None:
        mine = [p for p in products if p.owner_id == owner.id]
        if not mine:
            raise ValidationError(N_("Product %(sku)s belongs to another owner"),
                                  field="owner", sku=products[0].sku)
        products = mine
    status = _text(payload, "customs_status", 10)
    lot_name = _text(payload, "lot", 40) or item.lot
    stmt = select(Quant).where(Quant.location_id == source.id, Quant.quantity > 0,
                               Quant.product_id.in_([p.id for p in products]))
    if lot_name:
        lots = _lots(session, products, lot_name)
        stmt = stmt.where(Quant.lot_id.in_([lot.id for lot in lots.values()]))
    if owner is not None:
        stmt = stmt.where(Quant.owner_id == owner.id)
    if status:
        stmt = stmt.where(Quant.customs_status == status)
    quants = list(session.scalars(stmt.order_by(Quant.package_id.is_not(None),
                                                Quant.quantity.desc(), Quant.id)))
    by_id = {p.id: p for p in products}
    if not quants:
        raise InsufficientStock(
            N_("Not enough stock of product %(product)s at %(location)s: %(available)s "
               "available, %(wanted)s wanted"), field="quantity", product=products[0].sku,
            location=source.full_path, available="0", wanted=_num(quantity))
    keys: dict[tuple, Quant] = {}
    for quant in quants:  # loose stock first, then the fullest package
        keys.setdefault((quant.product_id, quant.lot_id, quant.owner_id, quant.customs_status),
                        quant)
    if len(keys) > 1:
        lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
            Lot.id.in_([q.lot_id for q in keys.values() if q.lot_id])))}
        owners = {e.id: e for e in session.scalars(select(Enterprise).where(
            Enterprise.id.in_([q.owner_id for q in keys.values()])))}
        choices = [{"sku": by_id[q.product_id].sku, "lot": lots.get(q.lot_id),
                    "owner": owners[q.owner_id].customs_code,
                    "owner_name": owners[q.owner_id].name,
                    "customs_status": q.customs_status,
                    "customs_status_title": status_title(q.customs_status),
                    "quantity": _num(q.quantity)} for q in keys.values()]
        raise ChooseStock(N_("%(sku)s at %(location)s: several lots, owners or customs "
                             "statuses fit. Choose one."), choices, field="lot",
                          sku=products[0].sku, location=source.full_path)
    quant = next(iter(keys.values()))
    return by_id[quant.product_id], quant


def _quantity(payload: dict, item: Item) -> Decimal:
    raw = payload.get("quantity")
    if raw in (None, ""):
        raw = item.count if item.count else 1
    return parse_quantity(raw)


def _moved(quantity: Decimal, what: str, source: str | None, destination: str) -> str:
    if source:
        return _("%(qty)s × %(what)s: %(source)s → %(destination)s", qty=_num(quantity),
                 what=what, source=source, destination=destination)
    return _("%(qty)s × %(what)s → %(destination)s", qty=_num(quantity), what=what,
             destination=destination)


def do_move(session: Session, payload: dict, *, putaway: bool) -> tuple[int, dict]:
    """Putaway or internal transfer of one scanned package or product quantity."""
    destination = find_location(session, _text(payload, "destination", 60), "destination")
    source_code = _text(payload, "source", 60)
    item = resolve_item(session, _text(payload, "item"), "item")
    warehouse = destination.warehouse
    kind = "putaway" if putaway else "transfer"
    prefix = f"{warehouse.code}/{'PUT' if putaway else 'INT'}" if warehouse else "INT"
    if item.package is not None:
        package = item.package
        if source_code:
            source = find_location(session, source_code, "source")
            if package.location_id != source.id:
                where = package.location.full_path if package.location else "?"
                raise ValidationError(N_("Package %(sscc)s is at %(where)s, not at %(source)s"),
                                      field="source", sscc=package.sscc, where=where,
                                      source=source.full_path)
        origin = package.location.full_path if package.location else None
        keys = _package_keys(session, package) if putaway else set()
        document = move_package(session, package, destination, prefix=prefix,
                                origin=package.sscc, kind=kind)
        session.flush()
        stored = store_finished_receipts(session, keys)
        message = _("Package %(sscc)s → %(destination)s", sscc=package.sscc,
                    destination=destination.full_path)
        return 201, {"ok": True, "message": _with_stored(message, stored),
                     "document": document.name, "package": package.sscc, "from": origin,
                     "to": destination.full_path, "stored": stored}
    if source_code:
        source = find_location(session, source_code, "source")
    elif putaway and warehouse is not None:
        source = location_by_path(session, f"{warehouse.code}/Input")
    else:
        raise ValidationError(N_("Scan the location the goods come from"), field="source")
    quantity = _quantity(payload, item)
    product, quant = pick_source_quant(session, item, source, quantity, payload)
    lot_id = quant.lot_id  # the quant row is gone once the move empties it
    document = transfer(session, [MoveLine(
        product_id=product.id, quantity=quantity, from_location_id=source.id,
        to_location_id=destination.id, owner_id=quant.owner_id,
        customs_status=quant.customs_status, lot_id=lot_id,
        package_id=quant.package_id)], prefix=prefix,
        warehouse_id=warehouse.id if warehouse else None, kind=kind)
    session.flush()
    stored = store_finished_receipts(session, {(product.id, lot_id)}) if putaway else []
    lot = session.get(Lot, lot_id) if lot_id else None
    what = f"{product.sku} ({lot.name})" if lot else product.sku
    message = _moved(quantity, what, source.full_path, destination.full_path)
    return 201, {"ok": True, "message": _with_stored(message, stored),
                 "document": document.name, "sku": product.sku,
                 "lot": lot.name if lot else None, "quantity": _num(quantity),
                 "from": source.full_path, "to": destination.full_path, "stored": stored}


def _package_keys(session: Session, package: Package) -> set[tuple[int, int | None]]:
    """(product, lot) of everything on a pallet, nested cartons included."""
    return {(pid, lot_id) for pid, lot_id in session.execute(
        select(Quant.product_id, Quant.lot_id).where(
            Quant.package_id.in_(package_tree(session, package)), Quant.quantity > 0))}


def _with_stored(message: str, stored: list[str]) -> str:
    return " ".join([message, *(_("Receipt %(name)s stored.", name=name) for name in stored)])


def do_count(session: Session, payload: dict) -> tuple[int, dict]:
    """A whole cycle count in one write: the location, each scan, then submit."""
    location = find_location(session, _text(payload, "location", 60), "location")
    lines = payload.get("lines")
    if not isinstance(lines, list):
        raise ValidationError(N_("Send a JSON object"), field="lines")
    if len(lines) > MAX_COUNT_LINES:
        raise ValidationError(N_("At most %(n)s scans in one count"), field="lines",
                              n=MAX_COUNT_LINES)
    count = start_count(session, location)
    for i, raw in enumerate(lines):
        if not isinstance(raw, dict):
            raise ValidationError(N_("Send a JSON object"), field=f"lines[{i}]")
        try:
            item = resolve_item(session, _text(raw, "code"), "code")
            if item.package is not None:
                raise ValidationError(N_("Count the goods, not the package: scan the "
                                         "products"), field="code")
            product = _count_product(session, item, location)
            lot_name = _text(raw, "lot", 40) or item.lot
            lot_id = None
            if lot_name:
                lot_id = _lots(session, [product], lot_name)[product.id].id
            elif product.track_lot or product.track_expiry:
                lot_id = _only_lot_at(session, product, location)
            record_count(session, count, product, _quantity(raw, item), lot_id=lot_id)
        except DomainError as exc:
            exc.field = f"lines[{i}].{exc.field}" if exc.field else f"lines[{i}]"
            raise
    threshold = current_app.config.get("COUNT_APPROVAL_THRESHOLD", DEFAULT_APPROVAL_THRESHOLD)
    submit_count(session, count, Decimal(str(threshold)))
    session.flush()
    if count.state == "to_approve":
        message = _("Count %(name)s of %(path)s is waiting for a supervisor: differences above "
                    "%(threshold)s.", name=count.name, path=location.full_path,
                    threshold=_num(Decimal(str(threshold))))
    else:
        message = _("Count %(name)s of %(path)s posted.", name=count.name,
                    path=location.full_path)
    return 201, {"ok": True, "message": message, "count": count.name, "state": count.state,
                 "location": location.full_path, "lines": _count_lines(session, count)}


def _count_product(session: Session, item: Item, location: Location) -> Product:
    products = item.products or []
    if len(products) == 1:
        return products[0]
    here = set(session.scalars(select(Quant.product_id).where(
        Quant.location_id == location.id, Quant.product_id.in_([p.id for p in products]))))
    fitting = [p for p in products if p.id in here]
    if len(fitting) == 1:
        return fitting[0]
    raise ValidationError(N_("Several owners have product %(sku)s: scan its SKU instead"),
                          field="code", sku=products[0].sku)


def _only_lot_at(session: Session, product: Product, location: Location) -> int:
    """A lot-tracked product scanned without its lot counts for the one lot on the books
    there; with none or several, the operator must scan the lot."""
    lots = set(session.scalars(select(Quant.lot_id).where(
        Quant.location_id == location.id, Quant.product_id == product.id,
        Quant.quantity != 0)))
    if len(lots) == 1 and None not in lots:
        return lots.pop()
    raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                          field="lot", sku=product.sku)


def _count_lines(session: Session, count: CountSession) -> list[dict]:
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({ln.product_id for ln in count.lines})))} if count.lines else {}
    lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
        Lot.id.in_({ln.lot_id for ln in count.lines if ln.lot_id})))}
    return [{"sku": products[ln.product_id].sku, "name": products[ln.product_id].name_zh,
             "lot": lots.get(ln.lot_id), "customs_status": ln.customs_status,
             "expected": _num(ln.expected or Decimal(0)), "counted": _num(ln.counted),
             "difference": _num(ln.difference)} for ln in count.lines]


# ---------------------------------------------------------------------------- scan anything

def explain_code(session: Session, code: str) -> dict[str, Any]:
    """``scan.explain`` plus what the page shows: titles, a verdict, and an HTML fragment."""
    result = scanning.explain(session, code)
    kind = result["kind"]
    if not result["valid"] and result["value"]:
        verdict = _("This looks like a %(kind)s, but its check digit or format is wrong: "
                    "misread? Scan again.", kind=KIND_TITLES.get(kind, kind))
        ok = False
    elif not result["value"]:
        verdict, ok = _("Nothing was scanned."), False
    elif kind == "text" and not result["found"]:
        verdict, ok = _("Unknown barcode %(code)s: no location, product or package has it.",
                        code=result["value"]), False
    elif result["found"]:
        verdict, ok = _("%(kind)s, check digit correct.", kind=KIND_TITLES.get(kind, kind)) \
            if kind != "text" else _("Found."), True
    else:
        verdict, ok = _("%(kind)s, check digit correct; no record in this warehouse.",
                        kind=KIND_TITLES.get(kind, kind)), True
    result["ok"] = ok
    result["verdict"] = verdict
    result["kind_title"] = str(KIND_TITLES.get(kind, kind))
    result["html"] = render_template("handheld/_explain.html", r=result,
                                     part_titles=PART_TITLES)
    return result


@bp.route("/api/explain", methods=["GET", "POST"])
def api_explain():
    if request.method == "POST":
        code = _text(_payload(), "code", 400) or ""
    else:
        code = request.args.get("code", "")[:400]
    return jsonify(explain_code(db(), code))


# ---------------------------------------------------------------------------- writes

@bp.post("/api/transfer")
def api_transfer():
    payload = _payload()
    return write(payload, lambda session: do_move(session, payload, putaway=False))


@bp.post("/api/count")
def api_count():
    payload = _payload()
    return write(payload, lambda session: do_count(session, payload))


# ---------------------------------------------------------------------------- pages

def js_strings() -> dict[str, str]:
    """What handheld.js says itself (the server's answers come translated already)."""
    return {
        "scan_item": _("Scan a package or a product"),
        "scan_item_or_source": _("Scan a package or a product (or first the location it "
                                 "comes from)"),
        "scan_source": _("Scan the location the goods come from"),
        "scan_destination": _("Scan the destination location"),
        "scan_location": _("Scan the location to count"),
        "scan_products": _("Scan what is there, then submit"),
        "scan_anything": _("Scan any barcode"),
        "input_area": _("Input area (default)"),
        "package": _("Package"),
        "queued": _("No network: saved on this device, it will be sent when the network is "
                    "back."),
        "sent": _("Sent from this device:"),
        "session": _("Your session has ended: log in again. The waiting scans are kept."),
        "server": _("The server could not answer; the scan stays in the queue."),
        "offline": _("Offline"),
        "online": _("Online"),
        "looking": _("Looking up…"),
        "not_looked_up": _("Offline: not looked up"),
        "nothing_counted": _("Nothing counted yet."),
        "counted": _("Counted"),
        "count_submitted": _("Count sent."),
        "count_empty": _("Scan a location and at least one product first."),
        "confirm_cancel": _("Throw away this count?"),
        "lot": _("Lot"),
        "choose": _("Choose:"),
        "suggested": _("Suggested:"),
        "scan_receipt": _("Scan the receipt (its name, e.g. LZB/IN/2026/00003)"),
        "scan_goods": _("Scan a package, a product or a carton label"),
        "scan_goods_back": _("Scan what to take back"),
        "unexpected": _("Unexpected"),
        "wrong_lot": _("Wrong lot"),
        "nothing_tallied": _("Nothing advised or counted yet."),
        "photo_offline": _("No network: a photo cannot wait on this device. Take it again "
                           "when the network is back, or count the damage without a photo."),
        "photo_sending": _("Sending the photo…"),
        "photo_ready": _("Photo attached to the next damaged scan."),
        "confirm_close": _("Close the tally? Counting stops and the differences are recorded."),
        "send_again": _("Fill in the field, then press Enter or tap “Send again”."),
        "updated": _("Updated"),
        "by": _("by"),
        "damaged": _("Damaged"),
        "photo": _("Photo"),
        "receipt_page": _("Receipt page"),
        "discrepancy_pdf": _("Discrepancy report (PDF)"),
        "no_discrepancies": _("No discrepancies."),
        "expected": _("Expected"),
    }


@bp.context_processor
def handheld_context():
    return {
        "hh_urls": {"explain": url_for("handheld.api_explain"),
                    "putaway": url_for("handheld.api_putaway"),
                    "transfer": url_for("handheld.api_transfer"),
                    "count": url_for("handheld.api_count"),
                    "suggest": url_for("handheld.api_putaway_suggest"),
                    "tally": url_for("handheld.api_tally"),
                    "tally_progress": url_for("handheld.api_tally_progress"),
                    "tally_close": url_for("handheld.api_tally_close"),
                    "tally_photo": url_for("handheld.api_tally_photo"),
                    "login": url_for("auth.login")},
        "hh_i18n": js_strings(),
        "hh_status_titles": {k: str(v) for k, v in STATUS_TITLES.items()},
    }


def _page(template: str, flow: str, **context):
    return render_template(template, flow=flow, **context)


@bp.get("/")
def index():
    return render_template("handheld/index.html", flow="index",
                           can_approve=current_user.has_role("supervisor"))


@bp.get("/scan")
def scan_page():
    code = request.args.get("code", "")[:400]
    result = explain_code(db(), code) if code.strip() else None
    return _page("handheld/scan.html", "scan", result=result, code=code)


@bp.get("/putaway")
def putaway_page():
    return _page("handheld/move.html", "putaway", title=_("Putaway"))


@bp.get("/transfer")
def transfer_page():
    return _page("handheld/move.html", "transfer", title=_("Internal transfer"))


@bp.get("/count")
def count_page():
    return _page("handheld/count.html", "count")


@bp.get("/tally")
def tally_page():
    """Tally: the receipt (scanned, or ``?receipt=`` from a link), then its goods."""
    return _page("handheld/tally.html", "tally", receipt=request.args.get("receipt", "")[:40],
                 can_close=current_user.has_role("supervisor"))


# ---------------------------------------------------------------------------- approvals

def _supervisor_only() -> None:
    if not current_user.has_role("supervisor"):
        abort(403)


def _count_or_404(session: Session, count_id: int) -> CountSession:
    count = session.get(CountSession, count_id)
    if count is None:
        raise NotFound(N_("Count %(id)s not found"), field="count", id=count_id)
    return count


@bp.get("/counts")
def counts():
    _supervisor_only()
    waiting = db().scalars(select(CountSession).where(CountSession.state == "to_approve")
                           .order_by(CountSession.submitted_at, CountSession.id)).all()
    return render_template("handheld/counts.html", flow="approve", counts=waiting,
                           lines={c.id: _count_lines(db(), c) for c in waiting},
                           state_titles=COUNT_STATE_TITLES)


@bp.get("/counts/<int:count_id>")
def count_detail(count_id: int):
    _supervisor_only()
    count = _count_or_404(db(), count_id)
    return render_template("handheld/count_detail.html", flow="approve", count=count,
                           lines=_count_lines(db(), count), state_titles=COUNT_STATE_TITLES,
                           idempotency_key=uuid.uuid4().hex)


def _decide(count_id: int, approve: bool):
    """Approve or reject from a plain form; the form's key makes a double tap count once."""
    _supervisor_only()
    reason = (request.form.get("reason") or "").strip()[:200]
    key = (request.form.get("idempotency_key") or "").strip() or uuid.uuid4().hex

    def use_case(session: Session) -> tuple[int, dict]:
        count = _count_or_404(session, count_id)
        if approve:
            approve_count(session, count, reason)
            message = _("Count %(name)s approved and posted.", name=count.name)
        else:
            if not reason:
                raise ValidationError(N_("Give a reason"), field="reason")
            reject_count(session, count, reason)
            message = _("Count %(name)s rejected.", name=count.name)
        session.flush()
        return 200, {"message": message}

    sessions = current_app.extensions["wms.sessionmaker"]
    close_session()  # the decision runs in a transaction of its own
    try:
        _status, body, _replayed = run_idempotent(
            sessions, key, request.endpoint, {"count": count_id, "reason": reason}, use_case)
    except DomainError as exc:
        flash(web_errors.translate_error(exc), "error")
        return redirect(url_for("handheld.count_detail", count_id=count_id))
    flash(body["message"], "ok")
    return redirect(url_for("handheld.counts"))


@bp.post("/counts/<int:count_id>/approve")
def count_approve(count_id: int):
    return _decide(count_id, approve=True)


@bp.post("/counts/<int:count_id>/reject")
def count_reject(count_id: int):
    return _decide(count_id, approve=False)


from . import handheld_tally  # noqa: E402,F401  (the tally and putaway routes, on this bp)
