"""The returns centre (``/returns``): the returns desk, bulk receiving and inspection on the
handheld, the unidentified parcels queue, return labels and a CSV export.

Desk writes parse the form, call one ``wms.returns`` use case, commit once and redirect; a
domain error rolls back and is shown on the page. The handheld pages and their JSON writes
(``/returns/m/...``) are in ``returns_handheld``, on this blueprint.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, redirect,
                   render_template, request, send_from_directory, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from wms.core.db import utcnow
from wms.core.errors import N_, DomainError, ValidationError
from wms.core.uploads import check_image, new_image_name, write_on_commit
from wms.customs.inbox import apply_receipt_file
from wms.inventory.models import Warehouse
from wms.returns import declaration, dispositions, figures, inspection, queries, receiving
from wms.returns import requests as return_requests
from wms.returns.messages import read_message
from wms.returns.models import DISPOSITIONS, GRADES, REQUEST_STATES, ReturnRequest
from wms.returns.rules import bonded_allowed, is_late

from ..api.labels import label_response
from ..paging import page_arg
from .confirm import Confirmation, confirm_page, confirmed
from ..auth import blueprint_roles, safe_next
from ..csv_export import safe_writer
from ..db import db
from ..settings import settings
from ..errors import translate_error, translated_params

bp = Blueprint("returns", __name__, url_prefix="/returns")
CLERKS = ("returns_clerk", "supervisor")
blueprint_roles(bp, *CLERKS, "owner_viewer")
API_PREFIX = "/returns/m/api/"
PAGE_SIZE = 50
MAX_PHOTO = 3 * 1024 * 1024
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")

STATE_TITLES = {
    "requested": _l("Requested"), "received": _l("Received"), "inspected": _l("Inspected"),
    "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}
GRADE_TITLES = {
    "new": _l("Resell as new"), "open_box": _l("Resell as open box"),
    "damaged": _l("Damaged"), "scrap": _l("Scrap"),
}
DISPOSITION_TITLES = {
    "restock": _l("Restock to bonded stock"), "exchange": _l("Exchange"),
    "scrap": _l("Scrap"), "return_to_vendor": _l("Return to vendor / abroad"),
    "non_bonded": _l("Non-bonded handling"),
}
DISPOSITION_STATE_TITLES = {
    "none": _l("Open"), "pending": _l("Pending"), "to_approve": _l("Waiting for approval"),
    "done": _l("Done"),
}
PARCEL_STATE_TITLES = {
    "matched": _l("Matched, in batch"), "unidentified": _l("Unidentified"),
    "arrived": _l("Arrived"),
}
DECLARATION_TITLES = {
    "sent": _l("Declared, waiting for CEB626"), "approved": _l("Approved by customs"),
    "rejected": _l("Rejected by customs"),
}
CHOICE_TITLES = {"refund": _l("Refund"), "exchange": _l("Exchange")}
MATCHED_BY_TITLES = {
    "return_number": _l("return number"), "platform_return_no": _l("platform return number"),
    "return_waybill": _l("return waybill"), "waybill": _l("original waybill"),
    "parcel": _l("original parcel (S10)"), "order": _l("order number"),
    "by_hand": _l("matched by hand"),
}


def can_edit() -> bool:
    return current_user.has_role(*CLERKS)


def require_clerk() -> None:
    if not can_edit():
        abort(403)


@bp.app_template_global("rt_title")
def title(table: str, key: str | None) -> str:
    tables = {"state": STATE_TITLES, "grade": GRADE_TITLES, "disposition": DISPOSITION_TITLES,
              "dstate": DISPOSITION_STATE_TITLES, "parcel": PARCEL_STATE_TITLES,
              "declaration": DECLARATION_TITLES, "choice": CHOICE_TITLES,
              "matched_by": MATCHED_BY_TITLES}
    if key is None:
        return "—"
    return str(tables[table].get(key, key))


@bp.app_template_global("rt_message")
def stored_text(text: str | None) -> str:
    """A message the returns centre kept (a code, or a template and its parameters) in the
    reader's language; a person's own words as they wrote them."""
    found = read_message(text)
    if found is None:
        return ""
    template, params = found
    return _(template, **translated_params(params)) if params else _(template)


# ------------------------------------------------------------------- helpers

def warehouse(session=None) -> Warehouse:
    """The warehouse this returns centre receives for (``RETURNS_WAREHOUSE``)."""
    try:
        return queries.returns_warehouse(session or db(),
                                         current_app.config.get("RETURNS_WAREHOUSE"))
    except ValidationError:
        abort(404)


def photo_dir() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "returns_photos"


def save_photo(session, data_url: str | None) -> str | None:
    """A photo taken on the handheld, sent as a data URL. What it is comes from its bytes, not
    the URL's word; the file is written only when the use case's transaction commits, so a
    refused grade or scan leaves nothing behind."""
    if not data_url:
        return None
    match = re.match(r"^data:image/[a-z]+;base64,(.+)$", data_url, re.S)
    if not match:
        raise ValidationError(N_("The photo must be a JPEG, PNG or WebP image"), field="photo")
    try:
        content = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(N_("The photo could not be read"), field="photo") from None
    name = new_image_name(check_image(content, field="photo", max_bytes=MAX_PHOTO))
    write_on_commit(session, photo_dir(), name, content)
    return name


def deadline_info(r: ReturnRequest) -> dict:
    now = utcnow()
    return {"late": is_late(r, now),
            "apply_days_left": (r.apply_by - now).days if r.apply_by else None,
            "arrive_days_left": (r.arrive_by - now).days if r.arrive_by else None}


def _flash_error(exc: DomainError) -> None:
    problems = getattr(exc, "problems", [])
    message = " · ".join(_("%(document)s disagrees: %(detail)s", document=_(p["document"]),
                           detail=_(p["template"], **translated_params(p["params"])))
                           for p in problems) \
        if problems else translate_error(exc)
    flash(message, "error")


def _run(use_case, success: str | None = None):
    """Run a desk write; commit on success, flash the error otherwise."""
    session = db()
    try:
        result = use_case(session)
        session.commit()
    except DomainError as exc:
        session.rollback()
        _flash_error(exc)
        return None
    if success:
        flash(success, "ok")
    return result or True


# ------------------------------------------------------------------- desk

@bp.get("/")
def index():
    session = db()
    state = request.args.get("state") or None
    if state and state not in REQUEST_STATES:
        state = None
    page = page_arg()
    rows, total = queries.requests_page(session, state, page, PAGE_SIZE)
    info = figures.summary(session)
    return render_template(
        "returns/index.html", rows=rows, state=state, states=REQUEST_STATES, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), total=total,
        open_parcels=queries.open_parcels(session), info=info,
        chart=chart(figures.daily_volumes(session, 14)),
        batches=queries.open_batches(session) if can_edit() else [],
        declarations=queries.declarations_of(session, [r.id for r in rows]),
        deadline=deadline_info, age=figures.parcel_age_days, can_edit=can_edit(),
        all_count=sum(info["states"].values()), now=utcnow())


def chart(volumes: list[tuple[str, int]], width: int = 560, height: int = 160) -> dict:
    """A bar chart of daily volumes drawn on the server as SVG shapes."""
    top = max([n for _d, n in volumes] + [1])
    pad_left, pad_bottom, pad_top = 28, 22, 10
    inner_w, inner_h = width - pad_left - 6, height - pad_bottom - pad_top
    step = inner_w / max(len(volumes), 1)
    bars = []
    for i, (day, n) in enumerate(volumes):
        h = round(inner_h * n / top, 1)
        bars.append({"x": round(pad_left + i * step + step * 0.15, 1),
                     "y": round(pad_top + inner_h - h, 1), "w": round(step * 0.7, 1),
                     "h": h, "n": n, "day": day, "label": day[5:],
                     "lx": round(pad_left + i * step + step / 2, 1),
                     "show_label": i % 2 == 0 or len(volumes) <= 8})
    return {"width": width, "height": height, "bars": bars, "top": top,
            "base": pad_top + inner_h, "pad_left": pad_left, "pad_top": pad_top,
            "total": sum(n for _d, n in volumes)}


@bp.get("/export.csv")
def export_csv():
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM
    w = safe_writer(out)
    w.writerow(queries.EXPORT_HEADER)
    w.writerows(queries.export_rows(db()))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="returns.csv"'})


ITEM_ROWS = 3


def form_lines(form) -> list[dict] | None:
    """The items the clerk named, or None for the whole order when (and only when) they
    ticked it: a row with only a quantity or only an item number is refused, never read as
    "the whole order"."""
    lines = []
    for i, (gnum, qty) in enumerate(zip(form.getlist("gnum"), form.getlist("qty"))):
        gnum, qty = str(gnum).strip(), str(qty).strip()
        if gnum and qty:
            lines.append({"gnum": gnum, "qty": qty})
        elif qty:
            raise ValidationError(N_("Row %(row)s: say which item (item no.) the quantity is "
                                     "for"), field=f"lines[{i}].gnum", row=i + 1)
        elif gnum:
            raise ValidationError(N_("Row %(row)s: say how many of item %(gnum)s come back"),
                                  field=f"lines[{i}].qty", row=i + 1, gnum=gnum)
    if lines and form.get("whole_order"):
        raise ValidationError(N_("Either name the items or tick the whole order, not both"),
                              field="whole_order")
    if not lines and not form.get("whole_order"):
        raise ValidationError(N_("Name the items coming back, or tick the whole order"),
                              field="lines")
    return lines or None


@bp.route("/new", methods=["GET", "POST"])
def new():
    require_clerk()
    form = request.form
    if request.method == "POST":
        def use_case(s):
            data = {"order": form.get("order"), "reason": form.get("reason"),
                    "buyer_choice": form.get("buyer_choice") or "refund",
                    "return_waybill_no": form.get("return_waybill_no"),
                    "lines": form_lines(form), "note": form.get("note")}
            return return_requests.create_request(s, data)
        result = _run(use_case)
        if result:
            flash(_("Return %(name)s created.", name=result.request.name), "ok")
            return redirect(url_for("returns.detail", request_id=result.request.id))
    rows = list(zip(form.getlist("gnum"), form.getlist("qty")))
    rows += [("", "")] * (ITEM_ROWS - len(rows))
    return render_template("returns/new.html", form=form, rows=rows), \
        422 if request.method == "POST" else 200


@bp.get("/<int:request_id>")
def detail(request_id: int):
    session = db()
    r = queries.find_request(session, request_id)
    current = queries.declaration_of(session, r)
    bonded, why_not = bonded_allowed(session, r)
    return render_template("returns/detail.html", r=r, declaration=current,
                           message=queries.declaration_message(session, current),
                           parcels=queries.parcels_of(session, r),
                           problems=declaration.declarable_problems(session, r),
                           deadline=deadline_info(r), can_edit=can_edit(),
                           can_approve=current_user.has_role("supervisor"), grades=GRADES,
                           dispositions=DISPOSITIONS, bonded=bonded, why_not=why_not,
                           unit_grades=inspection.unit_grades)


def declare_confirmation(r: ReturnRequest) -> Confirmation:
    units = sum((ln.qty for ln in r.lines), 0)
    return Confirmation(
        title=_("File return application %(name)s with customs?", name=r.name),
        action=url_for("returns.declare", request_id=r.id),
        back=url_for("returns.detail", request_id=r.id),
        message_types=[("CEB625", _("Return application"))],
        document=r.name, lines=len(r.lines), items=queries.num(units),
        total=f"{r.refund_amount:,.2f}", button=_("File with customs"),
        facts=[(_("Order"), r.order.order_no), (_("Reason"), r.reason)])


@bp.post("/<int:request_id>/declare")
def declare(request_id: int):
    require_clerk()
    if not confirmed():
        session = db()
        r = queries.find_request(session, request_id)
        current = queries.declaration_of(session, r)
        if not r.late and r.state in queries.OPEN_STATES and \
                (current is None or current.state == "rejected") and \
                not declaration.check_documents(session, r):
            return confirm_page(declare_confirmation(r))
    _run(lambda s: declaration.declare_return(s, queries.find_request(s, request_id),
                                              settings=settings()),
         _("Return application (CEB625) is in the customs outbox."))
    return redirect(url_for("returns.detail", request_id=request_id))


@bp.post("/<int:request_id>/cancel")
def cancel(request_id: int):
    require_clerk()
    _run(lambda s: return_requests.cancel_request(s, queries.find_request(s, request_id),
                                                  request.form.get("reason")),
         _("Return cancelled."))
    return redirect(url_for("returns.detail", request_id=request_id))


@bp.post("/<int:request_id>/lines/<int:gnum>/grade")
def grade(request_id: int, gnum: int):
    require_clerk()
    _run(lambda s: inspection.grade_line(s, queries.find_request(s, request_id), gnum,
                                         request.form.get("grade", ""),
                                         request.form.get("reason"),
                                         units=request.form.get("units") or None), _("Graded."))
    return redirect(url_for("returns.detail", request_id=request_id))


@bp.post("/<int:request_id>/lines/<int:gnum>/dispose")
def dispose(request_id: int, gnum: int):
    require_clerk()

    def use_case(s):
        line = dispositions.dispose_line(s, queries.find_request(s, request_id), gnum,
                                         request.form.get("disposition", ""),
                                         reason=request.form.get("reason"),
                                         product_code=(request.form.get("product") or "")
                                         .strip() or None)
        if line.disposition_state == "pending":
            flash(_("Kept pending: %(reason)s", reason=stored_text(line.disposition_reason)),
                  "warn")
        return line
    _run(use_case, _("Saved."))
    return redirect(url_for("returns.detail", request_id=request_id))


@bp.post("/<int:request_id>/lines/<int:gnum>/scrap-approval")
def scrap_approval(request_id: int, gnum: int):
    require_clerk()
    approve = request.form.get("decision") == "approve"
    _run(lambda s: dispositions.approve_scrap(s, queries.find_request(s, request_id), gnum,
                                              approve, request.form.get("note")),
         _("Scrap approved: the goods went to the scrap location.") if approve
         else _("Scrap refused."))
    return redirect(url_for("returns.detail", request_id=request_id))


@bp.post("/<int:request_id>/label")
def label(request_id: int):
    r = queries.find_request(db(), request_id)
    w = r.warehouse
    record = {"return_number": r.name, "order_number": r.order.order_no,
              "returns_centre": "\n".join(filter(None, [w.name, w.address])),
              "reason": r.reason,
              "sender": "\n".join(filter(None, [r.order.consignee,
                                                r.order.consignee_address]))}
    return label_response("return", [record], request.form.get("format", "pdf"), None,
                          r.name.replace("/", "-"))


@bp.post("/parcels/<int:parcel_id>/match")
def match(parcel_id: int):
    require_clerk()

    parcel = _run(lambda s: receiving.match_parcel_by_id(s, parcel_id, request.form.get("ref", "")))
    if parcel:
        flash(_("Parcel matched to %(name)s.", name=parcel.request.name), "ok")
    return redirect(url_for("returns.index") + "#parcels")


@bp.post("/parcels/<int:parcel_id>/remove")
def remove(parcel_id: int):
    require_clerk()
    if _run(lambda s: receiving.remove_parcel_by_id(s, parcel_id, request.form.get("reason"))):
        flash(_("Parcel removed from its batch."), "ok")
    return redirect(url_for("returns.index") + "#parcels")


@bp.post("/batches/<int:batch_id>/arrive")
def arrive(batch_id: int):
    require_clerk()
    batch = _run(lambda s: receiving.arrive_batch(s, queries.find_batch(s, batch_id)))
    if batch:
        flash(_("Batch %(name)s arrived in the bonded zone.", name=batch.name), "ok")
    return redirect(safe_next(request.form.get("next"), url_for("returns.index")))


@bp.post("/receipts")
def import_receipts():
    """Customs' CEB626 answers, as a file (any receipt file is accepted)."""
    require_clerk()
    upload = request.files.get("file")
    content = upload.read() if upload else b""
    if not content:
        flash(_("Choose a receipt file"), "error")
        return redirect(url_for("returns.index"))
    touched = _run(lambda s: apply_receipt_file(s, content))
    if touched:
        flash(_("%(n)s receipts imported.", n=len(touched)), "ok")
    return redirect(url_for("returns.index"))


@bp.get("/photos/<name>")
def photo(name: str):
    if not PHOTO_NAME.match(name):
        abort(404)
    return send_from_directory(photo_dir(), name)


from . import returns_handheld  # noqa: E402,F401  (the handheld pages, on this bp)
