"""The returns centre through the Flask test client: API (idempotent create, errors that
name the field and the document), handheld receiving, the desk page, CSV and the label."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from tests.web.test_api import assert_error, bearer
from wms.customs.inbox import apply_receipt_file
from wms.customs.models import CustomsMessage
from wms.customs.simulator import receipt_for
from wms.inventory.ledger import check_ledger
from wms.returns import queries, receiving, requests
from wms.returns.demo import BUYER_A, load_returns_demo, ship_order
from wms.returns.models import ReturnParcel, ReturnRequest

pytestmark = pytest.mark.usefixtures("demo")
_serial = itertools.count(1)


@pytest.fixture
def shipped(db):
    def make(qty: int = 2):
        order = ship_order(db, f"SLX20261127{98000 + next(_serial):05d}", BUYER_A,
                           "APT-PRE-800", qty, "198.00")
        db.commit()
        return order
    return make


def fresh(db):
    """End the test session's transaction: on SQLite a reader keeps its snapshot (and may
    not write after the app committed) until then."""
    db.commit()
    db.expire_all()


def count(db, model):
    fresh(db)
    n = db.scalar(select(func.count()).select_from(model))
    fresh(db)
    return n


def test_api_create_is_idempotent_and_errors_name_the_field(client, db, shipped):
    order = shipped()
    clerk, operator = bearer(db, "returns"), bearer(db, "operator")
    headers = {**clerk, "Idempotency-Key": "rt-create-1"}
    body = {"order": order.order_no, "reason": "不想要了", "platform_return_no": "API-RT-1",
            "lines": [{"gnum": 1, "qty": 1}]}
    before = count(db, ReturnRequest)
    first = client.post("/api/v1/returns", json=body, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post("/api/v1/returns", json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["name"] == first.json["name"]
    # same platform return number, new key: the stored return
    other = client.post("/api/v1/returns", json=body, headers=clerk)
    assert other.status_code == 200 and other.json["id"] == first.json["id"]
    assert count(db, ReturnRequest) == before + 1
    assert first.json["apply_by"] and first.json["late"] is False
    too_many = {**body, "platform_return_no": None, "lines": [{"gnum": 1, "qty": 5}]}
    assert_error(client.post("/api/v1/returns", json=too_many, headers=bearer(db, "returns")),
                 422, "too_many_returned", "lines[0].qty")
    assert_error(client.post("/api/v1/returns", json={**body, "order": "SLX2026112700002",
                                                      "platform_return_no": None},
                             headers=clerk), 422, "list_not_released", "order")
    assert_error(client.post("/api/v1/returns", json=body, headers=operator),
                 403, "forbidden")
    assert count(db, ReturnRequest) == before + 1


def test_api_declaration_names_the_document_that_disagrees(client, db, shipped):
    order = shipped()
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    order.waybill.logistics_no = "EMS-OTHER"
    db.commit()
    response = client.post(f"/api/v1/returns/{r.name.replace('/', '-')}/declaration",
                           headers=bearer(db, "returns"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "documents_disagree"
    assert response.json["problems"][0]["field"] == "logistics_no"
    assert "EMS-OTHER" in response.json["problems"][0]["detail"]
    login(client, "returns")
    page = client.post(f"/returns/{r.id}/declare", follow_redirects=True)
    assert page.status_code == 200
    assert page.data.count(b"EMS-OTHER") >= 2  # the refusal and the list of problems
    fresh(db)
    assert queries.declaration_of(db, r) is None


def test_handheld_scan_is_idempotent_unknown_goes_to_queue_and_match(client, db, shipped):
    order = shipped()
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    db.commit()
    login(client, "returns")
    assert client.get("/returns/m/receive").status_code == 200
    assert client.get("/returns/m/inspect").status_code == 200
    assert client.get("/returns/new").status_code == 200
    before = count(db, ReturnParcel)
    one = client.post("/returns/m/api/scan", json={"code": r.name, "idempotency_key": "k1"})
    assert one.status_code == 201 and one.json["return"] == r.name
    replay = client.post("/returns/m/api/scan", json={"code": r.name, "idempotency_key": "k1"})
    assert replay.json == one.json
    twice = client.post("/returns/m/api/scan", json={"code": r.name, "idempotency_key": "k2"})
    assert twice.status_code == 200 and twice.json["duplicate"]
    unknown = client.post("/returns/m/api/scan", json={"code": "ZZ-NOTHING-1",
                                                       "idempotency_key": "k3"})
    assert unknown.status_code == 201 and unknown.json["state"] == "unidentified"
    empty = client.post("/returns/m/api/scan", json={"code": "", "idempotency_key": "k4"})
    assert empty.status_code == 422 and empty.json["error"]["field"] == "code"
    assert count(db, ReturnParcel) == before + 2
    arrive = client.post("/returns/m/api/arrive", json={"batch": one.json["batch_id"],
                                                        "idempotency_key": "k5"})
    assert arrive.status_code == 201, arrive.get_data(as_text=True)
    fresh(db)
    assert db.get(ReturnRequest, r.id).state == "received"
    page = client.get("/returns/")
    assert page.status_code == 200 and b"ZZ-NOTHING-1" in page.data and b"<svg" in page.data
    fresh(db)
    r2 = requests.create_request(db, {"order": shipped().order_no, "reason": "y"}).request
    db.commit()
    parcel_id = unknown.json["id"]
    matched = client.post(f"/returns/parcels/{parcel_id}/match", data={"ref": r2.name})
    assert matched.status_code == 302
    fresh(db)
    fresh(db)
    assert db.get(ReturnParcel, parcel_id).state == "arrived"
    assert db.get(ReturnRequest, r2.id).state == "received"
    assert check_ledger(db) == []


def test_desk_flow_declare_grade_dispose_label_and_csv(client, db, shipped):
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "破损"}).request
    receiving.scan_parcel(db, r.name, warehouse=r.warehouse)
    receiving.arrive_batch(db, receiving.open_batch(db, r.warehouse))
    db.commit()
    login(client, "returns")
    assert client.post(f"/returns/{r.id}/declare").status_code == 200  # the confirm step
    assert queries.declaration_of(db, r) is None
    assert client.post(f"/returns/{r.id}/declare", data={"confirm": "yes"}).status_code == 302
    fresh(db)
    message = db.get(CustomsMessage, queries.declaration_of(db, r).message_id)
    apply_receipt_file(db, receipt_for(message, "800", "ok"))
    db.commit()
    assert client.post(f"/returns/{r.id}/lines/1/grade",
                       data={"grade": "damaged", "reason": "罐体凹陷"}).status_code == 302
    client.post(f"/returns/{r.id}/lines/1/dispose", data={"disposition": "scrap",
                                                         "reason": "不可再售"})
    page = client.get(f"/returns/{r.id}")
    assert page.status_code == 200 and "scrap-approval".encode() not in page.data
    client.get("/logout")
    client.post("/logout")
    login(client, "supervisor")
    assert b"scrap-approval" in client.get(f"/returns/{r.id}").data
    client.post(f"/returns/{r.id}/lines/1/scrap-approval", data={"decision": "approve"})
    fresh(db)
    assert db.get(ReturnRequest, r.id).state == "closed"
    label = client.post(f"/returns/{r.id}/label")
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    csv = client.get("/returns/export.csv")
    assert csv.status_code == 200 and r.name.encode() in csv.data
    assert check_ledger(db) == []


def test_owner_viewer_reads_own_returns_only_and_cannot_write(client, db, shipped):
    load_returns_demo(db)
    db.commit()
    owner = bearer(db, "owner")
    login(client, "owner")
    page = client.get("/returns/")
    assert page.status_code == 200
    assert client.get("/returns/m/receive").status_code == 403
    assert client.get("/returns/new").status_code == 403
    body = client.get("/api/v1/returns", headers=owner).json
    fresh(db)
    visible = db.scalar(select(func.count()).select_from(ReturnRequest).join(
        ReturnRequest.order).where(ReturnRequest.owner_id.in_(
            select(ReturnRequest.owner_id).where(ReturnRequest.platform_return_no ==
                                                 "SLX-RT-0001"))))
    assert body["total"] == visible
    assert client.get("/returns/", headers={}).status_code == 200
    client.post("/logout")
    login(client, "operator")
    assert client.get("/returns/").status_code == 403


def test_api_scan_arrive_grade_and_refused_restock(client, db, shipped):
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    db.commit()
    clerk = bearer(db, "returns")
    body = {"parcels": [{"code": order.waybill.logistics_no}]}
    scanned = client.post("/api/v1/returns/parcels", json=body, headers=clerk)
    assert scanned.status_code == 201 and scanned.json["parcels"][0]["return"] == r.name
    again = client.post("/api/v1/returns/parcels", json=body, headers=clerk)
    assert again.status_code == 200 and again.json["parcels"][0]["duplicate"] is True
    assert again.json["created"] == 0 and again.json["duplicates"] == 1
    looked = client.get(f"/api/v1/returns/lookup?code={order.waybill.logistics_no.lower()}",
                        headers=clerk)
    assert looked.status_code == 200 and looked.json["name"] == r.name
    assert_error(client.get("/api/v1/returns/lookup?code=NOTHING-HERE", headers=clerk),
                 422, "validation_error", "code")
    batch = scanned.json["batch"].replace("/", "-")
    arrived = client.post(f"/api/v1/returns/batches/{batch}/arrive", headers=clerk)
    assert arrived.status_code == 201 and arrived.json["document"]
    ref = r.name.replace("/", "-")
    graded = client.post(f"/api/v1/returns/{ref}/lines/1/grade", json={"grade": "new"},
                         headers=clerk)
    assert graded.status_code == 201 and graded.json["state"] == "inspected"
    assert_error(client.post(f"/api/v1/returns/{ref}/lines/1/dispose",
                             json={"disposition": "restock"}, headers=clerk),
                 422, "restock_refused", "disposition")
    fresh(db)
    assert check_ledger(db) == []


def test_a_whole_return_through_the_api_alone(client, db, shipped):
    """request -> receive parcel -> batch arrives -> match -> CEB625 -> CEB626 through the
    customs receipts API -> grade -> restock, with nothing but API calls."""
    order = shipped(qty=1)
    clerk, customs = bearer(db, "returns"), bearer(db, "customs")
    created = client.post("/api/v1/returns", json={
        "order": order.order_no, "reason": "不想要了", "platform_return_no": "API-FLOW-1"},
        headers={**clerk, "Idempotency-Key": "flow-1"})
    assert created.status_code == 201, created.get_data(as_text=True)
    ref = created.json["name"].replace("/", "-")
    received = client.post("/api/v1/returns/parcels", json={
        "parcels": [{"code": "RR-FLOW-UNKNOWN-1"}, {"notes": "无面单 no label"}]},
        headers={**clerk, "Idempotency-Key": "flow-2"})
    assert received.status_code == 201, received.get_data(as_text=True)
    assert [p["state"] for p in received.json["parcels"]] == ["unidentified"] * 2
    assert received.json["created"] == 2
    batch = received.json["batch"].replace("/", "-")
    arrived = client.post(f"/api/v1/returns/batches/{batch}/arrive",
                          headers={**clerk, "Idempotency-Key": "flow-3"})
    assert arrived.status_code == 201 and arrived.json["unidentified"] >= 2
    parcel_id = received.json["parcels"][0]["id"]
    matched = client.post(f"/api/v1/returns/parcels/{parcel_id}/match",
                          json={"return": ref}, headers={**clerk, "Idempotency-Key": "flow-4"})
    assert matched.status_code == 201 and matched.json["state"] == "arrived"
    assert client.get(f"/api/v1/returns/{ref}", headers=clerk).json["state"] == "received"
    early = client.post(f"/api/v1/returns/{ref}/lines/1/grade", json={"grade": "new"},
                        headers=clerk)
    assert early.status_code == 201
    assert_error(client.post(f"/api/v1/returns/{ref}/lines/1/dispose",
                             json={"disposition": "restock"}, headers=clerk),
                 422, "restock_refused", "disposition")
    declared = client.post(f"/api/v1/returns/{ref}/declaration",
                           headers={**clerk, "Idempotency-Key": "flow-5"})
    assert declared.status_code == 201 and declared.json["declaration"] == "sent"
    messages = client.get("/api/v1/customs/messages?type=CEB625", headers=customs).json
    guid = next(m["guid"] for m in messages["items"]
                if m["business_key"] == created.json["name"])
    fresh(db)
    receipt = receipt_for(db.scalar(select(CustomsMessage).where(CustomsMessage.guid == guid)),
                          "800", "退货放行")
    fresh(db)
    answered = client.post("/api/v1/customs/receipts", data=receipt, headers={
        **customs, "Content-Type": "application/xml", "Idempotency-Key": "flow-6"})
    assert answered.status_code == 201, answered.get_data(as_text=True)
    assert client.get(f"/api/v1/returns/{ref}", headers=clerk).json["declaration"] == \
        "approved"
    restocked = client.post(f"/api/v1/returns/{ref}/lines/1/dispose",
                            json={"disposition": "restock"},
                            headers={**clerk, "Idempotency-Key": "flow-7"})
    assert restocked.status_code == 201, restocked.get_data(as_text=True)
    assert restocked.json["state"] == "closed"
    assert restocked.json["lines"][0]["disposition_state"] == "done"
    replay = client.post(f"/api/v1/returns/{ref}/lines/1/dispose",
                         json={"disposition": "restock"},
                         headers={**clerk, "Idempotency-Key": "flow-7"})
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json == restocked.json
    fresh(db)
    assert check_ledger(db) == []


def test_api_bulk_parcels_and_dispositions_name_the_line(client, db, shipped):
    order = shipped(qty=2)
    clerk = bearer(db, "returns")
    returns = [requests.create_request(db, {"order": order.order_no, "reason": "x",
                                            "lines": [{"gnum": 1, "qty": 1}]}).request
               for _ in range(2)]
    db.commit()
    names = [r.name for r in returns]
    before = count(db, ReturnParcel)
    assert_error(client.post("/api/v1/returns/parcels", json={
        "parcels": [{"code": names[0]}, {"code": ""}]}, headers=clerk),
        422, "validation_error", "parcels[1].code")
    assert count(db, ReturnParcel) == before  # nothing half written
    received = client.post("/api/v1/returns/parcels", json={
        "parcels": [{"code": n} for n in names] + [{"code": names[0]}]}, headers=clerk)
    assert received.status_code == 201
    assert [p["duplicate"] for p in received.json["parcels"]] == [False, False, True]
    assert count(db, ReturnParcel) == before + 2
    client.post(f"/api/v1/returns/batches/{received.json['batch'].replace('/', '-')}/arrive",
                headers=clerk)
    for n in names:
        client.post(f"/api/v1/returns/{n.replace('/', '-')}/lines/1/grade",
                    json={"grade": "damaged", "reason": "凹陷"}, headers=clerk)
    assert_error(client.post("/api/v1/returns/dispositions", json={"lines": [
        {"return": names[0], "gnum": 1, "disposition": "return_to_vendor", "reason": "退回"},
        {"return": names[1], "gnum": 1, "disposition": "restock"}]}, headers=clerk),
        422, "validation_error", "lines[1].disposition")
    done = client.post("/api/v1/returns/dispositions", json={"lines": [
        {"return": n, "gnum": 1, "disposition": "return_to_vendor", "reason": "退回"}
        for n in names]}, headers=clerk)
    assert done.status_code == 201, done.get_data(as_text=True)
    assert {r["state"] for r in done.json["returns"]} == {"closed"}
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/returns/parcels", "/api/v1/returns/dispositions",
                 "/api/v1/returns/{ref}/lines/{gnum}/dispose",
                 "/api/v1/returns/{ref}/declaration",
                 "/api/v1/returns/parcels/{parcel_id}/match",
                 "/api/v1/returns/{ref}/lines/{gnum}/grade"):
        assert "post" in spec["paths"][path], path
    fresh(db)
    assert check_ledger(db) == []


def test_a_parcel_photo_is_judged_by_its_bytes_and_written_only_with_the_scan(client, db,
                                                                              shipped, app):
    import base64
    from pathlib import Path

    order = shipped()
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    db.commit()
    login(client, "returns")
    folder = Path(app.config["INSTANCE_PATH"]) / "returns_photos"
    files = lambda: sorted(folder.glob("*")) if folder.exists() else []  # noqa: E731
    before = files()
    script = "data:image/png;base64," + base64.b64encode(b"<script>alert(1)</script>").decode()
    lying = client.post("/returns/m/api/scan", json={"code": r.name, "photo": script,
                                                     "idempotency_key": "p1"})
    assert lying.status_code == 422 and lying.json["error"]["field"] == "photo"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    refused = client.post("/returns/m/api/scan", json={
        "code": "", "photo": "data:image/png;base64," + base64.b64encode(png).decode(),
        "idempotency_key": "p2"})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "code"
    assert files() == before  # neither the lie nor the refused scan left a file
    kept = client.post("/returns/m/api/scan", json={
        "code": r.name, "photo": "data:image/jpeg;base64," + base64.b64encode(png).decode(),
        "idempotency_key": "p3"})
    assert kept.status_code == 201, kept.get_data(as_text=True)
    written = [f for f in files() if f not in before]
    assert [f.suffix for f in written] == [".png"] and written[0].read_bytes() == png
