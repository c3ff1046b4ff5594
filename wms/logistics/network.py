"""The route network: nodes (terminals, border and gauge-change stations, airports, offices
of exchange, warehouses), lanes as ordered stops, and the paths legs follow.

A node's code is the key feeds and legs name, so it is set once and never edited; the rest
of a node (name, coordinates, dwell) is edited at the desk through ``update_node``, with the
same checks as ``create_node``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.inventory.models import Warehouse

from . import eta
from .eta import DEFAULT_CONFIG, LogisticsConfig
from .identifiers import clean
from .models import NODE_KINDS, RouteLane, RouteNode, ShipmentLeg

UNLOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
FREE_ID = re.compile(r"^[A-Z0-9][A-Z0-9/._-]{1,39}$")
IATA = re.compile(r"^[A-Z]{3}$")
MAX_DWELL_HOURS = 24 * 60


def get_node(session: Session, code: str, field: str = "node") -> RouteNode:
    node = session.scalar(select(RouteNode).where(RouteNode.code == clean(code)))
    if node is None:
        raise NotFound(N_("No route node %(code)s"), field=field, code=code)
    return node


def list_nodes(session: Session, kind: str | None = None, *,
               inactive: bool = False) -> list[RouteNode]:
    """Active nodes by code (``inactive=True``: all, the active ones first)."""
    stmt = select(RouteNode)
    if inactive:
        stmt = stmt.order_by(RouteNode.active.desc(), RouteNode.code)
    else:
        stmt = stmt.where(RouteNode.active.is_(True)).order_by(RouteNode.code)
    if kind:
        stmt = stmt.where(RouteNode.kind == kind)
    return list(session.scalars(stmt))


def _number(value: Any, field: str, low: float, high: float, message: str) -> float:
    try:
        number = float(str(value).strip().replace(",", ".")) if not isinstance(
            value, (int, float)) else float(value)
    except ValueError:
        raise ValidationError(N_("Enter a number"), field=field) from None
    if not (low <= number <= high):
        raise ValidationError(message, field=field)
    return number


@dataclass
class NodeFields:
    """What a node says besides its code, as the desk form or a caller gives it."""

    name: str
    kind: str
    country: str
    latitude: Any
    longitude: Any
    unlocode: str | None = None
    iata: str | None = None
    border: bool = False
    gauge_change: bool = False
    dwell_hours: Any = 0.0
    name_zh: str | None = None
    active: bool = True


def _checked(given: NodeFields) -> dict:
    name = (given.name or "").strip()
    if not name:
        raise ValidationError(N_("This field is required"), field="name")
    if given.kind not in NODE_KINDS:
        raise ValidationError(N_("Unknown node kind %(kind)s"), field="kind", kind=given.kind)
    country = clean(given.country)
    if not re.match(r"^[A-Z]{2}$", country):
        raise ValidationError(N_("A country code is 2 letters"), field="country")
    out_of_range = N_("Coordinates out of range")
    latitude = _number(given.latitude, "latitude", -90, 90, out_of_range)
    longitude = _number(given.longitude, "longitude", -180, 180, out_of_range)
    unlocode = clean(given.unlocode) or None
    if unlocode and not UNLOCODE.match(unlocode):
        raise ValidationError(N_("A UN/LOCODE is 2 letters and 3 letters or digits"),
                              field="unlocode")
    iata = clean(given.iata) or None
    if iata and not IATA.match(iata):
        raise ValidationError(N_("An IATA airport code is 3 letters"), field="iata")
    dwell = _number(given.dwell_hours if given.dwell_hours not in (None, "") else 0,
                    "dwell_hours", 0, MAX_DWELL_HOURS, N_("Dwell cannot be negative"))
    return dict(name=name, name_zh=(given.name_zh or "").strip() or None, kind=given.kind,
                country=country, latitude=latitude, longitude=longitude, unlocode=unlocode,
                iata=iata, border=bool(given.border), gauge_change=bool(given.gauge_change),
                dwell_hours=dwell, active=bool(given.active))


def create_node(session: Session, *, code: str, name: str, kind: str, country: str,
                latitude: float, longitude: float, unlocode: str | None = None,
                iata: str | None = None, border: bool = False, gauge_change: bool = False,
                dwell_hours: float = 0.0, name_zh: str | None = None, active: bool = True,
                warehouse: Warehouse | None = None) -> RouteNode:
    """A node of the network (a warehouse, a new terminal)."""
    code = clean(code)
    if not code:
        raise ValidationError(N_("This field is required"), field="code")
    if not FREE_ID.match(code) or len(code) > 20:
        raise ValidationError(N_("A node code is 2-20 letters, digits or _ - / ."), field="code")
    values = _checked(NodeFields(name=name, kind=kind, country=country, latitude=latitude,
                                 longitude=longitude, unlocode=unlocode, iata=iata,
                                 border=border, gauge_change=gauge_change,
                                 dwell_hours=dwell_hours, name_zh=name_zh, active=active))
    if session.scalar(select(RouteNode.id).where(RouteNode.code == code)):
        raise Conflict(N_("Route node %(code)s exists"), field="code", code=code)
    node = RouteNode(code=code, warehouse_id=warehouse.id if warehouse else None, **values)
    session.add(node)
    session.flush()
    return node


def update_node(session: Session, node_id: int, given: NodeFields) -> RouteNode:
    """Edit a node; its code is the key feeds use and does not change."""
    node = session.get(RouteNode, node_id)
    if node is None:
        raise NotFound(N_("No route node %(code)s"), field="node", code=node_id)
    for name, value in _checked(given).items():
        setattr(node, name, value)
    session.flush()
    return node


def _slice(lane: RouteLane, from_id: int, to_id: int) -> list[RouteNode] | None:
    ids = [s.node_id for s in lane.stops]
    if from_id in ids and to_id in ids and ids.index(from_id) < ids.index(to_id):
        return [s.node for s in lane.stops][ids.index(from_id):ids.index(to_id) + 1]
    return None


def lane_runs(lane: RouteLane, from_id: int, to_id: int) -> bool:
    return _slice(lane, from_id, to_id) is not None


def find_lane(session: Session, mode: str, from_node: RouteNode,
              to_node: RouteNode) -> RouteLane | None:
    """The lane of the mode that passes both nodes in order by the shortest way."""
    best = None
    lanes = session.scalars(select(RouteLane).where(RouteLane.mode == mode,
                                                    RouteLane.active.is_(True))
                            .order_by(RouteLane.code))
    for lane in lanes:
        path = _slice(lane, from_node.id, to_node.id)
        if path is None:
            continue
        km = sum(eta.geodesic_km(a, b) for a, b in zip(path, path[1:]))
        if best is None or km < best[0]:
            best = (km, lane)
    return best[1] if best else None


def leg_path(leg: ShipmentLeg) -> list[RouteNode]:
    """The nodes a leg passes: its lane between its ends, or straight from end to end."""
    if leg.lane is not None:
        path = _slice(leg.lane, leg.from_node_id, leg.to_node_id)
        if path:
            return path
    return [leg.from_node, leg.to_node]


@dataclass
class LaneFigures:
    lane: RouteLane
    stops: list[tuple[RouteNode, float | None]]   # node, km from the previous stop
    km: float
    hours: float


def lane_figures(session: Session,
                 config: LogisticsConfig = DEFAULT_CONFIG) -> list[LaneFigures]:
    """Every lane with its hops, length and travel time as the estimator counts them."""
    rows = []
    for lane in session.scalars(select(RouteLane).order_by(RouteLane.mode, RouteLane.code)):
        path = [s.node for s in lane.stops]
        carriage = config.carriage(lane.mode, lane.carriage_mode)
        hops = [None] + [eta.geodesic_km(a, b) * config.detour[carriage]
                         for a, b in zip(path, path[1:])]
        rows.append(LaneFigures(lane, list(zip(path, hops)),
                                eta.path_km(path, lane.mode, config, lane.carriage_mode),
                                eta.path_hours(path, lane.mode, config,
                                                     lane.carriage_mode)))
    return rows
