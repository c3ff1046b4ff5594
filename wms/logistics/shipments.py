"""Shipments and their legs: the desk's and the API's door to plan, book and cancel a
consignment, and the owner-scoped lookups every other door names a shipment by.

A leg starts where the previous one ends; its lane is found by mode and nodes unless named.
Booking gives the name and the first estimates.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from wms.core.context import current_actor
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import ascii_id
from wms.core.scoping import get_scoped, scope_to_owner, visible_owner
from wms.inventory.models import Warehouse
from wms.partners.models import Enterprise

from .estimates import estimate_shipment
from .eta import DEFAULT_CONFIG, LogisticsConfig
from .identifiers import clean, validate_awb
from .models import CARRIAGE_MODES, MODES, RouteLane, Shipment, ShipmentLeg
from .network import FREE_ID, find_lane, get_node, lane_runs
from .times import aware


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


def owner_by_code(session: Session, code: str | None, field: str = "owner") -> int | None:
    """The id of the enterprise with this customs code (None when no code is given)."""
    if not code:
        return None
    owner = session.scalar(select(Enterprise).where(Enterprise.customs_code == code.strip()))
    if owner is None:
        raise NotFound(N_("Enterprise %(id)s not found"), field=field, id=code)
    return owner.id


def create_shipment(session: Session, *, owner_id: int | None = None,
                    warehouse_code: str | None = None, reference: str | None = None,
                    legs: Sequence[LegInput] = (), note: str | None = None,
                    book: bool = False, now: datetime | None = None,
                    config: LogisticsConfig = DEFAULT_CONFIG,
                    leg_fields: str | None = None) -> Shipment:
    """A draft shipment with its legs; ``book=True`` books it at once (name, estimates).
    Errors on a leg name it ``legs[i].field`` (``leg_fields="always"``) or, for a single
    leg, the bare field."""
    if owner_id is not None:
        owner = session.get(Enterprise, owner_id)
        if owner is None or not visible_owner(owner_id):
            raise NotFound(N_("Enterprise %(id)s not found"), field="owner_id", id=owner_id)
    elif current_actor().owner_ids is not None:
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
        prefix = f"legs[{i}]." if len(legs) > 1 or leg_fields == "always" else ""
        add_leg(session, shipment, leg, field_prefix=prefix)
    if book:
        book_shipment(session, shipment, now=now, config=config)
    return shipment


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
    planned_dep = aware(given.planned_departure, f("planned_departure"))
    planned_arr = aware(given.planned_arrival, f("planned_arrival"))
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
        if lane.mode != mode or not lane_runs(lane, origin.id, destination.id):
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


def resolve_shipment(session: Session, ref: str) -> Shipment:
    """A shipment by id, name (slashes, or hyphens as in a URL) or reference; owner-scoped."""
    ref = (ref or "").strip()
    if (number := ascii_id(ref)) is not None:
        return get_shipment(session, number)
    try:
        return find_shipment(session, ref)
    except NotFound:
        if "-" in ref and "/" not in ref:
            return find_shipment(session, ref.replace("-", "/"))
        raise


# Carrier statuses that say more than "moving": the badge shows them as they are.
EXCEPTION_STATUSES = ("on_hold", "delivery_delayed", "out_for_delivery", "ready_for_pickup",
                      "delivery_failed", "return_to_sender")
PROGRESS = ("draft", "booked", "in_transit", "arrived", "delivered", "cancelled",
            *EXCEPTION_STATUSES)


def shipment_progress(shipment: Shipment) -> str:
    """The one word the board and the shipment page badge a shipment with, from its state,
    its legs and its latest status together, so a badge never says "in transit" beside an
    arrival: draft, booked, in_transit, arrived (every leg at its end, not yet delivered),
    delivered, cancelled, or an exception status the carrier reported."""
    if shipment.state == "cancelled":
        return "cancelled"
    if shipment.state == "delivered" or shipment.status == "delivered":
        return "delivered"
    if shipment.state == "draft":
        return "draft"
    if shipment.status in EXCEPTION_STATUSES:
        return shipment.status
    legs = [leg for leg in shipment.legs if leg.state != "cancelled"]
    if legs and all(leg.actual_arrival is not None for leg in legs):
        return "arrived"
    if shipment.state == "in_transit" or any(leg.actual_departure is not None
                                             for leg in legs):
        return "in_transit"
    return "booked"
