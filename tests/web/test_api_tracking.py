"""Tracking over the API: event batches (idempotent, all or nothing, fields named), CSV,
shipments with legs and timeline, tracking links, nodes, unit scans and webhooks."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.web.test_api import assert_error, bearer
from wms.core.context import SYSTEM, acting_as
from wms.core.db import utcnow
from wms.logistics.shipments import find_shipment
from wms.logistics.units import create_unit
from wms.logistics.identifiers import make_s10
from wms.logistics.models import (Shipment, TrackingEvent, TransportUnit, WebhookDelivery,
                                  WebhookSubscription)

pytestmark = pytest.mark.usefixtures("demo")


def fresh(db) -> None:
    db.commit()
    db.expire_all()


def count(db, model=TrackingEvent) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(model))


def snapshot(db, shipment_id: int) -> tuple:
    fresh(db)
    s = db.get(Shipment, shipment_id)
    return (s.status, s.status_at, s.current_node_id,
            tuple((leg.estimated_arrival, leg.actual_arrival, leg.state) for leg in s.legs))


def train_box(db):
    shipment = find_shipment(db, "X8025-LZ-DUI")
    box = db.scalars(select(TransportUnit).where(TransportUnit.shipment_id == shipment.id,
                                                 TransportUnit.kind == "container")).first()
    return shipment, box


def test_event_batch_is_idempotent_and_flags_unknown_codes(client, db):
    headers = bearer(db, "dispatcher")
    shipment, box = train_box(db)
    now = utcnow()
    batch = {"source": "rail:kzh", "events": [
        {"id": "kz-1", "code": "ARRI", "unit": box.identifier, "node": "MOSCOW",
         "time": (now - timedelta(hours=2)).isoformat(), "wagon": "62481530"},
        {"id": "kz-2", "code": "ZZQ9", "unit": box.identifier, "node": "MOSCOW",
         "time": (now - timedelta(hours=1)).isoformat()}]}
    before = count(db)
    first = client.post("/api/v1/tracking/events", json=batch, headers=headers)
    assert first.status_code == 200, first.json
    assert {k: first.json[k] for k in ("received", "accepted", "duplicates", "flagged")} == \
        {"received": 2, "accepted": 2, "duplicates": 0, "flagged": 1}
    assert count(db) == before + 2
    state = snapshot(db, shipment.id)
    assert db.get(Shipment, shipment.id).current_node.code == "MOSCOW"
    flagged = db.scalar(select(TrackingEvent).where(TrackingEvent.source_event_id == "kz-2"))
    assert flagged.flagged and flagged.source_code == "ZZQ9" and flagged.milestone == "unknown"
    kept = db.scalar(select(TrackingEvent).where(TrackingEvent.source_event_id == "kz-1"))
    assert '"wagon": "62481530"' in kept.raw
    second = client.post("/api/v1/tracking/events", json=batch, headers=headers)
    assert second.status_code == 200
    assert (second.json["accepted"], second.json["duplicates"]) == (0, 2)
    assert second.json["duplicate_ids"] == ["kz-1", "kz-2"]
    assert count(db) == before + 2 and snapshot(db, shipment.id) == state


@pytest.mark.parametrize("change, field", [
    ({"time": "2026-11-02 09:00"}, "events[1].time"),                 # no zone
    ({"time": "yesterday"}, "events[1].time"),
    ({"node": "ATLANTIS"}, "events[1].node"),
    ({"time": "FUTURE"}, "events[1].time"),
    ({"unit": "CSQU3054384"}, "events[1].unit"),                       # wrong check digit
    ({"awb": "112-62010013", "unit": None}, "events[1].awb"),          # wrong check digit
    ({"id": ""}, "events[1].id"),
])
def test_a_bad_event_names_its_field_and_nothing_is_written(client, db, change, field):
    headers = bearer(db, "dispatcher")
    shipment, box = train_box(db)
    now = utcnow()
    good = {"id": "ok-1", "code": "ARRI", "unit": box.identifier, "node": "MOSCOW",
            "time": (now - timedelta(hours=2)).isoformat()}
    bad = {**good, "id": "bad-1", **change}
    if bad.get("time") == "FUTURE":
        bad["time"] = (now + timedelta(days=3)).isoformat()
    bad = {k: v for k, v in bad.items() if v is not None}
    before, state = count(db), snapshot(db, shipment.id)
    response = client.post("/api/v1/tracking/events", json={"source": "rail:crct",
                                                            "events": [good, bad]},
                           headers=headers)
    assert response.status_code in (404, 422), response.json
    assert response.json["error"]["field"] == field
    assert count(db) == before and snapshot(db, shipment.id) == state


def test_event_batch_shape_and_roles(client, db):
    headers = bearer(db, "dispatcher")
    assert_error(client.post("/api/v1/tracking/events", json={"events": []}, headers=headers),
                 422, "validation_error", "source")
    assert_error(client.post("/api/v1/tracking/events", json={"source": "fax", "events": [
        {"id": "x", "code": "DEPA", "time": "2026-01-01T00:00:00+08:00", "unit": "X"}]},
        headers=headers), 422, "validation_error", "source")
    assert_error(client.post("/api/v1/tracking/events", json={"source": "rail:x",
                                                              "events": ["no"]},
                             headers=headers), 422, "validation_error", "events[0]")
    assert_error(client.post("/api/v1/tracking/events", json={"source": "rail:x",
                                                              "events": [], "extra": 1},
                             headers=headers), 422, "validation_error", "extra")
    assert_error(client.post("/api/v1/tracking/events", json={"source": "rail:x",
                                                              "events": []},
                             headers=bearer(db, "operator")), 403, "forbidden")


def test_csv_errors_name_the_line(client, db):
    headers = {**bearer(db, "dispatcher"), "Content-Type": "text/csv"}
    _shipment, box = train_box(db)
    t = (utcnow() - timedelta(hours=1)).isoformat()
    good = f"id,code,time,unit,node\ncsv-1,ARRI,{t},{box.identifier},BREST\n"
    before = count(db)
    bad = good + f"csv-2,ARRI,{t},{box.identifier},NOWHERE\n"
    assert_error(client.post("/api/v1/tracking/events/csv?source=rail:crct", data=bad,
                             headers=headers), 404, "not_found", "line 3: node")
    assert_error(client.post("/api/v1/tracking/events/csv", data=good, headers=headers),
                 422, "validation_error", "source")
    assert count(db) == before
    ok = client.post("/api/v1/tracking/events/csv?source=rail:crct", data=good,
                     headers=headers)
    assert ok.status_code == 200 and ok.json["accepted"] == 1
    again = client.post("/api/v1/tracking/events/csv?source=rail:crct", data=good,
                        headers=headers)
    assert again.json["duplicates"] == 1 and count(db) == before + 1


def test_shipments_list_and_detail(client, db):
    headers, owner = bearer(db, "dispatcher"), bearer(db, "owner")
    listed = client.get("/api/v1/shipments?state=in_transit&mode=rail", headers=headers).json
    names = {s["reference"] for s in listed["items"]}
    assert {"X8025-LZ-DUI", "X9017-LZ-ALA"} <= names and "AIR-LHW-FRA-001" not in names
    late = client.get("/api/v1/shipments?late=1", headers=headers).json
    assert [s["reference"] for s in late["items"]] == ["X9017-LZ-ALA"]
    shipment, box = train_box(db)
    for ref in (str(shipment.id), shipment.name.replace("/", "-"), "X8025-LZ-DUI"):
        detail = client.get(f"/api/v1/shipments/{ref}", headers=headers)
        assert detail.status_code == 200 and detail.json["id"] == shipment.id
    body = detail.json
    assert body["legs"][0]["path"][:4] == ["LANZHOU", "WUWEI", "ALASHANKOU", "DOSTYK"]
    assert body["legs"][0]["arrival"]["estimated"] and body["place"] == "DOSTYK"
    assert box.identifier in {u["identifier"] for u in body["units"]}
    # the train's own reports (a container it carries reports too, from the Kazakh side)
    boxes = {u["identifier"] for u in body["units"] if u["kind"] == "container"}
    own = [e for e in body["timeline"] if e.get("unit") not in boxes]
    assert [e["milestone"] for e in own][-2:] == ["gauge_changed", "departed"]
    assert own[-1]["time"].endswith("+05:00")  # as Dostyk reported it
    assert_error(client.get("/api/v1/shipments?status=flying", headers=headers),
                 422, "validation_error", "status")
    mail = find_shipment(db, "MAIL-LZOE-0001")
    assert_error(client.get(f"/api/v1/shipments/{mail.id}", headers=owner), 404, "not_found")
    owned = client.get("/api/v1/shipments", headers=owner).json
    from sqlalchemy import func

    from wms.logistics.models import Shipment
    from wms.partners.models import Enterprise
    milk = db.scalar(select(Enterprise.id).where(Enterprise.customs_code == "6201W60012"))
    theirs = db.scalar(select(func.count()).select_from(Shipment).where(
        Shipment.owner_id == milk))
    assert mail.id not in {s["id"] for s in owned["items"]} and owned["total"] == theirs >= 3


def test_create_shipment_with_legs(client, db):
    headers = bearer(db, "dispatcher")
    body = {"owner": "6201W60012", "reference": "API-TRAIN-1", "legs": [
        {"mode": "road", "from_node": "LHW", "to_node": "LANZHOU"},
        {"mode": "rail", "from_node": "LANZHOU", "to_node": "ALMATY", "service_ref": "X9100",
         "planned_departure": "2026-12-01T09:00:00+08:00",
         "planned_arrival": "2026-12-08T09:00:00+05:00"}]}
    bad = {**body, "legs": [body["legs"][0], {**body["legs"][1], "from_node": "WUWEI"}]}
    before = count(db, Shipment)
    assert_error(client.post("/api/v1/shipments", json=bad, headers=headers),
                 422, "validation_error", "legs[1].from_node")
    air = {**body, "legs": [{"mode": "air", "from_node": "LHW", "to_node": "FRA",
                             "transport_doc": "112-62010013"}]}
    assert_error(client.post("/api/v1/shipments", json=air, headers=headers),
                 422, "validation_error", "legs[0].transport_doc")
    assert count(db, Shipment) == before
    created = client.post("/api/v1/shipments", json=body,
                          headers={**headers, "Idempotency-Key": "ship-create-0001"})
    assert created.status_code == 201, created.json
    again = client.post("/api/v1/shipments", json=body,
                        headers={**headers, "Idempotency-Key": "ship-create-0001"})
    assert again.json["id"] == created.json["id"] and count(db, Shipment) == before + 1
    leg = created.json["legs"][1]
    assert created.json["state"] == "booked" and leg["lane"] == "RAIL-CA-KHR-ALA"
    assert "ALTYNKOL" in leg["path"] and leg["arrival"]["estimated"]


def test_tracking_link_over_the_api(app, client, db):
    shipment, _box = train_box(db)
    response = client.post(f"/api/v1/shipments/{shipment.id}/tracking-link",
                           json={"expires_in_days": 3}, headers=bearer(db, "owner"))
    assert response.status_code == 201
    page = app.test_client().get(response.json["url"].split("localhost", 1)[1])
    assert page.status_code == 200 and shipment.name in page.get_data(as_text=True)
    assert_error(client.post(f"/api/v1/shipments/{shipment.id}/tracking-link",
                             json={"expires_in_days": 365}, headers=bearer(db, "owner")),
                 422, "validation_error", "expires_in_days")


def test_nodes(client, db):
    body = client.get("/api/v1/tracking/nodes?kind=gauge_change&per_page=50",
                      headers=bearer(db, "operator")).json
    codes = {n["code"] for n in body["items"]}
    assert {"DOSTYK", "MALASZEWICZE", "ALTYNKOL", "ZAMYN_UUD"} <= codes
    assert all(n["gauge_change"] for n in body["items"])


def test_unit_scan_is_idempotent_by_its_key(client, db):
    headers = bearer(db, "operator")
    with acting_as(SYSTEM):
        mail = find_shipment(db, "MAIL-LZOE-0001")
        parcel = create_unit(db, "parcel", make_s10("RR", 77000001, "CN"), shipment=mail)
        bag = db.scalar(select(TransportUnit).where(TransportUnit.kind == "bag",
                                                    TransportUnit.shipment_id == mail.id))
    fresh(db)
    before = count(db)
    body = {"action": "load", "unit": parcel.identifier, "into": bag.identifier,
            "node": "LANZHOU_OE"}
    assert_error(client.post("/api/v1/tracking/units/scan", json=body, headers=headers),
                 422, "validation_error", "idempotency_key")
    answers = [client.post("/api/v1/tracking/units/scan", json=body,
                           headers={**headers, "Idempotency-Key": "api-scan-000001"})
               for _ in range(3)]
    assert {a.status_code for a in answers} == {201}
    assert answers[0].json == answers[2].json and answers[0].json["parent"] == bag.identifier
    assert count(db) == before + 1
    assert db.get(TransportUnit, parcel.id).parent_id == bag.id
    event = client.post("/api/v1/tracking/units/scan", json={
        "action": "event", "unit": bag.identifier, "milestone": "departed", "node": "FRA"},
        headers={**headers, "Idempotency-Key": "api-scan-000002"})
    assert event.status_code == 201 and event.json["inside"] == 4


def test_load_and_unload_are_the_loading_scanners_door(client, db):
    """The API's load and unload answer as the loading scanner does, with the same scan-id
    keys and the same error codes and fields."""
    from tests.conftest import login
    headers = bearer(db, "operator")
    with acting_as(SYSTEM):
        late = find_shipment(db, "X9017-LZ-ALA")
        box = db.scalar(select(TransportUnit).where(TransportUnit.shipment_id == late.id,
                                                    TransportUnit.kind == "container"))
        train = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
        inside = len(db.scalars(select(TransportUnit).where(
            TransportUnit.parent_id == box.id)).all())
    fresh(db)
    before = count(db)
    url = f"/api/v1/transport-units/{box.identifier}/load"
    body = {"into": train.identifier, "node": "WUWEI"}
    assert_error(client.post(url, json=body, headers=headers), 422, "validation_error",
                 "idempotency_key")
    answers = [client.post(url, json=body, headers={**headers,
                                                    "Idempotency-Key": "api-load-000001"})
               for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201], answers[0].json
    assert answers[0].json == answers[1].json
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    assert answers[0].json["unit"] == box.identifier and answers[0].json["into"] == \
        train.identifier and answers[0].json["kind"] == "container"
    assert answers[0].json["accepted"] == 1 and answers[0].json["inside"] >= inside
    assert box.identifier in answers[0].json["message"]
    assert count(db) == before + 1
    assert db.get(TransportUnit, box.id).parent_id == train.id
    event = db.scalar(select(TrackingEvent).order_by(TrackingEvent.id.desc()))
    assert event.source == "wms:handheld" and event.source_event_id == "api-load-000001"
    unload = client.post(f"/api/v1/transport-units/{box.identifier}/unload",
                         json={"node": "WUWEI", "idempotency_key": "api-unload-00001"},
                         headers=headers)
    assert unload.status_code == 201 and unload.json["into"] is None
    fresh(db)
    assert db.get(TransportUnit, box.id).parent_id is None
    # The same mistakes answer the same code and field here and on the scanner.
    login(client, "operator")
    for n, (code, payload, mode) in enumerate([
            ("MSKU0000000", {"into": train.identifier, "node": "WUWEI"}, "load"),
            (box.identifier, {"into": "MSKU0000000", "node": "WUWEI"}, "load"),
            (box.identifier, {"into": box.identifier, "node": "WUWEI"}, "load"),
            (box.identifier, {"node": "ATLANTIS"}, "unload")]):
        api = client.post(f"/api/v1/transport-units/{code}/{mode}",
                          json={**payload, "idempotency_key": f"api-bad-{n}-12345"},
                          headers=headers)
        scanner = client.post("/dispatch/m/api/scan", json={
            **payload, "mode": mode, "unit": code,
            "idempotency_key": f"hh-bad-{n}-12345"})
        assert api.status_code == scanner.status_code and api.status_code in (404, 422)
        assert api.json["error"]["code"] == scanner.json["error"]["code"]
        assert api.json["error"]["field"] == scanner.json["error"]["field"], api.json
    assert count(db) == before + 2
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/transport-units/{code}/load", "/transport-units/{code}/unload"):
        operation = next(v["post"] for k, v in spec["paths"].items() if k.endswith(path))
        assert "requestBody" in operation and "201" in operation["responses"]


def test_webhooks_over_the_api(client, db):
    headers, owner = bearer(db, "dispatcher"), bearer(db, "owner")
    assert_error(client.post("/api/v1/webhooks", json={"url": "ftp://x", "secret": "s" * 20},
                             headers=headers), 422, "validation_error", "url")
    created = client.post("/api/v1/webhooks", json={"url": "https://erp.example/h",
                                                    "secret": "s" * 20}, headers=headers)
    assert created.status_code == 201 and "secret" not in created.json
    assert_error(client.post("/api/v1/webhooks", json={"url": "https://o.example/h",
                                                      "secret": "o" * 20}, headers=owner),
                 422, "validation_error", "owner_id")
    mine = client.post("/api/v1/webhooks", json={"url": "https://o.example/h",
                                                 "secret": "o" * 20, "owner": "6201W60012"},
                       headers=owner)
    assert mine.status_code == 201
    assert [w["id"] for w in client.get("/api/v1/webhooks", headers=owner).json["items"]] == \
        [mine.json["id"]]
    assert client.get("/api/v1/webhooks", headers=headers).json["total"] == 2
    # A status change of the owner's shipment reaches both subscriptions.
    shipment, box = train_box(db)
    client.post("/api/v1/tracking/events", json={"source": "rail:crct", "events": [
        {"id": "hold-9", "code": "EME", "unit": box.identifier, "node": "BREST",
         "time": (utcnow() - timedelta(minutes=1)).isoformat()}]}, headers=headers)
    client.post("/api/v1/tracking/events", json={"source": "upu:x", "events": [
        {"id": "hold-9", "code": "EME", "unit": box.identifier, "node": "BREST",
         "time": (utcnow() - timedelta(minutes=1)).isoformat()}]}, headers=headers)
    # Both subscriptions hear of the train; the dispatcher's also of the rail mail dispatch
    # whose bag rides in that container (Brest is on its route too).
    assert count(db, WebhookDelivery) == 3
    log = client.get(f"/api/v1/webhooks/{mine.json['id']}/deliveries", headers=owner).json
    assert log["total"] == 1 and log["items"][0]["payload"]["shipment"]["status"] == "on_hold"
    assert_error(client.get(f"/api/v1/webhooks/{created.json['id']}/deliveries",
                            headers=owner), 404, "not_found", "subscription")
    assert count(db, WebhookSubscription) == 2
