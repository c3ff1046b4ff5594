"""Handheld stock flows (``/m``): scan anything, internal transfer, cycle count, and the
supervisor's count approvals.

Each endpoint parses the scan, calls the one door in ``wms.inventory`` that the JSON API
calls too (``transfers.transfer_scan``, ``counts.count_scans``, ``counts.approve`` and
``reject``, ``scan.explain``), commits through ``web.idempotency`` and renders the answer.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from wms.core.errors import DomainError
from wms.core.idempotency import run_idempotent
from wms.inventory import counts as counting
from wms.inventory import queries
from wms.inventory import scan as scanning
from wms.inventory.transfers import ChooseStock, transfer_scan

from .. import errors as web_errors
from ..db import close_session, db
from ..desk.orders import STATE_TITLES as ORDER_STATES
from wms.inbound.models import STATE_TITLES as RECEIPT_STATES
from wms.inventory.tasks import waiting_tasks

from .handheld import (FLOW_ROLES, COUNT_STATE_TITLES, KIND_TITLES, PART_TITLES, _moved, _num, _page,
                       _payload, _supervisor_only, _text, bp, status_title)
from ..idempotency import write

@bp.errorhandler(DomainError)
def scanner_error(exc: DomainError):
    return web_errors.error_response(exc.status, exc.code, web_errors.translate_error(exc),
                                     exc.field, **getattr(exc, "extra", {}))


# ---------------------------------------------------------------- scan anything

VERDICTS = {
    "misread": lambda kind, value: _("This looks like a %(kind)s, but its check digit or "
                                     "format is wrong: misread? Scan again.", kind=kind),
    "empty": lambda kind, value: _("Nothing was scanned."),
    "unknown": lambda kind, value: _("Unknown barcode %(code)s: no location, product, "
                                     "package, parcel, receipt or shipment has it.",
                                     code=value),
    "found": lambda kind, value: _("Found."),
    "found_identifier": lambda kind, value: _("%(kind)s, check digit correct.", kind=kind),
    "no_record": lambda kind, value: _("%(kind)s, check digit correct; no record in this "
                                       "warehouse.", kind=kind),
}


def explain_code(session: Session, code: str) -> dict[str, Any]:
    """``scan.explain`` plus what the page shows: titles, the verdict, an HTML fragment."""
    result = scanning.explain(session, code)
    kind = result["kind"]
    verdict, ok = scanning.verdict(result)
    if verdict == "found" and kind != "text":
        verdict = "found_identifier"
    title = KIND_TITLES.get(kind, kind)
    for match in result["matches"]:
        titles = {"receipt": RECEIPT_STATES, "parcel": ORDER_STATES}.get(match["type"])
        if titles is not None:
            title_of = titles.get(match["state"], match["state"])
            match["state_title"] = _(title_of) if isinstance(title_of, str) else str(title_of)
    result["ok"] = ok
    result["verdict"] = VERDICTS[verdict](title, result["value"])
    result["kind_title"] = str(title)
    result["error"] = web_errors.translate_problems(result["problems"])
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


# ---------------------------------------------------------------- transfer

def do_transfer(session: Session, payload: dict) -> tuple[int, dict]:
    """One scanned package or product quantity between two internal locations."""
    moved = transfer_scan(
        session, item=_text(payload, "item"), destination=_text(payload, "destination", 60),
        source=_text(payload, "source", 60), quantity=payload.get("quantity"),
        lot=_text(payload, "lot", 40), owner=_text(payload, "owner", 20),
        customs_status=_text(payload, "customs_status", 10))
    session.flush()
    to = moved.destination.full_path
    if moved.package is not None:
        return 201, {"ok": True, "message": _("Package %(sscc)s → %(destination)s",
                                              sscc=moved.package.sscc, destination=to),
                     "document": moved.document.name, "package": moved.package.sscc,
                     "from": moved.source_path, "to": to, "stored": []}
    lot = moved.lot.name if moved.lot else None
    what = f"{moved.product.sku} ({lot})" if lot else moved.product.sku
    return 201, {"ok": True, "message": _moved(moved.quantity, what, moved.source_path, to),
                 "document": moved.document.name, "sku": moved.product.sku, "lot": lot,
                 "quantity": _num(moved.quantity), "from": moved.source_path, "to": to,
                 "stored": []}


@bp.post("/api/transfer")
def api_transfer():
    payload = _payload()
    try:
        return write(payload, lambda session: do_transfer(session, payload))
    except ChooseStock as exc:  # the buttons show the customs status in the user's words
        for choice in exc.extra["choices"]:
            choice["customs_status_title"] = status_title(choice["customs_status"])
        raise


# ---------------------------------------------------------------- count

def approval_threshold() -> Decimal:
    return Decimal(str(current_app.config.get("COUNT_APPROVAL_THRESHOLD",
                                              counting.DEFAULT_APPROVAL_THRESHOLD)))


def do_count(session: Session, payload: dict) -> tuple[int, dict]:
    """A whole cycle count in one write: the location, each scan, then submit."""
    threshold = approval_threshold()
    count = counting.count_scans(session, location=_text(payload, "location", 60),
                                 lines=payload.get("lines"), threshold=threshold)
    path = count.location.full_path
    if count.state == "to_approve":
        message = _("Count %(name)s of %(path)s is waiting for a supervisor: differences above "
                    "%(threshold)s.", name=count.name, path=path, threshold=_num(threshold))
    else:
        message = _("Count %(name)s of %(path)s posted.", name=count.name, path=path)
    return 201, {"ok": True, "message": message, "count": count.name, "state": count.state,
                 "location": path, "lines": queries.count_lines(session, count)}


@bp.post("/api/count")
def api_count():
    payload = _payload()
    return write(payload, lambda session: do_count(session, payload))


# ---------------------------------------------------------------- pages

# Where each task is done (endpoint, arguments).
TASK_PAGES = {
    "tally": ("handheld.tally_page", {}), "putaway": ("handheld.putaway_page", {}),
    "pick": ("picking.index", {}), "pack": ("picking.pack", {}),
    "count": ("handheld.count_page", {}), "approve": ("handheld.counts", {}),
    "receive_returns": ("returns.receive_page", {}), "grade": ("returns.inspect_page", {}),
}


def task_list(session) -> list[dict[str, Any]]:
    """The user's tasks with their counts and where each is done."""
    return [{"code": t.code, "title": _(t.title), "description": _(t.description),
             "count": t.count, "url": url_for(TASK_PAGES[t.code][0], **TASK_PAGES[t.code][1])}
            for t in waiting_tasks(session, current_user.roles)]


@bp.get("/")
def index():
    return render_template("handheld/index.html", flow="index", tasks=task_list(db()),
                           can_move=current_user.has_role(*FLOW_ROLES))


@bp.get("/api/tasks")
def api_tasks():
    """The counts the home page polls."""
    return jsonify({"tasks": task_list(db())})


@bp.get("/scan")
def scan_page():
    code = request.args.get("code", "")[:400]
    result = explain_code(db(), code) if code.strip() else None
    return _page("handheld/scan.html", "scan", result=result, code=code)


@bp.get("/transfer")
def transfer_page():
    return _page("handheld/move.html", "transfer", title=_("Internal transfer"))


@bp.get("/count")
def count_page():
    return _page("handheld/count.html", "count")


# ---------------------------------------------------------------- approvals

@bp.get("/counts")
def counts():
    _supervisor_only()
    waiting = queries.counts_waiting(db())
    return render_template("handheld/counts.html", flow="approve", counts=waiting,
                           lines={c.id: queries.count_lines(db(), c) for c in waiting},
                           state_titles=COUNT_STATE_TITLES)


@bp.get("/counts/<int:count_id>")
def count_detail(count_id: int):
    _supervisor_only()
    count = counting.get_count(db(), count_id)
    return render_template("handheld/count_detail.html", flow="approve", count=count,
                           lines=queries.count_lines(db(), count),
                           state_titles=COUNT_STATE_TITLES, idempotency_key=uuid.uuid4().hex)


def _decide(count_id: int, approve: bool):
    """Approve or reject from a plain form; the form's key makes a double tap count once."""
    _supervisor_only()
    reason = (request.form.get("reason") or "").strip()[:200]
    key = (request.form.get("idempotency_key") or "").strip() or uuid.uuid4().hex

    def use_case(session: Session) -> tuple[int, dict]:
        if approve:
            count = counting.approve(session, count_id, reason)
            message = _("Count %(name)s approved and posted.", name=count.name)
        else:
            count = counting.reject(session, count_id, reason)
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
