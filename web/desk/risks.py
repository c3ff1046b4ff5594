"""The risk page: graded warnings with filters, acknowledging one with a note, CSV export;
and running the rules now (a supervisor's button beside the periodic run)."""
from __future__ import annotations

import io

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext

from sqlalchemy import func, select

from wms.core.errors import DomainError
from wms.core.parsing import parse_id
from wms.partners.services import enterprises_query
from wms.risk import queries, services
from wms.risk.models import RISK_CATEGORIES, RISK_LEVELS, RISK_STATES, RiskWarning

from ..auth import blueprint_roles, roles_required, safe_next
from ..db import db
from ..errors import translate_error
from ..paging import page_arg
from ..risk_text import category_title, level_title, rule_title, warning_text
from ..settings import settings
from ..csv_export import SafeWriter

bp = Blueprint("risks", __name__, url_prefix="/risks")
blueprint_roles(bp, "supervisor", "customs_clerk", "owner_viewer", "operator", "dispatcher",
                "returns_clerk")
ACKNOWLEDGERS = ("supervisor", "customs_clerk")
PAGE_SIZE = 50
# An export holds at most this many warnings (the newest of the highest level first).
CSV_MAX = 20_000

# Where the record a warning concerns is shown.
DOCUMENT_PAGES = {"receipt": ("receipts.detail", "receipt_id"),
                  "order": ("orders.detail", "order_id")}


def document_url(warning: RiskWarning) -> str | None:
    page = DOCUMENT_PAGES.get(warning.document)
    if page is None or warning.document_id is None:
        return None
    try:
        return url_for(page[0], **{page[1]: warning.document_id})
    except Exception:  # a page another deployment leaves out
        return None


def _filter():
    try:
        return queries.parse_filter(request.args)
    except DomainError:
        abort(400)


@bp.get("/")
def index():
    chosen = _filter()
    stmt = queries.warnings_query(chosen)
    if request.args.get("format") == "csv":
        header = [_("Level"), _("Category"), _("Rule"), _("Warning"), _("Owner"),
                  _("Document"), _("Reference"), _("State"), _("Raised"), _("Note"),
                  _("Acknowledged by")]
        return _csv(header, db().scalars(stmt.limit(CSV_MAX)))
    page = page_arg()
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    owners = db().scalars(enterprises_query("owner")).all()
    return render_template(
        "office/risks.html", rows=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), chosen=chosen, owners=owners,
        levels=RISK_LEVELS, categories=RISK_CATEGORIES, states=RISK_STATES,
        text=warning_text, level_title=level_title, category_title=category_title,
        rule_title=rule_title, document_url=document_url,
        can_acknowledge=_can_acknowledge(), counts=queries.open_counts(db()))


def _csv(header: list[str], warnings) -> Response:
    """UTF-8 with a BOM (Excel reads the Chinese right); every cell through the safe
    writer, so a note like ``=HYPERLINK(...)`` stays text."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(_csv_row(w) for w in warnings)
    return Response(buffer.getvalue(), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="risk-warnings.csv"'})


def _csv_row(w: RiskWarning) -> list:
    return [w.level, category_title(w.category), rule_title(w.rule), warning_text(w),
            w.owner.customs_code if w.owner else "", w.document, w.reference or "",
            w.state, w.raised_at.isoformat(), w.note or "", w.acknowledged_by_login or ""]


def _can_acknowledge() -> bool:
    from flask_login import current_user
    return current_user.has_role(*ACKNOWLEDGERS)


@bp.post("/<int:warning_id>/acknowledge")
@roles_required(*ACKNOWLEDGERS)
def acknowledge(warning_id: int):
    back = safe_next(request.form.get("next"), url_for("risks.index"))
    try:
        services.acknowledge(db(), parse_id(warning_id, "warning"), request.form.get("note"))
    except DomainError as exc:
        db().rollback()
        flash(translate_error(exc), "error")
        return redirect(back)
    db().commit()
    flash(_("Warning acknowledged."), "ok")
    return redirect(back)


@bp.post("/run")
@roles_required("supervisor")
def run_now():
    run = services.run_rules(db(), settings())
    db().commit()
    flash(ngettext("%(num)s new warning.", "%(num)s new warnings.", run.total_raised), "ok")
    return redirect(url_for("risks.index"))
