"""The risk page, its CSV, the home counts and the ``/api/v1/risks`` feed, over HTTP."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.web.test_api import assert_error, bearer
from wms.risk.models import RiskWarning
from wms.risk.services import run_rules
from wms.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def warned(db):
    run_rules(db, Settings())
    db.commit()
    return db


def test_the_page_filters_and_acknowledges_and_the_home_counts(client, warned):
    login(client, "supervisor")
    home = client.get("/").get_data(as_text=True)
    assert 'id="risk-counts"' in home and 'data-level="3"' in home
    page = client.get("/risks/?level=3&state=open").get_data(as_text=True)
    assert 'data-level="3"' in page and 'data-level="1"' not in page
    assert client.get("/risks/?level=9").status_code == 400
    warning = warned.scalars(select(RiskWarning).where(RiskWarning.level == 3)).first()
    response = client.post(f"/risks/{warning.id}/acknowledge",
                           data={"note": "=HYPERLINK(\"x\") 已核实", "next": "/risks/"})
    assert response.status_code == 302
    warned.commit()
    warned.refresh(warning)
    assert warning.state == "acknowledged" and warning.acknowledged_by_login == "supervisor"
    exported = client.get("/risks/?format=csv&state=acknowledged")
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][9].startswith("'=HYPERLINK")



def test_an_operator_may_look_but_not_acknowledge(client, warned):
    login(client, "operator")
    assert client.get("/risks/").status_code == 200
    warning = warned.scalars(select(RiskWarning)).first()
    assert client.post(f"/risks/{warning.id}/acknowledge",
                       data={"note": "x"}).status_code == 403


def test_the_api_feed_pages_filters_and_acknowledges(client, warned):
    headers = bearer(warned, "supervisor")
    feed = client.get("/api/v1/risks?per_page=2&level=2", headers=headers)
    assert feed.status_code == 200
    body = feed.json
    assert body["page"] == 1 and len(body["items"]) <= 2 and body["total"] >= 1
    assert all(item["level"] == 2 and item["text"] for item in body["items"])
    assert_error(client.get("/api/v1/risks?category=weather", headers=headers), 422,
                 "validation_error", "category")
    one = body["items"][0]
    assert_error(client.post(f"/api/v1/risks/{one['id']}/acknowledge", headers=headers,
                             json={}), 422, "validation_error", "note")
    done = client.post(f"/api/v1/risks/{one['id']}/acknowledge", headers=headers,
                       json={"note": "货主已补交材料"})
    assert done.status_code == 200 and done.json["state"] == "acknowledged"
    assert_error(client.post(f"/api/v1/risks/{one['id']}/acknowledge", headers=headers,
                             json={"note": "again"}), 409, "conflict", "warning")
    spec = client.get("/api/v1/openapi.json").json
    assert {"/api/v1/risks", "/api/v1/risks/{warning_id}/acknowledge"} <= set(spec["paths"])


def test_an_owner_sees_only_their_own_warnings(client, warned):
    headers = bearer(warned, "owner")
    items = client.get("/api/v1/risks?per_page=500", headers=headers).json["items"]
    owners = {item["owner"] for item in items}
    assert owners <= {"6201W60012"}, owners
