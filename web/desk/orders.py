"""Desk pages for cross-border orders (``/orders``): the list by trade mode and state, one
order with its three documents, inventory list, outbox messages and customs receipts; declare,
cancel, receipt upload, CSV upload; the customs message outbox.

Every write parses the form, calls one ``wms.outbound`` use case, commits once and redirects;
a domain error rolls back and shows the translated message, so a refused action changes
nothing. Owner users see only their own owner's orders and messages (and may not write).

Reads come from ``wms.outbound.queries``, the order CSV from ``wms.outbound.intake``; the
API (``web.api.orders``) answers from the same functions.
"""
from __future__ import annotations

import io
from decimal import Decimal

from flask import (Blueprint, Response, flash, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from wms.core.errors import N_, DomainError, ValidationError
from wms.core.privacy import SEES_PERSONAL_DATA, buyer_view, mask_xml, record_shown
from wms.customs import queries as customs_queries
from wms.customs.inbox import apply_receipt_file
from wms.customs.models import MESSAGE_STATES
from wms.customs.outbox import get_message, messages_query
from wms.outbound import queries
from wms.outbound import declare as declaring
from wms.outbound.intake import cancel_order, decode_upload
from wms.outbound.order_csv import (ORDER_CSV_COLUMNS, REQUIRED_ORDER_CSV, SAMPLE_ORDER_ROWS,
                                    CsvError, receive_csv)
from wms.outbound.models import ORDER_STATES
from wms.outbound.summary import list_numbers, parse_day  # noqa: F401 (web.desk.reports)

from ..paging import page_arg
from .confirm import Confirmation, confirm_page, confirmed
from ..csv_export import SafeDictWriter
from ..auth import blueprint_roles, roles_required, safe_next
from ..db import db
from ..errors import translate_error
from ..settings import settings

bp = Blueprint("orders", __name__, url_prefix="/orders")
PAGE_SIZE = 50
STAFF = ("supervisor", "customs_clerk", "operator", "dispatcher", "returns_clerk")
READERS = (*STAFF, "owner_viewer")
EDITORS = ("supervisor", "customs_clerk")
blueprint_roles(bp, *READERS)

STATE_TITLES = {
    "received": _l("Received"),
    "declared": _l("Declared"),
    "released": _l("Released"),
    "held": _l("Held for inspection"),
    "rejected": _l("Rejected"),
    "picking": _l("Picking"),
    "picked": _l("Picked"),
    "packed": _l("Packed"),
    "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"),
}
LIST_STATE_TITLES = {
    "draft": _l("Draft"), "sent": _l("Sent"), "released": _l("Released"),
    "held": _l("Held for inspection"), "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
MESSAGE_STATE_TITLES = {
    "draft": _l("In the outbox, not sent"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "released": _l("Released"),
    "held": _l("Held"),
    "rejected": _l("Rejected"),
    "failed": _l("Failed"),
}
TRADE_MODE_TITLES = {
    "1210": _l("Bonded e-commerce import"),
    "9610": _l("B2C export"),
    "9710": _l("B2B direct export"),
    "9810": _l("B2B export to an overseas warehouse"),
}
KINDS = queries.KINDS
KIND_TITLES = {"import": _l("Retail import (1210)"), "b2c": _l("B2C export (9610)"),
               "b2b": _l("B2B export (9710 / 9810)")}
MESSAGE_TYPE_TITLES = {
    "CEB311": _l("Order"), "CEB411": _l("Payment"), "CEB511": _l("Waybill"),
    "CEB621": _l("Import list"), "CEB625": _l("Return application"),
    "CEB303": _l("Export order"), "CEB505": _l("Export waybill"),
    "CEB603": _l("Export list"), "CEB701": _l("Export summary application"),
}


# ---------------------------------------------------------------- shared helpers

num = queries.plain_number


def money(value) -> str:
    return f"{Decimal(value):,.2f}" if value is not None else ""


def xsd_dir():
    """The XSD folder of the app's settings (the reports page builds CEB701 with it)."""
    return settings().ceb_xsd_dir


def csv_error_message(exc: DomainError) -> str:
    """A CSV error in the user's language, the error it stands for translated too."""
    if isinstance(exc, CsvError) and isinstance(exc.__cause__, DomainError):
        return _(exc.template, **{**exc.params, "detail": translate_error(exc.__cause__)})
    return translate_error(exc)


# ---------------------------------------------------------------- list and detail

def paginate(stmt, page: int):
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, total, max(1, -(-total // PAGE_SIZE))


@bp.get("/")
def index():
    kind = request.args.get("kind") or None
    kind = kind if kind in KINDS else None
    state = request.args.get("state") or None
    state = state if state in ORDER_STATES else None
    trade_mode = request.args.get("trade_mode") or None
    trade_mode = trade_mode if trade_mode in TRADE_MODE_TITLES else None
    q = (request.args.get("q") or "").strip()[:60]
    stmt = queries.orders_query(state, trade_mode, kind=kind, search=q or None)
    rows, total, pages = paginate(stmt, page_arg())
    by_mode = queries.order_counts(db(), "trade_mode")
    kind_counts = {k: sum(by_mode.get(m, 0) for m in ms) for k, ms in KINDS.items()}
    counts = queries.order_counts(db(), "state", kind)
    return render_template(
        "orders/index.html", rows=rows, total=total, pages=pages, page=page_arg(),
        kind=kind, state=state, trade_mode=trade_mode, q=q, counts=counts,
        kind_counts=kind_counts, all_count=sum(by_mode.values()), kinds=KIND_TITLES,
        states=ORDER_STATES, state_titles=STATE_TITLES, trade_modes=TRADE_MODE_TITLES,
        kind_modes=KINDS, can_edit=current_user.has_role(*EDITORS), money=money)


def sees_personal_data() -> bool:
    """May the reader press "show" for a buyer's ID and phone numbers (and read them in
    full, audited)?"""
    return current_user.has_role(*SEES_PERSONAL_DATA)


def render_detail(order, status: int = 200, show_personal: bool = False):
    session = db()
    listing = queries.listing_of(session, order)
    numbers = list_numbers(session, listing) if listing else (None, None)
    wave = queries.wave_of(session, order)
    shorts = queries.short_picks_of(session, order, wave) if wave is not None else []
    limits = settings().retail_limits
    has = current_user.has_role
    can = {
        "declare": has(*EDITORS) and order.state == "received",
        "cancel": has(*EDITORS) and order.can_transition("cancelled"),
        "upload": has(*EDITORS) and order.state in ("declared", "held"),
        "pack": has("operator", "supervisor") and order.state in ("picked", "packed",
                                                                  "shipped"),
    }
    return render_template(
        "orders/detail.html", order=order, listing=listing, pre_no=numbers[0],
        invt_no=numbers[1], messages=queries.messages_of(session, order),
        parcels=queries.parcels_of(session, order), wave=wave, shorts=shorts,
        destination=queries.destination_of(session, order),
        quota=queries.order_quota(session, order, limits), limits=limits, can=can,
        state_titles=STATE_TITLES, list_titles=LIST_STATE_TITLES,
        message_titles=MESSAGE_STATE_TITLES, trade_modes=TRADE_MODE_TITLES,
        type_titles=MESSAGE_TYPE_TITLES, num=num, money=money,
        buyer=buyer_view(order, show_personal), can_show_personal=sees_personal_data()), status


@bp.get("/<int:order_id>")
def detail(order_id: int):
    return render_detail(queries.get_order(db(), order_id))


@bp.post("/<int:order_id>/personal-data")
@roles_required(*SEES_PERSONAL_DATA)
def show_personal_data(order_id: int):
    """The buyer's numbers in full, on this one answer: the look is written to the audit
    trail (who, whose, when) before the page shows them."""
    session = db()
    order = queries.get_order(session, order_id)
    try:
        record_shown(session, "sales_order", [order.id], "buyer_id_number,buyer_phone,"
                     "consignee_phone")
    except DomainError as exc:
        return _refused(order_id, exc)
    session.commit()
    response = make_response(render_detail(queries.get_order(session, order_id),
                                           show_personal=True))
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(order_id: int, exc: DomainError):
    db().rollback()
    flash(translate_error(exc), "error")
    return render_detail(queries.get_order(db(), order_id),
                         exc.status if exc.status >= 400 else 422)


def _done(order_id: int, message: str):
    db().commit()
    flash(message, "ok")
    return redirect(url_for("orders.detail", order_id=order_id))


# What ``wms.outbound.declare`` queues for each kind of order (the list comes last).
DECLARED_MESSAGES = {"1210": ("CEB311", "CEB411", "CEB511", "CEB621"),
                     "export": ("CEB303", "CEB505", "CEB603")}


def declare_confirmation(order) -> Confirmation:
    types = DECLARED_MESSAGES["1210" if order.trade_mode == "1210" else "export"]
    units = sum((ln.qty for ln in order.lines), Decimal(0))
    return Confirmation(
        title=_("Declare order %(no)s to customs?", no=order.order_no),
        action=url_for("orders.declare", order_id=order.id),
        back=url_for("orders.detail", order_id=order.id),
        message_types=[(t, str(MESSAGE_TYPE_TITLES.get(t, ""))) for t in types],
        document=order.order_no, lines=len(order.lines),
        items=ngettext("%(num)s unit", "%(num)s units", int(units)) if units == int(units)
        else num(units),
        total=money(order.actual_paid), button=_("Declare to customs"),
        facts=[(_("Trade mode"), f"{order.trade_mode} {TRADE_MODE_TITLES.get(order.trade_mode, '')}"),
               (_("Goods"), money(order.goods_value)), (_("Tax"), money(order.tax_total))])


@bp.route("/<int:order_id>/declare", methods=["GET", "POST"])
@roles_required(*EDITORS)
def declare(order_id: int):
    """GET or an unconfirmed POST: the confirm step; a confirmed POST declares."""
    if not confirmed():
        order = queries.get_order(db(), order_id)
        if order.state == "received":
            return confirm_page(declare_confirmation(order))
        if request.method == "GET":
            return redirect(url_for("orders.detail", order_id=order_id))
    try:
        order, listing = declaring.declare(db(), order_id, settings=settings())
    except DomainError as exc:
        return _refused(order_id, exc)
    return _done(order_id, _("Order %(name)s declared: its documents and list %(list)s are in "
                             "the customs outbox.", name=order.name, list=listing.name))


@bp.post("/<int:order_id>/cancel")
@roles_required(*EDITORS)
def cancel(order_id: int):
    order = queries.get_order(db(), order_id)
    try:
        cancel_order(db(), order, request.form.get("reason"))
    except DomainError as exc:
        return _refused(order_id, exc)
    return _done(order_id, _("Order %(name)s cancelled.", name=order.name))


# ---------------------------------------------------------------- receipts, CSV

def _safe_back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


@bp.post("/receipts")
@roles_required(*EDITORS)
def upload_receipts():
    """Customs' receipts (CEB312/412/512/622/..., CEB900) as the XML file they came in: all
    of the file applies, or none of it."""
    back = _safe_back(url_for("orders.messages"))
    upload = request.files.get("xml")
    try:
        content = upload.read() if upload else b""
        if not content.strip():
            raise ValidationError(N_("Choose the receipt XML file"), field="xml")
        touched = apply_receipt_file(db(), content)
        db().flush()
    except DomainError as exc:
        db().rollback()
        flash(translate_error(exc), "error")
        return redirect(back)
    db().commit()
    flash(ngettext("%(num)s receipt imported.", "%(num)s receipts imported.", len(touched)),
          "ok")
    return redirect(back)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_csv():
    context = dict(columns=ORDER_CSV_COLUMNS, required=REQUIRED_ORDER_CSV)
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            content = upload.read() if upload else b""
            if not content.strip():
                raise ValidationError(N_("Choose a CSV file"), field="file")
            results = receive_csv(db(), decode_upload(content), settings=settings())
        except DomainError as exc:
            db().rollback()
            return render_template("orders/import.html", error=csv_error_message(exc),
                                   **context), exc.status if exc.status >= 400 else 422
        rows = [(r.order, r.created) for r in results]
        db().commit()
        created = sum(1 for r in results if r.created)
        flash(ngettext("%(num)s order received.", "%(num)s orders received.", created), "ok")
        return render_template("orders/import.html", results=rows,
                               state_titles=STATE_TITLES, **context)
    return render_template("orders/import.html", **context)


@bp.get("/import/sample.csv")
@roles_required(*EDITORS)
def sample_csv():
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = SafeDictWriter(buffer, ORDER_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(SAMPLE_ORDER_ROWS)
    return Response(buffer.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="orders-sample.csv"'})


# ---------------------------------------------------------------- the outbox

MESSAGE_TYPES = tuple(MESSAGE_TYPE_TITLES)


@bp.get("/messages")
def messages():
    message_type = request.args.get("type") or None
    message_type = message_type if message_type in MESSAGE_TYPES or (
        message_type or "").startswith("CEB") else None
    state = request.args.get("state") or None
    state = state if state in MESSAGE_STATES else None
    rows, total, pages = paginate(messages_query(message_type, state), page_arg())
    type_counts = customs_queries.message_counts(db(), "message_type")
    state_counts = customs_queries.message_counts(db(), "state", message_type)
    orders = queries.orders_by_numbers(db(), {m.business_key for m in rows})
    return render_template(
        "orders/messages.html", rows=rows, total=total, pages=pages, page=page_arg(),
        message_type=message_type, state=state, type_counts=type_counts,
        state_counts=state_counts, all_count=sum(type_counts.values()),
        types=MESSAGE_TYPE_TITLES, states=MESSAGE_STATES, message_titles=MESSAGE_STATE_TITLES,
        orders=orders, can_upload=current_user.has_role(*EDITORS))


@bp.get("/messages/<guid>.xml")
def message_xml(guid: str):
    """One message exactly as it sits in the outbox."""
    message = get_message(db(), guid)
    xml = message.xml if current_user.has_role(*SEES_PERSONAL_DATA) else mask_xml(message.xml)
    return Response(xml.encode("utf-8"), headers={
        "Content-Type": "application/xml; charset=utf-8",
        "Content-Disposition": f'inline; filename="{message.message_type}_{message.guid}.xml"'})
