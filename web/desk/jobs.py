"""Background work, seen by people: the jobs page (last and next run, outcome, counts, the
queue depth, failures with a retry button) and the notices feed every page polls."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user, login_required

from wms.core.db import utcnow
from wms.core.errors import DomainError
from wms.jobs import queries
from wms.jobs.models import Notice
from wms.jobs.queue import ensure_configured, queue_depth
from wms.jobs.runner import retry_failure

from ..auth import roles_required
from ..db import db
from ..errors import translate_error

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
OPERATORS = ("admin", "supervisor")

# The pages that show new notices as they come, without a reload: the desk home pages and
# the dispatch board (base.html includes static/notices.js there).
LIVE_PAGES = frozenset({"office.home", "dispatch.index", "receipts.index", "orders.index",
                        "returns.index"})

# Where the desk that acts on a notice is.
NOTICE_PAGES = {"alert_late": "dispatch.alerts", "alert_no_report": "dispatch.alerts",
                "declaration_due": "receipts.overdue", "return_apply_due": "returns.index",
                "return_arrive_due": "returns.index"}


# What each job counted, in the reader's language (a job's counts are stored by key).
COUNT_LABELS = {
    "sent": lazy_pgettext("job count", "sent"),
    "applied": lazy_pgettext("job count", "applied"),
    "repeated": lazy_pgettext("job count", "repeated"),
    "rejected": lazy_pgettext("job count", "rejected"),
    "attempted": lazy_pgettext("job count", "attempted"),
    "delivered": lazy_pgettext("job count", "delivered"),
    "retrying": lazy_pgettext("job count", "retrying"),
    "failed": lazy_pgettext("job count", "failed"),
    "deleted": lazy_pgettext("job count", "deleted"),
    "queued": lazy_pgettext("job count", "queued"),
    "jobs": lazy_pgettext("job count", "jobs"),
    "shipments": lazy_pgettext("job count", "shipments"),
    "late": lazy_pgettext("job count", "late"),
    "no_report": lazy_pgettext("job count", "no report"),
    "published": lazy_pgettext("job count", "published"),
    "alert_late": lazy_pgettext("job count", "late alerts"),
    "alert_no_report": lazy_pgettext("job count", "no-report alerts"),
    "declaration_due": lazy_pgettext("job count", "declarations due"),
    "return_apply_due": lazy_pgettext("job count", "return declarations due"),
    "return_arrive_due": lazy_pgettext("job count", "return arrivals due"),
}


@bp.app_template_filter("job_count_label")
def job_count_label(key: str) -> str:
    """A count key the page knows by name; a new job's key shows as it is until it is named."""
    return str(COUNT_LABELS.get(key, key))


def notice_text(notice: Notice) -> str:
    return _(notice.message, **queries.notice_params(notice))


def notice_json(notice: Notice) -> dict:
    return {"id": notice.id, "kind": notice.kind, "reference": notice.reference,
            "message": notice_text(notice), "url": url_for(NOTICE_PAGES.get(
                notice.kind, "office.home")),
            "due_at": format_datetime(notice.due_at, "short") if notice.due_at else None}


@bp.app_context_processor
def live_notices() -> dict:
    return {"live_notices": current_user.is_authenticated and request.endpoint in LIVE_PAGES}


@bp.get("/")
@roles_required(*OPERATORS)
def index():
    settings = ensure_configured()
    overview = queries.overview(db(), settings, utcnow(), queue_depth())
    return render_template("jobs/index.html", overview=overview)


@bp.post("/failures/<int:failure_id>/retry")
@roles_required(*OPERATORS)
def retry(failure_id: int):
    try:
        failure = retry_failure(db(), failure_id, user_id=current_user.id)
    except DomainError as exc:
        db().rollback()
        flash(translate_error(exc), "error")
    else:
        db().commit()
        flash(_("%(job)s will run again shortly.", job=failure.job), "ok")
    return redirect(url_for("jobs.index"))


@bp.get("/notices.json")
@login_required
def notices_feed():
    """New notices for the user's desks since ``after`` (``after=-1``: only the newest id,
    so a page starts from now and shows only what comes later)."""
    after = request.args.get("after", -1, type=int)
    notices = queries.notices_for(db(), current_user.roles, after_id=max(after, 0))
    last_id = max([n.id for n in notices], default=max(after, 0))
    if after < 0:
        return jsonify(notices=[], last_id=last_id)
    return jsonify(notices=[notice_json(n) for n in reversed(notices)], last_id=last_id)
