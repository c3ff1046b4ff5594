"""The doors that moved out of the desk views: editing a node, the loading scan (rules,
packages joining by SSCC, what it says), and the one ETA schedule the board draws from."""
from __future__ import annotations

from datetime import timedelta

import pytest

from wms.core.errors import NotFound, ValidationError
from wms.inventory.packages import create_package
from wms.inventory.places import create_warehouse
from wms.logistics.estimates import anchor_of, shipment_schedule
from wms.logistics.loading import scan_load, scan_unit, scan_unload
from wms.logistics.network import NodeFields, create_node, get_node, update_node
from wms.logistics.queries import shipment_events, shipment_position
from wms.logistics.events import ingest_events

from .conftest import NOW, T0


def fields(**changes) -> NodeFields:
    base = dict(name="Khorgos Gateway", kind="border_station", country="KZ",
                latitude="44.21", longitude="80.41", unlocode="KZKHO", border=True,
                dwell_hours="12")
    return NodeFields(**{**base, **changes})


def test_a_node_is_edited_with_the_same_checks_as_it_is_made(db):
    node = create_node(db, code="KHORGOS_GW", **vars(fields()))
    assert node.dwell_hours == 12 and node.latitude == pytest.approx(44.21)
    edited = update_node(db, node.id, fields(name="Khorgos Eastern Gate", dwell_hours="6,5",
                                             iata="kzk"))
    assert edited.code == "KHORGOS_GW" and edited.name == "Khorgos Eastern Gate"
    assert edited.dwell_hours == 6.5 and edited.iata == "KZK"
    for change, field in [({"country": "KAZ"}, "country"), ({"latitude": "91"}, "latitude"),
                          ({"unlocode": "KZ-1"}, "unlocode"), ({"iata": "KZ1"}, "iata"),
                          ({"dwell_hours": "-1"}, "dwell_hours"), ({"kind": "moon"}, "kind"),
                          ({"longitude": "east"}, "longitude"), ({"name": " "}, "name")]:
        with pytest.raises(ValidationError) as err:
            update_node(db, node.id, fields(**change))
        assert err.value.field == field, change
    db.refresh(node)
    assert node.name == "Khorgos Eastern Gate"
    with pytest.raises(NotFound):
        update_node(db, 999_999, fields())
    with pytest.raises(ValidationError) as err:
        create_node(db, code="", **vars(fields()))
    assert err.value.field == "code"


def say(template, **params):
    return template % params


def test_the_loading_scan_says_what_it_did_as_codes(db, train):
    result = scan_load(db, train.container.identifier, train.train.identifier,
                       node="LANZHOU", scan_id="door-scan-1", time=T0 - timedelta(hours=1))
    assert result.notice.template == "%(unit)s loaded into %(into)s"
    assert result.notice.params == {"unit": train.container.identifier,
                                    "into": train.train.identifier}
    assert result.notice.then.params == {"n": 2}  # the pallet and the parcel went along
    assert result.as_answer(say)["message"] == \
        f"{train.container.identifier} loaded into {train.train.identifier} (with 2 units " \
        "inside)"
    again = scan_load(db, train.container.identifier, train.train.identifier,
                      node="LANZHOU", scan_id="door-scan-1")
    assert again.replayed and again.notice.template == "Already recorded: %(message)s"
    out = scan_unload(db, train.container.identifier, node="LANZHOU", scan_id="door-scan-2")
    assert out.as_answer(say)["into"] is None and train.container.parent_id is None


def test_the_loading_scan_keeps_the_rules(db, train):
    with pytest.raises(ValidationError) as err:  # a train does not go into a container
        scan_load(db, train.train.identifier, train.container.identifier, node="LANZHOU",
                  scan_id="door-rule-1")
    assert err.value.field == "parent" and err.value.params["parent"] == "container"
    with pytest.raises(ValidationError) as err:  # nor the container into its own pallet
        scan_load(db, train.container.identifier, train.pallet.identifier, node="LANZHOU",
                  scan_id="door-rule-2")
    assert err.value.field == "parent"
    for kwargs, field in [(dict(node=""), "node"), (dict(node="ATLANTIS"), "node"),
                          (dict(into=""), "into"), (dict(action="fly"), "mode")]:
        given = dict(action="load", unit_code=train.pallet.identifier,
                     into=train.train.identifier, node="LANZHOU", scan_id="door-rule-3")
        given.update(kwargs)
        with pytest.raises((ValidationError, NotFound)) as err:
            scan_unit(db, given.pop("action"), given.pop("unit_code"), **given)
        assert err.value.field == field, kwargs
    assert train.pallet.parent_id == train.container.id


def test_a_warehouse_package_becomes_a_unit_on_its_first_load(db, train):
    warehouse = create_warehouse(db, code="LWH", name="l", kind="general",
                                 gs1_company_prefix="6906998")
    package = create_package(db, warehouse, kind="carton")
    result = scan_load(db, f"(00){package.sscc}", train.container.identifier, node="LANZHOU",
                       scan_id="door-sscc-1")
    assert result.unit.kind == "parcel" and result.unit.package_id == package.id
    assert result.unit.shipment_id == train.shipment.id
    assert result.unit.parent_id == train.container.id
    with pytest.raises(NotFound) as err:  # only a load makes the unit
        scan_unload(db, "106141412345678908", node="LANZHOU", scan_id="door-sscc-2")
    assert err.value.field == "unit"


def test_the_board_position_and_the_eta_come_from_one_schedule(db, train):
    c = train.container.identifier
    ingest_events(db, "rail:crct", [
        dict(id="o1", code="DEPA", unit=c, node="LANZHOU", time=T0),
        dict(id="o2", code="ARRI", unit=c, node="DOSTYK", time=T0 + timedelta(days=4))],
        now=NOW)
    leg = train.shipment.legs[0]
    events = shipment_events(db, train.shipment, ("ACT",))
    schedule = shipment_schedule(train.shipment, anchor_of(events))[0]
    assert schedule.anchored and schedule.path[schedule.start].code == "DOSTYK"
    assert schedule.arrival == leg.estimated_arrival
    position = shipment_position(train.shipment, events, T0 + timedelta(days=4, hours=1))
    dostyk = next(s for s in position.stops if s.node.code == "DOSTYK")
    assert position.state == "dwelling" and position.at.code == "DOSTYK"
    assert dostyk.leaves - dostyk.arrives == timedelta(hours=get_node(db, "DOSTYK").dwell_hours)
    assert position.stops[-1].arrives == leg.estimated_arrival
