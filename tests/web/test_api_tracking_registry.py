"""Units, nodes, lanes and shipment plans over the API: the same doors as the desk, errors in
the one shape naming the field, and every route in openapi.json with its bounds."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.test_api import assert_error, bearer
from wms.logistics.models import RouteLane, TransportUnit

pytestmark = pytest.mark.usefixtures("demo")
BAG = "CNLHWADEFRAAAUN60001001000125"


def test_units_are_registered_corrected_and_retired(client, db):
    headers = bearer(db, "dispatcher")
    body = {"units": [{"kind": "wagon", "identifier": "WAGON-001"},
                      {"kind": "bag", "identifier": BAG, "shipment": "X8025-LZ-DUI"},
                      {"kind": "uld", "identifier": "PMC12345CK"}]}
    made = client.post("/api/v1/transport-units", json=body, headers=headers)
    assert made.status_code == 201, made.json
    assert [(u["kind"], u["scheme"], u["active"]) for u in made.json["units"]] == [
        ("wagon", "wagon", True), ("bag", "receptacle", True), ("uld", "uld", True)]
    assert made.json["units"][1]["shipment"]
    assert_error(client.post("/api/v1/transport-units", json=body, headers=headers), 409,
                 "conflict", "units[0].identifier")
    assert_error(client.post("/api/v1/transport-units", json={"units": [
        {"kind": "container", "identifier": "CSQU3054384"}]}, headers=headers), 422,
        "validation_error", "units[0].identifier")
    assert_error(client.post("/api/v1/transport-units", json={"units": [
        {"kind": "boat", "identifier": "B1"}]}, headers=headers), 422, "validation_error",
        "units[0].kind")
    listed = client.get("/api/v1/transport-units?kind=wagon&q=wagon", headers=headers).json
    assert [u["identifier"] for u in listed["items"]] == ["WAGON-001"]
    wagon_id = made.json["units"][0]["id"]
    edited = client.patch(f"/api/v1/transport-units/{wagon_id}",
                          json={"identifier": "WAGON-002"}, headers=headers)
    assert edited.status_code == 200 and edited.json["identifier"] == "WAGON-002"
    assert_error(client.patch(f"/api/v1/transport-units/{wagon_id}",
                              json={"shipment": "NO-SUCH"}, headers=headers), 404,
                 "not_found", "shipment")
    retired = client.post(f"/api/v1/transport-units/{wagon_id}/retire", headers=headers)
    assert retired.status_code == 200 and retired.json == {"retired": 1}
    db.commit()
    db.expire_all()
    assert db.get(TransportUnit, wagon_id).active is False
    # Owners read, they do not register.
    owner = bearer(db, "owner")
    assert_error(client.post("/api/v1/transport-units", json=body, headers=owner), 403,
                 "forbidden")


def test_nodes_and_lanes_over_the_api(client, db):
    headers = bearer(db, "dispatcher")
    node = {"code": "HORGOS_E", "name": "Horgos East", "kind": "border_station",
            "country": "CN", "latitude": 44.2, "longitude": 80.4, "border": True,
            "dwell_hours": 10}
    made = client.post("/api/v1/tracking/nodes", json=node, headers=headers)
    assert made.status_code == 201 and made.json["code"] == "HORGOS_E"
    assert_error(client.post("/api/v1/tracking/nodes", json=node, headers=headers), 409,
                 "conflict", "code")
    assert_error(client.post("/api/v1/tracking/nodes", json={**node, "latitude": 95},
                             headers=headers), 422, "validation_error", "latitude")
    edited = client.patch("/api/v1/tracking/nodes/HORGOS_E", json={
        **{k: v for k, v in node.items() if k != "code"}, "dwell_hours": 6}, headers=headers)
    assert edited.status_code == 200 and edited.json["dwell_hours"] == 6
    lane = {"code": "RAIL-LZ-HORGOS", "name": "Lanzhou - Horgos East", "mode": "rail",
            "stops": ["LANZHOU", "WUWEI", "HORGOS_E"]}
    made = client.post("/api/v1/tracking/lanes", json=lane, headers=headers)
    assert made.status_code == 201 and made.json["stops"] == lane["stops"]
    assert_error(client.post("/api/v1/tracking/lanes", json={**lane, "code": "X-1",
                                                             "stops": ["LANZHOU", "MARS"]},
                             headers=headers), 404, "not_found", "stops")
    assert_error(client.post("/api/v1/tracking/nodes/HORGOS_E/retire", headers=headers), 409,
                 "conflict", "nodes")
    edited = client.patch("/api/v1/tracking/lanes/RAIL-LZ-HORGOS", json={
        "name": "Lanzhou - Horgos East direct", "mode": "rail",
        "stops": ["LANZHOU", "HORGOS_E"]}, headers=headers)
    assert edited.status_code == 200 and edited.json["stops"] == ["LANZHOU", "HORGOS_E"]
    assert client.post("/api/v1/tracking/lanes/RAIL-LZ-HORGOS/retire",
                       headers=headers).json == {"retired": 1}
    assert client.post("/api/v1/tracking/nodes/HORGOS_E/retire",
                       headers=headers).json == {"retired": 1}
    lanes = client.get("/api/v1/tracking/lanes?per_page=500", headers=headers).json["items"]
    assert {"code": "RAIL-LZ-HORGOS", "active": False}.items() <= next(
        x for x in lanes if x["code"] == "RAIL-LZ-HORGOS").items()
    db.commit()
    assert db.scalar(select(RouteLane.active).where(RouteLane.code == "RAIL-LZ-HORGOS")) \
        is False


def test_a_shipment_plan_is_edited_over_the_api(client, db):
    headers = bearer(db, "dispatcher")
    made = client.post("/api/v1/shipments", json={"reference": "API-PLAN-1", "book": False,
                                                  "legs": [{"mode": "rail",
                                                            "from_node": "LANZHOU",
                                                            "to_node": "ALMATY"}]},
                       headers=headers)
    assert made.status_code == 201 and made.json["state"] == "draft"
    ref = "API-PLAN-1"
    appended = client.post(f"/api/v1/shipments/{ref}/legs", json={
        "mode": "air", "from_node": "ALA", "to_node": "LHW"}, headers=headers)
    assert_error(appended, 422, "validation_error", "from_node")
    appended = client.post(f"/api/v1/shipments/{ref}/legs", json={
        "mode": "road", "from_node": "ALMATY", "to_node": "TASHKENT"}, headers=headers)
    assert appended.status_code == 201 and len(appended.json["legs"]) == 2
    leg = client.patch(f"/api/v1/shipments/{ref}/legs/1", json={
        "service_ref": "X9031", "planned_departure": "2026-12-10T09:00:00+08:00",
        "planned_arrival": "2026-12-09T09:00:00+08:00"}, headers=headers)
    assert_error(leg, 422, "validation_error", "planned_arrival")
    leg = client.patch(f"/api/v1/shipments/{ref}/legs/1", json={
        "service_ref": "X9031", "planned_departure": "2026-12-10T09:00:00+08:00"},
        headers=headers)
    assert leg.status_code == 200 and leg.json["legs"][0]["service_ref"] == "X9031"
    assert_error(client.patch(f"/api/v1/shipments/{ref}/legs/9", json={}, headers=headers),
                 404, "not_found", "leg")
    booked = client.post(f"/api/v1/shipments/{ref}/book", headers=headers)
    assert booked.status_code == 200 and booked.json["state"] == "booked"
    renamed = client.patch(f"/api/v1/shipments/{ref}", json={"reference": "API-PLAN-2"},
                           headers=headers)
    assert renamed.json["reference"] == "API-PLAN-2"
    cancelled = client.post("/api/v1/shipments/API-PLAN-2/cancel", headers=headers)
    assert cancelled.json["state"] == "cancelled"
    assert_error(client.patch("/api/v1/shipments/API-PLAN-2/legs/1",
                              json={"service_ref": "X1"}, headers=headers), 409, "conflict",
                 "state")


def test_the_new_routes_are_in_openapi_with_their_bounds(client):
    doc = client.get("/api/v1/openapi.json").json
    paths = doc["paths"]
    for path, method in [("/transport-units", "get"), ("/transport-units", "post"),
                         ("/transport-units/{unit_id}", "patch"),
                         ("/transport-units/{unit_id}/retire", "post"),
                         ("/tracking/nodes", "post"), ("/tracking/nodes/{code}", "patch"),
                         ("/tracking/nodes/{code}/retire", "post"), ("/tracking/lanes", "get"),
                         ("/tracking/lanes", "post"), ("/tracking/lanes/{code}", "patch"),
                         ("/tracking/lanes/{code}/retire", "post"),
                         ("/shipments/{ref}", "patch"), ("/shipments/{ref}/legs", "post"),
                         ("/shipments/{ref}/legs/{seq}", "patch"),
                         ("/shipments/{ref}/book", "post"), ("/shipments/{ref}/cancel", "post")]:
        assert method in paths.get("/api/v1" + path, {}), (path, method)
    schemas = doc["components"]["schemas"]
    units = schemas["TransportUnitsInput"]["properties"]["units"]
    assert units["maxItems"] == 1000
    unit = schemas["TransportUnitInput"]["properties"]
    assert unit["identifier"]["maxLength"] == 40 and "bag" in unit["kind"]["enum"]
    node = schemas["RouteNodeInput"]["properties"]
    assert (node["latitude"]["minimum"], node["latitude"]["maximum"]) == (-90, 90)
    assert schemas["RouteLaneInput"]["properties"]["stops"]["maxItems"] == 60


def test_a_transfer_is_planned_and_changed_through_the_api(client, db):
    from wms.logistics.shipments import find_shipment
    from wms.logistics.transfers import LegTransfer
    headers = bearer(db, "dispatcher")
    url = "/api/v1/shipments/AIR-LHW-ALA-TAS-001/legs/2/transfer"
    changed = client.put(url, json={"min_connection_minutes": 90, "transit_customs": False},
                         headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    shipment = find_shipment(db, "AIR-LHW-ALA-TAS-001")
    db.expire_all()
    transfer = db.scalar(select(LegTransfer).where(LegTransfer.shipment_id == shipment.id))
    assert (transfer.min_connection_minutes, transfer.transit_customs) == (90, False)
    assert_error(client.put("/api/v1/shipments/AIR-LHW-ALA-TAS-001/legs/1/transfer",
                            json={}, headers=headers), 422, "validation_error", "leg")
    assert_error(client.put(url, json={"min_connection_minutes": -5}, headers=headers), 422,
                 "validation_error", "min_connection_minutes")
    assert_error(client.put(url, json={}, headers=bearer(db, "operator")), 403, "forbidden")
    spec = client.get("/api/v1/openapi.json").json
    body = spec["paths"]["/api/v1/shipments/{ref}/legs/{seq}/transfer"]["put"]
    assert body["summary"].startswith("Plan the transfer")
