"""Units, lanes, nodes and shipment plans kept by hand: the doors the desk forms and the API
call (registry, lanes, shipment_edits), with their checks, audit rows and statement counts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from wms.core.audit import AuditEvent
from wms.core.errors import Conflict, NotFound, ValidationError
from wms.logistics.events import ingest_events
from wms.logistics.identifiers import (make_s10, validate_receptacle, validate_uic_wagon,
                                       validate_uld)
from wms.logistics.lanes import (LaneFields, create_lane, retire_lanes, retire_nodes,
                                 update_lane)
from wms.logistics.loading import scan_load
from wms.logistics.models import RouteLane, RouteNode, TransportUnit
from wms.logistics.network import find_lane, get_node
from wms.logistics.registry import UnitInput, register_units, retire_units, update_unit
from wms.logistics.shipment_edits import LegEdit, append_leg, remove_last_leg, update_leg
from wms.logistics.shipments import LegInput, create_shipment

from .conftest import T0, container_no

BAG = "CNLHWADEFRAAAUN60001001000125"


def audit(db, model: str, record_id: int) -> list[tuple[str, str | None, str | None]]:
    return [(a.kind, a.field, a.new_value) for a in db.scalars(
        select(AuditEvent).where(AuditEvent.model == model, AuditEvent.record_id == record_id)
        .order_by(AuditEvent.id))]


def test_identifier_checks_for_bags_ulds_and_wagons():
    assert validate_receptacle(" cnlhwadefraaaun60001001000125 ") == BAG
    with pytest.raises(ValidationError) as err:
        validate_receptacle(BAG[:-1], "identifier")
    assert err.value.field == "identifier" and err.value.params["n"] == 28
    for bad in ("CNLHWADEFRAAEUN60001001000125",   # category E does not exist
                "CNLHWADEFRAAAUN60000001000125",   # dispatch 0000
                "CNLHWADEFRAAAUN6000100150125X"):  # indicator 5, weight not digits
        with pytest.raises(ValidationError):
            validate_receptacle(bad)
    assert validate_uld("ake 12345 ca") == "AKE12345CA"
    with pytest.raises(ValidationError):
        validate_uld("AK12345CA")
    assert validate_uic_wagon("31 80 5454 001-4") == "318054540014"
    with pytest.raises(ValidationError) as err:
        validate_uic_wagon("318054540015")
    assert err.value.params["expected"] == "4"


def test_units_of_every_kind_are_registered_checked_and_audited(db, train):
    units = register_units(db, [
        UnitInput("train", "X8027/20261203"), UnitInput("wagon", "318054540014"),
        UnitInput("container", container_no("TGH", 123456), train.shipment.reference),
        UnitInput("uld", "AKE12345CA"), UnitInput("bag", BAG, str(train.shipment.id)),
        UnitInput("parcel", make_s10("EE", 12345678, "CN")),
        UnitInput("flight", "CK263/20261203")])
    assert [(u.kind, u.scheme) for u in units] == [
        ("train", "train"), ("wagon", "uic"), ("container", "iso6346"), ("uld", "uld"),
        ("bag", "receptacle"), ("parcel", "s10"), ("flight", "flight")]
    assert units[2].shipment_id == units[4].shipment_id == train.shipment.id
    assert all(u.active for u in units)
    assert audit(db, "transport_unit", units[1].id)[0][0] == "create"
    cases = [([UnitInput("container", "CSQU3054384")], "identifier", ValidationError),
             ([UnitInput("uld", "X1"), UnitInput("bag", "SHORT")], "units[0].identifier",
              ValidationError),
             ([UnitInput("train", "X9"), UnitInput("bag", BAG[:20])], "units[1].identifier",
              ValidationError),
             ([UnitInput("parcel", "EE123456786CN")], "identifier", ValidationError),
             ([UnitInput("boat", "B1")], "kind", ValidationError),
             ([UnitInput("uld", "AKE12345CA")], "identifier", Conflict),
             ([UnitInput("train", "X1"), UnitInput("train", "x1")], "units[1].identifier",
              ValidationError),
             ([UnitInput("train", "X2", "NO-SUCH-SHIPMENT")], "shipment", NotFound)]
    for rows, field, error in cases:
        with pytest.raises(error) as err:
            register_units(db, rows)
        assert err.value.field == field, rows
    assert db.scalar(select(TransportUnit.id).where(TransportUnit.identifier == "X2")) is None


def test_registering_costs_the_same_statements_for_10_and_200_units(db, statements):
    def rows(prefix: str, n: int):
        return [UnitInput("container", container_no(prefix, i)) for i in range(1, n + 1)]
    with statements() as small:
        register_units(db, rows("ABC", 10))
    with statements() as large:
        register_units(db, rows("XYZ", 200))
    def sql(sent):
        return [s for s in sent if s.startswith(("SELECT", "INSERT", "UPDATE", "DELETE"))]
    assert len(sql(large)) == len(sql(small)) == 4


def test_a_unit_is_corrected_until_an_event_names_it_and_retired_when_empty(db, train):
    wagon, = register_units(db, [UnitInput("wagon", "5011234")])
    update_unit(db, wagon.id, identifier="5011235", shipment=train.shipment.name)
    assert (wagon.identifier, wagon.shipment_id) == ("5011235", train.shipment.id)
    assert ("write", "identifier", "5011235") in audit(db, "transport_unit", wagon.id)
    ingest_events(db, "rail:crct", [{"id": "w-1", "code": "DEPA", "node": "LANZHOU",
                                     "unit": "5011235", "time": T0.isoformat()}])
    with pytest.raises(Conflict) as err:
        update_unit(db, wagon.id, identifier="5011236")
    assert err.value.field == "identifier"
    update_unit(db, wagon.id, shipment="")
    assert wagon.shipment_id is None
    # The container holds a pallet: not retired; the empty train is.
    with pytest.raises(Conflict):
        retire_units(db, [train.container.id])
    with pytest.raises(Conflict):
        retire_units(db, [train.pallet.id])  # inside the container
    assert retire_units(db, [train.train.id]) == 1
    db.refresh(train.train)
    assert train.train.active is False
    assert ("write", "active", "False") in audit(db, "transport_unit", train.train.id)
    with pytest.raises(Conflict) as err:
        scan_load(db, train.container.identifier, train.train.identifier, node="LANZHOU",
                  scan_id="into-retired-1", time=T0)
    assert "retired" in err.value.message
    with pytest.raises(Conflict):
        update_unit(db, train.train.id, identifier="X8025/20261103")


def test_lanes_are_made_edited_and_retired_with_their_stops_in_the_audit(db):
    lane = create_lane(db, "rail-lz-ala-test", LaneFields(
        name="Lanzhou - Alashankou", mode="rail", stops=["lanzhou", "WUWEI", "ALASHANKOU"]))
    assert lane.code == "RAIL-LZ-ALA-TEST"
    assert [s.node.code for s in lane.stops] == ["LANZHOU", "WUWEI", "ALASHANKOU"]
    assert ("write", "stops", "LANZHOU > WUWEI > ALASHANKOU") in audit(db, "route_lane", lane.id)
    update_lane(db, lane.id, LaneFields(name="Lanzhou - Dostyk", mode="rail",
                                        stops=["LANZHOU", "ALASHANKOU", "DOSTYK"]))
    db.refresh(lane)
    assert [s.node.code for s in lane.stops] == ["LANZHOU", "ALASHANKOU", "DOSTYK"]
    rows = audit(db, "route_lane", lane.id)
    assert ("write", "name", "Lanzhou - Dostyk") in rows
    assert ("write", "stops", "LANZHOU > ALASHANKOU > DOSTYK") in rows
    for given, field in [(dict(stops=["LANZHOU"]), "stops"),
                         (dict(stops=["LANZHOU", "NOWHERE"]), "stops"),
                         (dict(stops=["LANZHOU", "LANZHOU"]), "stops"),
                         (dict(mode="ship"), "mode"), (dict(name=""), "name"),
                         (dict(carriage_mode="rail"), "carriage_mode")]:
        fields = dict(name="x", mode="rail", stops=["LANZHOU", "DOSTYK"]) | given
        with pytest.raises((ValidationError, NotFound)) as err:
            update_lane(db, lane.id, LaneFields(**fields))
        assert err.value.field == field, given
    with pytest.raises(Conflict):
        create_lane(db, "RAIL-LZ-ALA-TEST", LaneFields(name="x", mode="rail",
                                                       stops=["LANZHOU", "DOSTYK"]))
    # A node on an active lane stays; once every lane through it is retired it goes.
    wuwei = get_node(db, "WUWEI")
    through = db.scalars(select(RouteLane).where(RouteLane.active.is_(True),
                                                 RouteLane.stops.any(node_id=wuwei.id))).all()
    with pytest.raises(Conflict) as err:
        retire_nodes(db, [wuwei.id])
    assert err.value.field == "nodes"
    retire_lanes(db, [lane.id] + [lane.id for lane in through])
    assert find_lane(db, "rail", get_node(db, "LANZHOU"), get_node(db, "DOSTYK")) is None \
        or find_lane(db, "rail", get_node(db, "LANZHOU"), get_node(db, "DOSTYK")).id != lane.id
    assert retire_nodes(db, [wuwei.id]) == 1
    assert db.get(RouteNode, wuwei.id).active is False
    with pytest.raises(ValidationError):
        create_lane(db, "RAIL-VIA-WUWEI", LaneFields(name="x", mode="rail",
                                                     stops=["LANZHOU", "WUWEI"]))


def test_a_planned_leg_is_edited_and_the_shipment_estimated_again(db):
    shipment = create_shipment(db, reference="EDIT-1", legs=[
        LegInput(mode="rail", from_node="LANZHOU", to_node="ALASHANKOU", service_ref="X1",
                 planned_departure=T0, planned_arrival=T0 + timedelta(days=4))],
        book=True, now=T0 - timedelta(days=1))
    leg = shipment.legs[0]
    update_leg(db, shipment, 1, LegEdit(service_ref="X8031", carrier_name="CR Express",
                                        planned_arrival=(T0 + timedelta(days=5)).isoformat()),
               now=T0 - timedelta(days=1))
    assert (leg.service_ref, leg.carrier_name) == ("X8031", "CR Express")
    assert leg.planned_arrival == T0 + timedelta(days=5) and leg.planned_departure == T0
    assert leg.estimated_arrival is not None
    assert any(f == "planned_arrival" for _k, f, _v in audit(db, "shipment_leg", leg.id))
    for edit, field in [(LegEdit(planned_arrival=T0.isoformat()), "planned_arrival"),
                        (LegEdit(planned_departure="tomorrow"), "planned_departure"),
                        (LegEdit(house_doc="H#1"), "house_doc")]:
        with pytest.raises(ValidationError) as err:
            update_leg(db, shipment, 1, edit)
        assert err.value.field == field
    with pytest.raises(NotFound):
        update_leg(db, shipment, 2, LegEdit())
    append_leg(db, shipment, LegInput(mode="air", from_node="ALASHANKOU", to_node="LHW"))
    assert shipment.destination_node_id == get_node(db, "LHW").id
    with pytest.raises(ValidationError) as err:
        append_leg(db, shipment, LegInput(mode="air", from_node="LANZHOU", to_node="LHW"))
    assert err.value.field == "from_node"
    remove_last_leg(db, shipment)
    assert [leg.seq for leg in shipment.legs] == [1]
    with pytest.raises(ValidationError):
        remove_last_leg(db, shipment)
    ingest_events(db, "rail:crct", [{"id": "e-1", "code": "DEPA", "node": "LANZHOU",
                                     "shipment": "EDIT-1", "time": T0.isoformat()}])
    with pytest.raises(Conflict):
        update_leg(db, shipment, 1, LegEdit(service_ref="X2"))
