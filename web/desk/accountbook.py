"""The account book reconciliation page (``/account-book``): per item, the book's balance
against physical bonded stock, and for each difference the unbooked moves behind it.
Owner users see their own products only."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from wms.accountbook.queries import reconcile
from wms.core.context import current_actor
from wms.inventory.services import format_quantity

from ..auth import blueprint_roles
from ..db import db

bp = Blueprint("accountbook", __name__, url_prefix="/account-book")
blueprint_roles(bp, "supervisor", "customs_clerk", "owner_viewer")


@bp.context_processor
def helpers():
    return {"num": lambda value: "" if value is None else format_quantity(value)}


@bp.get("/")
def reconciliation():
    ems_no = (request.args.get("ems_no") or "").strip()[:20] or None
    owners = current_actor().owner_ids
    lines = reconcile(db(), ems_no, set(owners) if owners is not None else None)
    differing = [ln for ln in lines if ln.difference]
    return render_template("accountbook/reconciliation.html", lines=lines, differing=differing,
                           ems_no=ems_no or "")
