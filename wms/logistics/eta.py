"""Distances and arrival estimates along the route network, as pure functions.

Geodesic distance understates the real line, so a leg's distance is the sum of geodesic
hops between its nodes times a per-mode detour factor; travel time is that distance over a
per-mode average speed, plus the dwell of every border or gauge-change node passed on the
way. The defaults live in one ``LogisticsConfig`` so a deployment can tune them.

Formula, for a path of nodes n0..nk:
    distance_km = detour[mode] * sum(geodesic(n[i], n[i+1]))
    hours       = distance_km / speed[mode] + sum(dwell(n[i]) for i in 1..k-1 if border or gauge)
The destination's dwell is not counted (arrival is when the leg ends); the start's only when
the estimate starts from an arrival there (the stop has not been worked yet).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable, Protocol, Sequence

from geopy.distance import geodesic


@dataclass(frozen=True)
class LogisticsConfig:
    # Average speed between dwell nodes, km/h. Rail: a China-Europe block train's commercial
    # speed including yard and crew stops, calibrated so the seeded lanes give the published
    # ~7 days Lanzhou-Almaty and ~16-18 days to Duisburg; its moving speed is higher.
    speeds_kmh: dict[str, float] = field(default_factory=lambda: {
        "rail": 25.0, "air": 800.0, "road": 60.0, "sea": 30.0})
    detour: dict[str, float] = field(default_factory=lambda: {
        "rail": 1.25, "air": 1.05, "road": 1.2, "sea": 1.3})
    # A postal leg travels by some other mode; this one when neither leg nor lane says.
    post_carriage: str = "air"
    # A leg estimated to arrive later than planned by more than this raises an alert.
    late_margin: dict[str, timedelta] = field(default_factory=lambda: {
        "rail": timedelta(hours=12), "air": timedelta(hours=3), "road": timedelta(hours=6),
        "sea": timedelta(hours=24)})
    # How far ahead an event's time may be: actual events happened (clock skew only);
    # planned and estimated ones may look ahead.
    max_future_actual: timedelta = timedelta(hours=1)
    max_future_planned: timedelta = timedelta(days=400)

    def carriage(self, mode: str, carriage_mode: str | None = None) -> str:
        """The mode whose speed and detour apply: post uses what carries it."""
        if mode == "post":
            return carriage_mode or self.post_carriage
        return mode

    def margin(self, mode: str, carriage_mode: str | None = None) -> timedelta:
        return self.late_margin[self.carriage(mode, carriage_mode)]


DEFAULT_CONFIG = LogisticsConfig()


class NodeLike(Protocol):
    latitude: float
    longitude: float
    border: bool
    gauge_change: bool
    dwell_hours: float


def geodesic_km(a: NodeLike, b: NodeLike) -> float:
    """WGS-84 geodesic distance in km between two nodes."""
    return geodesic((a.latitude, a.longitude), (b.latitude, b.longitude)).km


def path_km(path: Sequence[NodeLike], mode: str, config: LogisticsConfig = DEFAULT_CONFIG,
            carriage_mode: str | None = None) -> float:
    """Distance along the nodes with the mode's detour factor."""
    carriage = config.carriage(mode, carriage_mode)
    hops = sum(geodesic_km(a, b) for a, b in zip(path, path[1:]))
    return hops * config.detour[carriage]


def dwell_hours(nodes: Iterable[NodeLike]) -> float:
    return sum(n.dwell_hours or 0.0 for n in nodes if n.border or n.gauge_change)


def path_hours(path: Sequence[NodeLike], mode: str, config: LogisticsConfig = DEFAULT_CONFIG,
               carriage_mode: str | None = None, *, dwell_at_start: bool = False) -> float:
    """Travel time along the path plus the dwell at border and gauge-change nodes passed."""
    carriage = config.carriage(mode, carriage_mode)
    moving = path_km(path, mode, config, carriage_mode) / config.speeds_kmh[carriage]
    inner = list(path[1:-1])
    if dwell_at_start and path:
        inner.insert(0, path[0])
    return moving + dwell_hours(inner)


def arrival_estimate(start: datetime, path: Sequence[NodeLike], mode: str,
                     config: LogisticsConfig = DEFAULT_CONFIG, carriage_mode: str | None = None,
                     *, dwell_at_start: bool = False) -> datetime:
    return start + timedelta(hours=path_hours(path, mode, config, carriage_mode,
                                              dwell_at_start=dwell_at_start))
