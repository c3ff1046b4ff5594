"""The logistics demo loads, shows what it promises, and loads again without duplicates."""
from __future__ import annotations

from sqlalchemy import func, select

from wms.logistics.queries import list_alerts, shipment_events
from wms.logistics.shipments import find_shipment
from wms.logistics.demo import load_logistics_demo
from wms.logistics.identifiers import validate_awb, validate_container, validate_s10
from wms.logistics.models import (LogisticsAlert, Shipment, ShipmentLeg, TrackingEvent,
                                  TransportUnit)

TABLES = (Shipment, ShipmentLeg, TransportUnit, TrackingEvent, LogisticsAlert)


def counts(db):
    return {m.__tablename__: db.scalar(select(func.count()).select_from(m)) for m in TABLES}


def test_demo_loads_twice_without_duplicates(db):
    added = load_logistics_demo(db)
    first = counts(db)
    assert added > 0 and first["shipment"] == 4
    assert load_logistics_demo(db) == 0
    assert counts(db) == first

    x8025 = find_shipment(db, "X8025-LZ-DUI")
    assert x8025.status == "in_transit" and x8025.current_node.code == "DOSTYK"
    assert x8025.name.startswith("SHP/")
    milestones = [e.milestone for e in shipment_events(db, x8025)]
    assert milestones[-3:] == ["border_crossed", "gauge_changed", "departed"]
    for unit in db.scalars(select(TransportUnit).where(TransportUnit.kind == "container")):
        validate_container(unit.identifier)
    pallets = db.scalars(select(TransportUnit).where(TransportUnit.kind == "pallet")).all()
    assert pallets and all(p.parent.kind == "container" for p in pallets)
    assert all(p.current_node.code == "DOSTYK" for p in pallets if p.shipment_id == x8025.id)

    late = find_shipment(db, "X9017-LZ-ALA")
    assert [a.shipment_id for a in list_alerts(db)] == [late.id]

    flight = find_shipment(db, "AIR-LHW-FRA-001")
    leg = flight.legs[0]
    assert validate_awb(leg.transport_doc).startswith("112-")
    assert leg.actual_departure is not None and leg.actual_arrival is not None
    assert flight.state == "in_transit" and flight.current_node.code == "FRA"

    mail = find_shipment(db, "MAIL-LZOE-0001")
    parcels = db.scalars(select(TransportUnit).where(TransportUnit.shipment_id == mail.id,
                                                     TransportUnit.kind == "parcel")).all()
    assert len(parcels) == 3 and all(validate_s10(p.identifier) for p in parcels)
    assert all(p.current_node.code == "FRA" for p in parcels)  # the bag's arrival reached them
