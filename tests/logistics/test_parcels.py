"""Packed parcels are tracked: shipping an order registers its parcel (S10 or waybill) as a
transport unit under the day's outbound dispatch, events for its number attach to it
(through the API too), and the order page shows its tracking and its public link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.outbound.test_fulfilment import released
from wms.accounts.services import create_token, get_user
from wms.core.db import utcnow
from wms.logistics.events import ingest_events
from wms.logistics.identifiers import make_s10
from wms.logistics.models import Shipment, TransportUnit
from wms.logistics.parcels import ParcelUnit, register_shipped_parcels
from wms.outbound.fulfilment import PickScan, pack, pick, ship, start_wave
from wms.outbound.queries import wave_lines

pytestmark = pytest.mark.usefixtures("demo")


def shipped(db, order_no: str, tracking_no: str):
    order = released(db, order_no, qty=1)
    wave = start_wave(db, "LZB", [order.id]).wave
    line = wave_lines(db, wave)[0]
    pick(db, wave.id, PickScan(line["move"], line["qty"]))
    pack(db, order.waybill.logistics_no, tracking_no, "1.2")
    ship(db, order.order_no)
    return order


def unit_of(db, number: str) -> TransportUnit:
    return db.scalar(select(TransportUnit).where(TransportUnit.identifier == number))


def unit_parcel(db, unit: TransportUnit) -> int:
    return db.scalar(select(ParcelUnit.parcel_id).where(ParcelUnit.unit_id == unit.id))


def test_shipping_registers_the_parcel_under_the_days_dispatch(db):
    order = shipped(db, "PCL-1", "EE123456785CN")
    unit = unit_of(db, "EE123456785CN")
    assert unit.kind == "parcel" and unit.scheme == "s10"
    assert db.get(ParcelUnit, unit_parcel(db, unit)).unit_id == unit.id
    dispatch = unit.shipment
    assert dispatch.owner_id == order.owner_id and dispatch.state == "booked"
    leg = dispatch.legs[0]
    assert leg.mode == "post" and leg.to_node.code == "LANZHOU_OE"
    assert leg.from_node.kind == "warehouse" and leg.from_node.warehouse_id == order.warehouse_id
    assert leg.estimated_arrival is not None
    # The next S10 of the day joins the same dispatch; a waybill parcel goes to the airport.
    shipped(db, "PCL-2", make_s10("EE", 12345679, "CN"))
    assert unit_of(db, make_s10("EE", 12345679, "CN")).shipment_id == dispatch.id
    shipped(db, "PCL-3", "SF1234567890")
    express = unit_of(db, "SF1234567890")
    assert express.scheme == "waybill" and express.shipment_id != dispatch.id
    assert express.shipment.legs[0].mode == "road"
    assert express.shipment.legs[0].to_node.kind == "airport"
    # Registering again changes nothing.
    assert register_shipped_parcels(db, order)[0].id == unit.id
    # Once the dispatch has left, the next parcel gets the next dispatch of the day.
    ingest_events(db, "upu:test", [dict(id="d-1", code="EMC", unit="EE123456785CN",
                                        node=leg.from_node.code, time=utcnow())])
    db.flush()
    assert leg.actual_departure is not None
    shipped(db, "PCL-4", make_s10("EE", 12345681, "CN"))
    later = unit_of(db, make_s10("EE", 12345681, "CN")).shipment
    assert later.id != dispatch.id and later.reference == f"{dispatch.reference}-2"


def test_an_event_for_the_parcels_s10_attaches_to_it_through_the_api(client, db):
    shipped(db, "PCL-API", "EE123456785CN")
    token = create_token(db, get_user(db, "dispatcher"))
    db.commit()
    response = client.post("/api/v1/tracking/events",
                           headers={"Authorization": f"Bearer {token}"},
                           json={"source": "upu:chinapost", "events": [
                               {"id": "EE1-EMB", "code": "EMB", "unit": "EE123456785CN",
                                "node": "LANZHOU_OE", "time": utcnow().isoformat()}]})
    assert response.status_code == 200, response.get_data(as_text=True)
    db.expire_all()
    unit = unit_of(db, "EE123456785CN")
    assert unit.status == "in_transit" and unit.current_node.code == "LANZHOU_OE"


def test_the_order_page_shows_the_parcels_tracking_and_public_link(client, db):
    order = shipped(db, "PCL-PAGE", "EE123456785CN")
    ingest_events(db, "upu:chinapost", [dict(id="EE1-EMA", code="EMA", unit="EE123456785CN",
                                             node="LANZHOU_OE",
                                             time=utcnow() - timedelta(minutes=5))])
    db.commit()
    login(client, "supervisor")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    part = re.search(r'<section class="card" id="parcel-tracking">.*?</section>', page, re.S)
    assert part, "the order page has the tracking part"
    part = part.group(0)
    assert 'data-parcel="EE123456785CN"' in part
    dispatch = db.scalar(select(Shipment).join(TransportUnit, TransportUnit.shipment_id ==
                                               Shipment.id)
                         .where(TransportUnit.identifier == "EE123456785CN"))
    assert dispatch.name in part
    link = re.search(r'value="(http://[^"]+/track/parcel/[^"]+)"', part).group(1)
    client.get("/logout")
    public = client.get(link.replace("http://localhost", ""))
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "EE123456785CN" in text and order.consignee not in text
    tampered = link.replace("http://localhost", "")[:-2] + "00"
    assert client.get(tampered).status_code == 403
    # A parcel's token does not open a shipment page.
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/track/{token}").status_code == 403
