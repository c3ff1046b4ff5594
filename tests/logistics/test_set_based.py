"""Ingest and loading are set-based: the statements a batch costs do not grow with the number
of events in it, nor a load with the number of parcels in the container."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from wms.logistics.events import ingest_events
from wms.logistics.identifiers import make_s10
from wms.logistics.loading import scan_load
from wms.logistics.models import TrackingEventUnit, TransportUnit
from wms.logistics.shipments import LegInput, create_shipment
from wms.logistics.units import create_unit

from .conftest import NOW, T0, container_no

NODES = ("LANZHOU", "WUWEI", "ALASHANKOU", "DOSTYK")


def rail_shipment(db, reference: str, parcels: int, serial: int):
    shipment = create_shipment(db, reference=reference, legs=[LegInput(
        mode="rail", from_node="LANZHOU", to_node="DUISBURG", service_ref="X8025",
        planned_departure=T0, planned_arrival=T0 + timedelta(days=19))], book=True,
        now=T0 - timedelta(days=1))
    container = create_unit(db, "container", container_no("CSQ", serial), shipment=shipment)
    # Test data in one insert: the parcels are the setting, not what is measured.
    numbers = [make_s10("RR", serial * 1000 + i, "CN") for i in range(parcels)]
    db.execute(insert(TransportUnit), [
        dict(kind="parcel", identifier=n, scheme="s10", shipment_id=shipment.id,
             parent_id=container.id) for n in numbers])
    units = db.scalars(select(TransportUnit).where(TransportUnit.identifier.in_(numbers))
                       .order_by(TransportUnit.identifier)).all()
    return shipment, container, units


def feed(shipment, units, n: int, prefix: str) -> list[dict]:
    """n events: most on a parcel, every fifth on the shipment by its reference, at the
    nodes of the line in turn, some by UN/LOCODE only, one code nobody mapped."""
    events = []
    for i in range(n):
        event = dict(id=f"{prefix}-{i}", code=("DEPA", "ARRI", "BORD", "GAUG")[i % 4],
                     time=T0 + timedelta(hours=i % 48))
        if i % 5 == 0:
            event["shipment"] = shipment.reference
        else:
            event["unit"] = units[i % len(units)].identifier
        if i % 7 == 3:
            event["unlocode"] = "CNLHW"
        else:
            event["node"] = NODES[i % len(NODES)]
        if i == 1:
            event["code"] = "ZZQ9"
        events.append(event)
    return events


def test_a_batch_costs_the_same_statements_for_10_and_500_events(db, statements):
    small, _, small_units = rail_shipment(db, "SET-10", 10, 101)
    large, _, large_units = rail_shipment(db, "SET-500", 500, 102)
    with statements() as sent_small:
        first = ingest_events(db, "rail:crct", feed(small, small_units, 10, "s"), now=NOW)
    with statements() as sent_large:
        second = ingest_events(db, "rail:crct", feed(large, large_units, 500, "l"), now=NOW)
    assert (first.accepted, second.accepted) == (10, 500)
    assert first.flagged == second.flagged == 1
    assert len(sent_small) == len(sent_large), (len(sent_small), len(sent_large))
    assert len(sent_large) <= 30
    # What it did is what the slow way did: each parcel event reached its parcel only,
    # the shipment took the latest actual event's place.
    assert large.state == "in_transit" and large.status_at == T0 + timedelta(hours=47)
    links = db.scalar(select(func.count()).select_from(TrackingEventUnit)
                      .where(TrackingEventUnit.event_id.in_(second.event_ids)))
    assert links == 400
    # Sent again, the batch is all duplicates and costs fewer statements still.
    with statements() as sent_again:
        again = ingest_events(db, "rail:crct", feed(large, large_units, 500, "l"), now=NOW)
    assert again.duplicates == 500 and len(sent_again) < len(sent_large)


def test_loading_a_container_costs_the_same_for_10_and_500_parcels(db, statements):
    train = create_unit(db, "train", "X8025/20261102")
    _, small, _ = rail_shipment(db, "LOAD-10", 10, 201)
    _, large, _ = rail_shipment(db, "LOAD-500", 500, 202)
    with statements() as sent_small:
        a = scan_load(db, small.identifier, train.identifier, node="LANZHOU",
                      scan_id="load-small", time=T0 - timedelta(hours=3))
    with statements() as sent_large:
        b = scan_load(db, large.identifier, train.identifier, node="LANZHOU",
                      scan_id="load-large", time=T0 - timedelta(hours=2))
    assert (a.inside, b.inside) == (10, 500)
    assert len(sent_small) == len(sent_large), (len(sent_small), len(sent_large))
    loaded = db.scalars(select(TransportUnit).where(TransportUnit.parent_id == large.id)).all()
    assert len(loaded) == 500 and all(u.status == "in_transit" for u in loaded)
    assert large.parent_id == train.id


def test_repacking_many_units_in_one_batch_costs_the_same_and_is_audited(db, statements):
    from wms.core.audit import AuditEvent
    counts = []
    for n, serial in ((10, 301), (500, 302)):
        shipment, _, parcels = rail_shipment(db, f"REPACK-{n}", n, serial)
        other = create_unit(db, "container", container_no("CSQ", serial + 50),
                            shipment=shipment)
        batch = [dict(id=f"r{n}-{i}", code="LOAD", unit=p.identifier, parent=other.identifier,
                      node="LANZHOU", time=T0 - timedelta(hours=1)) for i, p in
                 enumerate(parcels)]
        with statements() as sent:
            result = ingest_events(db, "rail:crct", batch, now=NOW)
        counts.append(len(sent))
        assert result.accepted == n
        db.expire_all()
        assert {p.parent_id for p in parcels} == {other.id}
        trail = db.scalars(select(AuditEvent).where(
            AuditEvent.model == "transport_unit", AuditEvent.field == "parent_id",
            AuditEvent.record_id.in_([p.id for p in parcels]),
            AuditEvent.new_value == str(other.id))).all()
        assert len(trail) == n
    assert counts[0] == counts[1], counts
