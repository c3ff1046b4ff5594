"""Lanes made, edited and retired at the desk, and route nodes retired.

A lane is a mode's usual path as ordered stops; legs find their lane by mode and nodes, so a
lane's code (what legs and feeds name) is set once. Retiring keeps the row for the legs that
used it: a retired lane is no longer chosen for new legs, a retired node no longer offered.
A node still on an active lane cannot be retired (the lane would run through nowhere). Every
change is in the audit trail, the stops as one ``stops`` row old -> new.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from wms.core.audit import AuditEvent, update_tracked
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError

from .identifiers import clean
from .models import CARRIAGE_MODES, MODES, RouteLane, RouteLaneStop, RouteNode
from .network import FREE_ID

MAX_STOPS = 60


@dataclass
class LaneFields:
    """What a lane says besides its code: name, mode, the stops as node codes in order."""

    name: str
    mode: str
    stops: Sequence[str] = field(default_factory=list)
    carriage_mode: str | None = None
    active: bool = True


def _stop_nodes(session: Session, codes: Sequence[str]) -> list[RouteNode]:
    codes = [clean(c) for c in codes if clean(c)]
    if len(codes) < 2:
        raise ValidationError(N_("A lane has at least two stops"), field="stops")
    if len(codes) > MAX_STOPS:
        raise ValidationError(N_("At most %(n)s stops"), field="stops", n=MAX_STOPS)
    for a, b in zip(codes, codes[1:]):
        if a == b:
            raise ValidationError(N_("%(code)s follows itself"), field="stops", code=a)
    nodes = {n.code: n for n in session.scalars(select(RouteNode).where(
        RouteNode.code.in_(set(codes))))}
    for i, code in enumerate(codes):
        node = nodes.get(code)
        if node is None:
            raise NotFound(N_("No route node %(code)s"), field="stops", code=code, stop=i + 1)
        if not node.active:
            raise ValidationError(N_("Route node %(code)s is retired"), field="stops",
                                  code=code)
    return [nodes[c] for c in codes]


def _checked(session: Session, given: LaneFields) -> tuple[dict, list[RouteNode]]:
    name = (given.name or "").strip()
    if not name:
        raise ValidationError(N_("This field is required"), field="name")
    if len(name) > 200:
        raise ValidationError(N_("At most %(n)s characters"), field="name", n=200)
    mode = (given.mode or "").strip().lower()
    if mode not in MODES:
        raise ValidationError(N_("Mode must be one of %(modes)s"), field="mode",
                              modes=", ".join(MODES))
    carriage = (given.carriage_mode or "").strip().lower() or None
    if carriage is not None and (mode != "post" or carriage not in CARRIAGE_MODES):
        raise ValidationError(N_("Only a postal leg names the mode that carries it (rail, air, "
                                 "road or sea)"), field="carriage_mode")
    return (dict(name=name, mode=mode, carriage_mode=carriage, active=bool(given.active)),
            _stop_nodes(session, given.stops))


def _write_stops(session: Session, lane: RouteLane, nodes: list[RouteNode],
                 old: list[str]) -> None:
    """Replace the stops (one delete, one insert) and record the change."""
    new = [n.code for n in nodes]
    if new == old:
        return
    session.execute(delete(RouteLaneStop).where(RouteLaneStop.lane_id == lane.id))
    session.execute(insert(RouteLaneStop), [dict(lane_id=lane.id, seq=i + 1, node_id=n.id)
                                            for i, n in enumerate(nodes)])
    actor = current_actor()
    session.execute(insert(AuditEvent), [dict(
        model="route_lane", record_id=lane.id, kind="write", field="stops",
        old_value=" > ".join(old) or None, new_value=" > ".join(new), note=None,
        user_id=actor.user_id, user_login=actor.login, at=utcnow())])
    session.expire(lane, ["stops"])


def create_lane(session: Session, code: str, given: LaneFields) -> RouteLane:
    """A new lane with its stops."""
    code = clean(code)
    if not code:
        raise ValidationError(N_("This field is required"), field="code")
    if not FREE_ID.match(code) or len(code) > 30:
        raise ValidationError(N_("A lane code is 2-30 letters, digits or _ - / ."),
                              field="code")
    values, nodes = _checked(session, given)
    if session.scalar(select(RouteLane.id).where(RouteLane.code == code)):
        raise Conflict(N_("Lane %(code)s exists"), field="code", code=code)
    lane = RouteLane(code=code, **values)
    session.add(lane)
    session.flush()
    _write_stops(session, lane, nodes, [])
    return lane


def get_lane(session: Session, lane_id: int) -> RouteLane:
    lane = session.get(RouteLane, lane_id)
    if lane is None:
        raise NotFound(N_("No lane %(code)s"), field="lane", code=lane_id)
    return lane


def update_lane(session: Session, lane_id: int, given: LaneFields) -> RouteLane:
    """Edit a lane: name, mode, stops, active. Legs already planned keep the path they had
    when they were estimated until they are estimated again."""
    lane = get_lane(session, lane_id)
    old = [s.node.code for s in lane.stops]
    values, nodes = _checked(session, given)
    for name, value in values.items():
        setattr(lane, name, value)
    session.flush()
    _write_stops(session, lane, nodes, old)
    return lane


def retire_lanes(session: Session, lane_ids: Sequence[int]) -> int:
    """No longer chosen for new legs; kept for the legs that ran on them."""
    ids = sorted(set(lane_ids))
    if not ids:
        raise ValidationError(N_("Tick the lanes first"), field="lanes")
    found = set(session.scalars(select(RouteLane.id).where(RouteLane.id.in_(ids))))
    if missing := [i for i in ids if i not in found]:
        raise NotFound(N_("No lane %(code)s"), field="lanes", code=missing[0])
    return update_tracked(session, RouteLane, ids, {"active": False})


def retire_nodes(session: Session, node_ids: Sequence[int]) -> int:
    """No longer offered for new legs and lanes; refused while an active lane stops there."""
    ids = sorted(set(node_ids))
    if not ids:
        raise ValidationError(N_("Tick the nodes first"), field="nodes")
    found = {n.id: n for n in session.scalars(select(RouteNode).where(RouteNode.id.in_(ids)))}
    if missing := [i for i in ids if i not in found]:
        raise NotFound(N_("No route node %(code)s"), field="nodes", code=missing[0])
    used = session.execute(
        select(RouteLaneStop.node_id, RouteLane.code)
        .join(RouteLane, RouteLane.id == RouteLaneStop.lane_id)
        .where(RouteLaneStop.node_id.in_(ids), RouteLane.active.is_(True))
        .order_by(RouteLane.code)).first()
    if used is not None:
        raise Conflict(N_("Lane %(lane)s stops at %(code)s: edit or retire the lane first"),
                       field="nodes", lane=used[1], code=found[used[0]].code)
    return update_tracked(session, RouteNode, ids, {"active": False})
