"""Logistics use cases: the route network, shipments and legs, nesting transport units,
event ingestion, estimates and late-leg alerts.

Events are checked as a whole batch before anything is written (all or nothing), duplicates
by source and source event id are skipped; an event on an outer unit is linked to every unit
inside it at that moment. Status and position are moved only by an actual event newer than
the one they show, so events arriving out of order land where their time puts them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import get_scoped, scope_to_owner, visible_owner
from wms.inventory.models import Package, Warehouse
from wms.partners.models import Enterprise

from . import eta
from .eta import DEFAULT_CONFIG, LogisticsConfig
from .events import (DEPARTURE_MILESTONES, PACKING_MILESTONES, UNKNOWN, UNPACKING_MILESTONES,
                     meaning, scheme_of)
from .identifiers import (clean, validate_awb, validate_container, validate_s10,
                          validate_sscc)
from .models import (CARRIAGE_MODES, CLASSIFIERS, MODES, NODE_KINDS, UNIT_KINDS, UNIT_RANKS,
                     LogisticsAlert, RouteLane, RouteNode, Shipment,
                     ShipmentLeg, TrackingEvent, TrackingEventUnit, TransportUnit)
from .webhooks import queue_status_change

UNLOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
FREE_ID = re.compile(r"^[A-Z0-9][A-Z0-9/._-]{1,39}$")
ULD_ID = re.compile(r"^[A-Z]{3}[0-9]{4,5}[A-Z0-9]{2}$")
FLIGHT_ID = re.compile(r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?(/[0-9]{8})?$")


def _aware(value: Any, field: str, required: bool = False) -> datetime | None:
    if value in (None, ""):
        if required:
            raise ValidationError(N_("This field is required"), field=field)
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                                  field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"), field=field)
    return parsed


def _offset(value: datetime) -> str:
    minutes = int(value.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# -- route network --------------------------------------------------------------------------

def get_node(session: Session, code: str, field: str = "node") -> RouteNode:
    node = session.scalar(select(RouteNode).where(RouteNode.code == clean(code)))
    if node is None:
        raise NotFound(N_("No route node %(code)s"), field=field, code=code)
    return node


def list_nodes(session: Session, kind: str | None = None) -> list[RouteNode]:
    stmt = select(RouteNode).where(RouteNode.active.is_(True)).order_by(RouteNode.code)
    if kind:
        stmt = stmt.where(RouteNode.kind == kind)
    return list(session.scalars(stmt))


def create_node(session: Session, *, code: str, name: str, kind: str, country: str,
                latitude: float, longitude: float, unlocode: str | None = None,
                iata: str | None = None, border: bool = False, gauge_change: bool = False,
                dwell_hours: float = 0.0, name_zh: str | None = None,
                warehouse: Warehouse | None = None) -> RouteNode:
    """A node of the network (a warehouse, a new terminal)."""
    code = clean(code)
    if not FREE_ID.match(code) or len(code) > 20:
        raise ValidationError(N_("A node code is 2-20 letters, digits or _ - / ."), field="code")
    if kind not in NODE_KINDS:
        raise ValidationError(N_("Unknown node kind %(kind)s"), field="kind", kind=kind)
    if not re.match(r"^[A-Z]{2}$", clean(country)):
        raise ValidationError(N_("A country code is 2 letters"), field="country")
    if not (-90 <= float(latitude) <= 90) or not (-180 <= float(longitude) <= 180):
        raise ValidationError(N_("Coordinates out of range"), field="latitude")
    if unlocode and not UNLOCODE.match(clean(unlocode)):
        raise ValidationError(N_("A UN/LOCODE is 2 letters and 3 letters or digits"),
                              field="unlocode")
    if float(dwell_hours) < 0:
        raise ValidationError(N_("Dwell cannot be negative"), field="dwell_hours")
    if session.scalar(select(RouteNode.id).where(RouteNode.code == code)):
        raise Conflict(N_("Route node %(code)s exists"), field="code", code=code)
    node = RouteNode(code=code, name=name, name_zh=name_zh, kind=kind, country=clean(country),
                     latitude=float(latitude), longitude=float(longitude),
                     unlocode=clean(unlocode) or None, iata=clean(iata) or None,
                     border=border, gauge_change=gauge_change, dwell_hours=float(dwell_hours),
                     warehouse_id=warehouse.id if warehouse else None)
    session.add(node)
    session.flush()
    return node


def _lanes(session: Session, mode: str) -> list[RouteLane]:
    return list(session.scalars(select(RouteLane).where(RouteLane.mode == mode,
                                                        RouteLane.active.is_(True))
                                .order_by(RouteLane.code)))


def _slice(lane: RouteLane, from_id: int, to_id: int) -> list[RouteNode] | None:
    ids = [s.node_id for s in lane.stops]
    if from_id in ids and to_id in ids and ids.index(from_id) < ids.index(to_id):
        return [s.node for s in lane.stops][ids.index(from_id):ids.index(to_id) + 1]
    return None


def find_lane(session: Session, mode: str, from_node: RouteNode,
              to_node: RouteNode) -> RouteLane | None:
    """The lane of the mode that passes both nodes in order by the shortest way."""
    best = None
    for lane in _lanes(session, mode):
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


# -- shipments and legs ---------------------------------------------------------------------

@dataclass
class LegInput:
    """One leg as given (desk form, API), node codes and ISO times, before it is checked."""

    mode: str
    from_node: str
    to_node: str
    carrier_id: int | None = None
    carrier_name: str | None = None
    service_ref: str | None = None
    transport_doc: str | None = None
    house_doc: str | None = None
    planned_departure: Any = None
    planned_arrival: Any = None
    lane: str | None = None
    carriage_mode: str | None = None


def create_shipment(session: Session, *, owner_id: int | None = None,
                    warehouse_code: str | None = None, reference: str | None = None,
                    legs: Sequence[LegInput] = (), note: str | None = None,
                    book: bool = False, now: datetime | None = None,
                    config: LogisticsConfig = DEFAULT_CONFIG) -> Shipment:
    """A draft shipment with its legs; ``book=True`` books it at once (name, estimates)."""
    if owner_id is not None:
        owner = session.get(Enterprise, owner_id)
        if owner is None or not visible_owner(owner_id):
            raise NotFound(N_("Enterprise %(id)s not found"), field="owner_id", id=owner_id)
    elif _actor_is_owner_bound():
        raise ValidationError(N_("Choose the owner of the shipment"), field="owner_id")
    warehouse = None
    if warehouse_code:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
        if warehouse is None:
            raise NotFound(N_("No warehouse %(code)s"), field="warehouse_code",
                           code=warehouse_code)
    shipment = Shipment(owner_id=owner_id, warehouse_id=warehouse.id if warehouse else None,
                        reference=(reference or "").strip() or None, note=note,
                        state="draft", status="pending")
    session.add(shipment)
    session.flush()
    for i, leg in enumerate(legs):
        add_leg(session, shipment, leg, field_prefix=f"legs[{i}]." if len(legs) > 1 else "")
    if book:
        book_shipment(session, shipment, now=now, config=config)
    return shipment


def _actor_is_owner_bound() -> bool:
    from wms.core.context import current_actor
    return current_actor().owner_ids is not None


def add_leg(session: Session, shipment: Shipment, given: LegInput,
            field_prefix: str = "") -> ShipmentLeg:
    """Append a leg; it starts where the previous one ends."""
    def f(name: str) -> str:
        return f"{field_prefix}{name}"
    if shipment.state not in ("draft", "booked"):
        raise Conflict(N_("Legs can only be added before the shipment leaves"), field="state")
    mode = (given.mode or "").strip().lower()
    if mode not in MODES:
        raise ValidationError(N_("Mode must be one of %(modes)s"), field=f("mode"),
                              modes=", ".join(MODES))
    carriage = (given.carriage_mode or "").strip().lower() or None
    if carriage is not None and (mode != "post" or carriage not in CARRIAGE_MODES):
        raise ValidationError(N_("Only a postal leg names the mode that carries it (rail, air, "
                                 "road or sea)"), field=f("carriage_mode"))
    origin = get_node(session, given.from_node, f("from_node"))
    destination = get_node(session, given.to_node, f("to_node"))
    if origin.id == destination.id:
        raise ValidationError(N_("A leg goes somewhere: its two ends are the same"),
                              field=f("to_node"))
    legs = list(shipment.legs)
    if legs and legs[-1].to_node_id != origin.id:
        raise ValidationError(N_("This leg must start where the previous one ends (%(node)s)"),
                              field=f("from_node"), node=legs[-1].to_node.code)
    planned_dep = _aware(given.planned_departure, f("planned_departure"))
    planned_arr = _aware(given.planned_arrival, f("planned_arrival"))
    if planned_dep and planned_arr and planned_arr <= planned_dep:
        raise ValidationError(N_("Planned arrival must be after planned departure"),
                              field=f("planned_arrival"))
    transport_doc = (given.transport_doc or "").strip() or None
    if mode == "air" and transport_doc:
        transport_doc = validate_awb(transport_doc, f("transport_doc"))
    house_doc = clean(given.house_doc) or None
    if house_doc and not FREE_ID.match(house_doc):
        raise ValidationError(N_("A house waybill is letters and digits"), field=f("house_doc"))
    if given.lane:
        lane = session.scalar(select(RouteLane).where(RouteLane.code == clean(given.lane)))
        if lane is None:
            raise NotFound(N_("No lane %(code)s"), field=f("lane"), code=given.lane)
        if lane.mode != mode or _slice(lane, origin.id, destination.id) is None:
            raise ValidationError(N_("Lane %(code)s does not run from %(origin)s to "
                                     "%(destination)s by %(mode)s"), field=f("lane"),
                                  code=lane.code, origin=origin.code,
                                  destination=destination.code, mode=mode)
    else:
        lane = find_lane(session, mode, origin, destination)
    if carriage is None and mode == "post" and lane is not None:
        carriage = lane.carriage_mode
    leg = ShipmentLeg(shipment=shipment, seq=len(legs) + 1, mode=mode, carriage_mode=carriage,
                      carrier_id=given.carrier_id, carrier_name=given.carrier_name,
                      service_ref=(given.service_ref or "").strip() or None,
                      transport_doc=transport_doc, house_doc=house_doc,
                      from_node=origin, to_node=destination, lane=lane,
                      planned_departure=planned_dep, planned_arrival=planned_arr,
                      state="planned")
    session.add(leg)
    session.flush()
    return leg


def book_shipment(session: Session, shipment: Shipment, *, now: datetime | None = None,
                  config: LogisticsConfig = DEFAULT_CONFIG) -> Shipment:
    """Give the shipment its reference and its first estimates."""
    if not shipment.legs:
        raise ValidationError(N_("A shipment needs at least one leg"), field="legs")
    shipment.transition("booked")
    prefix = "SHP"
    if shipment.warehouse_id:
        prefix = f"{session.get(Warehouse, shipment.warehouse_id).code}/SHP"
    shipment.assign_name(session, prefix)
    shipment.origin_node_id = shipment.legs[0].from_node_id
    shipment.destination_node_id = shipment.legs[-1].to_node_id
    session.flush()
    estimate_shipment(session, shipment, now=now, config=config)
    return shipment


def cancel_shipment(session: Session, shipment: Shipment, reason: str | None = None) -> None:
    shipment.transition("cancelled", reason=reason)
    for leg in shipment.legs:
        if leg.can_transition("cancelled"):
            leg.transition("cancelled", reason=reason)
    session.flush()


def get_shipment(session: Session, shipment_id: int) -> Shipment:
    """A shipment the acting user may see, or NotFound."""
    return get_scoped(session, Shipment, shipment_id)


def find_shipment(session: Session, name_or_reference: str,
                  field: str = "shipment") -> Shipment:
    value = (name_or_reference or "").strip()
    stmt = scope_to_owner(select(Shipment).where(or_(Shipment.name == value,
                                                     Shipment.reference == value)),
                          Shipment.owner_id).order_by(Shipment.id)
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(N_("No shipment %(name)s"), field=field, name=value)
    return found


def list_shipments(session: Session, *, state: str | None = None, status: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[Shipment]:
    stmt = scope_to_owner(select(Shipment), Shipment.owner_id)
    if state:
        stmt = stmt.where(Shipment.state == state)
    if status:
        stmt = stmt.where(Shipment.status == status)
    return list(session.scalars(stmt.order_by(Shipment.id.desc()).limit(limit).offset(offset)))


def shipment_events(session: Session, shipment: Shipment,
                    classifiers: Iterable[str] = CLASSIFIERS) -> list[TrackingEvent]:
    """The shipment's timeline: its own events and those of its units (outer units'
    events included), in event time order."""
    unit_events = (select(TrackingEventUnit.event_id)
                   .join(TransportUnit, TransportUnit.id == TrackingEventUnit.unit_id)
                   .where(TransportUnit.shipment_id == shipment.id))
    stmt = (select(TrackingEvent)
            .where(or_(TrackingEvent.shipment_id == shipment.id,
                       TrackingEvent.id.in_(unit_events)),
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


# -- transport units ------------------------------------------------------------------------

def normalise_unit_id(kind: str, identifier: str, field: str = "identifier") -> tuple[str, str]:
    """The identifier as stored and its scheme; check digits verified where there are any."""
    if kind not in UNIT_KINDS:
        raise ValidationError(N_("Unknown unit kind %(kind)s"), field="kind", kind=kind)
    raw = clean(identifier)
    if not raw:
        raise ValidationError(N_("This field is required"), field=field)
    if kind == "parcel":
        if re.match(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$", raw):
            return validate_s10(raw, field), "s10"
        if re.match(r"^(\(00\))?[0-9]{18,20}$", raw):
            return validate_sscc(raw, field), "sscc"
        if FREE_ID.match(raw):
            return raw, "waybill"
    elif kind in ("pallet", "bag"):
        if re.match(r"^(\(00\))?[0-9]{18,20}$", raw) or kind == "pallet":
            return validate_sscc(raw, field), "sscc"
        if FREE_ID.match(raw) or re.match(r"^[A-Z0-9]{20,29}$", raw):
            return raw, "receptacle"
    elif kind == "container":
        return validate_container(raw, field), "iso6346"
    elif kind == "uld":
        if ULD_ID.match(raw):
            return raw, "uld"
        raise ValidationError(N_("A ULD number is 3 letters, 4 or 5 digits and the owner's "
                                 "2-character code, like AKE12345CA"), field=field)
    elif kind == "flight":
        if FLIGHT_ID.match(raw):
            return raw, "flight"
        raise ValidationError(N_("A flight is the airline code and number, optionally "
                                 "/YYYYMMDD, like CA1041/20261127"), field=field)
    elif FREE_ID.match(raw):  # wagon, train
        return raw, kind
    raise ValidationError(N_("%(value)s is not a valid %(kind)s number"), field=field,
                          value=identifier, kind=kind)


def create_unit(session: Session, kind: str, identifier: str, *,
                parent: TransportUnit | None = None, shipment: Shipment | None = None,
                package: Package | None = None) -> TransportUnit:
    identifier, scheme = normalise_unit_id(kind, identifier)
    if session.scalar(select(TransportUnit.id).where(TransportUnit.kind == kind,
                                                     TransportUnit.identifier == identifier)):
        raise Conflict(N_("%(kind)s %(identifier)s is already registered"), field="identifier",
                       kind=kind, identifier=identifier)
    unit = TransportUnit(kind=kind, identifier=identifier, scheme=scheme,
                         shipment_id=shipment.id if shipment else None,
                         package_id=package.id if package else None)
    session.add(unit)
    session.flush()
    if parent is not None:
        pack_unit(session, unit, parent)
    return unit


def find_unit(session: Session, identifier: str, kind: str | None = None,
              field: str = "unit") -> TransportUnit:
    """A unit by its number (S10, SSCC, container...); ``kind`` settles an ambiguity."""
    value = clean(identifier, drop="-") if kind != "uld" else clean(identifier)
    if kind:
        value, _ = normalise_unit_id(kind, identifier, field)
    candidates = {value, clean(identifier)}
    if value.startswith("(00)"):
        candidates.add(value[4:])
    stmt = select(TransportUnit).where(TransportUnit.identifier.in_(candidates))
    if kind:
        stmt = stmt.where(TransportUnit.kind == kind)
    found = list(session.scalars(stmt))
    if not found:
        raise NotFound(N_("No transport unit %(identifier)s"), field=field,
                       identifier=identifier)
    if len(found) > 1:
        raise ValidationError(N_("%(identifier)s names several units: give the kind"),
                              field=field, identifier=identifier)
    unit = found[0]
    if unit.shipment_id is not None and not visible_owner(unit.shipment.owner_id):
        raise NotFound(N_("No transport unit %(identifier)s"), field=field,
                       identifier=identifier)
    return unit


def pack_unit(session: Session, child: TransportUnit, parent: TransportUnit | None) -> None:
    """Put ``child`` into ``parent`` (None takes it out). Nothing ends up inside itself, and
    a unit only goes into a larger kind (parcel < bag, pallet < container, ULD < wagon <
    train, flight)."""
    if parent is not None:
        ancestor: TransportUnit | None = parent
        while ancestor is not None:
            if ancestor.id == child.id:
                raise ValidationError(N_("%(identifier)s cannot be packed into itself"),
                                      field="parent", identifier=child.identifier)
            ancestor = ancestor.parent
        if UNIT_RANKS[parent.kind] <= UNIT_RANKS[child.kind]:
            raise ValidationError(N_("A %(child)s cannot go into a %(parent)s"), field="parent",
                                  child=child.kind, parent=parent.kind)
    child.parent = parent
    session.flush()


def unit_contents(session: Session, unit: TransportUnit) -> list[TransportUnit]:
    """Everything inside the unit, however deep."""
    ids = _descendant_ids(session, [unit.id]) - {unit.id}
    if not ids:
        return []
    return list(session.scalars(select(TransportUnit).where(TransportUnit.id.in_(ids))
                                .order_by(TransportUnit.id)))


def _descendant_ids(session: Session, roots: Iterable[int]) -> set[int]:
    roots = list(roots)
    if not roots:
        return set()
    tree = select(TransportUnit.id).where(TransportUnit.id.in_(roots)).cte(recursive=True)
    tree = tree.union_all(select(TransportUnit.id)
                          .where(TransportUnit.parent_id == tree.c.id))
    return set(session.scalars(select(tree.c.id)))


def attach_unit(session: Session, unit: TransportUnit, shipment: Shipment) -> None:
    """The unit travels on the shipment."""
    if shipment.state in ("delivered", "cancelled"):
        raise Conflict(N_("Shipment %(name)s is %(state)s"), field="shipment",
                       name=shipment.name, state=shipment.state)
    unit.shipment_id = shipment.id
    session.flush()


def unit_for_package(session: Session, sscc: str, *, shipment: Shipment | None = None,
                     parent: TransportUnit | None = None) -> TransportUnit:
    """The transport unit of a warehouse package, made the first time (no retyping): a
    pallet stays a pallet, a carton travels as a parcel, a bag as a bag. Attaches it to the
    shipment and puts it into ``parent`` when given."""
    number = validate_sscc(sscc, "sscc")
    package = session.scalar(select(Package).where(Package.sscc == number))
    if package is None or not visible_owner(package.owner_id) and package.owner_id is not None:
        raise NotFound(N_("No package with SSCC %(sscc)s"), field="sscc", sscc=number)
    unit = session.scalar(select(TransportUnit).where(TransportUnit.package_id == package.id))
    if unit is None:
        kind = {"pallet": "pallet", "carton": "parcel", "bag": "bag"}[package.kind]
        existing = session.scalar(select(TransportUnit).where(
            TransportUnit.identifier == number, TransportUnit.kind == kind))
        if existing is not None:
            existing.package_id = package.id
            unit = existing
        else:
            unit = create_unit(session, kind, number, package=package)
    if shipment is not None:
        if shipment.owner_id is not None and package.owner_id not in (None, shipment.owner_id):
            raise ValidationError(N_("Package %(sscc)s belongs to another owner"),
                                  field="sscc", sscc=number)
        attach_unit(session, unit, shipment)
    if parent is not None:
        pack_unit(session, unit, parent)
    session.flush()
    return unit


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


def _prepare(session: Session, scheme: str, index: int, event: dict, now: datetime,
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
    when = _aware(event.get("time"), f("time"), required=True)
    ahead = config.max_future_actual if classifier == "ACT" else config.max_future_planned
    if when - now > ahead:
        raise ValidationError(N_("Event time %(time)s is too far in the future"),
                              field=f("time"), time=when.isoformat())
    if when.year < 2000:
        raise ValidationError(N_("Event time %(time)s is too far in the past"),
                              field=f("time"), time=when.isoformat())
    node = None
    if event.get("node"):
        node = get_node(session, str(event["node"]), f("node"))
    unlocode = clean(str(event.get("unlocode") or "")) or None
    if unlocode and not UNLOCODE.match(unlocode):
        raise ValidationError(N_("A UN/LOCODE is 2 letters and 3 letters or digits"),
                              field=f("unlocode"))
    if node is None and unlocode:
        node = session.scalars(select(RouteNode).where(RouteNode.unlocode == unlocode)
                               .order_by(RouteNode.id)).first()
    if node is not None and not unlocode:
        unlocode = node.unlocode
    unit = parent = shipment = leg = None
    if event.get("unit"):
        unit = find_unit(session, str(event["unit"]), event.get("unit_kind") or None, f("unit"))
        shipment = unit.shipment
    if event.get("parent"):
        parent = find_unit(session, str(event["parent"]), event.get("parent_kind") or None,
                           f("parent"))
        if unit is None:
            raise ValidationError(N_("A parent is given for a unit: name the unit"),
                                  field=f("unit"))
    if event.get("awb"):
        awb = validate_awb(str(event["awb"]), f("awb"))
        leg = session.scalars(select(ShipmentLeg).where(or_(ShipmentLeg.transport_doc == awb,
                                                            ShipmentLeg.house_doc == awb))
                              .order_by(ShipmentLeg.id.desc())).first()
        if leg is None or not visible_owner(leg.shipment.owner_id):
            raise NotFound(N_("No shipment with air waybill %(awb)s"), field=f("awb"), awb=awb)
        shipment = leg.shipment
    if event.get("shipment"):
        shipment = find_shipment(session, str(event["shipment"]), f("shipment"))
    if unit is None and shipment is None:
        raise ValidationError(N_("Name a unit, a shipment or an air waybill"), field=f("unit"))
    found = meaning(scheme, code)
    disposition = event.get("disposition") or found.disposition
    raw = {k: (v.isoformat() if isinstance(v, datetime) else v)
           for k, v in event.items() if k != "_line"}
    return _Prepared(index, source_id, code, found, classifier, when, node, unlocode, unit,
                     parent, shipment, leg, disposition, raw)


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
    ids = [str(e.get("id") or "").strip() for e in events if isinstance(e, dict)]
    stored = set()
    for chunk in range(0, len(ids), 500):
        stored |= set(session.scalars(select(TrackingEvent.source_event_id).where(
            TrackingEvent.source == source,
            TrackingEvent.source_event_id.in_(ids[chunk:chunk + 500]))))
    seen = set(stored)
    prepared: list[_Prepared] = []
    for i, event in enumerate(events):
        item = _prepare(session, scheme, i, event, now, config, seen)
        if item is None:
            result.duplicates += 1
            result.duplicate_ids.append(str(event.get("id")).strip())
            continue
        seen.add(item.source_event_id)
        prepared.append(item)
    touched: dict[int, tuple[Shipment, str]] = {}
    for item in sorted(prepared, key=lambda p: (p.time, p.index)):
        event = _record(session, source, item, now, touched)
        result.event_ids.append(event.id)
        result.accepted += 1
        result.flagged += int(event.flagged)
    for shipment, before in touched.values():
        if shipment.state not in ("draft", "cancelled"):
            result.alerts += [a.id for a in estimate_shipment(session, shipment, now=now,
                                                              config=config)]
        if shipment.status != before:
            queue_status_change(session, shipment, before, now=now)
    session.flush()
    return result


def _record(session: Session, source: str, item: _Prepared, now: datetime,
            touched: dict) -> TrackingEvent:
    found = item.meaning
    flagged = found is UNKNOWN
    event = TrackingEvent(
        source=source, source_event_id=item.source_event_id, source_code=item.code[:20],
        event_type="aggregation" if item.parent is not None else "object",
        classifier=item.classifier, milestone=found.milestone, biz_step=found.biz_step,
        disposition=item.disposition, status=found.status, flagged=flagged,
        flag_reason=(f"unknown code {item.code}" if flagged else None),
        event_time=item.time, time_zone=_offset(item.time), recorded_at=now,
        node_id=item.node.id if item.node else None, unlocode=item.unlocode,
        shipment_id=item.shipment.id if item.shipment else None,
        leg_id=item.leg.id if item.leg else None,
        unit_id=item.unit.id if item.unit else None,
        parent_unit_id=item.parent.id if item.parent else None,
        raw=json.dumps(item.raw, ensure_ascii=False, sort_keys=True, default=str))
    session.add(event)
    session.flush()
    actual = item.classifier == "ACT" and not flagged
    unit_ids: set[int] = set()
    if item.unit is not None:
        newest = item.unit.status_at is None or item.time >= item.unit.status_at
        # Packing follows the unit's newest event only: a late "load" must not undo a
        # later "unload".
        if actual and newest and item.parent is not None:
            if found.milestone in PACKING_MILESTONES:
                pack_unit(session, item.unit, item.parent)
            elif found.milestone in UNPACKING_MILESTONES and \
                    item.unit.parent_id == item.parent.id:
                pack_unit(session, item.unit, None)
        elif actual and newest and found.milestone in UNPACKING_MILESTONES \
                and item.unit.parent_id is not None and item.parent is None:
            pack_unit(session, item.unit, None)
        unit_ids = _descendant_ids(session, [item.unit.id])
        session.execute(insert(TrackingEventUnit),
                        [dict(event_id=event.id, unit_id=u) for u in sorted(unit_ids)])
        if actual:
            values = dict(status=found.status, status_at=item.time)
            if item.node is not None or item.unlocode:
                values.update(current_node_id=item.node.id if item.node else None,
                              current_place=item.unlocode)
            session.execute(update(TransportUnit)
                            .where(TransportUnit.id.in_(unit_ids),
                                   or_(TransportUnit.status_at.is_(None),
                                       TransportUnit.status_at <= item.time))
                            .values(**values).execution_options(synchronize_session=False))
            for obj in list(session.identity_map.values()):
                if isinstance(obj, TransportUnit) and obj.id in unit_ids:
                    session.expire(obj, list(values))
    shipments = {item.shipment.id: item.shipment} if item.shipment else {}
    if unit_ids:
        for shipment in session.scalars(select(Shipment).join(
                TransportUnit, TransportUnit.shipment_id == Shipment.id)
                .where(TransportUnit.id.in_(unit_ids)).distinct()):
            shipments[shipment.id] = shipment
    for shipment in shipments.values():
        touched.setdefault(shipment.id, (shipment, shipment.status))
        if actual:
            _apply_to_shipment(session, shipment, item, found.milestone, found.status)
    return event


def _apply_to_shipment(session: Session, shipment: Shipment, item: _Prepared, milestone: str,
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
    session.flush()


# -- estimates and alerts -------------------------------------------------------------------

def _anchor(session: Session, shipment: Shipment) -> TrackingEvent | None:
    """The latest actual, understood event with a node: where the shipment was last seen."""
    events = [e for e in shipment_events(session, shipment, ("ACT",))
              if not e.flagged and e.node_id is not None]
    return events[-1] if events else None


def estimate_shipment(session: Session, shipment: Shipment, *, now: datetime | None = None,
                      config: LogisticsConfig = DEFAULT_CONFIG) -> list[LogisticsAlert]:
    """Distances and estimated times of every leg, re-estimated forward from the last
    actual event's place and time; returns the alerts raised (legs estimated later than
    planned by more than the margin; one open alert per leg)."""
    anchor = _anchor(session, shipment)
    anchor_used = False
    previous: datetime | None = None
    raised: list[LogisticsAlert] = []
    for leg in shipment.legs:
        path = leg_path(leg)
        leg.distance_km = round(eta.path_km(path, leg.mode, config, leg.carriage_mode), 1)
        if leg.state == "cancelled":
            continue
        if leg.actual_arrival is not None:
            leg.estimated_departure = leg.actual_departure or leg.estimated_departure
            leg.estimated_arrival = leg.actual_arrival
            previous = leg.actual_arrival
            continue
        ids = [n.id for n in path]
        if anchor is not None and not anchor_used and anchor.node_id in ids and \
                (leg.actual_departure is None or anchor.event_time >= leg.actual_departure):
            k = ids.index(anchor.node_id)
            if k == 0 and anchor.milestone != "departed" and leg.actual_departure is None:
                start = max(t for t in (anchor.event_time, leg.planned_departure) if t)
            else:
                start = anchor.event_time
            leg.estimated_departure = leg.actual_departure or start
            leg.estimated_arrival = eta.arrival_estimate(
                start, path[k:], leg.mode, config, leg.carriage_mode,
                dwell_at_start=(k > 0 and anchor.milestone == "arrived"))
            anchor_used = True
        else:
            starts = [t for t in (leg.planned_departure, previous) if t is not None]
            if leg.actual_departure is not None:
                starts = [leg.actual_departure]
            if not starts:
                leg.estimated_departure = leg.estimated_arrival = None
                previous = None
                continue
            leg.estimated_departure = max(starts)
            leg.estimated_arrival = eta.arrival_estimate(leg.estimated_departure, path,
                                                         leg.mode, config, leg.carriage_mode)
        previous = leg.estimated_arrival
        alert = _check_late(session, shipment, leg, config)
        if alert is not None:
            raised.append(alert)
    session.flush()
    return raised


def _check_late(session: Session, shipment: Shipment, leg: ShipmentLeg,
                config: LogisticsConfig) -> LogisticsAlert | None:
    if leg.planned_arrival is None or leg.estimated_arrival is None:
        return None
    delay = leg.estimated_arrival - leg.planned_arrival
    margin = config.margin(leg.mode, leg.carriage_mode)
    if delay <= margin:
        return None
    minutes = int(delay.total_seconds() // 60)
    alerts = list(session.scalars(select(LogisticsAlert).where(
        LogisticsAlert.leg_id == leg.id, LogisticsAlert.kind == "late")
        .order_by(LogisticsAlert.id.desc())))
    current = next((a for a in alerts if a.state == "open"), None)
    if current is not None:
        current.estimated_arrival = leg.estimated_arrival
        current.delay_minutes = minutes
        return None
    # Acknowledged: raise again only if it got later by another margin.
    if alerts and delay <= timedelta(minutes=alerts[0].delay_minutes) + margin:
        return None
    alert = LogisticsAlert(kind="late", state="open", shipment_id=shipment.id, leg_id=leg.id,
                           planned_arrival=leg.planned_arrival,
                           estimated_arrival=leg.estimated_arrival, delay_minutes=minutes)
    session.add(alert)
    session.flush()
    return alert


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


def acknowledge_alert(session: Session, alert_id: int, *, now: datetime | None = None,
                      note: str | None = None) -> LogisticsAlert:
    from wms.core.context import current_actor
    alert = session.get(LogisticsAlert, alert_id)
    if alert is None or not visible_owner(alert.shipment.owner_id):
        raise NotFound(N_("Alert %(id)s not found"), field="alert", id=alert_id)
    alert.transition("acknowledged", reason=note)
    alert.acknowledged_at = now or utcnow()
    alert.acknowledged_by_id = current_actor().user_id
    session.flush()
    return alert


# -- handheld scans -------------------------------------------------------------------------

def scan_load(session: Session, unit: str, into: str, *, node: str, scan_id: str,
              time: datetime | None = None, source: str = "wms:handheld") -> IngestResult:
    """Load ``unit`` (and what is in it) into ``into``; a replayed scan id changes nothing."""
    return ingest_events(session, source, [dict(id=scan_id, code="loaded", unit=unit,
                                                parent=into, node=node,
                                                time=time or utcnow())])


def scan_unload(session: Session, unit: str, *, node: str, scan_id: str,
                time: datetime | None = None, source: str = "wms:handheld") -> IngestResult:
    """Unload ``unit`` from whatever it is in."""
    return ingest_events(session, source, [dict(id=scan_id, code="unloaded", unit=unit,
                                                node=node, time=time or utcnow())])


def scan_event(session: Session, unit: str, milestone: str, *, node: str, scan_id: str,
               time: datetime | None = None, source: str = "wms:handheld") -> IngestResult:
    """Any milestone scanned on a unit (departed, arrived...): applies to all inside."""
    return ingest_events(session, source, [dict(id=scan_id, code=milestone, unit=unit,
                                                node=node, time=time or utcnow())])


def ingest_csv(session: Session, source: str, text: str, *, now: datetime | None = None,
               config: LogisticsConfig = DEFAULT_CONFIG) -> IngestResult:
    """Parse and ingest a CSV of events; errors name the line and the column."""
    from .events import parse_events_csv
    return ingest_events(session, source, parse_events_csv(text), now=now, config=config)
