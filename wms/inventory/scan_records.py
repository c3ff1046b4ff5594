"""Scan anything, beyond stock: the parcels, receipts, shipments and transport units a code
names (an S10 or waybill of a packed parcel, a receipt's name, air waybill, container,
bill of lading or rail note, a shipment's name or reference, a unit's identifier).

At most four queries for any code, each owner-scoped; ``scan.explain`` adds what they
find to its matches.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.core.scoping import scope_to_owner

from .barcodes import Scan

MAX_RECORDS = 10


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def receipts_named(session: Session, scan: Scan, code: str) -> list[dict[str, Any]]:
    from wms.inbound.models import Receipt
    text = code.strip()
    wanted = [Receipt.name == text.upper(), Receipt.bill_of_lading == text,
              Receipt.rail_note_no == text]
    if scan.kind == "awb":
        wanted.append(func.replace(Receipt.air_waybill, "-", "") ==
                      scan.value.replace("-", ""))
    if scan.kind == "container":
        wanted.append(Receipt.container_no == scan.value)
    rows = session.scalars(scope_to_owner(select(Receipt).where(or_(*wanted)),
                                          Receipt.owner_id)
                           .order_by(Receipt.id.desc()).limit(MAX_RECORDS))
    return [{"type": "receipt", "id": r.id, "name": r.name, "state": r.state,
             "supplier": r.supplier, "air_waybill": r.air_waybill,
             "container_no": r.container_no, "bill_of_lading": r.bill_of_lading}
            for r in rows]


def parcels_named(session: Session, scan: Scan, code: str) -> list[dict[str, Any]]:
    """A packed parcel by its S10 or waybill number, or an order's waybill."""
    from wms.outbound.models import Parcel, SalesOrder, Waybill
    value = (scan.value or code).strip().upper()
    by_waybill = select(Waybill.order_id).where(Waybill.logistics_no == code.strip())
    stmt = (select(SalesOrder, Parcel)
            .outerjoin(Parcel, Parcel.order_id == SalesOrder.id)
            .where(or_(Parcel.tracking_no == value,
                       (SalesOrder.id.in_(by_waybill)))))
    rows = session.execute(scope_to_owner(stmt, SalesOrder.owner_id)
                           .order_by(SalesOrder.id, Parcel.id).limit(MAX_RECORDS)).all()
    return [{"type": "parcel", "order_id": order.id, "order": order.order_no,
             "state": order.state, "tracking_no": parcel.tracking_no if parcel else None,
             "weight_kg": str(parcel.weight_kg) if parcel else None,
             "shipped_at": _iso(parcel.shipped_at) if parcel else None}
            for order, parcel in rows]


def shipments_and_units(session: Session, scan: Scan, code: str) -> list[dict[str, Any]]:
    """A shipment by name or reference, a transport unit (container, pallet, parcel, train)
    by its identifier, with the shipment it travels in."""
    from wms.logistics.models import Shipment, TransportUnit
    text = code.strip()
    identifiers = {text, text.upper(), scan.value or text}
    shipments = session.scalars(scope_to_owner(select(Shipment).where(or_(
        Shipment.name == text.upper(), Shipment.reference == text)), Shipment.owner_id)
        .order_by(Shipment.id).limit(MAX_RECORDS)).all()
    found: list[dict[str, Any]] = [
        {"type": "shipment", "id": s.id, "name": s.name, "reference": s.reference,
         "state": s.state, "status": s.status} for s in shipments]
    units = session.execute(scope_to_owner(
        select(TransportUnit, Shipment.name)
        .outerjoin(Shipment, Shipment.id == TransportUnit.shipment_id)
        .where(TransportUnit.identifier.in_(identifiers)), Shipment.owner_id)
        .order_by(TransportUnit.id).limit(MAX_RECORDS)).all()
    found += [{"type": "transport_unit", "id": u.id, "kind": u.kind,
               "identifier": u.identifier, "status": u.status, "shipment": name}
              for u, name in units]
    return found


def records_for(session: Session, scan: Scan, code: str) -> list[dict[str, Any]]:
    """Everything beyond stock the code names."""
    if not scan.valid or not scan.value or scan.kind in ("gtin", "gs1"):
        return []
    found: list[dict[str, Any]] = []
    if scan.kind in ("text", "awb", "container"):
        found += receipts_named(session, scan, code)
    if scan.kind in ("text", "s10"):
        found += parcels_named(session, scan, code)
    found += shipments_and_units(session, scan, code)
    return found
