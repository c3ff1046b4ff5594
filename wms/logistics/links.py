"""Shareable tracking links: a signed, expiring, read-only token for one shipment, and the
public view it opens.

The token is ``v1.<shipment id>.<expiry unix time>.<hex HMAC-SHA256>``: nothing is stored, so
a link cannot be revoked before it expires; keep expiries short. The public view carries the
status and the milestones only: no owner, prices, units, raw payloads or carrier internals.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from wms.core.errors import N_, Forbidden, ValidationError
from wms.core.parsing import ascii_digits

from .models import Shipment
from .queries import shipment_events
from .times import in_zone

VERSION = "v1"


class InvalidToken(Forbidden):
    code = "invalid_token"


class ExpiredToken(InvalidToken):
    code = "token_expired"


def _key(secret: str | bytes) -> bytes:
    if not secret:
        raise ValueError("a tracking link needs a secret")
    return secret if isinstance(secret, bytes) else secret.encode()


def _signature(message: str, secret: str | bytes) -> str:
    return hmac.new(_key(secret), message.encode(), hashlib.sha256).hexdigest()


def make_tracking_token(shipment_id: int, secret: str | bytes, expires_at: datetime) -> str:
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    message = f"{VERSION}.{int(shipment_id)}.{int(expires_at.timestamp())}"
    return f"{message}.{_signature(message, secret)}"


def read_tracking_token(token: str, secret: str | bytes, now: datetime) -> int:
    """The shipment id of a valid token; ``InvalidToken`` if it was altered or malformed,
    ``ExpiredToken`` once it has expired."""
    parts = (token or "").strip().split(".")
    if len(parts) != 4 or parts[0] != VERSION or not ascii_digits(parts[1]) \
            or not ascii_digits(parts[2]):
        raise InvalidToken(N_("This tracking link is not valid"), field="token")
    message = ".".join(parts[:3])
    if not hmac.compare_digest(_signature(message, secret), parts[3]):
        raise InvalidToken(N_("This tracking link is not valid"), field="token")
    if now >= datetime.fromtimestamp(int(parts[2]), tz=timezone.utc):
        raise ExpiredToken(N_("This tracking link has expired"), field="token")
    return int(parts[1])


def link_key(app_secret: str | bytes) -> bytes:
    """The tracking links' own key: HMAC of the app's secret key with a fixed purpose, so a
    tracking link can never be replayed as anything else the app signs."""
    key = _key(app_secret)
    return hmac.new(key, b"wms.logistics.tracking-link.v1", hashlib.sha256).digest()


def issue_tracking_link(shipment: Shipment, valid_for: timedelta, app_secret: str | bytes,
                        now: datetime) -> tuple[str, datetime]:
    """A token for the shipment's public page and when it stops working (whole seconds).
    A draft has no page yet."""
    if shipment.state == "draft":
        raise ValidationError(N_("A draft shipment has no tracking page yet: book it first."),
                              field="shipment")
    expires = (now + valid_for).replace(microsecond=0)
    return make_tracking_token(shipment.id, link_key(app_secret), expires), expires


def token_expiry(token: str) -> datetime:
    """When a token (already read as valid) stops working."""
    return datetime.fromtimestamp(int(token.split(".")[2]), tz=timezone.utc)


def public_view(session: Session, shipment_id: int) -> dict:
    """What a tracking link shows: reference, status, where, and the planned, estimated and
    actual milestones of each leg and the timeline of understood events."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or shipment.state == "draft":
        raise InvalidToken(N_("This tracking link is not valid"), field="token")
    place = shipment.current_node
    legs = [{"mode": leg.mode, "from": leg.from_node.name, "to": leg.to_node.name,
             "state": leg.state,
             "departure": {"planned": in_zone(leg.planned_departure),
                           "estimated": in_zone(leg.estimated_departure),
                           "actual": in_zone(leg.actual_departure)},
             "arrival": {"planned": in_zone(leg.planned_arrival),
                         "estimated": in_zone(leg.estimated_arrival),
                         "actual": in_zone(leg.actual_arrival)}}
            for leg in shipment.legs]
    timeline = [{"time": in_zone(e.event_time, e.time_zone), "classifier": e.classifier,
                 "milestone": e.milestone,
                 "place": e.node.name if e.node else e.unlocode}
                for e in shipment_events(session, shipment) if not e.flagged]
    return {"reference": shipment.name, "status": shipment.status,
            "status_at": in_zone(shipment.status_at),
            "place": place.name if place else shipment.current_place,
            "origin": shipment.origin.name if shipment.origin else None,
            "destination": shipment.destination.name if shipment.destination else None,
            "legs": legs, "timeline": timeline}


def public_view_for_token(session: Session, token: str, secret: str | bytes,
                          now: datetime) -> dict:
    return public_view(session, read_tracking_token(token, secret, now))
