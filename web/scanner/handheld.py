"""Handheld pages (``/m``) for warehouse staff with keyboard-wedge scanners.

The pages are server-rendered; ``static/handheld.js`` drives the scan field, the sounds and
the offline queue. Writes go to JSON endpoints under ``/m/api/`` through
``web.idempotency.write``: every one carries an idempotency key, so the offline queue and
Wi-Fi retries may send the same scan again and stock moves once. Domain errors on those
endpoints answer ``{"error": {"code", "message", "field"}}`` like the API does.

The stock flows (scan anything, transfer, cycle count, count approvals) are in
``web.handheld_stock`` and the receipt flows (tally, putaway) in ``web.handheld_tally``, on
this blueprint; this module keeps what every scanner page shares.
"""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from wms.core.errors import N_, ValidationError

from ..auth import login_manager

bp = Blueprint("handheld", __name__, url_prefix="/m")
FLOW_ROLES = ("operator", "supervisor")
# The home and its task counts are every warehouse role's way in (returns clerks too).
HOME_ROLES = FLOW_ROLES + ("returns_clerk",)
HOME_ENDPOINTS = ("handheld.index", "handheld.api_tasks")


@bp.before_request
def check_roles():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(*(HOME_ROLES if request.endpoint in HOME_ENDPOINTS
                                   else FLOW_ROLES)):
        abort(403)
    return None

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
        "progress": _("%(done)s/%(total)s lines, %(units)s units"),
        "put_all_confirm": _("Put everything released of this receipt away to the "
                             "suggested places?"),
    }


@bp.context_processor
def handheld_context():
    return {
        "hh_urls": {"explain": url_for("handheld.api_explain"),
                    "putaway": url_for("handheld.api_putaway"),
                    "putaway_all": url_for("handheld.api_putaway_all"),
                    "transfer": url_for("handheld.api_transfer"),
                    "count": url_for("handheld.api_count"),
                    "suggest": url_for("handheld.api_putaway_suggest"),
                    "tally": url_for("handheld.api_tally"),
                    "tally_progress": url_for("handheld.api_tally_progress"),
                    "tally_close": url_for("handheld.api_tally_close"),
                    "tally_undo": url_for("handheld.api_tally_undo"),
                    "tally_photo": url_for("handheld.api_tally_photo"),
                    "tasks": url_for("handheld.api_tasks"),
                    "login": url_for("auth.login")},
        "hh_i18n": js_strings(),
        "hh_status_titles": {k: str(v) for k, v in STATUS_TITLES.items()},
    }


def _page(template: str, flow: str, **context):
    return render_template(template, flow=flow, **context)


@bp.get("/putaway")
def putaway_page():
    """Putaway: the released receipts waiting (``?receipt=`` from a closed tally first),
    their lots as buttons, "put away all"; or scan the goods."""
    from ..db import db
    from .handheld_tally import putaway_waiting
    return _page("handheld/move.html", "putaway", title=_("Putaway"),
                 waiting=putaway_waiting(db(), request.args.get("receipt", "")[:40].upper()
                                         or None))


@bp.get("/tally")
def tally_page():
    """Tally: the receipt (scanned, or ``?receipt=`` from a link), then its goods."""
    return _page("handheld/tally.html", "tally", receipt=request.args.get("receipt", "")[:40],
                 can_close=current_user.has_role("supervisor"))


# ---------------------------------------------------------------------------- approvals

def _supervisor_only() -> None:
    if not current_user.has_role("supervisor"):
        abort(403)


from . import handheld_stock, handheld_tally  # noqa: E402,F401  (register their flows on ``bp``)
