"""Tally and putaway on the handheld (``/m/api/tally*``, ``/m/api/putaway*``).

The routes sit on the handheld blueprint. Each parses the scan, calls one ``wms.inbound``
door (``tally.scan_tally``, ``tally.close_tally``, ``putaway.put_away``...), and answers the
JSON the scanner page reads; locking and every rule live in the door, so the desk and the
API behave the same.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, jsonify, request, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from wms.accounts.models import USER_ROLES
from wms.catalog.models import Lot
from wms.core.errors import N_, DomainError, ValidationError
from wms.inbound import photos, queries
from wms.inbound import putaway as putaways
from wms.inbound import tally
from wms.inbound import tally_checks
from wms.inbound.models import STATE_TITLES, Discrepancy, Receipt
from wms.inventory.resolve import find_location, resolve_item, scanned_quantity
from wms.inventory.services import MoveLine
from wms.inventory.transfers import pick_source_quant

from .. import errors as web_errors
from ..db import db
from .handheld import _num, _payload, _text, bp
from ..idempotency import write

DISCREPANCY_TITLES = {
    "short": _l("Short"), "over": _l("Over"), "damaged": _l("Damaged"),
    "unexpected": _l("Unexpected"), "wrong_lot": _l("Wrong lot"),
}
RECENT_SCANS = 8
STAFF_ROLES = tuple(r for r in USER_ROLES if r != "owner_viewer")


def _flag(payload: dict, name: str) -> bool:
    return payload.get(name) in (True, 1, "1", "true", "on", "yes")


def _state_title(state: str) -> str:
    return _(STATE_TITLES[state]) if state in STATE_TITLES else state


def localised(exc: DomainError) -> DomainError:
    """A receipt state parameter in the reader's words."""
    if isinstance(exc, tally.TallyNotOpen) and "state" in exc.params:
        exc.params["state"] = _state_title(exc.params["state"])
    return exc


def _tally_receipt(session: Session, payload: dict) -> Receipt:
    name = _text(payload, "receipt", 40)
    if not name:
        raise ValidationError(N_("Scan the receipt first"), field="receipt")
    return queries.find_receipt(session, name.upper())  # typed names may be lower case


# ---------------------------------------------------------------------------- photos

def photo_folder() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / photos.PHOTO_DIR


def photo_url(path: str | None) -> str | None:
    if not path or not path.startswith(photos.PHOTO_DIR + "/"):
        return None
    return url_for("handheld_photo", name=path[len(photos.PHOTO_DIR) + 1:])


# ---------------------------------------------------------------------------- tally

def tally_input(payload: dict) -> tally.TallyInput:
    """The scanner's JSON as the tally door's input (the API sends the same fields)."""
    return tally.TallyInput(
        item=_text(payload, "item", 400), quantity=payload.get("quantity"),
        lot=_text(payload, "lot", 40), expiry_date=_text(payload, "expiry_date", 10),
        correction=_flag(payload, "correction"), damaged=_flag(payload, "damaged"),
        damage_reason=_text(payload, "damage_reason", 200),
        photo=photos.photo_reference(photo_folder(), _text(payload, "photo", 60)),
        confirm=tally_checks.parse_confirm(payload.get("confirm")),
        lot_product=_text(payload, "lot_product", 40))


def worded(exc: DomainError) -> DomainError:
    """A refusal's warnings in the reader's words (the scanner shows each and confirms)."""
    if isinstance(exc, tally_checks.ConfirmWarnings):
        exc.extra = {"warnings": [w.as_dict(_) for w in exc.warnings]}
    return localised(exc)


def do_tally(session: Session, payload: dict) -> tuple[int, dict]:
    receipt = _tally_receipt(session, payload)
    try:
        result = tally.scan_tally(session, receipt, tally_input(payload))
    except DomainError as exc:
        raise worded(exc) from None
    return (200 if result.selected else 201), tally.scan_answer(result, _)


def do_undo_tally(session: Session, payload: dict) -> tuple[int, dict]:
    """The operator's last scan on the receipt taken back (a reversing scan, audited)."""
    receipt = _tally_receipt(session, payload)
    try:
        undone = tally_checks.undo_last_scan(session, receipt)
    except DomainError as exc:
        raise localised(exc) from None
    what = ", ".join(f"{_num(s.quantity)} × {s.product.sku}" for s in undone)
    return 201, {"ok": True, "receipt": receipt.name, "undone": len(undone),
                 "message": _("Undone: %(what)s taken back from %(receipt)s.", what=what,
                              receipt=receipt.name)}


def do_close_tally(session: Session, payload: dict) -> tuple[int, dict]:
    receipt = _tally_receipt(session, payload)
    try:
        found = tally.close_tally(session, receipt)
    except DomainError as exc:
        raise localised(exc) from None
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
            "note": d.note(_)}


def _receipt_links(receipt: Receipt) -> dict:
    """The desk's receipt page and discrepancy report, by path (another blueprint)."""
    base = f"{request.script_root}/receipts/{receipt.id}"
    links = {"desk": base}
    if receipt.tally_closed_at is not None:
        links["discrepancies_pdf"] = f"{base}/discrepancies.pdf"
    return links


def _next_task(receipt: Receipt) -> dict | None:
    """A closed tally leads on to the putaway of the same receipt (once customs releases)."""
    if receipt.tally_closed_at is None:
        return None
    return {"title": _("Next: putaway of %(name)s", name=receipt.name),
            "url": url_for("handheld.putaway_page", receipt=receipt.name)}


def tally_state(session: Session, receipt: Receipt) -> dict[str, Any]:
    """What the tally page shows: expected against counted per product and lot, the latest
    scans of every operator, and the discrepancies once the tally is closed."""
    rows = [{"sku": row.product.sku, "name": row.product.name_zh,
             "name_en": row.product.name_en, "gtin": row.product.gtin,
             "lot": row.lot_name, "expected": _num(row.expected),
             "tallied": _num(row.tallied), "damaged": _num(row.damaged),
             "difference": _num(row.difference), "status": row.status,
             "status_title": str(DISCREPANCY_TITLES.get(row.status, "")),
             "sscc": list(row.ssccs)}
            for row in queries.tally_progress(session, receipt)]
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
    open_ = receipt.state in queries.TALLY_OPEN
    return {
        "receipt": {"id": receipt.id, "name": receipt.name, "state": receipt.state,
                    "state_title": _state_title(receipt.state), "open": open_,
                    "owner": receipt.owner.name_en if receipt.owner.name_en
                    and get_locale().language == "en" else receipt.owner.name,
                    "supplier": receipt.supplier,
                    "closable": open_ and current_user.has_role("supervisor"),
                    "message": None if open_ else web_errors.translate_error(
                        localised(tally.not_open(receipt))),
                    "links": _receipt_links(receipt), "next": _next_task(receipt)},
        "rows": rows,
        "totals": {key: _num(sum((Decimal(r[key]) for r in rows), Decimal(0)))
                   for key in ("expected", "tallied", "damaged")},
        "recent": [{"at": r.scan.scanned_at.astimezone(zone).strftime("%H:%M"),
                    "by": r.by, "sku": r.scan.product.sku, "lot": r.lot_name,
                    "quantity": _num(r.scan.quantity), "condition": r.scan.condition,
                    "reason": r.scan.damage_reason, "photo": photo_url(r.scan.photo)}
                   for r in queries.recent_scans(session, receipt, RECENT_SCANS)],
        "discrepancies": [_discrepancy(d) for d in queries.discrepancies_of(session, receipt)]
        if receipt.tally_closed_at else [],
    }


@bp.get("/api/tally")
def api_tally_progress():
    name = request.args.get("receipt", "")[:40]
    if not name.strip():
        raise ValidationError(N_("Scan the receipt first"), field="receipt")
    return jsonify(tally_state(db(), queries.find_receipt(db(), name.strip().upper())))


@bp.post("/api/tally")
def api_tally():
    payload = _payload()
    return write(payload, lambda session: do_tally(session, payload))


@bp.post("/api/tally/undo")
def api_tally_undo():
    payload = _payload()
    return write(payload, lambda session: do_undo_tally(session, payload))


@bp.post("/api/tally/close")
def api_tally_close():
    if not current_user.has_role("supervisor"):
        abort(403)
    payload = _payload()
    return write(payload, lambda session: do_close_tally(session, payload))


@bp.post("/api/tally/photo")
def api_tally_photo():
    """A damage photo from the phone's camera, stored before the scan that references it
    (multipart, so it cannot wait in the offline queue)."""
    if (request.content_length or 0) > photos.MAX_PHOTO_BYTES + 64 * 1024:
        raise photos.too_big()
    upload = request.files.get("photo")
    data = upload.stream.read(photos.MAX_PHOTO_BYTES + 1) if upload else b""
    name = photos.store_photo(photo_folder(), data)
    response = jsonify({"ok": True, "photo": name,
                        "url": photo_url(f"{photos.PHOTO_DIR}/{name}"),
                        "message": _("Photo saved: it goes with the next damaged scan.")})
    response.status_code = 201
    return response


def serve_photo(name: str):
    """A damage photo, for logged-in staff only (owner viewers and anonymous users not).

    An app-level route: the desk (customs clerks, supervisors) shows the photos too, and
    the handheld blueprint admits operators and supervisors only."""
    if not current_user.is_authenticated or not current_user.has_role(*STAFF_ROLES):
        abort(403)
    if not photos.PHOTO_NAME.match(name) or not (photo_folder() / name).is_file():
        abort(404)
    return send_from_directory(photo_folder(), name,
                               mimetype=photos.PHOTO_TYPES[name.rsplit(".")[-1]], max_age=0)


bp.record_once(lambda state: state.app.add_url_rule("/m/photos/<name>", "handheld_photo",
                                                    serve_photo))


# ---------------------------------------------------------------------------- putaway

def _with_stored(message: str, stored: list[str]) -> str:
    return " ".join([message, *(_("Receipt %(name)s stored.", name=name) for name in stored)])


def do_putaway(session: Session, payload: dict) -> tuple[int, dict]:
    """One scanned package or product quantity to its place through the putaway door."""
    destination = find_location(session, _text(payload, "destination", 60), "destination")
    source_code = _text(payload, "source", 60)
    source = find_location(session, source_code, "source") if source_code else None
    item = resolve_item(session, _text(payload, "item"), "item")
    if item.package is not None:
        package = item.package
        origin = package.location.full_path if package.location else None
        done = putaways.put_away_package(session, package, destination, source=source)
        message = _("Package %(sscc)s → %(destination)s", sscc=package.sscc,
                    destination=destination.full_path)
        return 201, {"ok": True, "message": _with_stored(message, done.stored),
                     "document": done.document.name, "package": package.sscc, "from": origin,
                     "to": destination.full_path, "stored": done.stored}
    if source is None:
        if destination.warehouse is None:
            raise ValidationError(N_("Scan the location the goods come from"), field="source")
        source = queries.input_area(session, destination.warehouse)
    quantity = scanned_quantity(payload.get("quantity"), item)
    status = _text(payload, "customs_status", 10)
    if status is None and not (_text(payload, "lot", 40) or item.lot) \
            and source.name == "Input":
        status = "bonded"  # only released goods leave the input area: offer only those
    product, quant = pick_source_quant(
        session, item, source, quantity, owner_code=_text(payload, "owner", 20),
        customs_status=status, lot_name=_text(payload, "lot", 40))
    lot_id = quant.lot_id  # the quant row is gone once the move empties it
    lot_name = session.get(Lot, lot_id).name if lot_id else None
    done = putaways.put_away(session, [MoveLine(
        product_id=product.id, quantity=quantity, from_location_id=source.id,
        to_location_id=destination.id, owner_id=quant.owner_id,
        customs_status=quant.customs_status, lot_id=lot_id, package_id=quant.package_id)],
        warehouse_id=destination.warehouse_id)
    what = f"{product.sku} ({lot_name})" if lot_name else product.sku
    message = _("%(qty)s × %(what)s: %(source)s → %(destination)s", qty=_num(quantity),
                what=what, source=source.full_path, destination=destination.full_path)
    return 201, {"ok": True, "message": _with_stored(message, done.stored),
                 "document": done.document.name, "sku": product.sku, "lot": lot_name,
                 "quantity": _num(quantity), "from": source.full_path,
                 "to": destination.full_path, "stored": done.stored}


PUTAWAY_RECEIPTS = 5  # receipts listed on the putaway page (each a few reads)


def putaway_waiting(session: Session, first: str | None) -> list[dict[str, Any]]:
    """The released receipts whose goods wait in the input area, each lot with its
    quantity and customs status (the receipt asked for first, whatever its state)."""
    from sqlalchemy import select
    names = list(session.scalars(select(Receipt.name).where(Receipt.state == "released")
                                 .order_by(Receipt.id).limit(PUTAWAY_RECEIPTS)))
    if first:
        names = [first] + [n for n in names if n != first]
    waiting = []
    for name in names:
        try:
            receipt = queries.find_receipt(session, name)
        except DomainError:
            continue
        goods = queries.released_in_input(session, receipt)
        waiting.append({
            "name": receipt.name, "state": receipt.state,
            "state_title": _state_title(receipt.state),
            "released": receipt.state in ("released", "held"),
            "units": _num(sum((g.quantity for g in goods), Decimal(0))),
            "lots": [{"sku": g.product.sku, "lot": g.lot_name, "quantity": _num(g.quantity),
                      "sscc": g.package_sscc, "status": "bonded",
                      "suggested": g.location.full_path if g.location else None}
                     for g in goods]})
    return waiting


def do_putaway_all(session: Session, payload: dict) -> tuple[int, dict]:
    """Everything released of one receipt to its suggested places (the putaway door)."""
    receipt = _tally_receipt(session, payload)
    done = putaways.putaway_receipt(session, receipt)
    message = _("Receipt %(name)s: everything released put away (%(document)s).",
                name=receipt.name, document=done.document.name)
    return 201, {"ok": True, "message": _with_stored(message, done.stored),
                 "document": done.document.name, "stored": done.stored}


@bp.post("/api/putaway/all")
def api_putaway_all():
    payload = _payload()
    return write(payload, lambda session: do_putaway_all(session, payload))


@bp.post("/api/putaway")
def api_putaway():
    payload = _payload()
    return write(payload, lambda session: do_putaway(session, payload))


def suggest_for(session: Session, payload: dict) -> dict[str, Any]:
    """Where the scanned goods should go: a package by its first product and its total
    quantity, a product by the quantity about to move. Read only: the operator still
    confirms by scanning the destination."""
    item = resolve_item(session, _text(payload, "item", 400), "item")
    source_code = _text(payload, "source", 60)
    source = find_location(session, source_code, "source") if source_code else None
    if item.package is not None:
        goods = putaways.package_goods(session, item.package)
        if goods is None:
            return {"ok": True, "suggestion": None, "message": _("Empty.")}
        product, quantity = goods
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
            warehouse, product = putaways.input_warehouse(session, item.products or [])
    location = putaways.suggest_location(session, warehouse, product, quantity) \
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

