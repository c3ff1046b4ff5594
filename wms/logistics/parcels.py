"""Packed parcels become trackable: the door the ship step calls registers every parcel of
the order (its S10 or the carrier's waybill number) as a transport unit of kind parcel,
under the outbound shipment and leg it leaves on, so a carrier's or the post's event for that
number attaches to it like to any other unit.

The outbound shipment is the day's dispatch, what a dispatcher hands to one carrier at the
warehouse gate: one per warehouse, goods owner, carrier and local day, with one leg from the
warehouse's route node to where the carrier takes over (S10 items go to the nearest office
of exchange as a postal leg carried by road; waybill parcels by road to the nearest
airport, where the express carriers' Lanzhou hubs are). A dispatch that has already left
is not joined: the next parcels get the next dispatch of the day. A warehouse with no
coordinates has no node to leave from; its parcels are still registered (events for them
still attach), without a shipment.

Set-based: a fixed number of statements per order, however many parcels it has. Also the
read the order page shows (``order_parcel_tracking``) and the parcel's own tracking link.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import ForeignKey, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, selectinload

from wms.core.db import Base, utcnow
from wms.core.errors import N_, ValidationError
from wms.core.scoping import visible_owner
from wms.inventory.models import Warehouse
from wms.outbound.models import Parcel, SalesOrder
from wms.partners.models import Enterprise

from . import eta
from .links import InvalidToken, _key, make_tracking_token, read_tracking_token
from .models import RouteNode, Shipment, ShipmentLeg, TrackingEvent, TransportUnit
from .queries import unit_events
from .shipments import LegInput, create_shipment
from .times import in_zone
from .units import normalise_unit_id

CST = timezone(timedelta(hours=8))
# Where a carrier takes a parcel over, by the parcel's number scheme: the kind of node.
HANDOVER = {"s10": "office_of_exchange", "waybill": "airport"}
PARCEL_LINK_DAYS = 30


class ParcelUnit(Base):
    """The transport unit a packed parcel travels as (one each way)."""

    __tablename__ = "parcel_unit"

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcel.id", ondelete="CASCADE"),
                                           primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("transport_unit.id", ondelete="CASCADE"),
                                         unique=True)


def parcel_number(tracking_no: str) -> tuple[str, str]:
    """The parcel's number as a unit identifier and its scheme (s10 or waybill). A carrier's
    number that looks like some other scheme but fails its check is still the carrier's
    waybill: shipping never fails for the tracking."""
    try:
        number, scheme = normalise_unit_id("parcel", tracking_no, "tracking_no")
    except ValidationError:
        return tracking_no.strip().upper(), "waybill"
    return number, "s10" if scheme == "s10" else "waybill"


def _warehouse_node(session: Session, warehouse: Warehouse) -> RouteNode | None:
    """The warehouse's route node; made from the warehouse's coordinates the first time."""
    node = session.scalar(select(RouteNode).where(RouteNode.warehouse_id == warehouse.id)
                          .order_by(RouteNode.active.desc(), RouteNode.id))
    if node is not None or warehouse.latitude is None or warehouse.longitude is None:
        return node
    node = RouteNode(code=f"WH-{warehouse.code}"[:20], name=warehouse.name[:120],
                     kind="warehouse", country="CN", latitude=warehouse.latitude,
                     longitude=warehouse.longitude, warehouse_id=warehouse.id)
    session.add(node)
    session.flush()
    return node


def _nearest(nodes: list[RouteNode], origin: RouteNode, kind: str) -> RouteNode | None:
    found = [n for n in nodes if n.kind == kind and n.id != origin.id]
    return min(found, key=lambda n: eta.geodesic_km(origin, n)) if found else None


def _dispatch(session: Session, order: SalesOrder, warehouse: Warehouse, origin: RouteNode,
              handover: RouteNode, scheme: str, carrier: Enterprise | None,
              open_dispatches: list[Shipment], now: datetime) -> Shipment:
    """The day's open dispatch of this owner and carrier to this handover node, or a new
    one booked to leave now."""
    day = now.astimezone(CST).strftime("%Y%m%d")
    reference = f"{warehouse.code}-{day}-{carrier.customs_code if carrier else 'POST'}-" \
                f"{handover.code}"[:56]
    same = [s for s in open_dispatches if (s.reference or "").startswith(reference)]
    for shipment in same:
        leg = shipment.legs[0] if shipment.legs else None
        if shipment.state == "booked" and leg is not None and leg.actual_departure is None \
                and leg.to_node_id == handover.id:
            return shipment
    name = reference if not same else f"{reference}-{len(same) + 1}"
    mode = "post" if scheme == "s10" else "road"
    return create_shipment(session, owner_id=order.owner_id, warehouse_code=warehouse.code,
                           reference=name, book=True, now=now, legs=[LegInput(
                               mode=mode, carriage_mode="road" if mode == "post" else None,
                               from_node=origin.code, to_node=handover.code,
                               carrier_id=carrier.id if carrier else None,
                               carrier_name=carrier.name if carrier else None,
                               planned_departure=now)],
                           note="Outbound parcels of the day, registered at shipping")


def register_shipped_parcels(session: Session, order: SalesOrder,
                             now: datetime | None = None) -> list[TransportUnit]:
    """Every parcel of the shipped order as a transport unit under the outbound shipment
    it leaves on (made when there is none). Idempotent: a parcel already registered keeps
    its unit."""
    now = now or utcnow()
    parcels = list(session.scalars(select(Parcel).where(Parcel.order_id == order.id)
                                   .order_by(Parcel.id)))
    if not parcels:
        return []
    linked = set(session.scalars(select(ParcelUnit.parcel_id).where(
        ParcelUnit.parcel_id.in_([p.id for p in parcels]))))
    numbers = {p.id: parcel_number(p.tracking_no) for p in parcels}
    existing = {u.identifier: u for u in session.scalars(select(TransportUnit).where(
        TransportUnit.kind == "parcel",
        TransportUnit.identifier.in_({n for n, _ in numbers.values()})))}
    warehouse = session.get(Warehouse, order.warehouse_id)
    origin = _warehouse_node(session, warehouse)
    nodes: list[RouteNode] = []
    open_dispatches: list[Shipment] = []
    if origin is not None:
        nodes = list(session.scalars(select(RouteNode).where(
            RouteNode.active.is_(True), RouteNode.kind.in_(set(HANDOVER.values())))))
        open_dispatches = list(session.scalars(
            select(Shipment).join(ShipmentLeg, ShipmentLeg.shipment_id == Shipment.id)
            .where(Shipment.owner_id == order.owner_id,
                   Shipment.state.in_(("booked", "in_transit")),
                   ShipmentLeg.seq == 1, ShipmentLeg.from_node_id == origin.id,
                   Shipment.reference.like(f"{warehouse.code}-%"))
            .options(selectinload(Shipment.legs)).order_by(Shipment.id)))
    # Queried, not taken from the identity map: the same statements on every call.
    carrier = session.scalar(select(Enterprise).where(Enterprise.id == order.logistics_id)) \
        if order.logistics_id else None
    units = []
    for parcel in parcels:
        number, scheme = numbers[parcel.id]
        shipment = None
        handover = _nearest(nodes, origin, HANDOVER[scheme]) if origin is not None else None
        if handover is not None:
            shipment = _dispatch(session, order, warehouse, origin, handover, scheme,
                                 carrier if scheme == "waybill" else None, open_dispatches,
                                 now)
            if shipment not in open_dispatches:
                open_dispatches.append(shipment)
        unit = existing.get(number)
        if unit is None:
            unit = TransportUnit(kind="parcel", identifier=number,
                                 scheme="s10" if scheme == "s10" else "waybill")
            session.add(unit)
            existing[number] = unit
        if unit.shipment_id is None and shipment is not None:
            unit.shipment_id = shipment.id
        units.append(unit)
    session.flush()
    links = [dict(parcel_id=p.id, unit_id=u.id) for p, u in zip(parcels, units)
             if p.id not in linked]
    if links:
        session.execute(insert(ParcelUnit), links)
    return units


# -- what the order page and the parcel's public page read ---------------------------------

@dataclass
class ParcelTracking:
    parcel: Parcel
    unit: TransportUnit | None
    shipment: Shipment | None
    leg: ShipmentLeg | None
    last: TrackingEvent | None
    carrier_unit: TransportUnit | None   # what it travels in now (a bag, a container)


def order_parcel_tracking(session: Session, order_id: int) -> list[ParcelTracking]:
    """The order's parcels with their units, outbound shipment, first leg and latest
    actual event (a few statements for all the order's parcels)."""
    parcels = list(session.scalars(select(Parcel).where(Parcel.order_id == order_id)
                                   .order_by(Parcel.id)))
    if not parcels:
        return []
    units = {pid: u for pid, u in session.execute(
        select(ParcelUnit.parcel_id, TransportUnit)
        .join(TransportUnit, TransportUnit.id == ParcelUnit.unit_id)
        .where(ParcelUnit.parcel_id.in_([p.id for p in parcels])))}
    out = []
    for parcel in parcels:
        unit = units.get(parcel.id)
        shipment = unit.shipment if unit is not None else None
        if shipment is not None and not visible_owner(shipment.owner_id):
            shipment = None
        events = [e for e in unit_events(session, unit) if e.classifier == "ACT"
                  and not e.flagged] if unit is not None else []
        out.append(ParcelTracking(parcel, unit, shipment,
                                  shipment.legs[0] if shipment and shipment.legs else None,
                                  events[-1] if events else None,
                                  unit.parent if unit is not None else None))
    return out


def parcel_link_key(app_secret: str | bytes) -> bytes:
    """The parcel links' own key (another purpose than shipment links: a parcel's token
    never opens a shipment's page, nor the other way round)."""
    return hmac.new(_key(app_secret), b"wms.logistics.parcel-link.v1",
                    hashlib.sha256).digest()


def issue_parcel_link(unit: TransportUnit, app_secret: str | bytes, now: datetime,
                      days: int = PARCEL_LINK_DAYS) -> tuple[str, datetime]:
    expires = (now + timedelta(days=days)).replace(microsecond=0)
    return make_tracking_token(unit.id, parcel_link_key(app_secret), expires), expires


def parcel_public_view(session: Session, token: str, app_secret: str | bytes,
                       now: datetime) -> dict:
    """What the parcel's link shows: its number, status, place and the understood events
    that reached it (its own and its bag's or container's); nothing of the order."""
    unit = session.get(TransportUnit, read_tracking_token(token, parcel_link_key(app_secret),
                                                          now))
    if unit is None or unit.kind != "parcel":
        raise InvalidToken(N_("This tracking link is not valid"), field="token")
    shipment = unit.shipment
    leg = shipment.legs[-1] if shipment is not None and shipment.legs else None
    return {"number": unit.identifier, "status": unit.status or "pending",
            "status_at": in_zone(unit.status_at),
            "place": unit.current_node.name if unit.current_node else unit.current_place,
            "estimated_arrival": in_zone(leg.estimated_arrival) if leg else None,
            "destination": leg.to_node.name if leg else None,
            "timeline": [{"time": in_zone(e.event_time, e.time_zone),
                          "milestone": e.milestone,
                          "place": e.node.name if e.node else e.unlocode}
                         for e in unit_events(session, unit)
                         if e.classifier == "ACT" and not e.flagged]}
