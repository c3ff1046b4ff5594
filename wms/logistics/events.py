"""Tracking events in: a feed's batch (JSON or CSV) checked whole, then recorded.

Events are checked as a whole batch before anything is written (all or nothing), duplicates
by source and source event id are skipped; an event on an outer unit is linked to every unit
inside it at that moment. Status and position are moved only by an actual event newer than
the one they show, so events arriving out of order land where their time puts them.

Set-based: a batch costs a fixed number of statements however many events it holds. What the
events name (nodes, units, shipments, air waybills) is read in one query each, the unit trees
they touch in one, and the events are then applied in time order to those objects in memory
(nesting included) and written in one flush; the estimates follow for all touched shipments
at once.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from wms.core.audit import AuditEvent
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner

from .estimates import estimate_shipments
from .eta import DEFAULT_CONFIG, LogisticsConfig
from .identifiers import clean, validate_awb
from .models import (CLASSIFIERS, RouteLane, RouteNode, Shipment, ShipmentLeg, TrackingEvent,
                     TrackingEventUnit, TransportUnit)
from .network import UNLOCODE, leg_path
from .times import aware, offset
from .units import (ancestor_ids, check_nesting, descendant_ids, on_route, pick_unit,
                    unit_candidates)
from .vocabulary import (DEPARTURE_MILESTONES, PACKING_MILESTONES, UNKNOWN,
                         UNPACKING_MILESTONES, meaning, scheme_of)
from .webhooks import queue_status_change


# -- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "code", "time", "classifier", "node", "unlocode", "unit", "unit_kind",
               "parent", "parent_kind", "shipment", "awb", "disposition", "note")
CSV_REQUIRED = ("id", "code", "time")


def parse_events_csv(text: str) -> list[dict]:
    """CSV text (header row naming ``CSV_COLUMNS``) to the event dicts ``ingest_events``
    takes. All or nothing: the first bad line raises, naming the line and the column."""
    reader = csv.DictReader(io.StringIO((text or "").lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise ValidationError(N_("The file is empty"), field="line 1")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ValidationError(N_("Unknown column %(column)s"), field="line 1",
                              column=unknown[0])
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise ValidationError(N_("Column %(column)s is missing"), field="line 1",
                              column=missing[0])
    if not {"unit", "shipment", "awb"} & set(header):
        raise ValidationError(N_("A column unit, shipment or awb is needed"), field="line 1")
    reader.fieldnames = header
    events = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise ValidationError(N_("Too many values"), field=f"line {line}")
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        for column in CSV_REQUIRED:
            if not values.get(column):
                raise ValidationError(N_("This field is required"),
                                      field=f"line {line}: {column}")
        if not any(values.get(c) for c in ("unit", "shipment", "awb")):
            raise ValidationError(N_("Name a unit, a shipment or an air waybill"),
                                  field=f"line {line}: unit")
        event = {k: v for k, v in values.items() if v}
        event["_line"] = line
        events.append(event)
    if not events:
        raise ValidationError(N_("The file has no events"), field="line 2")
    return events


# -- tracking events ------------------------------------------------------------------------

@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    flagged: int = 0
    event_ids: list[int] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)


# Why an event is flagged: stored as the code, said in the user's language at the edge.
FLAG_REASONS = {"unknown_code": N_("Code %(code)s of this source is not mapped")}


@dataclass
class _Prepared:
    index: int
    source_event_id: str
    code: str
    meaning: Any
    classifier: str
    time: datetime
    node: RouteNode | None
    unlocode: str | None
    unit: TransportUnit | None
    parent: TransportUnit | None
    shipment: Shipment | None
    leg: ShipmentLeg | None
    disposition: str | None
    raw: dict


def _where(event: dict, index: int, name: str) -> str:
    line = event.get("_line")
    return f"line {line}: {name}" if line else f"events[{index}].{name}"


def _text(event: dict, name: str) -> str:
    return str(event.get(name) or "").strip() if isinstance(event, dict) else ""


@dataclass
class _Named:
    """Everything a batch names, each kind read in one query."""

    nodes: dict[str, RouteNode]
    by_unlocode: dict[str, RouteNode]
    units: dict[str, list[TransportUnit]]
    legs: dict[str, ShipmentLeg]
    shipments: dict[str, Shipment]


def _candidates(event: dict, name: str, kind_name: str) -> set[str]:
    value = _text(event, name)
    if not value:
        return set()
    try:
        return unit_candidates(value, _text(event, kind_name) or None)
    except ValidationError:
        return set()  # the event's own check says so, in its turn


def _read_named(session: Session, events: list) -> _Named:
    dicts = [e for e in events if isinstance(e, dict)]
    codes = {clean(_text(e, "node")) for e in dicts if _text(e, "node")}
    unlocodes = {clean(_text(e, "unlocode")) for e in dicts if _text(e, "unlocode")}
    nodes: dict[str, RouteNode] = {}
    by_unlocode: dict[str, RouteNode] = {}
    if codes or unlocodes:
        for node in session.scalars(select(RouteNode).where(or_(
                RouteNode.code.in_(codes), RouteNode.unlocode.in_(unlocodes)))
                .order_by(RouteNode.id)):
            nodes[node.code] = node
            if node.unlocode:
                by_unlocode.setdefault(node.unlocode, node)
    wanted: set[str] = set()
    for e in dicts:
        wanted |= _candidates(e, "unit", "unit_kind") | _candidates(e, "parent", "parent_kind")
    units: dict[str, list[TransportUnit]] = {}
    if wanted:
        for unit in session.scalars(select(TransportUnit)
                                    .where(TransportUnit.identifier.in_(wanted))
                                    .options(joinedload(TransportUnit.shipment))):
            units.setdefault(unit.identifier, []).append(unit)
    awbs = set()
    for e in dicts:
        if _text(e, "awb"):
            try:
                awbs.add(validate_awb(_text(e, "awb"), "awb"))
            except ValidationError:
                pass
    legs: dict[str, ShipmentLeg] = {}
    if awbs:
        for leg in session.scalars(select(ShipmentLeg).where(or_(
                ShipmentLeg.transport_doc.in_(awbs), ShipmentLeg.house_doc.in_(awbs)))
                .options(joinedload(ShipmentLeg.shipment)).order_by(ShipmentLeg.id.desc())):
            for doc in (leg.transport_doc, leg.house_doc):
                if doc in awbs:
                    legs.setdefault(doc, leg)
    names = {_text(e, "shipment") for e in dicts if _text(e, "shipment")}
    shipments: dict[str, Shipment] = {}
    if names:
        stmt = scope_to_owner(select(Shipment).where(or_(Shipment.name.in_(names),
                                                         Shipment.reference.in_(names))),
                              Shipment.owner_id).order_by(Shipment.id)
        for shipment in session.scalars(stmt):
            for value in (shipment.name, shipment.reference):
                if value in names:
                    shipments.setdefault(value, shipment)
    return _Named(nodes, by_unlocode, units, legs, shipments)


def _unit(named: _Named, value: str, kind: str | None, field_name: str) -> TransportUnit:
    found = {u.id: u for c in unit_candidates(value, kind, field_name)
             for u in named.units.get(c, [])}
    return pick_unit(found.values(), value, kind, field_name)


def _prepare(named: _Named, scheme: str, index: int, event: dict, now: datetime,
             config: LogisticsConfig, seen: set) -> _Prepared | None:
    def f(name: str) -> str:
        return _where(event, index, name)
    if not isinstance(event, dict):
        raise ValidationError(N_("An event is an object"), field=f"events[{index}]")
    source_id = str(event.get("id") or "").strip()
    if not source_id:
        raise ValidationError(N_("This field is required"), field=f("id"))
    if len(source_id) > 80:
        raise ValidationError(N_("At most %(n)s characters"), field=f("id"), n=80)
    if source_id in seen:
        return None
    code = str(event.get("code") or "").strip()
    if not code or len(code) > 20:
        raise ValidationError(N_("This field is required"), field=f("code"))
    classifier = str(event.get("classifier") or "ACT").strip().upper()
    if classifier not in CLASSIFIERS:
        raise ValidationError(N_("Classifier is PLN, EST or ACT"), field=f("classifier"))
    when = aware(event.get("time"), f("time"), required=True)
    ahead = config.max_future_actual if classifier == "ACT" else config.max_future_planned
    if when - now > ahead:
        raise ValidationError(N_("Event time %(time)s is too far in the future"),
                              field=f("time"), time=when.isoformat())
    if when.year < 2000:
        raise ValidationError(N_("Event time %(time)s is too far in the past"),
                              field=f("time"), time=when.isoformat())
    node = None
    if event.get("node"):
        node = named.nodes.get(clean(str(event["node"])))
        if node is None:
            raise NotFound(N_("No route node %(code)s"), field=f("node"), code=event["node"])
    unlocode = clean(str(event.get("unlocode") or "")) or None
    if unlocode and not UNLOCODE.match(unlocode):
        raise ValidationError(N_("A UN/LOCODE is 2 letters and 3 letters or digits"),
                              field=f("unlocode"))
    if node is None and unlocode:
        node = named.by_unlocode.get(unlocode)
    if node is not None and not unlocode:
        unlocode = node.unlocode
    unit = parent = shipment = leg = None
    if event.get("unit"):
        unit = _unit(named, str(event["unit"]), event.get("unit_kind") or None, f("unit"))
        shipment = unit.shipment
    if event.get("parent"):
        parent = _unit(named, str(event["parent"]), event.get("parent_kind") or None,
                       f("parent"))
        if unit is None:
            raise ValidationError(N_("A parent is given for a unit: name the unit"),
                                  field=f("unit"))
    if event.get("awb"):
        awb = validate_awb(str(event["awb"]), f("awb"))
        leg = named.legs.get(awb)
        if leg is None or not visible_owner(leg.shipment.owner_id):
            raise NotFound(N_("No shipment with air waybill %(awb)s"), field=f("awb"), awb=awb)
        shipment = leg.shipment
    if event.get("shipment"):
        value = str(event["shipment"]).strip()
        shipment = named.shipments.get(value)
        if shipment is None:
            raise NotFound(N_("No shipment %(name)s"), field=f("shipment"), name=value)
    if unit is None and shipment is None:
        raise ValidationError(N_("Name a unit, a shipment or an air waybill"), field=f("unit"))
    found = meaning(scheme, code)
    disposition = event.get("disposition") or found.disposition
    raw = {k: (v.isoformat() if isinstance(v, datetime) else v)
           for k, v in event.items() if k != "_line"}
    return _Prepared(index, source_id, code, found, classifier, when, node, unlocode, unit,
                     parent, shipment, leg, disposition, raw)


class _Trees:
    """The unit trees a batch touches, held in memory so nesting can change event by event
    and each event still reaches what is inside its unit at that moment."""

    def __init__(self, session: Session, prepared: list[_Prepared]):
        named = {p.unit.id for p in prepared if p.unit} | \
            {p.parent.id for p in prepared if p.parent}
        ids = descendant_ids(session, named) | ancestor_ids(
            session, [p.parent.id for p in prepared if p.parent])
        self.units: dict[int, TransportUnit] = {}
        if ids:
            self.units = {u.id: u for u in session.scalars(
                select(TransportUnit).where(TransportUnit.id.in_(ids)))}
        self.parent = {u.id: u.parent_id for u in self.units.values()}
        self.moved: set[int] = set()
        self.repacked: dict[int, int | None] = {}   # unit id: its parent before the batch
        self.children: dict[int | None, set[int]] = {}
        for unit_id, parent_id in self.parent.items():
            self.children.setdefault(parent_id, set()).add(unit_id)

    def parent_of(self, unit: TransportUnit) -> TransportUnit | None:
        return self.units.get(self.parent.get(unit.id))

    def pack(self, child: TransportUnit, parent: TransportUnit | None) -> None:
        if parent is not None:
            check_nesting(child, parent, self.parent_of)
        self.repacked.setdefault(child.id, child.parent_id)
        set_committed_value(child, "parent_id", parent.id if parent is not None else None)
        set_committed_value(child, "parent", parent)
        self.children.get(self.parent.get(child.id), set()).discard(child.id)
        self.parent[child.id] = child.parent_id
        self.children.setdefault(child.parent_id, set()).add(child.id)

    def move(self, unit_ids: list[int], status: str, at: datetime, placed: bool,
             node: RouteNode | None, place: str | None) -> None:
        """Status and place of the units whose latest event this is (in memory; written by
        ``write_positions`` in one statement)."""
        for unit_id in unit_ids:
            unit = self.units[unit_id]
            if unit.status_at is not None and unit.status_at > at:
                continue
            values = dict(status=status, status_at=at)
            if placed:
                values.update(current_node_id=node.id if node else None, current_place=place)
            for name, value in values.items():
                set_committed_value(unit, name, value)
            if placed:
                set_committed_value(unit, "current_node", node)
            self.moved.add(unit_id)

    def write_positions(self, session: Session, now: datetime) -> None:
        """One UPDATE (many rows) for every unit an event moved or repacked, and one INSERT
        of the audit rows a changed parent owes (``parent_id`` is a tracked field)."""
        changed = sorted(self.moved | set(self.repacked))
        if not changed:
            return
        actor = current_actor()
        session.execute(update(TransportUnit), [
            dict(id=u.id, parent_id=u.parent_id, status=u.status, status_at=u.status_at,
                 current_node_id=u.current_node_id, current_place=u.current_place,
                 updated_at=now, updated_by_id=actor.user_id)
            for u in (self.units[i] for i in changed)])
        audit = [dict(model=TransportUnit.__tablename__, record_id=unit_id, kind="write",
                      field="parent_id", old_value=None if before is None else str(before),
                      new_value=None if self.parent[unit_id] is None
                      else str(self.parent[unit_id]), note=None, user_id=actor.user_id,
                      user_login=actor.login, at=now)
                 for unit_id, before in sorted(self.repacked.items())
                 if before != self.parent[unit_id]]
        if audit:
            session.execute(insert(AuditEvent), audit)

    def inside(self, root: int) -> list[int]:
        """The unit and everything in it now, by id."""
        out, todo = [], [root]
        while todo:
            current = todo.pop()
            out.append(current)
            todo += self.children.get(current, ())
        return sorted(out)


def ingest_events(session: Session, source: str, events: list[dict], *,
                  now: datetime | None = None,
                  config: LogisticsConfig = DEFAULT_CONFIG) -> IngestResult:
    """Record a batch of events from one source. All or nothing: an invalid event raises a
    ValidationError naming ``events[i].field`` (or ``line n: field`` for parsed CSV) and
    nothing is written. An event whose (source, id) is already stored, or repeated in the
    batch, is skipped and counted as a duplicate."""
    now = now or utcnow()
    scheme = scheme_of(source)
    result = IngestResult(received=len(events or []))
    if not isinstance(events, list):
        raise ValidationError(N_("Events must be a list"), field="events")
    ids = [_text(e, "id") for e in events if _text(e, "id")]
    stored: set[str] = set()
    if ids:
        stored = set(session.scalars(select(TrackingEvent.source_event_id).where(
            TrackingEvent.source == source, TrackingEvent.source_event_id.in_(set(ids)))))
    named = _read_named(session, events)
    seen = set(stored)
    prepared: list[_Prepared] = []
    for i, event in enumerate(events):
        item = _prepare(named, scheme, i, event, now, config, seen)
        if item is None:
            result.duplicates += 1
            result.duplicate_ids.append(str(event.get("id")).strip())
            continue
        seen.add(item.source_event_id)
        prepared.append(item)
    if not prepared:
        return result
    trees = _Trees(session, prepared)
    shipments = _shipments(session, prepared, trees)
    touched: dict[int, tuple[Shipment, str]] = {}
    recorded: list[tuple[dict, list[int]]] = []
    for item in sorted(prepared, key=lambda p: (p.time, p.index)):
        recorded.append(_record(source, item, now, trees, shipments, touched))
    session.flush()
    trees.write_positions(session, now)
    # Matched back by source id (unique in the batch): RETURNING's row order is not one
    # every database keeps, and asking for it makes SQLite insert row by row.
    new_ids = dict((sid, eid) for eid, sid in session.execute(
        insert(TrackingEvent.__table__).returning(TrackingEvent.__table__.c.id,
                                                  TrackingEvent.__table__.c.source_event_id),
        [row for row, _ in recorded]))
    event_ids = [new_ids[row["source_event_id"]] for row, _ in recorded]
    links = [dict(event_id=event_id, unit_id=u)
             for event_id, (_, unit_ids) in zip(event_ids, recorded) for u in unit_ids]
    if links:
        session.execute(insert(TrackingEventUnit), links)
    result.event_ids = event_ids
    result.accepted = len(event_ids)
    result.flagged = sum(int(row["flagged"]) for row, _ in recorded)
    raised = estimate_shipments(session, [s for s, _ in touched.values()], now=now,
                                config=config)
    result.alerts += [a.id for a in raised]
    for shipment, before in touched.values():
        if shipment.status != before:
            queue_status_change(session, shipment, before, now=now)
    session.flush()
    return result


def _shipments(session: Session, prepared: list[_Prepared],
               trees: _Trees) -> dict[int, Shipment]:
    """Every shipment the batch may move, with its legs, lanes and stops, in one go."""
    ids = {u.shipment_id for u in trees.units.values() if u.shipment_id} | \
        {p.shipment.id for p in prepared if p.shipment}
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(
        select(Shipment).where(Shipment.id.in_(ids))
        .options(selectinload(Shipment.legs).selectinload(ShipmentLeg.lane)
                 .selectinload(RouteLane.stops)))}


def _record(source: str, item: _Prepared, now: datetime, trees: _Trees,
            shipments: dict[int, Shipment], touched: dict) -> tuple[dict, list[int]]:
    """Apply one event to the trees and shipments in memory; the event's row to insert and
    the units it reached."""
    found = item.meaning
    flagged = found is UNKNOWN
    event = dict(
        source=source, source_event_id=item.source_event_id, source_code=item.code[:20],
        event_type="aggregation" if item.parent is not None else "object",
        classifier=item.classifier, milestone=found.milestone, biz_step=found.biz_step,
        disposition=item.disposition, status=found.status, flagged=flagged,
        flag_reason="unknown_code" if flagged else None,
        event_time=item.time, time_zone=offset(item.time), recorded_at=now,
        node_id=item.node.id if item.node else None, unlocode=item.unlocode,
        shipment_id=item.shipment.id if item.shipment else None,
        leg_id=item.leg.id if item.leg else None,
        unit_id=item.unit.id if item.unit else None,
        parent_unit_id=item.parent.id if item.parent else None,
        raw=json.dumps(item.raw, ensure_ascii=False, sort_keys=True, default=str))
    actual = item.classifier == "ACT" and not flagged
    unit_ids: list[int] = []
    if item.unit is not None:
        unit = item.unit
        newest = unit.status_at is None or item.time >= unit.status_at
        # Packing follows the unit's newest event only: a late "load" must not undo a
        # later "unload".
        if actual and newest and item.parent is not None:
            if found.milestone in PACKING_MILESTONES:
                trees.pack(unit, item.parent)
            elif found.milestone in UNPACKING_MILESTONES and \
                    trees.parent.get(unit.id) == item.parent.id:
                trees.pack(unit, None)
        elif actual and newest and found.milestone in UNPACKING_MILESTONES \
                and trees.parent.get(unit.id) is not None and item.parent is None:
            trees.pack(unit, None)
        unit_ids = trees.inside(unit.id)
        if actual:
            trees.move(unit_ids, found.status, item.time, item.node is not None or
                       bool(item.unlocode), item.node, item.unlocode)
    own = {item.shipment.id} if item.shipment else set()
    carried = {trees.units[u].shipment_id for u in unit_ids
               if trees.units[u].shipment_id} - own
    for shipment_id in sorted(own | carried):
        shipment = shipments[shipment_id]
        touched.setdefault(shipment.id, (shipment, shipment.status))
        # A unit loaded into another shipment's unit keeps its own shipment: the carrier's
        # event moves that shipment only at a place on its own route (see units.py).
        if actual and (shipment_id in own or on_route(shipment, item.node)):
            _apply_to_shipment(shipment, item, found.milestone, found.status)
    return event, unit_ids


def _apply_to_shipment(shipment: Shipment, item: _Prepared, milestone: str,
                       status: str) -> None:
    if shipment.status_at is None or item.time >= shipment.status_at:
        shipment.status = status
        shipment.status_at = item.time
        if item.node is not None or item.unlocode:
            shipment.current_node_id = item.node.id if item.node else None
            shipment.current_place = item.unlocode
    if shipment.state == "booked" and status != "pending":
        shipment.transition("in_transit", reason=f"{item.code} {item.source_event_id}")
    if shipment.status == "delivered" and shipment.can_transition("delivered"):
        shipment.transition("delivered", reason=f"{item.code} {item.source_event_id}")
    legs = [item.leg] if item.leg is not None else list(shipment.legs)
    node_id = item.node.id if item.node else None
    for leg in legs:
        if leg.state == "cancelled":
            continue
        at_start = node_id == leg.from_node_id or (node_id is None and item.leg is not None)
        at_end = node_id == leg.to_node_id or (node_id is None and item.leg is not None)
        if milestone == "departed" and at_start:
            if leg.actual_departure is None or item.time < leg.actual_departure:
                leg.actual_departure = item.time
            if leg.state == "planned":
                leg.transition("in_transit", reason=item.source_event_id)
        elif milestone not in DEPARTURE_MILESTONES and at_end:
            if leg.actual_arrival is None or item.time < leg.actual_arrival:
                leg.actual_arrival = item.time
            if leg.can_transition("arrived"):
                leg.transition("arrived", reason=item.source_event_id)
        elif node_id is not None and leg.state == "planned" and milestone != "booked" and \
                node_id in [n.id for n in leg_path(leg)[1:-1]]:
            leg.transition("in_transit", reason=item.source_event_id)


def ingest_csv(session: Session, source: str, text: str, *, now: datetime | None = None,
               config: LogisticsConfig = DEFAULT_CONFIG) -> IngestResult:
    """Parse and ingest a CSV of events; errors name the line and the column."""
    return ingest_events(session, source, parse_events_csv(text), now=now, config=config)
