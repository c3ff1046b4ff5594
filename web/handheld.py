"""Handheld pages (``/m``) for warehouse staff with keyboard-wedge scanners.

The pages are server-rendered; ``static/handheld.js`` drives the scan field, the sounds and
the offline queue. Writes go to JSON endpoints under ``/m/api/`` through
``web.idempotency.write``: every one carries an idempotency key, so the offline queue and
Wi-Fi retries may send the same scan again and stock moves once. Domain errors on those
endpoints answer ``{"error": {"code", "message", "field"}}`` like the API does.

The stock flows (scan anything, transfer, cycle count, count approvals) are in
``web.handheld_stock`` on this blueprint; this module keeps what every scanner page
shares, putaway and the tally.
"""
from __future__ import annotations

import os
import re
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, jsonify, render_template,
                   request, send_from_directory, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from wms.accounts.models import USER_ROLES, User
from wms.catalog.models import Lot, Product
from wms.catalog.services import find_products_by_code
from wms.core.errors import N_, Conflict, DomainError, NotFound, ValidationError
from wms.inbound.models import Discrepancy, Receipt, TallyScan
from wms.inbound.services import (close_tally, find_receipt, mark_stored_if_done, record_tally,
                                  suggest_location, tally_progress)
from wms.inventory.barcodes import Scan, classify
from wms.inventory.models import Location, Package, Quant, Warehouse
from wms.inventory.packages import get_package_by_sscc
from wms.inventory.places import location_by_path
from wms.inventory.resolve import check_scan as _check_scan
from wms.inventory.resolve import find_location, resolve_item, scanned_quantity
from wms.inventory.services import MoveLine, move_package, package_tree, parse_quantity, transfer
from wms.inventory.transfers import pick_source_quant

from . import errors as web_errors
from .auth import blueprint_roles
from .db import db
from .idempotency import write

bp = Blueprint("handheld", __name__, url_prefix="/m")
blueprint_roles(bp, "operator", "supervisor")

API_PREFIX = "/m/api/"

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
    quantity = scanned_quantity(payload.get("quantity"), item)
    product, quant = pick_source_quant(
        session, item, source, quantity, owner_code=_text(payload, "owner", 20),
        customs_status=_text(payload, "customs_status", 10), lot_name=_text(payload, "lot", 40))
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


def store_finished_receipts(session: Session, keys: set[tuple[int, int | None]]) -> list[str]:
    """After a putaway: every released receipt whose tally counted one of these (product,
    lot) keys becomes ``stored`` once none of its goods is left in the input area.

    wms.inbound has no "receipts of these goods" query; the tally scans are the link."""
    if not keys:
        return []
    matches = or_(*(and_(TallyScan.product_id == pid,
                         TallyScan.lot_id.is_(None) if lot_id is None
                         else TallyScan.lot_id == lot_id) for pid, lot_id in keys))
    receipts = session.scalars(select(Receipt).where(
        Receipt.state == "released",
        Receipt.id.in_(select(TallyScan.receipt_id).where(matches))).order_by(Receipt.id))
    stored = [receipt.name for receipt in receipts if mark_stored_if_done(session, receipt)]
    if stored:
        session.flush()
    return stored


def _with_stored(message: str, stored: list[str]) -> str:
    return " ".join([message, *(_("Receipt %(name)s stored.", name=name) for name in stored)])


# ---------------------------------------------------------------------------- writes

@bp.post("/api/putaway")
def api_putaway():
    payload = _payload()
    return write(payload, lambda session: do_move(session, payload, putaway=True))


# ---------------------------------------------------------------------------- putaway suggestion

def _input_warehouse(session: Session, products: list[Product]) -> tuple[Warehouse | None,
                                                                          Product]:
    """The warehouse whose input area holds one of the products (the first that does)."""
    row = session.execute(
        select(Location.warehouse_id, Quant.product_id)
        .join(Location, Location.id == Quant.location_id)
        .where(Quant.product_id.in_([p.id for p in products]), Quant.quantity > 0,
               Location.usage == "internal", Location.name == "Input")
        .order_by(Quant.id).limit(1)).first()
    if row is None:
        return None, products[0]
    return session.get(Warehouse, row[0]), next(p for p in products if p.id == row[1])


def suggest_for(session: Session, payload: dict) -> dict[str, Any]:
    """Where the scanned goods should go: a package by its first product and its total
    quantity, a product by the quantity about to move. Read only: the operator still
    confirms by scanning the destination."""
    item = resolve_item(session, _text(payload, "item", 400), "item")
    source_code = _text(payload, "source", 60)
    source = find_location(session, source_code, "source") if source_code else None
    if item.package is not None:
        quants = list(session.scalars(select(Quant).where(
            Quant.package_id.in_(package_tree(session, item.package)), Quant.quantity > 0)
            .order_by(Quant.id)))
        if not quants:
            return {"ok": True, "suggestion": None, "message": _("Empty.")}
        product = session.get(Product, quants[0].product_id)
        quantity = sum((q.quantity for q in quants), Decimal(0))
        place = source or item.package.location
        warehouse = place.warehouse if place is not None else None
    else:
        try:
            quantity = scanned_quantity(payload.get("quantity"), item)
        except DomainError:
            quantity = Decimal(1)
        if source is not None:
            warehouse, product = source.warehouse, item.products[0]
        else:
            warehouse, product = _input_warehouse(session, item.products or [])
    location = suggest_location(session, warehouse, product, quantity) \
        if warehouse is not None else None
    if location is None:
        return {"ok": True, "suggestion": None, "sku": product.sku,
                "quantity": _num(quantity),
                "message": _("No location with room for %(qty)s × %(sku)s: ask a supervisor.",
                             qty=_num(quantity), sku=product.sku)}
    return {"ok": True, "sku": product.sku, "quantity": _num(quantity),
            "suggestion": {"path": location.full_path, "barcode": location.barcode},
            "message": _("Suggested: %(path)s", path=location.full_path)}


@bp.post("/api/putaway/suggest")
def api_putaway_suggest():
    return jsonify(suggest_for(db(), _payload()))


# ---------------------------------------------------------------------------- tally

RECEIPT_STATE_TITLES = {
    "draft": _l("Draft"), "expected": _l("Expected"), "arrived": _l("Arrived"),
    "tallying": _l("Tallying"), "tallied": _l("Tallied"), "declared": _l("Declared"),
    "held": _l("Held by customs"), "released": _l("Released"), "rejected": _l("Rejected"),
    "stored": _l("Stored"), "cancelled": _l("Cancelled"),
}
DISCREPANCY_TITLES = {
    "short": _l("Short"), "over": _l("Over"), "damaged": _l("Damaged"),
    "unexpected": _l("Unexpected"), "wrong_lot": _l("Wrong lot"),
}
TALLY_OPEN = ("arrived", "tallying")
RECENT_SCANS = 8
MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_DIR = "photos"
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
STAFF_ROLES = tuple(r for r in USER_ROLES if r != "owner_viewer")


class ChooseLot(ValidationError):
    """A lot-tracked product scanned without its lot: the advised lots to pick from."""
    code = "choose_lot"

    def __init__(self, message: str, choices: list[dict], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.extra = {"choices": choices}


def _flag(payload: dict, name: str) -> bool:
    return payload.get(name) in (True, 1, "1", "true", "on", "yes")


def _state_title(state: str) -> str:
    return str(RECEIPT_STATE_TITLES.get(state, state))


def _not_open(receipt: Receipt) -> Conflict:
    return Conflict(N_("Receipt %(name)s is %(state)s: it cannot be tallied"), field="receipt",
                    name=receipt.name, state=_state_title(receipt.state))


def _tally_receipt(session: Session, payload: dict) -> Receipt:
    name = _text(payload, "receipt", 40)
    if not name:
        raise ValidationError(N_("Scan the receipt first"), field="receipt")
    return find_receipt(session, name.upper())  # names are upper case; typed ones may not be


def _lock(session: Session, receipt: Receipt, *, exclusive: bool) -> None:
    """Scans share the receipt row, closing the tally takes it alone: a scan either lands
    before the close (and is in the discrepancies) or is refused after it. The first scan
    of an arrived receipt changes its state, so it takes the row alone too (no share lock
    to upgrade, no deadlock). SQLite has no row locks and serialises writers anyway."""
    exclusive = exclusive or receipt.state == "arrived"
    session.refresh(receipt, ["state"], with_for_update=True if exclusive else {"read": True})


def photo_folder() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / PHOTO_DIR


def photo_kind(data: bytes) -> str | None:
    """JPEG, PNG or WebP by the file's magic bytes (its name and the browser's word are
    not trusted)."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _photo_ref(payload: dict) -> str | None:
    """The photo id an earlier upload returned, as the relative path TallyScan.photo keeps."""
    name = _text(payload, "photo", 60)
    if not name:
        return None
    if not PHOTO_NAME.match(name) or not (photo_folder() / name).is_file():
        raise ValidationError(N_("Photo %(photo)s was not uploaded: take it again"),
                              field="photo", photo=name)
    return f"{PHOTO_DIR}/{name}"


def photo_url(path: str | None) -> str | None:
    if not path or not path.startswith(PHOTO_DIR + "/"):
        return None
    return url_for("handheld_photo", name=path[len(PHOTO_DIR) + 1:])


def _tally_quantity(payload: dict, count: int | None) -> Decimal:
    """What the operator typed, else the label's count, else 1; never zero or negative
    (a count is taken back with the correction switch, not with a minus sign)."""
    raw = payload.get("quantity")
    if raw in (None, ""):
        raw = count if count else 1
    try:
        negative = Decimal(str(raw).strip()) < 0
    except (InvalidOperation, ValueError):
        negative = False
    if negative:
        raise ValidationError(N_("A quantity below zero is not a count: to take back an "
                                 "earlier count, switch on 'Correct a previous count' and "
                                 "enter how many"), field="quantity")
    return parse_quantity(raw)


def _what(sku: str, lot: str | None) -> str:
    return f"{sku} ({lot})" if lot else sku


def _counted(session: Session, receipt: Receipt, product: Product, lot_name: str | None,
             condition: str | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(TallyScan.quantity), 0)).where(
        TallyScan.receipt_id == receipt.id, TallyScan.product_id == product.id)
    if lot_name:
        stmt = stmt.join(Lot, Lot.id == TallyScan.lot_id).where(Lot.name == lot_name)
    else:
        stmt = stmt.where(TallyScan.lot_id.is_(None))
    if condition:
        stmt = stmt.where(TallyScan.condition == condition)
    return Decimal(session.scalar(stmt))


def _scan_sscc(scan: Scan) -> str | None:
    if scan.kind == "sscc":
        return scan.value
    return scan.parts.get("sscc") if scan.kind == "gs1" else None


def do_tally(session: Session, payload: dict) -> tuple[int, dict]:
    """One tally scan: an advised package (its advised contents), or a product by GTIN, SKU
    or GS1 label with quantity, lot and expiry; good or damaged; or a correction."""
    receipt = _tally_receipt(session, payload)
    _lock(session, receipt, exclusive=False)
    if receipt.state not in TALLY_OPEN:
        raise _not_open(receipt)
    code = _text(payload, "item", 400)
    scan = classify(code or "")
    if not code or not scan.value:
        raise ValidationError(N_("Scan a package or a product"), field="item")
    _check_scan(scan, code, "item")
    correction = _flag(payload, "correction")
    damaged = _flag(payload, "damaged")
    reason = _text(payload, "damage_reason", 200)
    if damaged and not reason:
        raise ValidationError(N_("Say what is damaged"), field="damage_reason")
    photo = _photo_ref(payload)
    if photo and not damaged:
        raise ValidationError(N_("A photo goes with a damaged scan: switch on 'Damaged'"),
                              field="photo")
    sscc = _scan_sscc(scan)
    advised = [line for line in receipt.lines if sscc and line.sscc == sscc]
    if advised:
        return _tally_package(session, receipt, sscc, advised, correction=correction,
                              damaged=damaged, reason=reason, photo=photo)
    gtin = scan.parts.get("gtin") or scan.parts.get("content_gtin") \
        if scan.kind == "gs1" else None
    if sscc and not gtin:
        raise ValidationError(N_("SSCC %(sscc)s is not on receipt %(name)s: scan the products "
                                 "on it one by one"), field="item", sscc=sscc,
                              name=receipt.name)
    if scan.kind in ("s10", "awb", "container"):
        raise ValidationError(N_("%(code)s is a %(kind)s, not a package or a product"),
                              field="item", code=code, kind=str(KIND_TITLES[scan.kind]))
    label_lot = label_expiry = count = None
    if scan.kind == "gs1":
        if not gtin:
            raise ValidationError(N_("The label names no product (GTIN) and no package "
                                     "(SSCC)"), field="item")
        lookup = gtin
        label_lot, label_expiry = scan.parts.get("lot"), scan.parts.get("expiry")
        count = scan.parts.get("count")
    else:
        lookup = scan.value if scan.kind == "gtin" else code
    products = find_products_by_code(session, lookup)
    if not products:
        if scan.kind == "text" and session.scalar(select(Location.id).where(
                func.upper(Location.barcode) == code.strip().upper())):
            raise ValidationError(N_("%(code)s is a location, not a package or a product"),
                                  field="item", code=code)
        raise NotFound(N_("Unknown barcode %(code)s"), field="item", code=code)
    mine = [p for p in products if p.owner_id == receipt.owner_id]
    if not mine:
        raise ValidationError(N_("Product %(sku)s belongs to another owner than this receipt"),
                              field="item", sku=products[0].sku)
    product = mine[0]
    typed_lot, typed_expiry = _text(payload, "lot", 40), _text(payload, "expiry_date", 10)
    if label_lot and typed_lot and typed_lot != label_lot:
        raise ValidationError(N_("The label says lot %(label)s, the lot field says %(typed)s"),
                              field="lot", label=label_lot, typed=typed_lot)
    if label_expiry and typed_expiry and typed_expiry != label_expiry:
        raise ValidationError(N_("The label says expiry %(label)s, the field says %(typed)s"),
                              field="expiry_date", label=label_expiry, typed=typed_expiry)
    lot_name, expiry = label_lot or typed_lot, label_expiry or typed_expiry
    advised_lines = [line for line in receipt.lines if line.product_id == product.id]
    if product.track_lot and not lot_name:
        choices = [{"lot": line.lot_name, "expiry": line.expiry_date.isoformat()
                    if line.expiry_date else None} for line in advised_lines if line.lot_name]
        raise ChooseLot(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                        choices, field="lot", sku=product.sku)
    quantity = _tally_quantity(payload, count)
    if correction and damaged and quantity > _counted(session, receipt, product, lot_name,
                                                      "damaged"):
        raise ValidationError(N_("Cannot take back more than was counted (%(counted)s)"),
                              field="quantity", counted=_num(_counted(
                                  session, receipt, product, lot_name, "damaged")))
    record_tally(session, receipt, product=product,
                 quantity=-quantity if correction else quantity, lot_name=lot_name,
                 expiry_date=expiry, damaged=damaged, damage_reason=reason, photo=photo)
    what = _what(product.sku, lot_name)
    if correction:
        message = _("%(qty)s × %(what)s taken back from the count of %(receipt)s",
                    qty=_num(quantity), what=what, receipt=receipt.name)
    elif damaged:
        message = _("%(qty)s × %(what)s counted as damaged on %(receipt)s: %(reason)s",
                    qty=_num(quantity), what=what, receipt=receipt.name, reason=reason)
    else:
        message = _("%(qty)s × %(what)s counted on %(receipt)s", qty=_num(quantity),
                    what=what, receipt=receipt.name)
    unexpected = not advised_lines
    wrong_lot = bool(advised_lines) and lot_name not in {ln.lot_name for ln in advised_lines}
    if unexpected:
        message += " " + _("Not on the advice: recorded as unexpected.")
    elif wrong_lot:
        message += " " + _("Lot %(lot)s was not advised for this product.", lot=lot_name)
    return 201, {"ok": True, "message": message, "receipt": receipt.name,
                 "unexpected": unexpected, "wrong_lot": wrong_lot,
                 "scans": [{"sku": product.sku, "lot": lot_name,
                            "quantity": _num(-quantity if correction else quantity),
                            "condition": "damaged" if damaged else "good"}]}


def _tally_package(session: Session, receipt: Receipt, sscc: str, lines, *, correction: bool,
                   damaged: bool, reason: str | None, photo: str | None) -> tuple[int, dict]:
    """An advised pallet counts its advised contents at once; scanned twice it is refused
    (take it back with the correction switch first). wms.inbound has no use case for this:
    it is one record_tally per advised line."""
    package = get_package_by_sscc(session, sscc)
    done = session.execute(
        select(TallyScan.product_id, Lot.name, TallyScan.condition,
               func.max(TallyScan.damage_reason), func.sum(TallyScan.quantity))
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .where(TallyScan.receipt_id == receipt.id,
               TallyScan.package_id == (package.id if package else -1))
        .group_by(TallyScan.product_id, Lot.name, TallyScan.condition)).all()
    counted = [row for row in done if row[4] > 0]
    scans = []
    if correction:
        if not counted:
            raise ValidationError(N_("Package %(sscc)s has not been counted on %(receipt)s: "
                                     "nothing to take back"), field="item", sscc=sscc,
                                  receipt=receipt.name)
        products = {p.id: p for p in session.scalars(select(Product).where(
            Product.id.in_({row[0] for row in counted})))}
        for product_id, lot_name, condition, old_reason, qty in counted:
            record_tally(session, receipt, product=products[product_id], quantity=-qty,
                         lot_name=lot_name, sscc=sscc, damaged=condition == "damaged",
                         damage_reason=reason or old_reason)
            scans.append((products[product_id].sku, lot_name, -qty, condition))
    else:
        if counted:
            raise Conflict(N_("Package %(sscc)s was already counted on %(receipt)s"),
                           field="item", sscc=sscc, receipt=receipt.name)
        for line in lines:
            record_tally(session, receipt, product=line.product, quantity=line.expected_qty,
                         lot_name=line.lot_name, expiry_date=line.expiry_date, sscc=sscc,
                         damaged=damaged, damage_reason=reason, photo=photo)
            scans.append((line.product.sku, line.lot_name, line.expected_qty,
                          "damaged" if damaged else "good"))
    contents = ", ".join(f"{_num(abs(q))} × {_what(sku, lot)}" for sku, lot, q, _c in scans)
    if correction:
        message = _("Package %(sscc)s: %(contents)s taken back from the count of %(receipt)s",
                    sscc=sscc, contents=contents, receipt=receipt.name)
    elif damaged:
        message = _("Package %(sscc)s: %(contents)s counted as damaged on %(receipt)s: "
                    "%(reason)s", sscc=sscc, contents=contents, receipt=receipt.name,
                    reason=reason)
    else:
        message = _("Package %(sscc)s: %(contents)s counted on %(receipt)s", sscc=sscc,
                    contents=contents, receipt=receipt.name)
    return 201, {"ok": True, "message": message, "receipt": receipt.name, "package": sscc,
                 "unexpected": False, "wrong_lot": False,
                 "scans": [{"sku": sku, "lot": lot, "quantity": _num(q), "condition": c}
                           for sku, lot, q, c in scans]}


def do_close_tally(session: Session, payload: dict) -> tuple[int, dict]:
    receipt = _tally_receipt(session, payload)
    _lock(session, receipt, exclusive=True)
    found = close_tally(session, receipt)
    session.flush()
    return 201, {"ok": True, "receipt": receipt.name, "state": receipt.state,
                 "state_title": _state_title(receipt.state),
                 "message": _("Tally of %(name)s closed with %(count)s discrepancies.",
                              name=receipt.name, count=len(found)),
                 "discrepancies": [_discrepancy(d) for d in found],
                 "links": _receipt_links(receipt)}


def _discrepancy(d: Discrepancy) -> dict:
    return {"kind": d.kind, "kind_title": str(DISCREPANCY_TITLES.get(d.kind, d.kind)),
            "sku": d.product.sku, "lot": d.lot_name, "expected": _num(d.expected_qty),
            "tallied": _num(d.tallied_qty), "difference": _num(d.difference),
            "note": d.note}


def _receipt_links(receipt: Receipt) -> dict:
    """The desk's receipt page and discrepancy report, by path (another blueprint)."""
    base = f"{request.script_root}/receipts/{receipt.id}"
    links = {"desk": base}
    if receipt.tally_closed_at is not None:
        links["discrepancies_pdf"] = f"{base}/discrepancies.pdf"
    return links


def tally_state(session: Session, receipt: Receipt) -> dict[str, Any]:
    """What the tally page shows: expected against counted per product and lot, the latest
    scans of every operator, and the discrepancies once the tally is closed."""
    advised: dict[int, set] = {}
    ssccs: dict[tuple, list[str]] = {}
    for line in receipt.lines:
        advised.setdefault(line.product_id, set()).add(line.lot_name)
        if line.sscc:
            ssccs.setdefault((line.product_id, line.lot_name), []).append(line.sscc)
    rows = []
    for row in tally_progress(session, receipt):
        pid = row.product.id
        if pid not in advised:
            status = "unexpected"
        elif row.lot_name not in advised[pid]:
            status = "wrong_lot"
        else:
            status = "short" if row.difference < 0 else "over" if row.difference > 0 else "ok"
        rows.append({"sku": row.product.sku, "name": row.product.name_zh,
                     "name_en": row.product.name_en, "gtin": row.product.gtin,
                     "lot": row.lot_name, "expected": _num(row.expected),
                     "tallied": _num(row.tallied), "damaged": _num(row.damaged),
                     "difference": _num(row.difference), "status": status,
                     "status_title": str(DISCREPANCY_TITLES.get(status, "")),
                     "sscc": ssccs.get((pid, row.lot_name), [])})
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    recent = session.execute(
        select(TallyScan, Lot.name, User.login, User.display_name)
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .outerjoin(User, User.id == TallyScan.scanned_by_id)
        .where(TallyScan.receipt_id == receipt.id)
        .order_by(TallyScan.id.desc()).limit(RECENT_SCANS)).all()
    open_ = receipt.state in TALLY_OPEN
    return {
        "receipt": {"id": receipt.id, "name": receipt.name, "state": receipt.state,
                    "state_title": _state_title(receipt.state), "open": open_,
                    "owner": receipt.owner.name_en if receipt.owner.name_en
                    and get_locale().language == "en" else receipt.owner.name,
                    "supplier": receipt.supplier,
                    "closable": receipt.state == "tallying"
                    and current_user.has_role("supervisor"),
                    "message": None if open_ else web_errors.translate_error(
                        _not_open(receipt)),
                    "links": _receipt_links(receipt)},
        "rows": rows,
        "totals": {key: _num(sum((Decimal(r[key]) for r in rows), Decimal(0)))
                   for key in ("expected", "tallied", "damaged")},
        "recent": [{"at": scan.scanned_at.astimezone(zone).strftime("%H:%M"),
                    "by": display or login or "—", "sku": scan.product.sku, "lot": lot,
                    "quantity": _num(scan.quantity), "condition": scan.condition,
                    "reason": scan.damage_reason, "photo": photo_url(scan.photo)}
                   for scan, lot, login, display in recent],
        "discrepancies": [_discrepancy(d) for d in session.scalars(
            select(Discrepancy).where(Discrepancy.receipt_id == receipt.id)
            .order_by(Discrepancy.id))] if receipt.tally_closed_at else [],
    }


@bp.get("/api/tally")
def api_tally_progress():
    name = request.args.get("receipt", "")[:40]
    if not name.strip():
        raise ValidationError(N_("Scan the receipt first"), field="receipt")
    return jsonify(tally_state(db(), find_receipt(db(), name.strip().upper())))


@bp.post("/api/tally")
def api_tally():
    payload = _payload()
    return write(payload, lambda session: do_tally(session, payload))


@bp.post("/api/tally/close")
def api_tally_close():
    _supervisor_only()
    payload = _payload()
    return write(payload, lambda session: do_close_tally(session, payload))


@bp.post("/api/tally/photo")
def api_tally_photo():
    """A damage photo from the phone's camera, stored before the scan that references it
    (multipart, so it cannot wait in the offline queue)."""
    too_big = ValidationError(N_("The photo is larger than %(mb)s MB: take it again with a "
                                 "lower resolution"), field="photo", mb=MAX_PHOTO_BYTES // 2**20)
    if (request.content_length or 0) > MAX_PHOTO_BYTES + 64 * 1024:
        raise too_big
    upload = request.files.get("photo")
    data = upload.stream.read(MAX_PHOTO_BYTES + 1) if upload else b""
    if not data:
        raise ValidationError(N_("Take or choose a photo"), field="photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise too_big
    kind = photo_kind(data)
    if kind is None:
        raise ValidationError(N_("Only JPEG, PNG or WebP photos are accepted"), field="photo")
    name = f"{uuid.uuid4().hex}.{kind}"
    folder = photo_folder()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    with open(partial, "wb") as fh:
        fh.write(data)
    os.replace(partial, folder / name)
    response = jsonify({"ok": True, "photo": name, "url": photo_url(f"{PHOTO_DIR}/{name}"),
                        "message": _("Photo saved: it goes with the next damaged scan.")})
    response.status_code = 201
    return response


def serve_photo(name: str):
    """A damage photo, for logged-in staff only (owner viewers and anonymous users not).

    An app-level route: the desk (customs clerks, supervisors) shows the photos too, and
    the handheld blueprint admits operators and supervisors only."""
    if not current_user.is_authenticated or not current_user.has_role(*STAFF_ROLES):
        abort(403)
    if not PHOTO_NAME.match(name) or not (photo_folder() / name).is_file():
        abort(404)
    return send_from_directory(photo_folder(), name, mimetype=PHOTO_TYPES[name.rsplit(".")[-1]],
                               max_age=0)


bp.record_once(lambda state: state.app.add_url_rule("/m/photos/<name>", "handheld_photo",
                                                    serve_photo))


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


@bp.get("/putaway")
def putaway_page():
    return _page("handheld/move.html", "putaway", title=_("Putaway"))


@bp.get("/tally")
def tally_page():
    """Tally: the receipt (scanned, or ``?receipt=`` from a link), then its goods."""
    return _page("handheld/tally.html", "tally", receipt=request.args.get("receipt", "")[:40],
                 can_close=current_user.has_role("supervisor"))


# ---------------------------------------------------------------------------- approvals

def _supervisor_only() -> None:
    if not current_user.has_role("supervisor"):
        abort(403)


from . import handheld_stock  # noqa: E402,F401  (registers the stock flows on ``bp``)
