"""The drawings of a shipment: the route line diagram (where it is estimated to be now) and
the planned / estimated / actual timeline, as geometry for inline SVG. No outside map
service; positions are percentages and text is in pixels, so one drawing reads the same at
360 px and on the desk. Where the shipment is comes from the domain (``shipment_position``,
the estimator's own schedule); only x positions and labels are made here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wms.logistics.models import Shipment, ShipmentLeg, TrackingEvent
from wms.logistics.queries import Position

from .format import local_zone, node_name, short_label

PAD = 4.0  # percent of the width left free at each end


@dataclass
class DiagramNode:
    code: str
    label: str
    name: str
    kind: str
    border: bool
    gauge: bool
    x: float
    passed: bool = False
    current: bool = False
    above: bool = True
    arrives: datetime | None = None   # estimated (or actual) arrival at the node
    leaves: datetime | None = None

    @property
    def css(self) -> str:
        kind = "gauge" if self.gauge else "border" if self.border else "stop"
        return " ".join(c for c in ("node", kind, "passed" if self.passed else "",
                                    "current" if self.current else "") if c)


@dataclass
class Diagram:
    nodes: list[DiagramNode]
    marker_x: float | None
    state: str            # waiting, moving, dwelling, overdue, arrived
    between: tuple[str, str] | None = None
    at: str | None = None

    @property
    def done_x(self) -> float:
        return self.marker_x if self.marker_x is not None else PAD


def _x(index: float, count: int) -> float:
    if count <= 1:
        return 50.0
    return round(PAD + index * (100 - 2 * PAD) / (count - 1), 2)


def route_diagram(position: Position) -> Diagram:
    """The line diagram of a shipment's position."""
    count = len(position.stops)
    nodes = [DiagramNode(code=s.node.code, label=short_label(s.node), name=node_name(s.node),
                         kind=s.node.kind, border=s.node.border, gauge=s.node.gauge_change,
                         x=_x(i, count), above=(i % 2 == 0), passed=s.passed,
                         current=s.current, arrives=s.arrives, leaves=s.leaves)
             for i, s in enumerate(position.stops)]
    marker = _x(position.index, count) if position.index is not None else None
    between = position.between
    return Diagram(nodes, marker, position.state,
                   between=(node_name(between[0]), node_name(between[1])) if between else None,
                   at=node_name(position.at) if position.at is not None else None)


@dataclass
class Bar:
    kind: str              # planned, estimated, actual
    start: datetime | None
    end: datetime | None
    x1: float = 0.0
    x2: float = 0.0
    open: bool = False     # still running (actual departure, no arrival yet)


@dataclass
class TimelineLeg:
    leg: ShipmentLeg
    bars: list[Bar]
    late_minutes: int | None


@dataclass
class Timeline:
    legs: list[TimelineLeg]
    ticks: list[tuple[float, str]]
    now_x: float | None
    points: list[tuple[float, TrackingEvent]]


def shipment_timeline(shipment: Shipment, events: list[TrackingEvent],
                      now: datetime) -> Timeline:
    legs = [leg for leg in shipment.legs]
    times = [t for leg in legs for t in (leg.planned_departure, leg.planned_arrival,
                                          leg.estimated_departure, leg.estimated_arrival,
                                          leg.actual_departure, leg.actual_arrival) if t]
    times += [e.event_time for e in events if e.classifier == "ACT"]
    if not times:
        return Timeline([], [], None, [])
    t0, t1 = min(times), max(times + [now])
    span = (t1 - t0).total_seconds() or 3600.0
    t0 -= timedelta(seconds=span * 0.02)
    span *= 1.04

    def x(t: datetime) -> float:
        return round(2 + 96 * (t - t0).total_seconds() / span, 2)
    out = []
    for leg in legs:
        bars = [Bar("planned", leg.planned_departure, leg.planned_arrival),
                Bar("estimated", leg.estimated_departure, leg.estimated_arrival),
                Bar("actual", leg.actual_departure, leg.actual_arrival)]
        for bar in bars:
            if bar.kind == "actual" and bar.start and not bar.end:
                bar.end, bar.open = now, True
            if bar.start:
                bar.x1 = x(bar.start)
                bar.x2 = max(bar.x1 + 0.6, x(bar.end)) if bar.end else bar.x1
        late = None
        if leg.planned_arrival and (leg.actual_arrival or leg.estimated_arrival):
            late = int(((leg.actual_arrival or leg.estimated_arrival) - leg.planned_arrival)
                       .total_seconds() // 60)
        out.append(TimelineLeg(leg, bars, late))
    zone = local_zone()
    ticks = []
    for i in range(5):
        t = t0 + timedelta(seconds=span * (0.04 + 0.23 * i))
        ticks.append((x(t), t.astimezone(zone).strftime("%m-%d")))
    points = [(x(e.event_time), e) for e in events if e.classifier == "ACT"]
    return Timeline(out, ticks, x(now) if t0 <= now <= t1 + timedelta(seconds=span) else None,
                    points)


