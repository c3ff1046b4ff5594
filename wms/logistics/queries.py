"""What the dispatcher's desk, the public tracking page and the API read: timelines, the
board, a shipment's position and ETA (from the estimator's own schedule), unit trees and
alerts, every one owner-scoped.

The board answers in a fixed number of statements for its page of shipments: alerts, owners,
events and lanes are read for all rows at once, not row by row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from wms.core.context import current_actor
from wms.core.errors import N_, ValidationError
from wms.core.scoping import scope_to_owner
from wms.inventory.queries import goods_owners
from wms.partners.models import Enterprise

from .estimates import LegSchedule, anchor_of, shipment_schedule
from .eta import DEFAULT_CONFIG, LogisticsConfig
from .models import (CLASSIFIERS, DELIVERY_STATES, MODES, NODE_KINDS, SHIPMENT_STATES,
                     STATUSES, LogisticsAlert, RouteNode, Shipment, ShipmentLeg,
                     TrackingEvent, TrackingEventUnit, TransportUnit, WebhookDelivery,
                     WebhookSubscription)
from .network import leg_path

BOARD_LIMIT = 200


# -- timelines ------------------------------------------------------------------------------

def shipment_events(session: Session, shipment: Shipment,
                    classifiers: Iterable[str] = CLASSIFIERS) -> list[TrackingEvent]:
    """The shipment's timeline: its own events and those of its units (outer units'
    events included), in event time order."""
    unit_events_ = (select(TrackingEventUnit.event_id)
                    .join(TransportUnit, TransportUnit.id == TrackingEventUnit.unit_id)
                    .where(TransportUnit.shipment_id == shipment.id))
    stmt = (select(TrackingEvent)
            .where(or_(TrackingEvent.shipment_id == shipment.id,
                       TrackingEvent.id.in_(unit_events_)),
                   TrackingEvent.classifier.in_(list(classifiers)))
            .order_by(TrackingEvent.event_time, TrackingEvent.id))
    return list(session.scalars(stmt))


def unit_events(session: Session, unit: TransportUnit) -> list[TrackingEvent]:
    """Every event that applied to the unit, its own and its outer units', by event time."""
    stmt = (select(TrackingEvent).join(TrackingEventUnit,
                                       TrackingEventUnit.event_id == TrackingEvent.id)
            .where(TrackingEventUnit.unit_id == unit.id)
            .order_by(TrackingEvent.event_time, TrackingEvent.id))
    return list(session.scalars(stmt))


def event_units(session: Session, events: Sequence[TrackingEvent]) -> dict[int, TransportUnit]:
    """The units the events name, by id (one statement)."""
    ids = {e.unit_id for e in events if e.unit_id}
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(TransportUnit)
                                             .where(TransportUnit.id.in_(ids)))}


# -- position along the route ---------------------------------------------------------------

@dataclass
class Stop:
    """A node of the shipment's route with its actual or estimated times."""

    node: RouteNode
    passed: bool = False
    current: bool = False
    arrives: datetime | None = None
    leaves: datetime | None = None


@dataclass
class Position:
    """Where the shipment is estimated to be now: ``index`` is a fractional index into
    ``stops`` (None without legs); ``state`` one of waiting, moving, dwelling, overdue,
    arrived."""

    stops: list[Stop]
    index: float | None
    state: str
    between: tuple[RouteNode, RouteNode] | None = None
    at: RouteNode | None = None


def shipment_position(shipment: Shipment, events: Sequence[TrackingEvent], now: datetime,
                      config: LogisticsConfig = DEFAULT_CONFIG) -> Position:
    """The route's nodes in order (all legs) and the estimated position now, from the same
    schedule the estimator writes the ETA from."""
    schedules = [s for s in shipment_schedule(shipment, anchor_of(events), config)
                 if s is not None]
    path: list[RouteNode] = []
    offsets: list[int] = []
    for schedule in schedules:
        p = schedule.path
        if path and path[-1].id == p[0].id:
            offsets.append(len(path) - 1)
            path += p[1:]
        else:
            offsets.append(len(path))
            path += p
    stops = [Stop(node) for node in path]
    if not schedules:
        return Position(stops, None, "waiting")
    current = next((i for i, s in enumerate(schedules) if s.leg.actual_arrival is None), None)
    for i, schedule in enumerate(schedules):  # actual times of legs that are done
        leg = schedule.leg
        if leg.actual_arrival is not None:
            stops[offsets[i]].leaves = leg.actual_departure
            stops[offsets[i] + len(schedule.path) - 1].arrives = leg.actual_arrival
    if current is None:
        for stop in stops:
            stop.passed = True
        stops[-1].current = True
        return Position(stops, float(len(stops) - 1), "arrived", at=path[-1])
    schedule, base = schedules[current], offsets[current]
    return _along(schedule, stops, base, now)


def _along(schedule: LegSchedule, stops: list[Stop], base: int, now: datetime) -> Position:
    leg, p, k = schedule.leg, schedule.path, schedule.start
    arrives, leaves = schedule.arrives, schedule.leaves
    for j in range(k, len(p)):
        if j > 0:
            stops[base + j].arrives = arrives[j]
        stops[base + j].leaves = leaves[j]
    started = leg.actual_departure is not None or k > 0
    at = between = None
    if not started:
        position, state, at = 0.0, "waiting", p[0]
    elif leaves[k] is not None and now < leaves[k]:
        position, state, at = float(k), "dwelling", p[k]
    else:
        position, state = float(len(p) - 1) - 0.05, "overdue"
        for j in range(k, len(p) - 1):
            if leaves[j] is None or arrives[j + 1] is None:
                break
            if arrives[j] is not None and arrives[j] <= now < leaves[j]:
                position, state, at = float(j), "dwelling", p[j]
                break
            if leaves[j] <= now < arrives[j + 1]:
                span = (arrives[j + 1] - leaves[j]).total_seconds() or 1.0
                position = j + max(0.0, min(1.0, (now - leaves[j]).total_seconds() / span))
                state, between = "moving", (p[j], p[j + 1])
                break
        if state == "overdue":
            between = (p[-2], p[-1]) if len(p) > 1 else None
            position = max(position, float(k))
    g = base + position
    for i, stop in enumerate(stops):
        stop.passed = i <= g + 1e-9
    stops[int(g)].current = state in ("waiting", "dwelling")
    return Position(stops, g, state, between=between, at=at)


# -- board ----------------------------------------------------------------------------------

@dataclass
class BoardFilter:
    mode: str | None = None
    status: str | None = None
    late: bool = False
    state: str | None = None


@dataclass
class BoardRow:
    shipment: Shipment
    kind: str                 # train, flight, mail, road, sea
    modes: list[str]
    service_refs: list[str]
    planned_arrival: datetime | None
    estimated_arrival: datetime | None
    actual_arrival: datetime | None
    departed: datetime | None
    delay_minutes: int | None
    alerts: list[LogisticsAlert]
    position: Position | None = None
    owner: str | None = None

    @property
    def late(self) -> bool:
        return bool(self.alerts)


def shipments_query(f: BoardFilter, *, in_transit: bool = False):
    """Shipments the acting user may see that match the filter, newest first; the filter's
    values are checked (a wrong one names its field)."""
    stmt = scope_to_owner(select(Shipment), Shipment.owner_id)
    if in_transit:
        stmt = stmt.where(Shipment.state.in_(("booked", "in_transit")))
    for name, allowed, column in (("state", SHIPMENT_STATES, Shipment.state),
                                  ("status", STATUSES, Shipment.status),
                                  ("mode", MODES, None)):
        value = getattr(f, name)
        if not value:
            continue
        if value not in allowed:
            raise ValidationError(N_("Must be one of: %(values)s"), field=name,
                                  values=", ".join(allowed))
        if column is None:
            stmt = stmt.where(exists().where(ShipmentLeg.shipment_id == Shipment.id,
                                             ShipmentLeg.mode == value))
        else:
            stmt = stmt.where(column == value)
    if f.late:
        stmt = stmt.where(exists().where(LogisticsAlert.shipment_id == Shipment.id,
                                         LogisticsAlert.state == "open"))
    return stmt.order_by(Shipment.id.desc())


def list_shipments(session: Session, *, state: str | None = None, status: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[Shipment]:
    stmt = shipments_query(BoardFilter(state=state, status=status))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def open_alerts(session: Session, shipment_ids: Sequence[int]) -> dict[int, list[LogisticsAlert]]:
    alerts: dict[int, list[LogisticsAlert]] = {}
    if shipment_ids:
        for alert in session.scalars(select(LogisticsAlert).where(
                LogisticsAlert.shipment_id.in_(list(shipment_ids)),
                LogisticsAlert.state == "open").order_by(LogisticsAlert.id)):
            alerts.setdefault(alert.shipment_id, []).append(alert)
    return alerts


def _events_of(session: Session, shipments: Sequence[Shipment]) -> dict[int, list]:
    """Actual events of each shipment (its own and its units'), in time order, one
    statement for all."""
    ids = [s.id for s in shipments]
    out: dict[int, list[TrackingEvent]] = {i: [] for i in ids}
    if not ids:
        return out
    direct = select(TrackingEvent.id.label("eid"), TrackingEvent.shipment_id.label("sid")) \
        .where(TrackingEvent.shipment_id.in_(ids), TrackingEvent.classifier == "ACT")
    via = (select(TrackingEventUnit.event_id, TransportUnit.shipment_id)
           .join(TransportUnit, TransportUnit.id == TrackingEventUnit.unit_id)
           .join(TrackingEvent, TrackingEvent.id == TrackingEventUnit.event_id)
           .where(TransportUnit.shipment_id.in_(ids), TrackingEvent.classifier == "ACT"))
    pairs = direct.union(via).subquery()
    rows = session.execute(select(pairs.c.sid, TrackingEvent)
                           .join(TrackingEvent, TrackingEvent.id == pairs.c.eid)
                           .order_by(TrackingEvent.event_time, TrackingEvent.id))
    for sid, event in rows:
        out[sid].append(event)
    return out


def board_kind(modes: Sequence[str]) -> str:
    if any(m in ("rail", "road", "sea") for m in modes):
        return "train" if "rail" in modes else modes[0]
    return "flight" if "air" in modes else "mail"


def board_rows(session: Session, f: BoardFilter, now: datetime, *, with_owners: bool = False,
               config: LogisticsConfig = DEFAULT_CONFIG) -> list[BoardRow]:
    """Shipments booked or in transit, the late ones first, then by estimated arrival."""
    shipments = session.scalars(shipments_query(f, in_transit=True).limit(BOARD_LIMIT)
                                .options(selectinload(Shipment.legs))).all()
    alerts = open_alerts(session, [s.id for s in shipments])
    owners: dict[int, str] = {}
    owner_ids = {s.owner_id for s in shipments if s.owner_id}
    if owner_ids and with_owners:
        owners = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                      .where(Enterprise.id.in_(owner_ids))).all())
    drawn = [s for s in shipments if board_kind(_modes(s)) in ("train", "road", "sea")
             or any(leg.carriage_mode in ("rail", "road", "sea") for leg in s.legs)]
    events = _events_of(session, drawn)
    rows = []
    for s in shipments:
        legs = [leg for leg in s.legs if leg.state != "cancelled"] or list(s.legs)
        modes = _modes(s)
        last = legs[-1] if legs else None
        planned = last.planned_arrival if last else None
        estimated = last.estimated_arrival if last else None
        actual = last.actual_arrival if last else None
        delay = None
        if planned and (actual or estimated):
            delay = int(((actual or estimated) - planned).total_seconds() // 60)
        kind = board_kind(modes)
        rows.append(BoardRow(
            shipment=s, kind=kind, modes=modes,
            service_refs=[leg.service_ref for leg in legs if leg.service_ref],
            planned_arrival=planned, estimated_arrival=estimated, actual_arrival=actual,
            departed=legs[0].actual_departure if legs else None, delay_minutes=delay,
            alerts=alerts.get(s.id, []),
            position=shipment_position(s, events[s.id], now, config) if s.id in events
            else None,
            owner=owners.get(s.owner_id) if s.owner_id else None))
    far = datetime.max.replace(tzinfo=timezone.utc)
    rows.sort(key=lambda r: (not r.late, r.estimated_arrival or far, r.shipment.id))
    return rows


def _modes(shipment: Shipment) -> list[str]:
    legs = [leg for leg in shipment.legs if leg.state != "cancelled"] or list(shipment.legs)
    return list(dict.fromkeys(leg.mode for leg in legs))


# -- alerts ---------------------------------------------------------------------------------

def list_alerts(session: Session, *, state: str | None = "open",
                shipment_id: int | None = None) -> list[LogisticsAlert]:
    stmt = scope_to_owner(select(LogisticsAlert).join(Shipment,
                                                      Shipment.id == LogisticsAlert.shipment_id),
                          Shipment.owner_id)
    if state:
        stmt = stmt.where(LogisticsAlert.state == state)
    if shipment_id is not None:
        stmt = stmt.where(LogisticsAlert.shipment_id == shipment_id)
    return list(session.scalars(stmt.order_by(LogisticsAlert.id)))


def has_open_alert(session: Session, shipment_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        LogisticsAlert.shipment_id == shipment_id, LogisticsAlert.state == "open"))))


# -- units ----------------------------------------------------------------------------------

@dataclass
class UnitNode:
    unit: TransportUnit
    children: list["UnitNode"] = field(default_factory=list)


def shipment_units(session: Session, shipment: Shipment) -> list[TransportUnit]:
    return list(session.scalars(select(TransportUnit)
                                .where(TransportUnit.shipment_id == shipment.id)
                                .order_by(TransportUnit.id)))


def unit_tree(session: Session, shipment: Shipment) -> tuple[list, dict[int, TransportUnit]]:
    """The shipment's units nested (container → pallets → parcels), the outermost grouped
    by the unit they travel in when that is not the shipment's own (a train): a list of
    (outer unit or None, [UnitNode]) and the outer unit of each root."""
    units = session.scalars(select(TransportUnit).where(TransportUnit.shipment_id == shipment.id)
                            .order_by(TransportUnit.kind, TransportUnit.identifier)).all()
    nodes = {u.id: UnitNode(u) for u in units}
    roots: list[UnitNode] = []
    outer: dict[int, TransportUnit] = {}
    for u in units:
        if u.parent_id in nodes:
            nodes[u.parent_id].children.append(nodes[u.id])
        else:
            roots.append(nodes[u.id])
            if u.parent_id is not None:
                outer[u.id] = u.parent
    groups: dict[int | None, list[UnitNode]] = {}
    for node in roots:
        groups.setdefault(node.unit.parent_id, []).append(node)
    return [(outer[group[0].unit.id] if key is not None else None, group)
            for key, group in groups.items()], outer


def path_codes(leg: ShipmentLeg) -> list[str]:
    return [n.code for n in leg_path(leg)]


# -- webhooks -------------------------------------------------------------------------------

def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def owners_to_subscribe(session: Session) -> list[Enterprise]:
    """The goods owners the acting user may subscribe to, by customs code."""
    return goods_owners(session)


def enterprise_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Enterprise.id, Enterprise.name)).all())


def due_deliveries(session: Session, now: datetime) -> int:
    """How many deliveries wait for an attempt now."""
    return len(session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)).all())


def subscriptions_query():
    """Subscriptions the acting user may see: an owner-bound user, its owners' only."""
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if current_actor().owner_ids is not None:
        stmt = scope_to_owner(stmt.where(WebhookSubscription.owner_id.is_not(None)),
                              WebhookSubscription.owner_id)
    return stmt


def deliveries_query(subscription: WebhookSubscription, status: str | None = None):
    """A subscription's deliveries, newest first."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status:
        if status not in DELIVERY_STATES:
            raise ValidationError(N_("Must be one of: %(values)s"), field="status",
                                  values=", ".join(DELIVERY_STATES))
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt.order_by(WebhookDelivery.id.desc())


def nodes_query(kind: str | None = None):
    """Active nodes by code, of one kind when given (a wrong kind names the field)."""
    if kind and kind not in NODE_KINDS:
        raise ValidationError(N_("Must be one of: %(values)s"), field="kind",
                              values=", ".join(NODE_KINDS))
    stmt = select(RouteNode).where(RouteNode.active.is_(True)).order_by(RouteNode.code)
    return stmt.where(RouteNode.kind == kind) if kind else stmt


def chinese_node_names(session: Session) -> dict[str, str]:
    """Node names in Chinese by their English names (the public view names places in
    English)."""
    return dict(session.execute(select(RouteNode.name, RouteNode.name_zh)
                                .where(RouteNode.name_zh.is_not(None))).all())
