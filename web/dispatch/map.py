"""The corridor map, drawn by the app itself as inline SVG: country shapes from Natural Earth
(the npm ``world-atlas`` package's ``countries-50m.json`` TopoJSON, committed under
web/static/map/ with its licence; see docs/map.md to update it), the route network's lanes
and nodes (borders, gauge changes) and each unit's estimated position. No tile server, no
CDN: warehouse networks are often offline.

A unit's position is interpolated along its shipment's route between the route nodes by the
estimator's own schedule (the fractional stop index ``shipment_position`` gives, the same the
line diagram draws), so the map, the line diagram and the ETA never disagree.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Iterable, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from wms.logistics.models import RouteLane, RouteNode, Shipment
from wms.logistics.network import leg_path, list_nodes
from wms.logistics.queries import Position

from .format import node_name, short_label

ATLAS = os.path.join(os.path.dirname(__file__), "..", "static", "map", "countries-50m.json")
# The corridor, Duisburg and Hamburg to Lanzhou and the airports: lon/lat box of the map.
WEST, EAST, SOUTH, NORTH = 2.0, 116.0, 31.0, 60.0
WIDTH = 1000.0
MID_LAT = math.radians((SOUTH + NORTH) / 2)
HEIGHT = round(WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * math.cos(MID_LAT)), 1)
# Country labels at hand-placed points (ISO 3166 numeric ids of the atlas).
COUNTRY_LABELS = {
    "156": (_l("China"), 38.5, 92.0), "398": (_l("Kazakhstan"), 48.0, 67.0),
    "643": (_l("Russia"), 57.5, 52.0), "112": (_l("Belarus"), 53.9, 27.8),
    "616": (_l("Poland"), 52.6, 19.3), "276": (_l("Germany"), 51.0, 10.3),
    "496": (_l("Mongolia"), 46.8, 103.0), "860": (_l("Uzbekistan"), 41.6, 63.5),
}
CORRIDOR = ("156", "398", "643", "112", "616", "276")


def project(lat: float, lon: float) -> tuple[float, float]:
    """Equirectangular with the x scale of the middle latitude: x, y in the SVG's units."""
    x = (lon - WEST) / (EAST - WEST) * WIDTH
    y = (NORTH - lat) / (NORTH - SOUTH) * HEIGHT
    return round(x, 1), round(y, 1)


@lru_cache(maxsize=1)
def country_paths() -> tuple[tuple[str, str, bool], ...]:
    """(atlas id, SVG path, on the corridor) of every country inside the map's box, decoded
    from the TopoJSON once per process and thinned to what shows at this size."""
    with open(ATLAS, encoding="utf-8") as f:
        topo = json.load(f)
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes: Sequence[int]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i in indexes:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out += points[1:] if out else points
        return out
    margin = 6.0
    shapes = []
    for geometry in topo["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs") or []
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        parts = []
        for polygon in polygons:
            for r in polygon:
                points = ring(r)
                if not any(WEST - margin <= lon <= EAST + margin and
                           SOUTH - margin <= lat <= NORTH + margin for lon, lat in points):
                    continue
                parts.append(_path(points))
        if parts:
            gid = str(geometry.get("id", ""))
            shapes.append((gid, " ".join(p for p in parts if p), gid in CORRIDOR))
    return tuple(shapes)


def _path(points: list[tuple[float, float]]) -> str:
    """One ring as an SVG path in whole units (about a pixel), relative moves, repeated
    points dropped: the shapes stay light enough to send with every page."""
    out: list[tuple[int, int]] = []
    for lon, lat in points:
        x, y = project(lat, lon)
        xy = (round(x), round(y))
        if not out or xy != out[-1]:
            out.append(xy)
    if len(out) < 3:
        return ""
    steps = "l" + " ".join(f"{b[0] - a[0]},{b[1] - a[1]}" for a, b in zip(out, out[1:]))
    return f"M{out[0][0]},{out[0][1]}{steps}z"


@dataclass
class MapNode:
    code: str
    label: str
    name: str
    kind: str
    border: bool
    gauge: bool
    x: float
    y: float
    on_route: bool = False


@dataclass
class MapLine:
    mode: str
    points: str
    highlight: bool = False
    code: str = ""


@dataclass
class MapUnit:
    shipment_id: int
    label: str
    kind: str
    state: str
    lat: float
    lon: float
    x: float
    y: float
    title: str
    label_dy: float = 4.0   # moved down when another marker's label is there already


@dataclass
class CorridorMap:
    width: float
    height: float
    countries: tuple
    labels: list[tuple[str, float, float]]
    lines: list[MapLine]
    nodes: list[MapNode]
    units: list[MapUnit] = field(default_factory=list)


def _line(nodes: Iterable[RouteNode]) -> str:
    return " ".join("%g,%g" % project(n.latitude, n.longitude) for n in nodes)


def estimated_point(shipment: Shipment, position: Position | None,
                    now: datetime) -> tuple[float, float, str] | None:
    """Where the shipment is estimated to be: interpolated between the route nodes at the
    fractional stop index of its position (the estimator's schedule); without one (a flight,
    a mail dispatch by air) by time along its current leg between departure and ETA."""
    if position is not None and position.index is not None and position.stops:
        stops = position.stops
        i = max(0, min(int(math.floor(position.index)), len(stops) - 1))
        frac = position.index - i
        a = stops[i].node
        b = stops[i + 1].node if i + 1 < len(stops) else a
        return (a.latitude + (b.latitude - a.latitude) * frac,
                a.longitude + (b.longitude - a.longitude) * frac, position.state)
    legs = [leg for leg in shipment.legs if leg.state != "cancelled"]
    if not legs:
        return None
    current = next((leg for leg in legs if leg.actual_arrival is None), None)
    if current is None:
        end = legs[-1].to_node
        return end.latitude, end.longitude, "arrived"
    path = leg_path(current)
    start, end = current.actual_departure, current.estimated_arrival
    if start is None or end is None or end <= start:
        return path[0].latitude, path[0].longitude, "waiting"
    share = max(0.0, min(1.0, (now - start) / (end - start)))
    g = share * (len(path) - 1)
    i = min(int(g), len(path) - 2)
    a, b = path[i], path[i + 1]
    f = g - i
    return (a.latitude + (b.latitude - a.latitude) * f,
            a.longitude + (b.longitude - a.longitude) * f, "moving" if share < 1 else "overdue")


def corridor_map(lanes: Sequence[RouteLane], nodes: Sequence[RouteNode],
                 placed: Sequence[tuple[Shipment, Position | None, str]], now: datetime,
                 highlight: Shipment | None = None) -> CorridorMap:
    """The map of the lanes, the nodes they pass and the shipments placed on it
    (shipment, its position or None, its label); ``highlight`` draws one shipment's
    route over the network."""
    lines = [MapLine(lane.mode if lane.mode != "post" else "post", _line(s.node for s in
                                                                        lane.stops),
                     code=lane.code)
             for lane in lanes if lane.active and len(lane.stops) > 1]
    route_ids: set[int] = set()
    if highlight is not None:
        for leg in highlight.legs:
            if leg.state == "cancelled":
                continue
            path = leg_path(leg)
            route_ids |= {n.id for n in path}
            lines.append(MapLine(leg.carriage_mode or leg.mode, _line(path), highlight=True,
                                 code=f"leg-{leg.seq}"))
    used = {s.node_id for lane in lanes if lane.active for s in lane.stops} | route_ids
    drawn = []
    for n in nodes:
        if n.id not in used or not (WEST <= n.longitude <= EAST and SOUTH <= n.latitude <= NORTH):
            continue
        x, y = project(n.latitude, n.longitude)
        drawn.append(MapNode(n.code, short_label(n), node_name(n), n.kind, n.border,
                             n.gauge_change, x, y, on_route=n.id in route_ids))
    units = []
    for shipment, position, label in placed:
        point = estimated_point(shipment, position, now)
        if point is None:
            continue
        lat, lon, state = point
        x, y = project(lat, lon)
        kind = "air" if all(leg.mode == "air" or leg.carriage_mode == "air"
                            or (leg.mode == "post" and not leg.carriage_mode)
                            for leg in shipment.legs) else "surface"
        near = sum(1 for u in units if abs(u.x - x) < 40 and abs(u.y - y) < 12)
        units.append(MapUnit(shipment.id, label, kind, state, round(lat, 3), round(lon, 3),
                             x, y, f"{label} · {shipment.name}", label_dy=4.0 + 15 * near))
    labels = [(str(title), *project(lat, lon)) for title, lat, lon in COUNTRY_LABELS.values()]
    return CorridorMap(WIDTH, HEIGHT, country_paths(), labels, lines, drawn, units)


def map_network(session: Session) -> tuple[list[RouteLane], list[RouteNode]]:
    """The active lanes with their stops and the active nodes (two statements)."""
    lanes = list(session.scalars(select(RouteLane).where(RouteLane.active.is_(True))
                                 .options(selectinload(RouteLane.stops))
                                 .order_by(RouteLane.code)))
    return lanes, list_nodes(session)


def shipment_map_context(session: Session, shipment: Shipment, position: Position,
                         now: datetime) -> dict:
    """The shipment page's map (its route over the network, its marker, and the marker of
    what carries its units) and the units it carries for, or is carried by, others."""
    from wms.logistics.transfers import transfers_of
    from wms.logistics.units import carriages
    carried_in, carrying = carriages(session, shipment)
    transfers = sorted(transfers_of(session, [shipment.id]).values(), key=lambda t: t.leg.seq)
    lanes, nodes = map_network(session)
    label = next((leg.service_ref for leg in shipment.legs if leg.service_ref), shipment.name)
    placed = [(shipment, position, label)]
    return dict(corridor=corridor_map(lanes, nodes, placed, now, highlight=shipment),
                carried_in=carried_in, carrying=carrying, transfers=transfers)
