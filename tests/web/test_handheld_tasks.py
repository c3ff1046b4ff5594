"""The handheld home over HTTP: each role's tasks with counts that change with the work,
staff on a phone landing on it after login, the tally's undo and confirm endpoints."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from wms.inbound.models import Receipt, TallyScan
from wms.inventory.tasks import waiting_tasks

pytestmark = pytest.mark.usefixtures("demo")

PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36")


def as_user(app, user: str, **headers):
    client = app.test_client()
    response = client.post("/login", data={"login": user, "password": "Lanzhou-2026"},
                           headers=headers)
    assert response.status_code == 302
    client.post("/language", data={"locale": "en"})
    return client, response.headers["Location"]


def tasks(client) -> dict[str, int]:
    response = client.get("/m/api/tasks")
    assert response.status_code == 200, response.data
    return {t["code"]: t["count"] for t in response.json["tasks"]}


def test_each_role_sees_its_own_tasks_with_counts(app, db):
    operator, _ = as_user(app, "operator")
    counts = tasks(operator)
    assert list(counts) == ["tally", "putaway", "pick", "pack", "count"]
    receipts = db.scalar(select(func.count()).select_from(Receipt).where(
        Receipt.state.in_(("arrived", "tallying"))))
    assert counts["tally"] == receipts >= 2
    assert counts["putaway"] == 1  # DEMO-R7, released
    clerk, _ = as_user(app, "returns")
    assert list(tasks(clerk)) == ["receive_returns", "grade"]
    page = clerk.get("/m/")
    assert page.status_code == 200
    assert b"/returns/m/inspect" in page.data and b"/m/tally" not in page.data
    assert clerk.get("/m/tally").status_code == 403  # the flows stay the operators'
    supervisor, _ = as_user(app, "supervisor")
    assert "approve" in tasks(supervisor)
    owner, _ = as_user(app, "owner")
    assert owner.get("/m/api/tasks").status_code == 403


def test_the_counts_follow_the_work(app, db):
    operator, _ = as_user(app, "operator")
    before = tasks(operator)["tally"]
    receipt = db.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R2"))
    receipt.state = "tallied"
    db.commit()
    assert tasks(operator)["tally"] == before - 1


def test_the_task_counts_take_one_statement(db, statements):
    with statements() as sent:
        found = waiting_tasks(db, {"supervisor"})
    assert len(found) == 8
    assert len([s for s in sent if s.lstrip().upper().startswith("SELECT")]) == 1, sent


def test_staff_on_a_phone_land_on_the_handheld(app):
    assert as_user(app, "operator", **{"User-Agent": PHONE_UA})[1].endswith("/m/")
    assert as_user(app, "returns", **{"Sec-CH-UA-Mobile": "?1"})[1].endswith("/m/")
    assert not as_user(app, "operator")[1].endswith("/m/")  # at a desk: the desk home
    assert not as_user(app, "customs", **{"User-Agent": PHONE_UA})[1].endswith("/m/")


def test_tally_confirm_and_undo_over_http(app, db):
    operator, _ = as_user(app, "operator")
    receipt = db.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R3"))

    def post(url, **body):
        return operator.post(url, json={"receipt": receipt.name,
                                        "idempotency_key": uuid.uuid4().hex, **body})

    def rows():
        db.commit()  # a fresh snapshot: the app committed in its own session
        db.expire_all()
        return db.scalar(select(func.count()).select_from(TallyScan).where(
            TallyScan.receipt_id == receipt.id))
    start = rows()
    refused = post("/m/api/tally", item="MEIJI-STEP-800", lot="MJ261020", quantity="142")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "confirm"
    assert refused.json["error"]["warnings"][0]["code"] == "over_count"
    assert "322" in refused.json["error"]["warnings"][0]["message"]
    assert rows() == start
    bad = post("/m/api/tally", item="MEIJI-STEP-800", lot="MJ261020", quantity="142",
               confirm=["no_such"])
    assert bad.status_code == 422 and bad.json["error"]["field"] == "confirm"
    done = post("/m/api/tally", item="MEIJI-STEP-800", lot="MJ261020", quantity="142",
                confirm=["over_count"])
    assert done.status_code == 201, done.json
    assert done.json["warnings"][0]["code"] == "over_count"
    assert rows() == start + 1
    chosen = post("/m/api/tally", item="MJ261020")
    assert chosen.status_code == 200 and chosen.json["selected"]["lot"] == "MJ261020"
    assert rows() == start + 1
    undone = post("/m/api/tally/undo")
    assert undone.status_code == 201, undone.json
    assert "142" in undone.json["message"]
    assert rows() == start + 2
    again = post("/m/api/tally/undo")  # the demo's own scans are nobody's to undo
    assert again.status_code == 404
