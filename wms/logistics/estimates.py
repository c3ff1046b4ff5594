"""Estimated times of every leg, and the late-leg alerts they raise.

One schedule per leg is the single source of an ETA: the estimator writes its end as the
leg's estimated arrival, and the board's line diagram and the shipment page read the times
at each node from the same schedule, so the marker and the ETA never disagree.

The estimate starts from the anchor, the latest actual, understood event with a node (where
the shipment was last seen): the first leg not yet arrived whose path passes that node is
estimated forward from it; the legs after it from the previous leg's arrival or their own
planned departure, whichever is later. Distances and speeds are ``eta``'s.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, NotFound
from wms.core.scoping import visible_owner

from . import eta
from .eta import DEFAULT_CONFIG, LogisticsConfig
from .models import (LogisticsAlert, RouteNode, Shipment, ShipmentLeg, TrackingEvent,
                     TrackingEventUnit, TransportUnit)
from .network import leg_path
from .transfers import LegTransfer, check_connection, transfers_of


@dataclass
class LegSchedule:
    """Arrival and departure at each node of a leg's path, estimated from ``start`` (the
    node index the estimate runs from: the anchor's, or 0)."""

    leg: ShipmentLeg
    path: list[RouteNode]
    start: int
    arrives: list[datetime | None]
    leaves: list[datetime | None]
    begin: datetime | None = None     # when the estimate starts (before any dwell there)
    anchored: bool = False

    @property
    def arrival(self) -> datetime | None:
        return self.arrives[-1]


def anchor_of(events: Iterable[TrackingEvent]) -> TrackingEvent | None:
    """The latest actual, understood event with a node among ``events`` (in time order)."""
    found = None
    for event in events:
        if event.classifier == "ACT" and not event.flagged and event.node_id is not None:
            found = event
    return found


def anchors(session: Session, shipment_ids: Sequence[int]) -> dict[int, TrackingEvent]:
    """The anchor of each shipment, in one statement however many shipments: its own events
    and those of its units, the latest by event time."""
    ids = list(shipment_ids)
    if not ids:
        return {}
    understood = (TrackingEvent.classifier == "ACT", TrackingEvent.flagged.is_(False),
                  TrackingEvent.node_id.is_not(None))
    direct = select(TrackingEvent.shipment_id.label("sid"), TrackingEvent.id.label("eid"),
                    TrackingEvent.event_time.label("at")).where(
        TrackingEvent.shipment_id.in_(ids), *understood)
    via_units = (select(TransportUnit.shipment_id, TrackingEvent.id, TrackingEvent.event_time)
                 .join(TrackingEventUnit, TrackingEventUnit.event_id == TrackingEvent.id)
                 .join(TransportUnit, TransportUnit.id == TrackingEventUnit.unit_id)
                 .where(TransportUnit.shipment_id.in_(ids), *understood))
    seen = union(direct, via_units).subquery()
    ranked = select(seen.c.sid, seen.c.eid, func.row_number().over(
        partition_by=seen.c.sid, order_by=(seen.c.at.desc(), seen.c.eid.desc()))
        .label("rank")).subquery()
    rows = session.execute(select(ranked.c.sid, TrackingEvent)
                           .join(TrackingEvent, TrackingEvent.id == ranked.c.eid)
                           .where(ranked.c.rank == 1))
    return {sid: event for sid, event in rows}


def _dwell(node: RouteNode) -> timedelta:
    return timedelta(hours=eta.dwell_hours([node]))


def _run(leg: ShipmentLeg, path: list[RouteNode], k: int, start: datetime, config,
         dwell_at_start: bool, arrived_at_start: datetime | None) -> LegSchedule:
    n = len(path)
    arrives: list[datetime | None] = [None] * n
    leaves: list[datetime | None] = [None] * n
    arrives[k] = arrived_at_start if arrived_at_start is not None else start
    leaves[k] = start + _dwell(path[k]) if dwell_at_start else start
    for j in range(k + 1, n):
        arrives[j] = start + timedelta(hours=eta.path_hours(
            path[k:j + 1], leg.mode, config, leg.carriage_mode, dwell_at_start=dwell_at_start))
        leaves[j] = arrives[j] + (_dwell(path[j]) if j < n - 1 else timedelta(0))
    return LegSchedule(leg, path, k, arrives, leaves, begin=start)


def shipment_schedule(shipment: Shipment, anchor: TrackingEvent | None,
                      config: LogisticsConfig = DEFAULT_CONFIG,
                      transfers: dict[int, LegTransfer] | None = None
                      ) -> list[LegSchedule | None]:
    """One schedule per leg (None for a cancelled leg; an arrived leg keeps its actual
    times), estimated forward from the anchor. A leg after a transfer starts no earlier
    than the goods are ready at the hub (arrival plus connection and customs time)."""
    transfers = transfers or {}
    out: list[LegSchedule | None] = []
    anchor_used = False
    previous: datetime | None = None
    for leg in shipment.legs:
        path = leg_path(leg)
        if leg.state == "cancelled":
            out.append(None)
            continue
        n = len(path)
        if leg.actual_arrival is not None:
            departed = leg.actual_departure or leg.estimated_departure
            out.append(LegSchedule(leg, path, 0, [departed] + [None] * (n - 2) +
                                   [leg.actual_arrival], [departed] + [None] * (n - 1)))
            previous = leg.actual_arrival
            continue
        ids = [node.id for node in path]
        if anchor is not None and not anchor_used and anchor.node_id in ids and \
                (leg.actual_departure is None or anchor.event_time >= leg.actual_departure):
            k = ids.index(anchor.node_id)
            start = anchor.event_time
            if k == 0 and anchor.milestone != "departed" and leg.actual_departure is None:
                start = max(t for t in (anchor.event_time, leg.planned_departure) if t)
            schedule = _run(leg, path, k, start, config,
                            dwell_at_start=(k > 0 and anchor.milestone == "arrived"),
                            arrived_at_start=anchor.event_time)
            schedule.anchored = anchor_used = True
        else:
            ready = previous
            if previous is not None and leg.id in transfers:
                ready = previous + transfers[leg.id].ready_after
            starts = [t for t in (leg.planned_departure, ready) if t is not None]
            if leg.actual_departure is not None:
                starts = [leg.actual_departure]
            if not starts:
                out.append(LegSchedule(leg, path, 0, [None] * n, [None] * n))
                previous = None
                continue
            schedule = _run(leg, path, 0, max(starts), config, False, None)
        out.append(schedule)
        previous = schedule.arrival
    return out


def estimate_shipments(session: Session, shipments: Sequence[Shipment], *,
                       now: datetime | None = None,
                       config: LogisticsConfig = DEFAULT_CONFIG) -> list[LogisticsAlert]:
    """Distances and estimated times of every leg of these shipments, and the alerts raised
    (legs estimated later than planned by more than the margin; one open alert per leg).
    A fixed number of statements whatever the number of shipments or events."""
    shipments = [s for s in shipments if s.state not in ("draft", "cancelled")]
    if not shipments:
        return []
    found = anchors(session, [s.id for s in shipments])
    leg_ids = [leg.id for s in shipments for leg in s.legs]
    history: dict[tuple[int, str], list[LogisticsAlert]] = {}
    for alert in session.scalars(select(LogisticsAlert).where(
            LogisticsAlert.leg_id.in_(leg_ids),
            LogisticsAlert.kind.in_(("late", "connection")))
            .order_by(LogisticsAlert.id.desc())):
        history.setdefault((alert.leg_id, alert.kind), []).append(alert)
    transfers = transfers_of(session, [s.id for s in shipments])
    raised: list[LogisticsAlert] = []
    for shipment in shipments:
        previous: ShipmentLeg | None = None
        for schedule in shipment_schedule(shipment, found.get(shipment.id), config,
                                          transfers):
            if schedule is None:
                continue
            leg = schedule.leg
            inbound, previous = previous, leg
            leg.distance_km = round(eta.path_km(schedule.path, leg.mode, config,
                                                leg.carriage_mode), 1)
            if leg.actual_arrival is not None:
                leg.estimated_departure = leg.actual_departure or leg.estimated_departure
                leg.estimated_arrival = leg.actual_arrival
                continue
            leg.estimated_departure = leg.actual_departure or schedule.begin
            leg.estimated_arrival = schedule.arrival
            alerts = [_check_late(shipment, leg, history.get((leg.id, "late"), []), config,
                                  now)]
            if leg.id in transfers and inbound is not None:
                arrival = inbound.actual_arrival or inbound.estimated_arrival
                if inbound.actual_arrival is None and arrival is not None and now is not None:
                    arrival = max(arrival, now)  # not there yet: it arrives no earlier
                alerts.append(check_connection(shipment, leg, transfers[leg.id], arrival,
                                               history.get((leg.id, "connection"), [])))
            for alert in alerts:
                if alert is not None:
                    session.add(alert)
                    raised.append(alert)
    session.flush()
    return raised


def estimate_shipment(session: Session, shipment: Shipment, *, now: datetime | None = None,
                      config: LogisticsConfig = DEFAULT_CONFIG) -> list[LogisticsAlert]:
    return estimate_shipments(session, [shipment], now=now, config=config)


def _check_late(shipment: Shipment, leg: ShipmentLeg, alerts: list[LogisticsAlert],
                config: LogisticsConfig, now: datetime | None = None) -> LogisticsAlert | None:
    """A new alert for a late leg, or None (not late, or its open alert updated). An open
    alert of a leg no longer estimated late is resolved (unless it is past its planned
    arrival and not there), so no badge says "late" beside an estimate that says early."""
    current = next((a for a in alerts if a.state == "open"), None)
    if leg.planned_arrival is None or leg.estimated_arrival is None:
        return None
    delay = leg.estimated_arrival - leg.planned_arrival
    margin = config.margin(leg.mode, leg.carriage_mode)
    overdue = now is not None and now > leg.planned_arrival + margin
    if delay <= margin:
        if current is not None and not overdue:  # the sweep keeps an overdue leg's open
            current.transition("resolved", reason="estimate within the margin")
        return None
    minutes = int(delay.total_seconds() // 60)
    if current is not None:
        current.estimated_arrival = leg.estimated_arrival
        current.delay_minutes = minutes
        return None
    # Acknowledged: raise again only if it got later by another margin.
    if alerts and alerts[0].state == "acknowledged" and \
            delay <= timedelta(minutes=alerts[0].delay_minutes) + margin:
        return None
    return LogisticsAlert(kind="late", state="open", shipment_id=shipment.id, leg_id=leg.id,
                          planned_arrival=leg.planned_arrival,
                          estimated_arrival=leg.estimated_arrival, delay_minutes=minutes)


def acknowledge_alert(session: Session, alert_id: int, *, now: datetime | None = None,
                      note: str | None = None) -> LogisticsAlert:
    alert = session.get(LogisticsAlert, alert_id)
    if alert is None or not visible_owner(alert.shipment.owner_id):
        raise NotFound(N_("Alert %(id)s not found"), field="alert", id=alert_id)
    alert.transition("acknowledged", reason=note)
    alert.acknowledged_at = now or utcnow()
    alert.acknowledged_by_id = current_actor().user_id
    session.flush()
    return alert
