"""Demo data for the corridor: mail riding the China-Europe train (国际班列带运国际邮件), a
mail bag of the Lanzhou office of exchange's rail dispatch loaded into one of X8025's
containers, and an air-to-air transfer (空空联运) at Almaty with transit customs.

Runs after ``load_logistics_demo`` (it nests into X8025's container); idempotent by
references, unit numbers and source event ids.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow

from .demo import ALMT, CST, OWNER, POST_CARRIER, _enterprise_id, _shipment, _unit, \
    container_number
from .events import ingest_events
from .models import TrackingEvent
from .shipments import LegInput
from .transfers import plan_transfer

MAIL_BY_RAIL = "MAIL-LZOE-RAIL-0001"
AIR_AIR = "AIR-LHW-ALA-TAS-001"


def load_corridor_demo(session: Session, now: datetime | None = None) -> int:
    """Load the corridor demo; returns how many records were added."""
    now = now or utcnow()
    created: list = []
    day = now.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    start = day - timedelta(days=6) + timedelta(hours=10)   # X8025's departure
    post_id = _enterprise_id(session, POST_CARRIER)
    mail = _shipment(session, MAIL_BY_RAIL, created, owner_id=None,
                     now=start - timedelta(days=2), legs=[LegInput(
                         mode="post", from_node="LANZHOU_OE", to_node="DUISBURG",
                         carriage_mode="rail", carrier_id=post_id, carrier_name="China Post",
                         service_ref="CNLHWADEDUIACEM60002",
                         planned_departure=start - timedelta(hours=8),
                         planned_arrival=start + timedelta(days=20))])
    bag = _unit(session, "bag", "CNLHWADEDUIACEM60002001110240", created, shipment=mail)
    box = container_number("CSQ", 305430)
    added = 0
    if session.scalar(select(TrackingEvent.id).where(
            TrackingEvent.source_event_id == f"{bag.identifier}-LOAD")) is None:
        added += ingest_events(session, "upu:chinapost", [
            dict(id=f"{bag.identifier}-EMC", code="EMC", unit=bag.identifier,
                 node="LANZHOU_OE", time=start - timedelta(hours=7))], now=now).accepted
        added += ingest_events(session, "rail:crct", [
            dict(id=f"{bag.identifier}-LOAD", code="LOAD", unit=bag.identifier, parent=box,
                 node="LANZHOU", time=start - timedelta(hours=3)),
            # The container's own report from the Kazakh side (KTZ), after the bag was in.
            dict(id=f"{box}-DOSTYK-DEPA", code="DEPA", unit=box, node="DOSTYK",
                 time=(start + timedelta(days=4, hours=4)).astimezone(ALMT))],
            now=now).accepted

    # 空空联运: Lanzhou to Almaty, on to Tashkent after a transfer with transit customs.
    fly = day + timedelta(days=1, hours=9)
    owner_id = _enterprise_id(session, OWNER)
    air = _shipment(session, AIR_AIR, created, owner_id=owner_id, now=now, legs=[
        LegInput(mode="air", from_node="LHW", to_node="ALA", service_ref="CK251",
                 carrier_name="China Cargo", planned_departure=fly,
                 planned_arrival=fly + timedelta(hours=5)),
        LegInput(mode="air", from_node="ALA", to_node="TAS", service_ref="HY766",
                 carrier_name="Uzbekistan Airways", planned_departure=fly + timedelta(hours=11),
                 planned_arrival=fly + timedelta(hours=13))])
    if air in created:
        plan_transfer(session, air, 2, min_connection_minutes=180, transit_customs=True,
                      customs_minutes=240)
        _unit(session, "uld", "AKE24680CK", created, shipment=air)
    session.flush()
    return added + len(created)
