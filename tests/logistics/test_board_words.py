"""Badges and words agree with the shipment's state in every mode: one badge per shipment
(``shipment_progress``), never "in transit" beside an arrival nor twice on one page, and a
"late" tag only while the estimate that the difference reads is late."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import login
from wms.core.context import SYSTEM, acting_as
from wms.logistics.events import ingest_events
from wms.logistics.models import LogisticsAlert
from wms.logistics.shipments import (LegInput, cancel_shipment, create_shipment,
                                     shipment_progress)
from wms.logistics.units import create_unit
from wms.logistics.identifiers import make_awb, make_s10

NOW = datetime.now(timezone.utc).replace(microsecond=0)
T0 = NOW - timedelta(days=2)

# mode: (leg, source, departure code, arrival code, delivery code, unit kind and number)
MODES = {
    "rail": (dict(mode="rail", from_node="LANZHOU", to_node="ALMATY", service_ref="X9999"),
             "rail:test", "DEPA", "ARRI", None, ("container", "CSQU3054383")),
    "air": (dict(mode="air", from_node="LHW", to_node="FRA", service_ref="CK263",
                 transport_doc=make_awb("112", 6209001)),
            "iata:CK", "DEP", "ARR", "DLV", ("uld", "AKE54321CK")),
    "post": (dict(mode="post", from_node="LANZHOU_OE", to_node="FRA",
                  service_ref="CNLHWADEFRAACEM69999"),
             "upu:test", "EMC", "EMD", "EMI", ("parcel", make_s10("EE", 12345678, "CN"))),
}
STATES = ("draft", "booked", "in_transit", "arrived", "delivered", "cancelled")


def make(db, mode: str, state: str):
    leg, source, dep, arr, dlv, (kind, number) = MODES[mode]
    with acting_as(SYSTEM):
        shipment = create_shipment(db, reference=f"W-{mode}-{state}", legs=[LegInput(
            planned_departure=T0, planned_arrival=T0 + timedelta(days=9 if mode == "rail"
                                                                  else 1), **leg)],
            book=state != "draft", now=T0 - timedelta(days=1))
        unit = create_unit(db, kind, number, shipment=shipment)
        origin, destination = leg["from_node"], leg["to_node"]
        events = []
        if state in ("in_transit", "arrived", "delivered"):
            events.append(dict(id=f"{mode}-dep", code=dep, unit=unit.identifier, node=origin,
                               time=T0 + timedelta(hours=1)))
        if state in ("arrived", "delivered"):
            events.append(dict(id=f"{mode}-arr", code=arr, unit=unit.identifier,
                               node=destination, time=T0 + timedelta(hours=20)))
        if state == "delivered":
            events.append(dict(id=f"{mode}-dlv", code=dlv or "delivered",
                               unit=unit.identifier, node=destination,
                               time=T0 + timedelta(hours=30)))
        if events:
            ingest_events(db, source if state != "delivered" or dlv else "wms:test", events,
                          now=NOW)
        if state == "cancelled":
            cancel_shipment(db, shipment, "test")
        db.flush()
    return shipment


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("state", STATES)
def test_the_badge_says_the_shipments_progress(db, mode, state):
    shipment = make(db, mode, state)
    assert shipment_progress(shipment) == state


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("state", ("booked", "in_transit", "arrived"))
def test_board_and_page_show_one_badge_that_agrees_with_the_times(client, demo, db, mode,
                                                                  state):
    shipment = make(db, mode, state)
    db.commit()
    login(client, "dispatcher")
    board = client.get("/dispatch/").get_data(as_text=True)
    row = re.search(r'<article [^>]*data-shipment="%d".*?</article>' % shipment.id, board,
                    re.S).group(0)
    badges = re.findall(r'class="tag dsp-status[^"]*" data-progress="([a-z_]+)"', row)
    assert badges == [state]
    assert ('data-time="arrived"' in row) == (state == "arrived")
    assert ('data-time="estimated"' in row) == (state != "arrived")
    page = client.get(f"/dispatch/shipments/{shipment.id}").get_data(as_text=True)
    title = re.search(r"<h1>.*?</h1>", page, re.S).group(0)
    assert re.findall(r'data-progress="([a-z_]+)"', title) == [state]
    assert title.count("dsp-status") == 1


def test_a_late_alert_is_resolved_when_the_estimate_turns_early(client, demo, db):
    """Booked with a plan the estimate cannot keep, the train raises a late alert; the
    events then put it ahead of plan: the alert is resolved, and the board shows no red tag
    beside an early difference."""
    with acting_as(SYSTEM):
        shipment = create_shipment(db, reference="W-LATE-THEN-EARLY", legs=[LegInput(
            mode="rail", from_node="LANZHOU", to_node="DUISBURG", service_ref="X8888",
            planned_departure=T0, planned_arrival=T0 + timedelta(days=18))],
            book=True, now=T0 - timedelta(days=1))
        alert = db.query(LogisticsAlert).filter_by(shipment_id=shipment.id).one()
        assert alert.state == "open" and alert.kind == "late"
        box = create_unit(db, "container", "CSQU3054383", shipment=shipment)
        ingest_events(db, "rail:test", [
            dict(id="e-dep", code="DEPA", unit=box.identifier, node="LANZHOU", time=T0),
            dict(id="e-mos", code="ARRI", unit=box.identifier, node="MOSCOW",
                 time=T0 + timedelta(days=1, hours=12))], now=NOW)
        db.flush()
        db.refresh(alert)
        assert alert.state == "resolved"
        leg = shipment.legs[0]
        assert leg.estimated_arrival < leg.planned_arrival
    db.commit()
    login(client, "dispatcher")
    board = client.get("/dispatch/").get_data(as_text=True)
    row = re.search(r'<article [^>]*data-shipment="%d".*?</article>' % shipment.id, board,
                    re.S).group(0)
    assert "late-tag" not in row and "is-late" not in row
    assert re.search(r'class="delay is-early">−', row)
