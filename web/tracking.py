"""The public tracking page (``/track/<token>``): what a customer opens from a shared link.

The whole blueprint is public (no login), so it serves nothing but pages for a signed,
expiring token: a tampered or malformed token answers 403, an expired one 410, and a valid
one shows the shipment's status, its route line diagram and its timeline, nothing else (no
owner, units, prices, carrier documents or raw feed data). Pages are marked noindex.

Links are signed with a key derived from the app's SECRET_KEY for this one purpose, so a
tracking link can never be replayed as anything else the app signs.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import Blueprint, current_app, render_template, url_for
from sqlalchemy import select

from wms.core.db import utcnow
from wms.logistics.links import (ExpiredToken, InvalidToken, make_tracking_token,
                                 public_view, read_tracking_token)
from wms.logistics.models import RouteNode, Shipment
from wms.logistics.services import shipment_events

from .db import db

bp = Blueprint("tracking", __name__, url_prefix="/track")
ROBOTS = "noindex, nofollow, noarchive"


@bp.context_processor
def _titles():
    from .dispatch import titles
    return titles()


def link_secret() -> bytes:
    """The tracking links' own key: HMAC of the app's secret key with a fixed purpose."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, b"wms.logistics.tracking-link.v1", hashlib.sha256).digest()


def make_token(shipment_id: int, expires_at: datetime) -> str:
    return make_tracking_token(shipment_id, link_secret(), expires_at)


def tracking_url(shipment_id: int, valid_for: timedelta,
                 now: datetime | None = None) -> tuple[str, datetime]:
    """An absolute link to the public page and when it stops working (whole seconds)."""
    expires = ((now or utcnow()) + valid_for).replace(microsecond=0)
    token = make_token(shipment_id, expires)
    return url_for("tracking.page", token=token, _external=True), expires


def _page(template: str, status: int, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["X-Robots-Tag"] = ROBOTS
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def localised(view: dict) -> dict:
    """The public view names places by their English names; in Chinese, show the Chinese
    ones (``public_view`` takes no language)."""
    from .dispatch import _zh
    if not _zh():
        return view
    names = dict(db().execute(select(RouteNode.name, RouteNode.name_zh)
                              .where(RouteNode.name_zh.is_not(None))).all())

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
    from .dispatch import route_diagram, shipment_timeline
    now = utcnow()
    try:
        shipment_id = read_tracking_token(token, link_secret(), now)
        view = public_view(db(), shipment_id)
    except ExpiredToken:
        return _page("tracking/invalid.html", 410, expired=True)
    except InvalidToken:
        return _page("tracking/invalid.html", 403, expired=False)
    view = localised(view)
    shipment = db().get(Shipment, shipment_id)
    events = [e for e in shipment_events(db(), shipment, ("ACT",)) if not e.flagged]
    diagram = route_diagram(db(), shipment, now, events)
    timeline = shipment_timeline(shipment, events, now)
    expires = datetime.fromtimestamp(int(token.split(".")[2]), tz=now.tzinfo)
    # Only the drawing's geometry goes to the template, never the leg records themselves.
    bars = [tl.bars for tl in timeline.legs]  # kinds, times and x positions only
    return _page("tracking/public.html", 200, view=view, diagram=diagram, bars=bars,
                 ticks=timeline.ticks, now_x=timeline.now_x, expires=expires)
