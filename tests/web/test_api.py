"""The JSON API: token auth, the one error shape, OpenAPI generated from the code."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from wms.accounts.services import create_token, get_user
from wms.demo import OWNER_MILK, demo_uscc
from wms.partners.models import Enterprise

pytestmark = pytest.mark.usefixtures("demo")


def bearer(db, login):
    token = create_token(db, get_user(db, login))
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["field"] == field
    assert body["error"]["message"]


def test_no_or_bad_token_is_401_in_the_error_shape(client):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer wms_nope"}),
                 401, "unauthorized")


def test_me(client, db):
    body = client.get("/api/v1/me", headers=bearer(db, "owner")).json
    assert body["roles"] == ["owner_viewer"] and body["owners"] == [OWNER_MILK]


def test_enterprises_are_scoped_for_owner_tokens(client, db):
    staff = client.get("/api/v1/enterprises", headers=bearer(db, "supervisor")).json
    assert staff["total"] == 9  # the demo's eight and its blacklisted trader
    owner = client.get("/api/v1/enterprises", headers=bearer(db, "owner")).json
    assert [e["customs_code"] for e in owner["items"]] == [OWNER_MILK]
    assert_error(client.get("/api/v1/enterprises/6201W60023", headers=bearer(db, "owner")),
                 404, "not_found", "customs_code")


def test_create_enterprise_validates_and_names_the_field(client, db):
    headers = bearer(db, "customs")
    good = {"customs_code": "6201W60080", "uscc": demo_uscc("91620100MA71AP080"),
            "name": "接口货主", "roles": ["owner"]}
    before = db.scalar(select(func.count()).select_from(Enterprise))
    assert_error(client.post("/api/v1/enterprises", json={**good, "uscc": good["uscc"][:-1] + "0"
                                                          if good["uscc"][-1] != "0" else "1"},
                             headers=headers), 422, "validation_error", "uscc")
    assert_error(client.post("/api/v1/enterprises", json={**good, "roles": ["owner", "pirate"]},
                             headers=headers), 422, "validation_error", "roles[1]")
    assert_error(client.post("/api/v1/enterprises", json={**good, "colour": "red"},
                             headers=headers), 422, "validation_error", "colour")
    assert_error(client.post("/api/v1/enterprises", json={**good, "customs_code": "6201W60012"},
                             headers=headers), 409, "conflict", "customs_code")
    assert_error(client.post("/api/v1/enterprises", data="not json", headers=headers),
                 422, "validation_error")
    assert db.scalar(select(func.count()).select_from(Enterprise)) == before
    created = client.post("/api/v1/enterprises", json=good, headers=headers)
    assert created.status_code == 201 and created.json["customs_code"] == "6201W60080"


def test_roles_are_checked_on_the_api(client, db):
    assert_error(client.post("/api/v1/enterprises", json={}, headers=bearer(db, "operator")),
                 403, "forbidden")


def test_errors_are_translated_for_the_token_user(client, db):
    headers = bearer(db, "supervisor")  # zh_CN
    body = client.post("/api/v1/enterprises", json={"name": "x"}, headers=headers).json
    assert body["error"]["message"] == "此字段必填"


def test_openapi_is_valid_and_covers_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (path, method)
    create = doc["paths"]["/api/v1/enterprises"]["post"]
    schema = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("/Enterprise")
    props = doc["components"]["schemas"]["Enterprise"]["properties"]
    assert props["roles"]["items"]["enum"] == ["owner", "platform", "logistics", "agent", "carrier"]
