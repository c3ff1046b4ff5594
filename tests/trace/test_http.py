"""Trace, recall and account-book pages and API through the test client (both backends):
the tree page, the notice list as CSV (parsed) and PDF (parsed back with pdftotext), recalls
started and closed over the API with an idempotency key, roles and bad input refused with
the one error shape, and the routes in the OpenAPI document."""
from __future__ import annotations

import csv
import io
import subprocess

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from tests.conftest import login
from wms.accounts.services import create_token, get_user
from wms.trace.models import Recall

pytestmark = pytest.mark.usefixtures("demo")


def bearer(db, user: str) -> dict:
    token = create_token(db, get_user(db, user))
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def open_recall(db) -> Recall:
    return db.scalar(select(Recall).where(Recall.state == "open").order_by(Recall.id))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, check=True,
                          capture_output=True).stdout.decode("utf-8")


def test_trace_page_shows_the_tree_and_masks_for_the_operator(app, client):
    login(client, "operator")
    page = client.get("/trace/", query_string={"code": "L2026-0901"}).get_data(as_text=True)
    assert 'id="trace-tree"' in page and "DEMO-R8" in page and "LZB/ENT/2026" in page
    assert "620102********1520" in page and "620102199003071520" not in page
    assert "trace.css" in page
    missing = client.get("/trace/", query_string={"code": "NOPE-123"})
    assert missing.status_code == 200
    clerk = app.test_client()
    login(clerk, "customs")
    page = clerk.get("/trace/", query_string={"code": "L2026-0901"}).get_data(as_text=True)
    assert "620102199003071520" in page


def test_recall_page_csv_and_pdf_list_every_buyer(client, db):
    recall = open_recall(db)
    login(client, "supervisor")
    page = client.get(f"/trace/recalls/{recall.id}").get_data(as_text=True)
    assert recall.name in page and 'id="notices"' in page and 'id="close-recall"' in page
    response = client.get(f"/trace/recalls/{recall.id}/notices.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    orders = {r[0] for r in rows[1:]}
    assert len(rows) > 2 and all(r[9] == "MJ260401" for r in rows[1:])
    text = pdf_text(client.get(f"/trace/recalls/{recall.id}/notices.pdf").data)
    assert recall.name in text and "MJ260401" in text
    assert all(order in text for order in orders)
    assert "LZB/Stock/A/A-01-02" in text            # the blocked stock


def test_recall_started_and_closed_on_the_desk(app, client, db):
    login(client, "supervisor")
    refused = client.post("/trace/recalls", data={"product": "APT-PRE-800", "reason": "x"})
    assert refused.status_code == 422
    response = client.post("/trace/recalls", data={
        "product": "APT-PRE-800", "lot": "L2026-0901", "reason": "包装破损 damaged tins",
        "authority": "兰州海关"})
    assert response.status_code == 302
    db.commit()
    db.expire_all()
    recall = db.scalar(select(Recall).order_by(Recall.id.desc()))
    assert recall.state == "open" and recall.lots[0].lot.name == "L2026-0901"
    assert client.post(f"/trace/recalls/{recall.id}/close",
                       data={"note": "done"}).status_code == 302
    db.commit()
    db.expire_all()
    assert db.get(Recall, recall.id).state == "closed"
    operator = app.test_client()
    login(operator, "operator")
    assert operator.post("/trace/recalls", data={"product": "APT-PRE-800",
                                               "lot": "L2026-0901",
                                               "reason": "x"}).status_code == 403


def test_trace_api_answers_json_with_masked_buyers(client, db):
    headers = bearer(db, "operator")
    body = client.get("/api/v1/trace", query_string={"code": "L2026-0901"},
                      headers=headers).json
    assert body["found"] and body["kind"] == "lot" and not body["personal_data_shown"]
    assert body["receipts"][0]["declaration"]["items"][0]["decision"] == "released"
    assert all("*" in o["buyer_id"] for o in body["orders"])
    assert any(o["parcels"] and o["inventory_list"]["state"] == "released"
               for o in body["orders"])
    assert isinstance(body["stock"][0]["quantity"], str)
    empty = client.get("/api/v1/trace", headers=headers)
    assert empty.status_code == 422 and empty.json["error"]["field"] == "code"
    long = client.get("/api/v1/trace", query_string={"code": "x" * 121}, headers=headers)
    assert long.status_code == 422


def test_recall_api_with_idempotency_and_roles(client, db):
    customs, operator_token = bearer(db, "customs"), bearer(db, "operator")
    headers = {**customs, "Idempotency-Key": "recall-apt-0901"}
    data = {"product": "APT-PRE-800", "lot": "L2026-0901", "reason": "API recall"}
    first = client.post("/api/v1/recalls", json=data, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post("/api/v1/recalls", json=data, headers=headers)
    assert again.status_code == 201 and again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert db.scalar(select(func.count()).select_from(Recall).where(
        Recall.reason == "API recall")) == 1
    db.commit()
    assert first.json["notices"] and first.json["blocked_stock"]
    detail = client.get(f"/api/v1/recalls/{first.json['id']}", headers=headers).json
    assert detail["lots"] == ["L2026-0901"]
    bad = client.post("/api/v1/recalls", json={"product": "APT-PRE-800", "reason": "x"},
                      headers=customs)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "lot"
    operator = client.post("/api/v1/recalls", json=data, headers=operator_token)
    assert operator.status_code == 403
    closed = client.post(f"/api/v1/recalls/{first.json['id']}/close", json={"note": "ok"},
                         headers=customs)
    assert closed.status_code == 200 and closed.json["state"] == "closed"
    listed = client.get("/api/v1/recalls", headers=headers).json
    assert listed["total"] >= 2
    missing = client.get("/api/v1/recalls/999999", headers=headers)
    assert missing.status_code == 404


def test_openapi_documents_trace_recalls_and_the_account_book(client):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    trace = doc["paths"]["/api/v1/trace"]["get"]
    assert [p["name"] for p in trace["parameters"]] == ["code"]
    assert "/api/v1/account-book/reconciliation" in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/recalls"]
    assert "Trace" in doc["components"]["schemas"]
