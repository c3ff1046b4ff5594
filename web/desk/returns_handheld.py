"""The returns centre's handheld pages (``/returns/m/...``): bulk receiving into the open
consolidation batch (scan, undo the last scan, remove a mis-scan, the batch's arrival) and
inspection (grading each unit). Writes are JSON through ``web.idempotency.write`` with the
scan's idempotency key, so the offline queue and Wi-Fi retries write once.
"""
from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext as _

from wms.core.errors import N_, ValidationError
from wms.returns import inspection, queries, receiving
from wms.returns.models import GRADES, ReturnParcel
from wms.returns.rules import is_late

from ..db import db
from ..idempotency import write
from .returns import bp, require_clerk, save_photo, title, warehouse


def parcel_json(parcel: ReturnParcel, message: str | None = None, duplicate: bool = False
                ) -> dict:
    r = parcel.request
    return {"ok": True, "id": parcel.id, "code": parcel.code, "state": parcel.state,
            "state_title": title("parcel", parcel.state), "duplicate": duplicate,
            "batch": parcel.batch.name, "batch_id": parcel.batch_id,
            "return": r.name if r else None, "order": r.order.order_no if r else None,
            "late": bool(r and r.late), "matched_by": parcel.matched_by,
            "message": message}


def scan_message(result: receiving.ScanResult) -> str:
    parcel = result.parcel
    r = parcel.request
    if result.duplicate:
        return _("%(code)s was received before (batch %(batch)s): nothing added.",
                 code=parcel.code or parcel.id, batch=parcel.batch.name)
    if r is None:
        return _("%(code)s matches no return: kept in the unidentified queue.",
                 code=parcel.code or _("Unlabelled parcel"))
    text = _("%(code)s → %(name)s, order %(order)s (%(how)s).", code=parcel.code,
             name=r.name, order=r.order.order_no, how=title("matched_by", parcel.matched_by))
    if r.late or is_late(r):
        text += " " + _("Past the deadline: non-bonded handling.")
    return text


def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(N_("Send a JSON object"))
    return payload


# ------------------------------------------------------------------- handheld

def js_strings() -> dict[str, str]:
    return {
        "online": _("Online"), "offline": _("Offline"),
        "queued": _("No network: saved on this device, sent when the network is back."),
        "server": _("The server did not answer. Try again."),
        "session": _("Your session ended: log in again, then press Send now."),
        "sent": _("Sent:"), "unlabelled": _("Unlabelled parcel"),
        "arrive_confirm": _("All parcels of this batch enter the bonded zone now?"),
        "graded": _("Graded"),
        "remove": _("Remove"), "undo": _("Undo last scan"),
        "all_units": _("All units"), "unit": _("Unit %(n)s"),
        "remove_confirm": _("Remove this parcel from the batch? It was scanned by mistake."),
        "misscan": _("Scanned by mistake (handheld)"),
    }


def _hh(template: str, flow: str, **context):
    urls = {"scan": url_for("returns.api_scan"), "arrive": url_for("returns.api_arrive"),
            "undo": url_for("returns.api_undo"), "remove": url_for("returns.api_remove"),
            "grade": url_for("returns.api_grade"), "lookup": url_for("returns.api_lookup")}
    return render_template(template, flow=flow, hh_urls=urls, hh_i18n=js_strings(), **context)


@bp.get("/m/receive")
def receive_page():
    require_clerk()
    session = db()
    batch = next(iter(queries.open_batches(session, warehouse(session))), None)
    return _hh("returns/receive.html", "receive", batch=batch,
               parcels=list(reversed(batch.parcels)) if batch else [])


@bp.get("/m/inspect")
def inspect_page():
    require_clerk()
    return _hh("returns/inspect.html", "inspect", grades=GRADES)


@bp.post("/m/api/scan")
def api_scan():
    require_clerk()
    payload = _payload()
    photo_data = payload.pop("photo", None)
    code = warehouse().code

    def use_case(session):
        result = receiving.scan_parcel(session, payload.get("code"),
                                       warehouse=queries.returns_warehouse(session, code),
                                       notes=payload.get("notes"),
                                       photo=save_photo(session, photo_data) if photo_data else None)
        status = 201 if result.created else 200
        return status, parcel_json(result.parcel, scan_message(result), result.duplicate)
    return write(payload, use_case)


@bp.post("/m/api/undo")
def api_undo():
    """Undo this person's last scan into the open batch (an audited removal)."""
    require_clerk()
    payload = _payload()
    code = warehouse().code

    def use_case(session):
        wh = queries.returns_warehouse(session, code)
        parcel_id = receiving.last_scan_id(session, wh)
        removed = receiving.undo_last_scan(session, wh)
        return 201, {"ok": True, "id": parcel_id, "code": removed,
                     "message": _("Last scan undone: %(code)s",
                                  code=removed or _("Unlabelled parcel"))}
    return write(payload, use_case)


@bp.post("/m/api/remove")
def api_remove():
    """Remove one mis-scanned parcel of the open batch, named by its id."""
    require_clerk()
    payload = _payload()

    def use_case(session):
        parcel = queries.get_parcel(session, payload.get("parcel"))
        parcel_id, code = parcel.id, parcel.code
        receiving.remove_parcel(session, parcel, payload.get("reason"))
        return 201, {"ok": True, "id": parcel_id, "code": code,
                     "message": _("Parcel %(code)s removed from the batch.",
                                  code=code or _("Unlabelled parcel"))}
    return write(payload, use_case)


@bp.post("/m/api/arrive")
def api_arrive():
    require_clerk()
    payload = _payload()

    def use_case(session):
        batch = receiving.arrive_batch(session, queries.find_batch(session, payload.get("batch")))
        done = queries.batch_figures(session, batch)
        return 201, {"ok": True, "batch": batch.name, "state": batch.state,
                     "message": _("Batch %(name)s arrived: %(n)s parcels into the bonded "
                                  "zone, %(u)s unidentified.", name=batch.name, n=done.arrived,
                                  u=done.parcels - done.arrived)}
    return write(payload, use_case)


@bp.post("/m/api/lookup")
def api_lookup():
    require_clerk()
    payload = _payload()
    r = queries.lookup_return(db(), payload.get("code"))
    return jsonify({"ok": True, "return": r.name, "state": r.state,
                    "state_title": title("state", r.state), "order": r.order.order_no,
                    "reason": r.reason, "late": r.late,
                    "lines": [{"gnum": ln.gnum, "sku": ln.product.sku,
                               "name": ln.product.name_zh, "qty": queries.num(ln.qty),
                               "grade": ln.grade, "grade_title": title("grade", ln.grade)
                               if ln.grade else None,
                               "units": [{"unit": i + 1, "grade": g,
                                          "grade_title": title("grade", g) if g else None}
                                         for i, g in enumerate(inspection.unit_grades(ln))]}
                              for ln in r.lines]})


@bp.post("/m/api/grade")
def api_grade():
    require_clerk()
    payload = _payload()
    photo_data = payload.pop("photo", None)

    def use_case(session):
        r = queries.find_request(session, payload.get("return"))
        line = inspection.grade_line(session, r, payload.get("gnum"),
                                     payload.get("grade") or "", payload.get("reason"),
                                     save_photo(session, photo_data) if photo_data else None,
                                     units=payload.get("units"))
        return 201, {"ok": True, "return": r.name, "state": r.state, "gnum": line.gnum,
                     "grade": line.grade, "units": inspection.unit_grades(line),
                     "message": _("%(name)s item %(gnum)s: %(grade)s", name=r.name,
                                  gnum=line.gnum, grade=title("grade", payload.get("grade")))}
    return write(payload, use_case)

