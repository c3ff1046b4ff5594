"""Trace and recall pages (``/trace``): any code to its whole chain as an indented tree that
prints on A4; recalls started and closed here, with their notice list as CSV and PDF.

Reads come from ``wms.trace.queries`` and ``wms.trace.recall`` (owner-scoped, buyers masked
unless the reader's role may see them); the two writes are the recall doors.
"""
from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from wms.accounts.models import User
from wms.core.errors import DomainError
from wms.inventory.services import format_quantity
from wms.trace.documents import notice_pdf
from wms.trace.queries import trace
from wms.trace.recall import (close_recall, get_recall, list_recalls, notice_list,
                              start_recall)

from ..auth import blueprint_roles
from ..csv_export import safe_writer
from ..db import db
from ..errors import translate_error

bp = Blueprint("trace", __name__, url_prefix="/trace")
READERS = ("supervisor", "customs_clerk", "operator", "dispatcher", "returns_clerk",
           "owner_viewer")
RECALLERS = ("supervisor", "customs_clerk")
blueprint_roles(bp, *READERS)

KIND_TITLES = {"lot": _l("Lot"), "sscc": _l("SSCC"), "gtin": _l("GTIN"),
               "receipt": _l("Receipt"), "order": _l("Order"), "parcel": _l("Parcel"),
               "buyer": _l("Buyer")}
STAGE_TITLES = {"reserved": _l("Stopped in the warehouse"), "picked": _l("Picked, not shipped"),
                "shipped": _l("Shipped: tell the buyer")}
RECALL_STATES = {"open": _l("Open: lots blocked"), "closed": _l("Closed")}


@bp.context_processor
def helpers():
    return {"num": lambda value: "" if value is None else format_quantity(value)}


def _user_name(user_id) -> str | None:
    user = db().get(User, user_id) if user_id else None
    return user.display_name if user else None


@bp.get("/")
def index():
    code = (request.args.get("code") or "").strip()[:120]
    result = trace(db(), code) if code else None
    if code and not result.found:
        flash(_("Nothing found for %(code)s", code=code), "error")
    return render_template("trace/index.html", code=code, t=result, kinds=KIND_TITLES,
                           may_recall=current_user.has_role(*RECALLERS))


@bp.get("/recalls")
def recalls():
    return render_template("trace/recalls.html", recalls=list_recalls(db()),
                           states=RECALL_STATES, form=request.args,
                           may_recall=current_user.has_role(*RECALLERS))


@bp.post("/recalls")
def start():
    if not current_user.has_role(*RECALLERS):
        abort(403)
    session, form = db(), request.form
    try:
        recall = start_recall(session, product=form.get("product"), lot=form.get("lot"),
                              expiry_from=form.get("expiry_from"),
                              expiry_to=form.get("expiry_to"), reason=form.get("reason"),
                              authority=form.get("authority"))
        session.commit()
    except DomainError as exc:
        session.rollback()
        flash(translate_error(exc), "error")
        return render_template("trace/recalls.html", recalls=list_recalls(session),
                               states=RECALL_STATES, form=form, may_recall=True), 422
    flash(_("Recall %(name)s started: its lots are blocked", name=recall.name), "ok")
    return redirect(url_for("trace.recall", recall_id=recall.id))


def _notices(recall_id: str):
    session = db()
    try:
        recall = get_recall(session, recall_id)
    except DomainError:
        abort(404)
    notices, stock = notice_list(session, recall)
    return recall, notices, stock


@bp.get("/recalls/<recall_id>")
def recall(recall_id: str):
    found, notices, stock = _notices(recall_id)
    return render_template("trace/recall.html", recall=found, notices=notices, stock=stock,
                           stages=STAGE_TITLES, states=RECALL_STATES,
                           lots=[rl.lot.name for rl in found.lots],
                           started_by=_user_name(found.started_by_id),
                           closed_by=_user_name(found.closed_by_id),
                           may_recall=current_user.has_role(*RECALLERS))


@bp.post("/recalls/<recall_id>/close")
def close(recall_id: str):
    if not current_user.has_role(*RECALLERS):
        abort(403)
    session = db()
    try:
        closed = close_recall(session, recall_id, request.form.get("note"))
        session.commit()
    except DomainError as exc:
        session.rollback()
        flash(translate_error(exc), "error")
        return redirect(url_for("trace.recall", recall_id=recall_id))
    flash(_("Recall %(name)s closed: the block is lifted", name=closed.name), "ok")
    return redirect(url_for("trace.recall", recall_id=closed.id))


@bp.get("/recalls/<recall_id>/notices.csv")
def notices_csv(recall_id: str):
    found, notices, stock = _notices(recall_id)
    buffer = io.StringIO()
    writer = safe_writer(buffer)
    writer.writerow([_("Order"), _("Order number"), _("State"), _("Trade mode"), _("Buyer"),
                     _("ID number"), _("Phone"), _("Consignee"), _("Address"), _("Lot"),
                     _("Quantity"), _("Stage"), _("Parcels"), _("Shipped at")])
    for n in notices:
        writer.writerow([n.order, n.order_no, n.state, n.trade_mode, n.buyer_name, n.buyer_id,
                         n.buyer_phone, n.consignee, n.address, n.lot,
                         format(n.quantity.normalize(), "f"), str(STAGE_TITLES[n.stage]),
                         n.parcels, n.shipped_at.isoformat() if n.shipped_at else ""])
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = found.name.replace("/", "-")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-notices.csv"'
    return response


@bp.get("/recalls/<recall_id>/notices.pdf")
def notices_pdf(recall_id: str):
    found, notices, stock = _notices(recall_id)
    pdf = notice_pdf(found, notices, stock, [rl.lot.name for rl in found.lots])
    name = found.name.replace("/", "-")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}-notices.pdf"'})
