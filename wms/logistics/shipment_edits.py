"""Shipments edited after they are made: the reference and note, a leg's carrier, service,
documents and planned times, the last leg removed, a draft booked.

Only what has not happened can change: a leg that left keeps its plan (the events say what
happened), a shipment that left keeps its legs. A booked shipment is estimated again after
its plan changes, so its ETAs and alerts follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.errors import N_, Conflict, NotFound, ValidationError

from .estimates import estimate_shipment
from .identifiers import clean, validate_awb
from .models import Shipment, ShipmentLeg, TrackingEvent
from .network import FREE_ID
from .shipments import LegInput, add_leg
from .times import aware

EDITABLE = ("draft", "booked")


@dataclass
class LegEdit:
    """What may change on a planned leg (None leaves a value as it is, "" clears it)."""

    carrier_name: str | None = None
    service_ref: str | None = None
    transport_doc: str | None = None
    house_doc: str | None = None
    planned_departure: Any = None
    planned_arrival: Any = None


def _editable(shipment: Shipment) -> None:
    if shipment.state not in EDITABLE:
        raise Conflict(N_("Shipment %(name)s has left: its plan no longer changes"),
                       field="state", name=shipment.name or shipment.id)


def update_shipment(session: Session, shipment: Shipment, *, reference: str | None = None,
                    note: str | None = None, now: datetime | None = None) -> Shipment:
    """The reference and the note (any state but cancelled)."""
    if shipment.state == "cancelled":
        raise Conflict(N_("Shipment %(name)s is %(state)s"), field="state",
                       name=shipment.name or shipment.id, state=shipment.state)
    if reference is not None:
        reference = reference.strip()
        if len(reference) > 60:
            raise ValidationError(N_("At most %(n)s characters"), field="reference", n=60)
        shipment.reference = reference or None
    if note is not None:
        shipment.note = note.strip() or None
    session.flush()
    return shipment


def _time(given: Any, current: datetime | None, field: str) -> datetime | None:
    """None keeps the current time, "" clears it, anything else is parsed."""
    if given is None:
        return current
    return aware(given, field)


def get_leg(shipment: Shipment, seq: int) -> ShipmentLeg:
    leg = next((leg for leg in shipment.legs if leg.seq == seq), None)
    if leg is None:
        raise NotFound(N_("No leg %(seq)s"), field="leg", seq=seq)
    return leg


def update_leg(session: Session, shipment: Shipment, seq: int, given: LegEdit, *,
               now: datetime | None = None) -> ShipmentLeg:
    """Edit a planned leg of a shipment that has not left; re-estimated when booked."""
    _editable(shipment)
    leg = get_leg(shipment, seq)
    if leg.state != "planned":
        raise Conflict(N_("Leg %(seq)s is %(state)s"), field="leg", seq=seq, state=leg.state)
    if given.carrier_name is not None:
        name = given.carrier_name.strip()
        if len(name) > 120:
            raise ValidationError(N_("At most %(n)s characters"), field="carrier_name", n=120)
        leg.carrier_name = name or None
    if given.service_ref is not None:
        ref = given.service_ref.strip()
        if len(ref) > 40:
            raise ValidationError(N_("At most %(n)s characters"), field="service_ref", n=40)
        leg.service_ref = ref or None
    if given.transport_doc is not None:
        doc = given.transport_doc.strip()
        if len(doc) > 40:
            raise ValidationError(N_("At most %(n)s characters"), field="transport_doc", n=40)
        leg.transport_doc = (validate_awb(doc, "transport_doc") if doc and leg.mode == "air"
                             else doc or None)
    if given.house_doc is not None:
        house = clean(given.house_doc)
        if house and not FREE_ID.match(house):
            raise ValidationError(N_("A house waybill is letters and digits"),
                                  field="house_doc")
        leg.house_doc = house or None
    departure = _time(given.planned_departure, leg.planned_departure, "planned_departure")
    arrival = _time(given.planned_arrival, leg.planned_arrival, "planned_arrival")
    if departure and arrival and arrival <= departure:
        raise ValidationError(N_("Planned arrival must be after planned departure"),
                              field="planned_arrival")
    leg.planned_departure, leg.planned_arrival = departure, arrival
    session.flush()
    if shipment.state == "booked":
        estimate_shipment(session, shipment, now=now)
    return leg


def remove_last_leg(session: Session, shipment: Shipment, *,
                    now: datetime | None = None) -> None:
    """Drop the last leg of a shipment that has not left (a booked one keeps at least one)."""
    _editable(shipment)
    if not shipment.legs:
        raise ValidationError(N_("The shipment has no legs"), field="legs")
    if shipment.state == "booked" and len(shipment.legs) == 1:
        raise ValidationError(N_("A shipment needs at least one leg"), field="legs")
    leg = shipment.legs[-1]
    if session.scalar(select(TrackingEvent.id).where(TrackingEvent.leg_id == leg.id).limit(1)):
        raise Conflict(N_("Events name leg %(seq)s: it cannot be removed"), field="legs",
                       seq=leg.seq)
    shipment.legs.remove(leg)
    session.delete(leg)
    session.flush()
    if shipment.state == "booked":
        shipment.destination_node_id = shipment.legs[-1].to_node_id
        session.flush()
        estimate_shipment(session, shipment, now=now)


def append_leg(session: Session, shipment: Shipment, given: LegInput, *,
               now: datetime | None = None) -> ShipmentLeg:
    """A leg added at the end (it starts where the last one ends); a booked shipment's
    destination and estimates follow."""
    _editable(shipment)
    leg = add_leg(session, shipment, given)
    if shipment.state == "booked":
        shipment.destination_node_id = leg.to_node_id
        session.flush()
        estimate_shipment(session, shipment, now=now)
    return leg
