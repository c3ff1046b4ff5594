"""Mail rides the train and legs connect: a unit loaded into another shipment's unit keeps
its own shipment and takes its place from the carrier (both pages say so); transfers between
legs have a hub, a minimum connection time and transit customs, and a missed connection
raises an alert that resolves when a later estimate makes it; the corridor map places each
unit between the route nodes where the schedule puts it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import login
from tests.test_cli import cli_db  # noqa: F401 (the fixture)
from wms.core.context import SYSTEM, acting_as
from wms.core.errors import NotFound, ValidationError
from wms.logistics.events import ingest_events
from wms.logistics.loading import scan_event, scan_load
from wms.logistics.models import LogisticsAlert
from wms.logistics.network import get_node
from wms.logistics.shipments import LegInput, create_shipment
from wms.logistics.transfers import plan_transfer
from wms.logistics.units import carriages, create_unit

from .conftest import T0


def mail(db, reference: str, carriage: str):
    """A mail dispatch from the Lanzhou office of exchange with one bag: by air to Frankfurt,
    or by China-Europe train to Duisburg."""
    to = "FRA" if carriage == "air" else "DUISBURG"
    shipment = create_shipment(db, reference=reference, legs=[LegInput(
        mode="post", from_node="LANZHOU_OE", to_node=to, carriage_mode=carriage,
        service_ref=f"CNLHWADE{to[:3]}ACEM6{len(reference):04d}", planned_departure=T0,
        planned_arrival=T0 + timedelta(days=2 if carriage == "air" else 20))],
        book=True, now=T0 - timedelta(days=1))
    bag = create_unit(db, "bag", f"CNLHWADE{to[:3]}ACEM6{len(reference):04d}001",
                      shipment=shipment)
    return shipment, bag


@pytest.mark.parametrize("carriage", ("air", "rail"))
def test_a_bag_in_another_shipments_container_keeps_its_shipment(db, train, carriage):
    shipment, bag = mail(db, f"MAIL-{carriage}", carriage)
    scan_load(db, train.container.identifier, train.train.identifier, node="LANZHOU",
              scan_id="c-load", time=T0 - timedelta(hours=3))
    scan_load(db, bag.identifier, train.container.identifier, node="LANZHOU",
              scan_id="b-load", time=T0 - timedelta(hours=2))
    assert bag.parent_id == train.container.id and bag.shipment_id == shipment.id
    before = (shipment.current_node_id, shipment.status)
    scan_event(db, train.train.identifier, "departed", node="LANZHOU", scan_id="t-dep",
               time=T0)
    scan_event(db, train.train.identifier, "gauge_changed", node="DOSTYK", scan_id="t-dos",
               time=T0 + timedelta(days=3))
    dostyk = get_node(db, "DOSTYK")
    # The bag's place comes from the carrier, whatever its shipment.
    assert bag.current_node_id == dostyk.id and bag.shipment_id == shipment.id
    assert train.shipment.current_node_id == dostyk.id
    if carriage == "air":
        # Dostyk is not on the air dispatch's route: the dispatch is not "at Dostyk".
        assert (shipment.current_node_id, shipment.status) == before
    else:
        # Mail by rail: Dostyk is on its own route, so the dispatch moves with the train.
        assert shipment.current_node_id == dostyk.id and shipment.state == "in_transit"
        assert shipment.legs[0].estimated_arrival is not None
    carried_in, carrying = carriages(db, shipment)
    assert [(c.unit.id, c.carrier.id) for c in carried_in] == [(bag.id, train.container.id)]
    assert carrying == []
    carried_in, carrying = carriages(db, train.shipment)
    assert carried_in == [] and [c.unit.id for c in carrying] == [bag.id]
    assert carrying[0].unit_shipment.id == shipment.id


def test_both_pages_say_so_and_the_board_draws_mail_by_rail(client, demo, db, train):
    with acting_as(SYSTEM):
        shipment, bag = mail(db, "MAIL-BY-RAIL", "rail")
        scan_load(db, bag.identifier, train.container.identifier, node="LANZHOU",
                  scan_id="b-load", time=T0 - timedelta(hours=2))
        scan_event(db, train.container.identifier, "departed", node="LANZHOU",
                   scan_id="c-dep", time=T0)
    db.commit()
    login(client, "dispatcher")
    mail_page = client.get(f"/dispatch/shipments/{shipment.id}").get_data(as_text=True)
    part = re.search(r'<ul class="plain carriage carried-in">.*?</ul>', mail_page, re.S).group(0)
    assert bag.identifier in part and train.container.identifier in part
    assert train.shipment.name in part
    rail_page = client.get(f"/dispatch/shipments/{train.shipment.id}").get_data(as_text=True)
    part = re.search(r'<ul class="plain carriage carrying">.*?</ul>', rail_page, re.S).group(0)
    assert bag.identifier in part and shipment.name in part
    board = client.get("/dispatch/").get_data(as_text=True)
    row = re.search(r'<article [^>]*data-shipment="%d".*?</article>' % shipment.id, board,
                    re.S).group(0)
    assert "kind-mail" in row and '<svg class="route' in row
    assert re.findall(r'data-code="([A-Z_]+)"', row)[:3] == ["LANZHOU_OE", "LANZHOU", "WUWEI"]


def air_air(db, gap_hours: float):
    """Lanzhou to Almaty, then on to Tashkent (空空联运) ``gap_hours`` after the planned
    arrival at Almaty."""
    first_arrival = T0 + timedelta(hours=6)
    return create_shipment(db, reference=f"AIR-AIR-{gap_hours}", legs=[
        LegInput(mode="air", from_node="LHW", to_node="ALA", service_ref="CK901",
                 planned_departure=T0, planned_arrival=first_arrival),
        LegInput(mode="air", from_node="ALA", to_node="TAS", service_ref="HY762",
                 planned_departure=first_arrival + timedelta(hours=gap_hours),
                 planned_arrival=first_arrival + timedelta(hours=gap_hours + 2))],
        book=True, now=T0 - timedelta(days=1))


def test_a_transfer_has_a_hub_a_connection_time_and_transit_customs(db):
    shipment = air_air(db, 8)
    transfer = plan_transfer(db, shipment, 2)
    assert transfer.hub.code == "ALA" and transfer.min_connection_minutes == 180
    assert not transfer.transit_customs
    transfer = plan_transfer(db, shipment, "2", min_connection_minutes="240",
                             transit_customs=True)
    assert transfer.customs_minutes == 240 and transfer.ready_after == timedelta(hours=8)
    for seq, field in ((1, "leg"), (3, "leg")):
        with pytest.raises((ValidationError, NotFound)) as err:
            plan_transfer(db, shipment, seq)
        assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        plan_transfer(db, shipment, 2, min_connection_minutes="-5")
    assert err.value.field == "min_connection_minutes"


def test_a_missed_connection_raises_an_alert_that_resolves_when_it_is_made(db):
    shipment = air_air(db, 4)
    plan_transfer(db, shipment, 2, min_connection_minutes=180, transit_customs=True,
                  customs_minutes=120)
    inbound, onward = shipment.legs
    # The first flight leaves three hours late: ready at Almaty after the onward departure.
    ingest_events(db, "iata:CK", [dict(id="dep-1", code="DEP", shipment=shipment.name,
                                       node="LHW", time=T0 + timedelta(hours=3))],
                  now=T0 + timedelta(hours=3))
    alert = db.query(LogisticsAlert).filter_by(shipment_id=shipment.id,
                                               kind="connection").one()
    assert alert.state == "open" and alert.leg_id == onward.id
    ready = inbound.estimated_arrival + timedelta(hours=5)
    assert alert.delay_minutes == int((ready - onward.planned_departure).total_seconds() // 60)
    # The onward leg is estimated to leave only once the goods are ready at the hub.
    assert onward.estimated_departure >= ready
    # The dispatcher rebooks the onward flight later (a new planned departure): made.
    onward.planned_departure += timedelta(hours=6)
    onward.planned_arrival += timedelta(hours=6)
    ingest_events(db, "iata:CK", [dict(id="arr-1", code="ARR", shipment=shipment.name,
                                       node="ALA", time=inbound.estimated_arrival)],
                  now=inbound.estimated_arrival)
    db.refresh(alert)
    assert alert.state == "resolved"


def test_the_map_places_each_unit_between_its_route_nodes(client, demo, db):
    login(client, "dispatcher")
    board = client.get("/dispatch/").get_data(as_text=True)
    svg = re.search(r'<svg class="map".*?</svg>', board, re.S).group(0)
    assert 'class="country corridor" data-id="156"' in svg  # China, from Natural Earth
    nodes = {code: (float(x), float(y)) for code, x, y in re.findall(
        r'data-code="([A-Z_]+)" transform="translate\(([\d.]+),([\d.]+)\)"', svg)}
    assert {"LANZHOU", "ALASHANKOU", "DOSTYK", "MALASZEWICZE", "DUISBURG", "LHW"} <= set(nodes)
    assert re.search(r'class="map-node gauge[^"]*" data-code="DOSTYK"', svg)
    assert re.search(r'class="map-node border[^"]*" data-code="ALASHANKOU"', svg)
    markers = {int(i): (float(lat), float(lon), float(x)) for i, lat, lon, x in re.findall(
        r'class="map-unit [^"]*" data-map-shipment="(\d+)" data-lat="([\d.-]+)" '
        r'data-lon="([\d.-]+)" data-x="([\d.]+)"', svg)}
    with acting_as(SYSTEM):
        from wms.logistics.shipments import find_shipment
        x8025 = find_shipment(db, "X8025-LZ-DUI")
        flight = find_shipment(db, "AIR-LHW-FRA-001")
    lat, lon, x = markers[x8025.id]
    # Past Dostyk (the last report), short of Moscow: on the stretch between them.
    assert nodes["MOSCOW"][0] < x < nodes["DOSTYK"][0]
    moscow, dostyk = get_node(db, "MOSCOW"), get_node(db, "DOSTYK")
    assert min(moscow.latitude, dostyk.latitude) <= lat <= max(moscow.latitude,
                                                                dostyk.latitude)
    # The flight has landed: its marker is at Frankfurt.
    fra = get_node(db, "FRA")
    assert markers[flight.id][:2] == (round(fra.latitude, 3), round(fra.longitude, 3))


def test_time_passing_without_the_inbound_arrival_misses_the_connection(db):
    """What the sweep does: estimated again later with no arrival reported, the inbound
    flight arrives no earlier than now, and the connection is missed."""
    from wms.logistics.estimates import estimate_shipment
    shipment = air_air(db, 8)
    plan_transfer(db, shipment, 2, min_connection_minutes=180)
    assert not db.query(LogisticsAlert).filter_by(shipment_id=shipment.id,
                                                  kind="connection").count()
    estimate_shipment(db, shipment, now=T0 + timedelta(hours=12))
    alert = db.query(LogisticsAlert).filter_by(shipment_id=shipment.id,
                                               kind="connection").one()
    assert alert.delay_minutes == 60  # ready at +15 h, the onward flight planned at +14 h


def test_the_transfer_command_plans_through_the_same_door(cli_db):
    from wms.cli import main
    from wms.logistics.transfers import LegTransfer
    runner, sessions = cli_db
    with sessions() as s, acting_as(SYSTEM):
        shipment = air_air(s, 8)
        name = shipment.name
        s.commit()
    result = runner.invoke(main, ["transfer", name, "2", "--connection", "150",
                                  "--transit-customs", "--customs", "90"])
    assert result.exit_code == 0, result.output
    assert "ALA" in result.output and "240 min" in result.output
    with sessions() as s:
        transfer = s.query(LegTransfer).one()
        assert (transfer.min_connection_minutes, transfer.transit_customs,
                transfer.customs_minutes) == (150, True, 90)
    wrong = runner.invoke(main, ["transfer", name, "1"])
    assert wrong.exit_code == 1 and "[leg]" in wrong.output
