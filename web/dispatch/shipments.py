"""A shipment's page (route diagram, timeline, units, events, alerts), its tracking link,
packages joining it by SSCC, and the alerts list."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from wms.core.db import utcnow
from wms.core.errors import DomainError
from wms.logistics.estimates import acknowledge_alert
from wms.logistics.links import issue_tracking_link
from wms.logistics.queries import (event_units, list_alerts, shipment_events,
                                   shipment_position, unit_tree)
from wms.logistics.shipments import get_shipment, shipment_progress
from wms.logistics.units import join_shipment
from wms.partners.models import Enterprise

from ..auth import safe_next
from ..db import db
from ..errors import translate_error
from .access import EDITORS, bp, is_editor, only
from .drawing import route_diagram, shipment_timeline
from .format import UNIT_TITLES
from .map import shipment_map_context

LINK_DAYS = (1, 7, 30, 90)


def shipment_context(shipment, **extra) -> dict:
    session = db()
    now = utcnow()
    events = shipment_events(session, shipment)
    actual = [e for e in events if e.classifier == "ACT"]
    roots, outer = unit_tree(session, shipment)
    owner = session.get(Enterprise, shipment.owner_id) if shipment.owner_id else None
    position = shipment_position(shipment, actual, now)
    return dict(s=shipment, diagram=route_diagram(position),
                **shipment_map_context(session, shipment, position, now),
                timeline=shipment_timeline(shipment, actual, now), events=events,
                units=event_units(session, events), roots=roots, outer=outer, owner=owner,
                now=now, alerts=list_alerts(session, state=None, shipment_id=shipment.id),
                link_days=LINK_DAYS, can_edit=is_editor(),
                progress=shipment_progress(shipment), **extra)


@bp.get("/shipments/<int:shipment_id>")
def shipment(shipment_id: int):
    s = get_shipment(db(), shipment_id)
    return render_template("dispatch/shipment.html", **shipment_context(s))


@bp.post("/shipments/<int:shipment_id>/link")
def shipment_link(shipment_id: int):
    """A signed, expiring, read-only link for the customer, shown on the page to copy."""
    s = get_shipment(db(), shipment_id)
    days = request.form.get("days", type=int)
    if days not in LINK_DAYS:
        days = 7
    try:
        token, expires = issue_tracking_link(s, timedelta(days=days),
                                             current_app.config["SECRET_KEY"], utcnow())
    except DomainError as exc:
        flash(translate_error(exc), "error")
        return redirect(url_for("dispatch.shipment", shipment_id=s.id))
    url = url_for("tracking.page", token=token, _external=True)
    return render_template("dispatch/shipment.html",
                           **shipment_context(s, link_url=url, link_expires=expires))


@bp.post("/shipments/<int:shipment_id>/packages")
@only(*EDITORS)
def shipment_package(shipment_id: int):
    """A warehouse package joins the shipment by its SSCC (no retyping), optionally into one
    of the shipment's units."""
    session = db()
    s = get_shipment(session, shipment_id)
    sscc = (request.form.get("sscc") or "").strip()
    into = (request.form.get("into") or "").strip() or None
    try:
        unit = join_shipment(session, s, sscc, into)
    except DomainError as exc:
        session.rollback()
        flash(_("%(field)s: %(message)s", field=exc.field or "sscc",
                message=translate_error(exc)), "error")
        return redirect(url_for("dispatch.shipment", shipment_id=shipment_id) + "#units")
    session.commit()
    flash(_("%(kind)s %(identifier)s joined the shipment.",
            kind=UNIT_TITLES.get(unit.kind, unit.kind), identifier=unit.identifier), "ok")
    return redirect(url_for("dispatch.shipment", shipment_id=shipment_id) + "#units")


@bp.get("/alerts")
def alerts():
    state = request.args.get("state", "open")
    if state not in ("open", "acknowledged", "all"):
        state = "open"
    rows = list_alerts(db(), state=None if state == "all" else state)
    rows.sort(key=lambda a: (a.state != "open", -a.delay_minutes))
    return render_template("dispatch/alerts.html", rows=rows, state=state,
                           can_edit=is_editor())


@bp.post("/alerts/<int:alert_id>/ack")
@only(*EDITORS)
def alert_ack(alert_id: int):
    session = db()
    note = (request.form.get("note") or "").strip()[:300] or None
    try:
        alert = acknowledge_alert(session, alert_id, note=note)
    except DomainError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(_("Alert on %(name)s acknowledged.", name=alert.shipment.name), "ok")
    target = safe_next(request.form.get("next"), url_for("dispatch.alerts"))
    if not target.startswith("/dispatch/"):
        target = url_for("dispatch.alerts")
    return redirect(target)
