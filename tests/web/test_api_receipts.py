"""Receipts over the API: ASN in (idempotent, owner-scoped), gate-in, close tally,
declaration with its problems, customs answers; errors name the field as the services do."""
from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.web.test_api import assert_error
from tests.web.test_api import bearer as api_bearer
from wms.catalog.models import Product
from wms.customs.models import CustomsMessage
from wms.demo import OWNER_COSMETICS, OWNER_MILK
from wms.inbound.declaration_xml import NS, schema
from wms.inbound.models import EntryDeclaration, Receipt

pytestmark = pytest.mark.usefixtures("demo")

ASN = {
    "owner": OWNER_MILK, "warehouse": "LZB", "supplier": "Danone Nutricia GmbH, Fulda",
    "supplier_ref": "API-1", "transport_mode": "3", "train_no": "X8024",
    "container_no": "CSQU3054383", "rail_note_no": "SMGS 24-0123",
    "expected_arrival": "2026-12-05T08:00:00+08:00",
    "lines": [
        {"product": "APT-PRE-800", "quantity": 300, "lot": "L2026-1205",
         "expiry_date": "2027-12-05"},
        {"product": "4902000001703", "quantity": 120, "lot": "MJ261205",
         "expiry_date": "2027-12-05", "sscc": "106141412345678908"},
    ],
}


def fresh(db) -> None:
    """See what the app committed: end the fixture session's transaction (on SQLite its
    WAL snapshot; on PostgreSQL its savepoint, kept, since a rollback there would undo the
    app's savepoints nested inside it) and reload every object."""
    db.commit()
    db.expire_all()


def bearer(db, login: str) -> dict:
    # On SQLite (WAL) a write from a transaction that began before the app's last commit
    # is refused as "locked": start a fresh one.
    fresh(db)
    return api_bearer(db, login)


def receipts_count(db) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(Receipt))


def receipt(db, ref: str) -> Receipt:
    fresh(db)
    return db.scalar(select(Receipt).where(Receipt.supplier_ref == ref))


def test_create_replayed_three_times_creates_one_receipt(client, db):
    headers = {**bearer(db, "supervisor"), "Idempotency-Key": "asn-api-1"}
    before = receipts_count(db)
    answers = [client.post("/api/v1/receipts", json=ASN, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json == answers[1].json == answers[2].json
    assert "Idempotent-Replayed" not in answers[0].headers
    assert answers[2].headers["Idempotent-Replayed"] == "true"
    assert receipts_count(db) == before + 1
    body = answers[0].json
    assert body["state"] == "expected" and body["name"].startswith("LZB/IN/")
    assert body["trade_mode"] == "1210" and body["container_no"] == "CSQU3054383"
    assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [
        ("APT-PRE-800", "300"), ("MEIJI-STEP-800", "120")]
    changed = client.post("/api/v1/receipts", json={**ASN, "supplier": "Other"},
                          headers=headers)
    assert_error(changed, 409, "conflict", "idempotency_key")


@pytest.mark.parametrize("change, status, code, field", [
    (lambda a: a["lines"][1].update(quantity=0), 422, "validation_error", "lines[1].quantity"),
    (lambda a: a["lines"][0].update(quantity=-3), 422, "validation_error", "lines[0].quantity"),
    (lambda a: a["lines"][0].update(product="NOPE"), 422, "validation_error",
     "lines[0].product"),
    (lambda a: a["lines"][0].update(colour="red"), 422, "validation_error", "lines[0].colour"),
    (lambda a: a["lines"][0].update(expiry_date="05/12/2027"), 422, "validation_error",
     "lines[0].expiry_date"),
    (lambda a: a["lines"][1].update(sscc="106141412345678900"), 422, "validation_error",
     "lines[1].sscc"),
    (lambda a: a["lines"][0].pop("lot"), 422, "validation_error", "lines[0].lot"),
    (lambda a: a.pop("owner"), 422, "validation_error", "owner"),
    (lambda a: a.update(container_no="CSQU3054384"), 422, "validation_error", "container_no"),
    (lambda a: a.update(air_waybill="112-12345670"), 422, "validation_error", "air_waybill"),
    (lambda a: a.update(trade_mode="9999"), 422, "validation_error", "trade_mode"),
    (lambda a: a.update(expected_arrival="2026-12-05 08:00"), 422, "validation_error",
     "expected_arrival"),
    (lambda a: a.update(lines=[]), 422, "validation_error", "lines"),
    (lambda a: a.update(warehouse="XXX"), 422, "validation_error", "warehouse"),
])
def test_validation_errors_name_the_field_and_write_nothing(client, db, change, status, code,
                                                             field):
    import copy
    payload = copy.deepcopy(ASN)
    change(payload)
    before = receipts_count(db)
    assert_error(client.post("/api/v1/receipts", json=payload,
                             headers=bearer(db, "customs")), status, code, field)
    assert receipts_count(db) == before


def test_owner_tokens_send_their_own_asns_and_see_their_own_receipts(client, db):
    headers = bearer(db, "owner")
    created = client.post("/api/v1/receipts", json=ASN, headers=headers)
    assert created.status_code == 201 and created.json["owner"] == OWNER_MILK
    assert_error(client.post("/api/v1/receipts", json={**ASN, "owner": OWNER_COSMETICS},
                             headers=headers), 422, "validation_error", "owner")
    listed = client.get("/api/v1/receipts?per_page=500", headers=headers).json
    assert {r["owner"] for r in listed["items"]} == {OWNER_MILK}
    assert listed["total"] == 6  # five demo receipts of the milk owner and the new one
    cosmetics = receipt(db, "DEMO-R5")
    assert_error(client.get(f"/api/v1/receipts/{cosmetics.id}", headers=headers),
                 404, "not_found", "receipt")
    assert_error(client.get("/api/v1/receipts/" + cosmetics.name.replace("/", "-"),
                            headers=headers), 404, "not_found", "receipt")
    expected = receipt(db, "DEMO-R1")
    assert_error(client.post(f"/api/v1/receipts/{expected.id}/gate-in", json={},
                             headers=headers), 403, "forbidden")
    assert_error(client.post(f"/api/v1/receipts/{expected.id}/declaration",
                             headers=headers), 403, "forbidden")


def test_list_filter_and_one_receipt_by_id_or_name(client, db):
    headers = bearer(db, "supervisor")
    held = client.get("/api/v1/receipts?state=held", headers=headers).json
    assert [r["supplier_ref"] for r in held["items"]] == ["DEMO-R6"]
    assert_error(client.get("/api/v1/receipts?state=lost", headers=headers), 422,
                 "validation_error", "state")
    tallied = receipt(db, "DEMO-R4")
    by_id = client.get(f"/api/v1/receipts/{tallied.id}", headers=headers).json
    by_name = client.get("/api/v1/receipts/" + tallied.name.replace("/", "-"),
                         headers=headers).json
    assert by_id == by_name and by_id["name"] == tallied.name
    progress = {(p["sku"], p["lot"]): (p["expected"], p["tallied"], p["damaged"])
                for p in by_id["progress"]}
    assert progress[("APT-PRE-800", "L2026-1015")] == ("300", "288", "4")
    assert sorted(d["kind"] for d in by_id["discrepancies"]) == ["damaged", "short"]
    assert by_id["declaration"] is None
    named = client.get("/api/v1/receipts?name=" + tallied.name, headers=headers).json
    assert [r["id"] for r in named["items"]] == [tallied.id]
    declared = client.get(f"/api/v1/receipts/{receipt(db, 'DEMO-R5').id}",
                          headers=headers).json
    assert declared["declaration"]["state"] == "filed"
    assert declared["declaration"]["message_state"] in ("draft", "sent")


def test_gate_in_checks_the_container_and_changes_nothing_when_refused(client, db):
    expected = receipt(db, "DEMO-R1")
    headers = bearer(db, "operator")
    assert_error(client.post(f"/api/v1/receipts/{expected.id}/gate-in",
                             json={"container_no": "CSQU3054384"}, headers=headers),
                 422, "validation_error", "container_no")
    assert receipt(db, "DEMO-R1").state == "expected"
    done = client.post(f"/api/v1/receipts/{expected.id}/gate-in",
                       json={"vehicle_no": "甘A·D2741", "container_no": "CSQU3054383",
                             "seal_no": "CN778"}, headers=headers)
    assert done.status_code == 201 and done.json["state"] == "arrived"
    assert done.json["seal_no"] == "CN778" and done.json["declare_by"]
    assert_error(client.post(f"/api/v1/receipts/{expected.id}/gate-in", json={},
                             headers=headers), 409, "conflict", "receipt")


def test_close_tally_is_for_supervisors(client, db):
    tallying = receipt(db, "DEMO-R3")
    assert_error(client.post(f"/api/v1/receipts/{tallying.id}/close-tally",
                             headers=bearer(db, "operator")), 403, "forbidden")
    closed = client.post(f"/api/v1/receipts/{tallying.id}/close-tally",
                         headers=bearer(db, "supervisor"))
    assert closed.status_code == 201 and closed.json["state"] == "tallied"
    assert [d["kind"] for d in closed.json["discrepancies"]] == ["short"]
    assert_error(client.post(f"/api/v1/receipts/{tallying.id}/close-tally",
                             headers=bearer(db, "supervisor")), 409, "conflict", "receipt")


def test_declaration_refused_early_then_problems_then_filed(client, db):
    headers = bearer(db, "customs")
    tallying, tallied = receipt(db, "DEMO-R3"), receipt(db, "DEMO-R4")
    assert_error(client.post(f"/api/v1/receipts/{tallying.id}/declaration", headers=headers),
                 409, "conflict", "receipt")
    fresh(db)
    apt = db.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
    record_no, apt.item_record_no, apt.hs_code = apt.item_record_no, None, "19011010"
    db.commit()
    refused = client.post(f"/api/v1/receipts/{tallied.id}/declaration", headers=headers)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "declaration_not_ready"
    assert refused.json["error"]["field"] == "product APT-PRE-800: item_record_no"
    assert {(p["sku"], p["field"], p["product_id"]) for p in refused.json["problems"]} == {
        ("APT-PRE-800", "item_record_no", apt.id), ("APT-PRE-800", "hs_code", apt.id)}
    fresh(db)
    assert db.scalar(select(func.count()).select_from(EntryDeclaration).where(
        EntryDeclaration.receipt_id == tallied.id)) == 0
    fresh(db)
    apt = db.get(Product, apt.id)
    apt.item_record_no, apt.hs_code = record_no, "1901101010"
    db.commit()
    filed = client.post(f"/api/v1/receipts/{tallied.id}/declaration",
                        headers={**headers, "Idempotency-Key": "declare-r4"})
    assert filed.status_code == 201, filed.json
    assert filed.json["state"] == "filed" and filed.json["message_state"] == "draft"
    replay = client.post(f"/api/v1/receipts/{tallied.id}/declaration",
                         headers={**headers, "Idempotency-Key": "declare-r4"})
    assert replay.json == filed.json and replay.headers["Idempotent-Replayed"] == "true"
    assert receipt(db, "DEMO-R4").state == "declared"
    message = db.scalar(select(CustomsMessage).where(CustomsMessage.guid == filed.json["guid"]))
    assert schema().validate(etree.fromstring(message.xml.encode()))


def test_decisions_and_customs_answer_over_the_api(client, db):
    headers = bearer(db, "customs")
    declared, tallied = receipt(db, "DEMO-R5"), receipt(db, "DEMO-R4")
    assert_error(client.post(f"/api/v1/receipts/{tallied.id}/decisions",
                             json={"decisions": [{"gnum": 1, "decision": "released"}]},
                             headers=headers), 422, "validation_error", "declaration")
    assert_error(client.post(f"/api/v1/receipts/{declared.id}/decisions",
                             json={"decisions": [{"gnum": 1, "decision": "lost"}]},
                             headers=headers), 422, "validation_error", "decisions[0].decision")
    hold = client.post(f"/api/v1/receipts/{declared.id}/decisions",
                       json={"decisions": [{"gnum": 1, "decision": "held"}],
                             "note": "布控查验"}, headers=headers)
    assert hold.status_code == 201 and hold.json["state"] == "held"
    guid = hold.json["declaration"]["guid"]
    answer = (f'<EntryRecordListReturn xmlns="{NS}"><guid>{guid}</guid>'
              f'<returnTime>20261202101500</returnTime><Item><gnum>1</gnum>'
              f'<returnStatus>800</returnStatus><returnInfo>查验放行</returnInfo></Item>'
              f'</EntryRecordListReturn>')
    assert_error(client.post("/api/v1/customs/entry-receipts", data=answer,
                             content_type="application/xml", headers=bearer(db, "operator")),
                 403, "forbidden")
    assert_error(client.post("/api/v1/customs/entry-receipts", data="<oops",
                             content_type="application/xml", headers=headers),
                 422, "validation_error", "xml")
    released = client.post("/api/v1/customs/entry-receipts", data=answer,
                           content_type="application/xml", headers=headers)
    assert released.status_code == 201, released.json
    assert released.json["state"] == "released"
    assert released.json["declaration"]["return_status"] == "800"
    assert released.json["declaration"]["lines"][0]["decision"] == "released"


def test_openapi_documents_the_receipt_operations(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, method in [("/api/v1/receipts", "post"), ("/api/v1/receipts", "get"),
                         ("/api/v1/receipts/{ref}", "get"),
                         ("/api/v1/receipts/{ref}/gate-in", "post"),
                         ("/api/v1/receipts/{ref}/close-tally", "post"),
                         ("/api/v1/receipts/{ref}/declaration", "post"),
                         ("/api/v1/receipts/{ref}/decisions", "post"),
                         ("/api/v1/customs/entry-receipts", "post")]:
        assert method in doc["paths"][path], (path, method)
    lines = doc["components"]["schemas"]["ReceiptInput"]["properties"]["lines"]
    assert lines["items"]["$ref"].endswith("/ReceiptLineInput")
    assert doc["components"]["schemas"]["ReceiptLineInput"]["required"] == ["product",
                                                                             "quantity"]


# ---------------------------------------------------------------- a whole receipt, API only

def test_a_whole_receipt_through_the_api_alone(client, db):
    """ASN -> gate-in -> tally scans -> close -> declare -> release -> putaway, nothing but
    /api/v1, ending with a clean ledger."""
    from wms.inventory.ledger import check_ledger
    staff = {who: bearer(db, who) for who in ("supervisor", "operator", "customs")}
    asn = {**ASN, "supplier_ref": "API-WHOLE",
           "lines": [{**ASN["lines"][0], "quantity": 24},
                     {**ASN["lines"][1], "sscc": "106141412345679004"}]}
    created = client.post("/api/v1/receipts", json=asn, headers=staff["supervisor"])
    assert created.status_code == 201, created.json
    ref = created.json["name"].replace("/", "-")
    assert client.post(f"/api/v1/receipts/{ref}/gate-in", json={"container_no": "CSQU3054383"},
                       headers=staff["operator"]).json["state"] == "arrived"
    url = f"/api/v1/receipts/{ref}/tally-scans"
    choose = client.post(url, json={"item": "APT-PRE-800"}, headers=staff["operator"])
    assert choose.status_code == 422 and choose.json["error"]["code"] == "choose_lot"
    assert choose.json["error"]["choices"] == [{"lot": "L2026-1205", "sku": "APT-PRE-800",
                                               "expiry": "2027-12-05"}]
    scan = {"item": "APT-PRE-800", "lot": "L2026-1205", "quantity": 20}
    headers = {**staff["operator"], "Idempotency-Key": "scan-api-whole-1"}
    first = client.post(url, json=scan, headers=headers)
    assert first.status_code == 201, first.json
    replay = client.post(url, json=scan, headers=headers)
    assert replay.json == first.json and replay.headers["Idempotent-Replayed"] == "true"
    assert first.json["scans"] == [{"sku": "APT-PRE-800", "lot": "L2026-1205",
                                    "quantity": "20", "condition": "good"}]
    pallet = client.post(url, json={"item": "106141412345679004"}, headers=staff["operator"])
    assert pallet.status_code == 201 and pallet.json["package"] == "106141412345679004"
    assert_error(client.post(url, json={"item": "106141412345679004"},
                             headers=staff["operator"]), 409, "conflict", "item")
    closed = client.post(f"/api/v1/receipts/{ref}/close-tally", headers=staff["supervisor"])
    assert closed.status_code == 201 and closed.json["state"] == "tallied"
    assert [(d["kind"], d["tallied"]) for d in closed.json["discrepancies"]] == [("short", "20")]
    assert_error(client.post(url, json=scan, headers=staff["operator"]), 409, "conflict",
                 "receipt")
    assert_error(client.post("/api/v1/putaways", json={"receipt": ref},
                             headers=staff["operator"]), 409, "conflict", "receipt")
    declared = client.post(f"/api/v1/receipts/{ref}/declaration", headers=staff["customs"])
    assert declared.status_code == 201, declared.json
    released = client.post(f"/api/v1/receipts/{ref}/decisions", json={"decisions": [
        {"gnum": ln["gnum"], "decision": "released"} for ln in declared.json["lines"]]},
        headers=staff["customs"])
    assert released.status_code == 201 and released.json["state"] == "released"
    put = client.post("/api/v1/putaways", json={"receipt": ref}, headers=staff["operator"])
    assert put.status_code == 201, put.json
    assert put.json["state"] == "stored" and put.json["stored"] == [created.json["name"]]
    fresh(db)
    assert check_ledger(db) == []


def test_cancel_over_the_api_turns_arrived_goods_back(client, db):
    arrived = receipt(db, "DEMO-R2")
    headers = bearer(db, "supervisor")
    assert_error(client.post(f"/api/v1/receipts/{arrived.id}/cancel", json={},
                             headers=headers), 422, "validation_error", "reason")
    done = client.post(f"/api/v1/receipts/{arrived.id}/cancel",
                       json={"reason": "seal broken"}, headers=headers)
    assert done.status_code == 201 and done.json["state"] == "cancelled"
    assert_error(client.post(f"/api/v1/receipts/{arrived.id}/cancel",
                             json={"reason": "again"}, headers=headers), 409, "conflict",
                 "receipt")


def test_putaway_lines_name_product_lot_and_place(client, db):
    released = receipt(db, "DEMO-R7")
    headers = bearer(db, "operator")
    line = {"product": "MEIJI-STEP-800", "lot": "MJ260915", "quantity": 10,
            "destination": "LZB-B-01-01"}
    assert_error(client.post("/api/v1/putaways", json={"receipt": released.name, "lines": [
        line, {**line, "destination": "NOWHERE"}]}, headers=headers), 404, "not_found",
        "lines[1].destination")
    done = client.post("/api/v1/putaways", json={"receipt": released.name, "lines": [line]},
                       headers=headers)
    assert done.status_code == 201, done.json
    assert done.json["state"] == "released" and done.json["stored"] == []


def test_openapi_documents_the_new_receipt_operations(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/receipts/{ref}/tally-scans", "/api/v1/receipts/{ref}/cancel",
                 "/api/v1/putaways"):
        assert "post" in doc["paths"][path], path
    assert doc["components"]["schemas"]["TallyScanInput"]["required"] == ["item"]


def test_a_receipt_number_past_the_id_column_is_not_found_by_the_number_written(client, db):
    """An id the column cannot hold reads as no receipt, and the answer names it as sent."""
    response = client.get("/api/v1/receipts/99999999999", headers=bearer(db, "supervisor"))
    assert_error(response, 404, "not_found", "receipt")
    assert "99999999999" in response.get_json()["error"]["message"]
