"""The public tracking page (``/track/<token>``): what a customer opens from a shared link.

The whole blueprint is public (no login), so it serves nothing but pages for a signed,
expiring token: a tampered or malformed token answers 403, an expired one 410, and a valid
one shows the shipment's status, its route line diagram and its timeline, nothing else (no
owner, units, prices, carrier documents or raw feed data). Pages are marked noindex.

Links are signed with a key derived from the app's SECRET_KEY for this one purpose
(``wms.logistics.links``), so a tracking link can never be replayed as anything else the app
signs. This page imports the dispatch desk's drawings and titles; the desk does not import it.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from wms.core.db import utcnow
from wms.logistics.links import (ExpiredToken, InvalidToken, link_key, public_view,
                                 read_tracking_token, token_expiry)
from wms.logistics.models import Shipment
from wms.logistics.parcels import issue_parcel_link, order_parcel_tracking, parcel_public_view
from wms.logistics.queries import chinese_node_names, shipment_events, shipment_position

from ..db import db
from .drawing import route_diagram, shipment_timeline
from .format import STATUS_TITLES, is_zh, titles

bp = Blueprint("tracking", __name__, url_prefix="/track")
bp.context_processor(titles)
ROBOTS = "noindex, nofollow, noarchive"


def _page(template: str, status: int, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["X-Robots-Tag"] = ROBOTS
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def localised(view: dict) -> dict:
    """The public view names places by their English names; in Chinese, show the Chinese
    ones (``public_view`` takes no language)."""
    if not is_zh():
        return view
    names = chinese_node_names(db())

    def zh(value):
        return names.get(value, value) if isinstance(value, str) else value
    view = dict(view)
    for key in ("place", "origin", "destination"):
        view[key] = zh(view.get(key))
    view["legs"] = [{**leg, "from": zh(leg["from"]), "to": zh(leg["to"])} for leg in view["legs"]]
    view["timeline"] = [{**t, "place": zh(t["place"])} for t in view["timeline"]]
    return view


@bp.get("/<token>")
def page(token: str):
    now = utcnow()
    try:
        shipment_id = read_tracking_token(token, link_key(current_app.config["SECRET_KEY"]),
                                          now)
        view = public_view(db(), shipment_id)
    except ExpiredToken:
        return _page("tracking/invalid.html", 410, expired=True)
    except InvalidToken:
        return _page("tracking/invalid.html", 403, expired=False)
    view = localised(view)
    shipment = db().get(Shipment, shipment_id)
    events = [e for e in shipment_events(db(), shipment, ("ACT",)) if not e.flagged]
    diagram = route_diagram(shipment_position(shipment, events, now))
    timeline = shipment_timeline(shipment, events, now)
    expires = token_expiry(token)
    # Only the drawing's geometry goes to the template, never the leg records themselves.
    bars = [tl.bars for tl in timeline.legs]  # kinds, times and x positions only
    return _page("tracking/public.html", 200, view=view, diagram=diagram, bars=bars,
                 ticks=timeline.ticks, now_x=timeline.now_x, expires=expires)


@bp.get("/parcel/<token>")
def parcel(token: str):
    """A parcel's own page (the link the order page gives): its number, status, place and
    the events that reached it, nothing of the order or the other parcels."""
    now = utcnow()
    try:
        view = parcel_public_view(db(), token, current_app.config["SECRET_KEY"], now)
    except ExpiredToken:
        return _page("tracking/invalid.html", 410, expired=True)
    except InvalidToken:
        return _page("tracking/invalid.html", 403, expired=False)
    if is_zh():
        names = chinese_node_names(db())
        view["place"] = names.get(view["place"], view["place"])
        view["destination"] = names.get(view["destination"], view["destination"])
        view["timeline"] = [{**t, "place": names.get(t["place"], t["place"])}
                            for t in view["timeline"]]
    return _page("tracking/parcel.html", 200, view=view, expires=token_expiry(token))


@bp.app_template_global("order_parcel_tracking")
def order_parcel_tracking_for(order) -> list[dict]:
    """The order page's parcel tracking (``orders/_tracking.html``): each parcel's unit,
    outbound shipment, latest event and its public link, valid 30 days from this view."""
    now = utcnow()
    out = []
    for t in order_parcel_tracking(db(), order.id):
        link = None
        if t.unit is not None:
            token, expires = issue_parcel_link(t.unit, current_app.config["SECRET_KEY"], now)
            link = (url_for("tracking.parcel", token=token, _external=True), expires)
        status = (t.unit.status if t.unit is not None else None) or "pending"
        out.append({"tracking": t, "link": link, "status": STATUS_TITLES.get(status, status)})
    return out
