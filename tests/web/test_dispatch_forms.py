"""The dispatcher's forms through the test client on the demo data: units registered (with
field errors) and loaded by the scanner, shipments planned with legs, lanes and nodes kept,
one event by hand, and labels printed from the dispatch pages (PDFs read back)."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import func, select

from tests.conftest import login
from wms.core.audit import AuditEvent
from wms.core.context import SYSTEM, acting_as
from wms.core.db import utcnow
from wms.logistics.models import RouteLane, RouteNode, Shipment, TrackingEvent, TransportUnit
from wms.logistics.shipments import find_shipment

pytestmark = pytest.mark.usefixtures("demo")
BAG = "CNLHWADEFRAAAUN60001001000125"


def fresh(db) -> None:
    db.commit()
    db.expire_all()


def unit(db, identifier: str) -> TransportUnit | None:
    fresh(db)
    return db.scalar(select(TransportUnit).where(TransportUnit.identifier == identifier))


def field_error(page: str, field_id: str) -> str | None:
    match = re.search(r'<p class="error" id="%s-error">([^<]+)</p>' % re.escape(field_id), page)
    return match.group(1) if match else None


def errors(page: str) -> list[str]:
    return (re.findall(r"<p class=.error.[^>]*>[^<]+", page)
            or re.findall(r"flash-error[^<]+<", page))


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def barcodes(pdf: bytes) -> list[set[str]]:
    return [{r.text for r in zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil())}
            for page in pdfium.PdfDocument(pdf)]


def test_a_wagon_is_registered_with_field_errors_and_loaded_by_the_scanner(client, db):
    login(client, "dispatcher")
    page = client.get("/dispatch/units").get_data(as_text=True)
    assert 'name="identifier"' in page and "AKE12345CK" in page
    bad = client.post("/dispatch/units", data={"kind": "container",
                                               "identifier": "CSQU3054384"})
    assert bad.status_code == 422
    assert "3" in field_error(bad.get_data(as_text=True), "identifier")  # the right digit
    short = client.post("/dispatch/units", data={"kind": "bag", "identifier": BAG[:-2]})
    assert short.status_code == 422 and field_error(short.get_data(as_text=True), "identifier")
    missing = client.post("/dispatch/units", data={"kind": "wagon", "identifier": ""})
    assert missing.status_code == 422 and field_error(missing.get_data(as_text=True),
                                                      "identifier")
    nowhere = client.post("/dispatch/units", data={"kind": "wagon", "identifier": "WAGON-001",
                                                   "shipment": "NO-SUCH"})
    assert nowhere.status_code == 404 and field_error(nowhere.get_data(as_text=True),
                                                      "shipment")
    assert unit(db, "WAGON-001") is None
    made = client.post("/dispatch/units", data={"kind": "wagon", "identifier": "wagon-001",
                                                "shipment": "X8025-LZ-DUI"})
    assert made.status_code == 302
    wagon = unit(db, "WAGON-001")
    assert wagon.kind == "wagon" and wagon.shipment.reference == "X8025-LZ-DUI"
    again = client.post("/dispatch/units", data={"kind": "wagon", "identifier": "WAGON-001"})
    assert again.status_code == 409
    # The loading scanner now knows the wagon: a container goes onto it.
    box = db.scalars(select(TransportUnit).where(TransportUnit.kind == "container",
                                                 TransportUnit.parent_id.is_(None))).first()
    scan = client.post("/dispatch/m/api/scan", json={
        "mode": "load", "unit": box.identifier, "into": "WAGON-001", "node": "LANZHOU",
        "idempotency_key": "wagon-001-load-1"})
    assert scan.status_code == 201, scan.get_data(as_text=True)
    assert unit(db, box.identifier).parent_id == wagon.id


def test_a_unit_is_corrected_and_retired_at_the_desk(client, db):
    login(client, "dispatcher")
    client.post("/dispatch/units", data={"kind": "train", "identifier": "X8099/20261210"})
    train = unit(db, "X8099/20261210")
    form = client.get(f"/dispatch/units/{train.id}/edit").get_data(as_text=True)
    assert 'value="X8099/20261210"' in form
    wrong = client.post(f"/dispatch/units/{train.id}/edit",
                        data={"identifier": "X 8099/20261211", "shipment": "NO-SUCH"})
    assert wrong.status_code == 404
    assert field_error(wrong.get_data(as_text=True), "shipment")
    ok = client.post(f"/dispatch/units/{train.id}/edit",
                     data={"identifier": "X8099/20261211", "shipment": ""})
    assert ok.status_code == 302 and unit(db, "X8099/20261211").id == train.id
    assert client.post(f"/dispatch/units/{train.id}/retire").status_code == 302
    assert unit(db, "X8099/20261211").active is False
    listed = client.get("/dispatch/units?kind=train").get_data(as_text=True)
    assert 'data-unit="X8099/20261211"' not in listed
    assert 'data-unit="X8099/20261211"' in client.get(
        "/dispatch/units?kind=train&retired=1").get_data(as_text=True)
    fields = {a.field for a in db.scalars(select(AuditEvent).where(
        AuditEvent.model == "transport_unit", AuditEvent.record_id == train.id))}
    assert {"identifier", "active"} <= fields
    client.post("/logout")
    login(client, "owner")
    assert client.post("/dispatch/units", data={"kind": "train",
                                                "identifier": "X1"}).status_code == 403


def test_a_shipment_is_planned_with_legs_edited_and_printed(client, db):
    login(client, "dispatcher")
    page = client.get("/dispatch/shipments/new").get_data(as_text=True)
    assert 'name="legs-0-mode"' in page and 'name="legs-3-planned_arrival"' in page
    # As a browser sends it: every row, the unused ones with an empty mode.
    data = {"reference": "LZ-FRA-AIR-77", "book": "y", "legs-1-mode": "", "legs-3-mode": "",
            "legs-0-mode": "rail", "legs-0-from_node": "LANZHOU",
            "legs-0-to_node": "ZHONGCHUAN_N", "legs-0-service_ref": "X1",
            "legs-2-mode": "air", "legs-2-from_node": "LANZHOU", "legs-2-to_node": "FRA",
            "legs-2-transport_doc": "112-62010023", "legs-2-carrier_name": "China Cargo"}
    bad = client.post("/dispatch/shipments/new", data=data)
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert field_error(text, "legs-2-from_node"), errors(text)  # the row the form shows
    assert field_error(text, "legs-2-transport_doc") is None
    fresh(db)
    assert db.scalar(select(Shipment.id).where(Shipment.reference == "LZ-FRA-AIR-77")) is None
    data["legs-2-from_node"] = "ZHONGCHUAN_N"
    data["legs-2-to_node"] = "LHW"
    data["legs-3-mode"], data["legs-3-from_node"], data["legs-3-to_node"] = "air", "LHW", "FRA"
    data["legs-3-transport_doc"] = "112-62010035"  # check digit 4, not 5
    wrong_awb = client.post("/dispatch/shipments/new", data=data)
    assert wrong_awb.status_code == 422
    assert field_error(wrong_awb.get_data(as_text=True), "legs-3-transport_doc"), errors(
        wrong_awb.get_data(as_text=True))
    data["legs-3-transport_doc"] = "112-62010034"
    data["legs-3-planned_departure"] = "2026-12-05T10:30"
    data["legs-3-planned_arrival"] = "2026-12-05T21:00"
    data["legs-3-house_doc"] = "LZB0777"
    data["legs-3-carrier_name"] = "China Cargo"
    made = client.post("/dispatch/shipments/new", data=data)
    assert made.status_code == 302, made.get_data(as_text=True)
    fresh(db)
    with acting_as(SYSTEM):
        shipment = find_shipment(db, "LZ-FRA-AIR-77")
    assert shipment.state == "booked" and shipment.name
    assert [(leg.mode, leg.from_node.code, leg.to_node.code) for leg in shipment.legs] == [
        ("rail", "LANZHOU", "ZHONGCHUAN_N"), ("air", "ZHONGCHUAN_N", "LHW"),
        ("air", "LHW", "FRA")]
    assert shipment.legs[2].planned_departure.utcoffset() == timedelta(0)
    assert shipment.legs[2].planned_departure.hour == 2  # 10:30 in Lanzhou
    view = client.get(f"/dispatch/shipments/{shipment.id}").get_data(as_text=True)
    assert f"/dispatch/shipments/{shipment.id}/legs/3/air-labels" in view
    # A planned leg edited: the wrong time order names its field.
    edit = f"/dispatch/shipments/{shipment.id}/legs/2/edit"
    assert 'name="service_ref"' in client.get(edit).get_data(as_text=True)
    late = client.post(edit, data={"service_ref": "CK9", "planned_departure": "2026-12-05T08:00",
                                   "planned_arrival": "2026-12-05T07:00"})
    assert late.status_code == 422 and field_error(late.get_data(as_text=True),
                                                   "planned_arrival")
    assert client.post(edit, data={"service_ref": "CK9"}).status_code == 302
    fresh(db)
    assert db.get(Shipment, shipment.id).legs[1].service_ref == "CK9"
    assert client.post(f"/dispatch/shipments/{shipment.id}/edit",
                       data={"reference": "LZ-FRA-AIR-78", "note": "fragile"}).status_code == 302
    # Air cargo labels: one per piece, the air waybill and piece as the barcode.
    labels = f"/dispatch/shipments/{shipment.id}/legs/3/air-labels"
    form = client.get(labels).get_data(as_text=True)
    assert 'value="China Cargo"' in form
    none = client.post(labels, data={"airline": "China Cargo", "pieces": "0"})
    assert none.status_code == 422 and field_error(none.get_data(as_text=True), "pieces")
    pdf = client.post(labels, data={"airline": "China Cargo", "pieces": "3",
                                    "weight_kg": "120"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert len(pdfium.PdfDocument(pdf.data)) == 3
    text = pdf_text(pdf.data)
    assert "112-6201 0034" in text
    assert "FRA" in text and "LHW" in text and "LZB0777" in text and "3/3" in text
    assert [codes & {f"11262010034{n:05d}" for n in (1, 2, 3)}
            for codes in barcodes(pdf.data)] == [{f"11262010034{n:05d}"} for n in (1, 2, 3)]
    rail = client.get(f"/dispatch/shipments/{shipment.id}/legs/1/air-labels")
    assert rail.status_code == 422


def test_a_draft_is_booked_and_legs_added_and_removed(client, db):
    login(client, "supervisor")
    made = client.post("/dispatch/shipments/new", data={
        "reference": "DRAFT-9", **{f"legs-{i}-mode": "" for i in (1, 2, 3)},
        "legs-0-mode": "post", "legs-0-from_node": "LANZHOU_OE",
        "legs-0-to_node": "ALMATY", "legs-0-carriage_mode": "rail"})
    assert made.status_code == 302
    fresh(db)
    with acting_as(SYSTEM):
        shipment = find_shipment(db, "DRAFT-9")
    assert shipment.state == "draft" and shipment.legs[0].carriage_mode == "rail"
    add = f"/dispatch/shipments/{shipment.id}/legs/new"
    assert '<option selected value="ALMATY">' in client.get(add).get_data(as_text=True)
    wrong = client.post(add, data={"leg-mode": "road", "leg-from_node": "LANZHOU",
                                   "leg-to_node": "TASHKENT"})
    assert wrong.status_code == 422 and field_error(wrong.get_data(as_text=True),
                                                    "leg-from_node")
    assert client.post(add, data={"leg-mode": "road", "leg-from_node": "ALMATY",
                                  "leg-to_node": "TASHKENT"}).status_code == 302
    assert client.post(f"/dispatch/shipments/{shipment.id}/book").status_code == 302
    fresh(db)
    shipment = db.get(Shipment, shipment.id)
    assert shipment.state == "booked" and shipment.destination.code == "TASHKENT"
    client.post(f"/dispatch/shipments/{shipment.id}/legs/remove-last")
    fresh(db)
    shipment = db.get(Shipment, shipment.id)
    assert len(shipment.legs) == 1 and shipment.destination.code == "ALMATY"
    client.post(f"/dispatch/shipments/{shipment.id}/cancel")
    fresh(db)
    assert db.get(Shipment, shipment.id).state == "cancelled"


def test_placards_and_bag_labels_from_the_units_page(client, db):
    login(client, "dispatcher")
    with acting_as(SYSTEM):
        x8025 = find_shipment(db, "X8025-LZ-DUI")
    box = db.scalars(select(TransportUnit).where(TransportUnit.kind == "container",
                                                 TransportUnit.shipment_id == x8025.id)).first()
    url = f"/dispatch/units/{box.id}/label"
    form = client.get(url).get_data(as_text=True)
    assert 'value="X8025"' in form  # the train from the rail leg
    no_seal = client.post(url, data={"train_number": "X8025", "destination": "Duisburg"})
    assert no_seal.status_code == 422 and field_error(no_seal.get_data(as_text=True), "seal")
    pdf = client.post(url, data={"train_number": "X8025", "destination": "Duisburg",
                                 "seal": "CN4471203", "departure": "2026-11-02"})
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "CN4471203" in text and "X8025" in text and "2026-11-02" in text
    assert box.identifier in set().union(*barcodes(pdf.data))
    client.post("/dispatch/units", data={"kind": "bag", "identifier": BAG,
                                         "shipment": "X8025-LZ-DUI"})
    bag = unit(db, BAG)
    label = client.post(f"/dispatch/units/{bag.id}/label",
                        data={"origin_name": "Lanzhou", "carriage": "X8025"})
    assert label.mimetype == "application/pdf"
    text = pdf_text(label.data)
    assert "CNLHWA" in text and "DEFRAA" in text and "12.5" in text
    assert BAG in set().union(*barcodes(label.data))
    wagon = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
    assert client.get(f"/dispatch/units/{wagon.id}/label").status_code == 422


def test_one_event_by_hand_with_its_field_errors(client, db):
    login(client, "dispatcher")
    page = client.get("/dispatch/events/new").get_data(as_text=True)
    assert 'value="rail:BORD"' in page and 'value="upu:EMD"' in page
    assert 'value="iata:DEP"' in page and 'value="rail:DEPART"' not in page
    fresh(db)
    before = db.scalar(select(func.count()).select_from(TrackingEvent))
    box = db.scalars(select(TransportUnit).where(TransportUnit.kind == "container")).first()
    when = (utcnow() + timedelta(hours=8) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    nothing = client.post("/dispatch/events/new", data={"code": "rail:BORD", "time": when})
    assert nothing.status_code == 422 and field_error(nothing.get_data(as_text=True), "unit")
    unknown = client.post("/dispatch/events/new", data={
        "code": "rail:BORD", "time": when, "unit": "NOPE0000001", "node": "ALASHANKOU"})
    assert unknown.status_code == 404 and field_error(unknown.get_data(as_text=True), "unit")
    no_time = client.post("/dispatch/events/new", data={"code": "rail:BORD",
                                                        "unit": box.identifier})
    assert no_time.status_code == 422 and field_error(no_time.get_data(as_text=True), "time")
    ok = client.post("/dispatch/events/new", data={
        "code": "rail:BORD", "time": when, "unit": box.identifier, "node": "ALASHANKOU",
        "classifier": "ACT"})
    assert ok.status_code == 302
    fresh(db)
    assert db.scalar(select(func.count()).select_from(TrackingEvent)) == before + 1
    event = db.scalars(select(TrackingEvent).order_by(TrackingEvent.id.desc())).first()
    assert (event.source, event.source_code, event.milestone, event.node.code) == (
        "rail:desk", "BORD", "border_crossed", "ALASHANKOU")
    assert event.time_zone == "+08:00"


def test_lanes_and_nodes_are_edited_and_retired(client, db):
    login(client, "dispatcher")
    bad = client.post("/dispatch/network/lanes/new", data={
        "code": "RAIL-LZ-KHORGOS", "name": "Lanzhou - Khorgos", "mode": "rail",
        "stops": "LANZHOU\nNOWHERE"})
    assert bad.status_code == 404 and field_error(bad.get_data(as_text=True), "stops")
    made = client.post("/dispatch/network/lanes/new", data={
        "code": "RAIL-LZ-KHORGOS", "name": "Lanzhou - Khorgos", "mode": "rail",
        "stops": "LANZHOU WUWEI, KHORGOS", "active": "y"})
    assert made.status_code == 302
    fresh(db)
    lane = db.scalar(select(RouteLane).where(RouteLane.code == "RAIL-LZ-KHORGOS"))
    assert [s.node.code for s in lane.stops] == ["LANZHOU", "WUWEI", "KHORGOS"]
    form = client.get(f"/dispatch/network/lanes/{lane.id}/edit").get_data(as_text=True)
    assert "LANZHOU\nWUWEI\nKHORGOS" in form
    assert client.post(f"/dispatch/network/lanes/{lane.id}/edit", data={
        "name": "Lanzhou - Khorgos (direct)", "mode": "rail", "stops": "LANZHOU\nKHORGOS",
        "active": "y"}).status_code == 302
    page = client.get("/dispatch/network/lanes").get_data(as_text=True)
    assert "Lanzhou - Khorgos (direct)" in page and 'id="lane-RAIL-LZ-KHORGOS"' in page
    khorgos = db.scalar(select(RouteNode).where(RouteNode.code == "KHORGOS"))
    refused = client.post(f"/dispatch/network/nodes/{khorgos.id}/retire", follow_redirects=True)
    assert re.search(r'flash-error[^>]*>[^<]*RAIL-', refused.get_data(as_text=True))
    fresh(db)
    assert db.get(RouteNode, khorgos.id).active
    client.post(f"/dispatch/network/lanes/{lane.id}/retire")
    fresh(db)
    assert db.get(RouteLane, lane.id).active is False
    changes = {(a.field, a.new_value) for a in db.scalars(select(AuditEvent).where(
        AuditEvent.model == "route_lane", AuditEvent.record_id == lane.id))}
    assert ("stops", "LANZHOU > KHORGOS") in changes and ("active", "False") in changes


def test_a_transfer_is_planned_at_the_desk_with_its_field_errors(client, db):
    from wms.logistics.transfers import LegTransfer
    shipment = find_shipment(db, "AIR-LHW-ALA-TAS-001")
    login(client, "dispatcher")
    page = client.get(f"/dispatch/shipments/{shipment.id}").get_data(as_text=True)
    url = f"/dispatch/shipments/{shipment.id}/legs/2/transfer"
    assert url in page
    form = client.get(url)
    assert form.status_code == 200 and 'value="180"' in form.get_data(as_text=True)
    wrong = client.post(url, data={"min_connection_minutes": "三小时"})
    assert wrong.status_code == 422 and "min_connection_minutes-error" in wrong.get_data(as_text=True)
    saved = client.post(url, data={"min_connection_minutes": "150", "transit_customs": "y",
                                   "customs_minutes": "300"})
    assert saved.status_code == 302
    fresh(db)
    transfer = db.scalar(select(LegTransfer).where(LegTransfer.shipment_id == shipment.id))
    assert (transfer.min_connection_minutes, transfer.transit_customs,
            transfer.customs_minutes) == (150, True, 300)
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.model == "leg_transfer", AuditEvent.record_id == transfer.id)) >= 1
