"""Logistics demonstration data: a China-Europe train past the Dostyk gauge change, a late
train to Almaty, a cargo flight from Zhongchuan and a mail dispatch with S10 items.

Idempotent by natural keys (shipment reference, unit number, source event id), so loading
again adds only what is missing. Times are set relative to the day of the first load.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import iso6346

from wms.core.db import utcnow
from wms.partners.models import Enterprise

from .events import ingest_events
from .shipments import LegInput, create_shipment
from .units import create_unit, normalise_unit_id
from .identifiers import make_awb, make_s10, make_sscc
from .models import Shipment, TransportUnit

CST = timezone(timedelta(hours=8))
ALMT = timezone(timedelta(hours=5))  # Kazakhstan
OWNER = "6201W60012"
RAIL_CARRIER = "6201980078"
POST_CARRIER = "6201980056"
GS1_PREFIX = "6906123"


def container_number(owner: str, serial: int) -> str:
    body = f"{owner}U{serial:06d}"
    return body + iso6346.calc_check_digit(body)


def _enterprise_id(session: Session, code: str) -> int | None:
    return session.scalar(select(Enterprise.id).where(Enterprise.customs_code == code))


def _unit(session: Session, kind: str, identifier: str, created: list, **kw) -> TransportUnit:
    number, _ = normalise_unit_id(kind, identifier)
    unit = session.scalar(select(TransportUnit).where(TransportUnit.kind == kind,
                                                      TransportUnit.identifier == number))
    if unit is None:
        unit = create_unit(session, kind, number, **kw)
        created.append(unit)
    return unit


def _shipment(session: Session, reference: str, created: list, **kw) -> Shipment:
    shipment = session.scalar(select(Shipment).where(Shipment.reference == reference))
    if shipment is None:
        shipment = create_shipment(session, reference=reference, book=True, **kw)
        created.append(shipment)
    return shipment


def load_logistics_demo(session: Session, now: datetime | None = None) -> int:
    """Load the demo shipments; returns how many records were added."""
    now = now or utcnow()
    created: list = []
    added = 0
    owner_id = _enterprise_id(session, OWNER)
    rail_id = _enterprise_id(session, RAIL_CARRIER)
    post_id = _enterprise_id(session, POST_CARRIER)
    day = now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)

    # China-Europe train X8025, Lanzhou -> Duisburg, past the Dostyk gauge change.
    start = day - timedelta(days=6) + timedelta(hours=10)
    x8025 = _shipment(session, "X8025-LZ-DUI", created, owner_id=owner_id,
                      warehouse_code=None, now=start - timedelta(days=1), legs=[LegInput(
                          mode="rail", from_node="LANZHOU", to_node="DUISBURG",
                          carrier_id=rail_id, carrier_name="CR Container Lanzhou",
                          service_ref="X8025", transport_doc="SMGS 62018025001",
                          planned_departure=start, planned_arrival=start + timedelta(days=19))])
    train = _unit(session, "train", f"X8025/{start:%Y%m%d}", created)
    containers = []
    for n in range(2):
        box = _unit(session, "container", container_number("CSQ", 305430 + n), created,
                    shipment=x8025)
        containers.append(box)
        for p in range(2):
            _unit(session, "pallet", make_sscc(0, GS1_PREFIX, 900001 + 2 * n + p), created,
                  shipment=x8025, parent=box)
    events = [dict(id=f"X8025-L{n}", code="LOAD", unit=box.identifier, parent=train.identifier,
                   node="LANZHOU", time=start - timedelta(hours=4 - n))
              for n, box in enumerate(containers)]
    events += [
        dict(id="X8025-1", code="DEPA", unit=train.identifier, node="LANZHOU", time=start),
        dict(id="X8025-2", code="ARRI", unit=train.identifier, node="ALASHANKOU",
             time=start + timedelta(days=2, hours=20)),
        dict(id="X8025-3", code="BORD", unit=train.identifier, node="ALASHANKOU",
             time=start + timedelta(days=3, hours=6)),
        dict(id="X8025-4", code="GAUG", unit=train.identifier, node="DOSTYK",
             time=(start + timedelta(days=3, hours=22)).astimezone(ALMT)),
        dict(id="X8025-5", code="DEPA", unit=train.identifier, node="DOSTYK",
             time=(start + timedelta(days=4, hours=4)).astimezone(ALMT))]
    added += ingest_events(session, "rail:crct", events, now=now).accepted

    # A late train to Almaty: left two days behind its plan.
    planned = day - timedelta(days=4) + timedelta(hours=9)
    almaty = _shipment(session, "X9017-LZ-ALA", created, owner_id=owner_id,
                       now=planned - timedelta(days=2), legs=[LegInput(
                           mode="rail", from_node="LANZHOU", to_node="ALMATY",
                           carrier_id=rail_id, service_ref="X9017",
                           transport_doc="SMGS 62019017001", planned_departure=planned,
                           planned_arrival=planned + timedelta(days=7))])
    box = _unit(session, "container", container_number("TGH", 120045), created,
                shipment=almaty)
    added += ingest_events(session, "rail:crct", [
        dict(id="X9017-1", code="DEPA", unit=box.identifier, node="LANZHOU",
             time=planned + timedelta(days=2, hours=3)),
        dict(id="X9017-2", code="ARRI", unit=box.identifier, node="WUWEI",
             time=planned + timedelta(days=2, hours=14))], now=now).accepted

    # A cargo flight from Zhongchuan to Frankfurt, air waybill 112-...
    flight_day = day - timedelta(days=1)
    awb = make_awb("112", 6201001)
    flight = _shipment(session, "AIR-LHW-FRA-001", created, owner_id=owner_id,
                       now=flight_day - timedelta(days=1), legs=[LegInput(
                           mode="air", from_node="LHW", to_node="FRA", carrier_name="China Cargo",
                           service_ref="CK262", transport_doc=awb, house_doc="LZB0001",
                           planned_departure=flight_day + timedelta(hours=1, minutes=30),
                           planned_arrival=flight_day + timedelta(hours=12))])
    _unit(session, "uld", "AKE12345CK", created, shipment=flight)
    added += ingest_events(session, "iata:CK", [
        dict(id=f"{awb}-RCS", code="RCS", awb=awb, node="LHW",
             time=flight_day - timedelta(hours=6)),
        dict(id=f"{awb}-MAN", code="MAN", awb=awb, node="LHW",
             time=flight_day - timedelta(hours=1)),
        dict(id=f"{awb}-DEP", code="DEP", awb=awb, node="LHW",
             time=flight_day + timedelta(hours=1, minutes=50)),
        dict(id=f"{awb}-ARR", code="ARR", awb=awb, node="FRA",
             time=(flight_day + timedelta(hours=12, minutes=20)).astimezone(
                 timezone(timedelta(hours=1))))], now=now).accepted

    # A mail dispatch from the Lanzhou office of exchange, by air to Frankfurt.
    mail_day = day - timedelta(days=2)
    mail = _shipment(session, "MAIL-LZOE-0001", created, owner_id=None,
                     now=mail_day - timedelta(days=1), legs=[LegInput(
                         mode="post", from_node="LANZHOU_OE", to_node="FRA",
                         carrier_id=post_id, carrier_name="China Post",
                         service_ref="CNLHWADEFRAAAEM60001",
                         planned_departure=mail_day + timedelta(hours=8),
                         planned_arrival=mail_day + timedelta(days=1, hours=8))])
    bag = _unit(session, "bag", "CNLHWADEFRAAAEM60001001110125", created, shipment=mail)
    items = [_unit(session, "parcel", make_s10("EA", 62000001 + n, "CN"), created,
                   shipment=mail, parent=bag) for n in range(3)]
    mail_events = []
    for n, item in enumerate(items):
        mail_events += [
            dict(id=f"{item.identifier}-EMA", code="EMA", unit=item.identifier,
                 node="LANZHOU_OE", time=mail_day - timedelta(hours=20 - n)),
            dict(id=f"{item.identifier}-EMB", code="EMB", unit=item.identifier,
                 node="LANZHOU_OE", time=mail_day - timedelta(hours=6))]
    mail_events += [
        dict(id="CNLHWADEFRAAAEM60001001110125-EMC", code="EMC", unit=bag.identifier,
             node="LANZHOU_OE", time=mail_day + timedelta(hours=7)),
        dict(id="CNLHWADEFRAAAEM60001001110125-EMD", code="EMD", unit=bag.identifier,
             node="FRA", time=mail_day + timedelta(days=1, hours=6))]
    added += ingest_events(session, "upu:chinapost", mail_events, now=now).accepted
    session.flush()
    return added + len(created)
