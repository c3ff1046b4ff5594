"""Bad input at the edges answers 4xx in the one error shape and changes nothing.

Every ``<int:...>`` route of the app is fed ids the database cannot hold and digits that are
not ASCII; the API plumbing is fed JSON nested 100,000 deep, bodies over the size limit,
NUL bytes and lone surrogates, pages beyond bigint, unknown routes and wrong methods.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from wms.accounts.services import create_token, get_user
from wms.core.audit import AuditEvent
from wms.inventory.models import Quant, StockMove

pytestmark = pytest.mark.usefixtures("demo")

BAD_IDS = [str(2**31), str(2**63), "9" * 30, "٣", "²", "۱۲"]
INT_ARG = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
OTHER_ARG = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def bearer(db, user: str = "supervisor") -> dict:
    token = create_token(db, get_user(db, user))
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def footprint(db) -> tuple:
    """What a refused request must leave as it was."""
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))
                 for model in (AuditEvent, StockMove, Quant))


def assert_error_shape(response, status: int | tuple[int, ...]) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code,
                                               response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "field"} <= set(body["error"])
    assert body["error"]["message"]
    return body["error"]


def int_routes(app):
    for rule in app.url_map.iter_rules():
        if INT_ARG.search(rule.rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_int_route_answers_404_for_ids_the_database_cannot_hold(app, client, db):
    headers = bearer(db, "admin")
    login(client, "admin")
    before = footprint(db)
    checked = 0
    for rule, method in int_routes(app):
        for bad in BAD_IDS:
            url = OTHER_ARG.sub("x", INT_ARG.sub(bad, rule.rule))
            response = client.open(url, method=method, headers=headers, json={})
            assert response.status_code == 404, (method, url, response.status_code)
            if url.startswith("/api/") or "/api/" in url:
                assert_error_shape(response, 404)
            checked += 1
    assert checked > 100
    assert footprint(db) == before


def test_the_openapi_document_declares_the_bounds_it_enforces(client):
    from web.api.meta import _path_schema
    assert _path_schema("int") == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
    spec = client.get("/api/v1/openapi.json").json
    pages = [p["schema"] for path in spec["paths"].values() for op in path.values()
             for p in op.get("parameters", []) if p["name"] == "per_page"]
    assert pages and all(s["maximum"] == 500 and s["minimum"] == 1 for s in pages)


@pytest.mark.parametrize("query", ["page=²", "page=٣", f"page={2**63}", "page=0",
                                   "page=null", "per_page=null", "per_page=0",
                                   "per_page=501", "per_page=¹"])
def test_api_pages_outside_their_range_are_422(client, db, query):
    error = assert_error_shape(client.get(f"/api/v1/enterprises?{query}", headers=bearer(db)),
                               422)
    assert error["field"] == query.split("=")[0]


def test_api_json_nested_100000_deep_is_refused_in_the_error_shape(client, db):
    headers = {**bearer(db, "customs"), "Content-Type": "application/json"}
    before = footprint(db)
    for body in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
                 "[" * 40 + "]" * 40):
        error = assert_error_shape(client.post("/api/v1/enterprises", data=body,
                                               headers=headers), (400, 422))
        assert error["field"] == "body"
        assert "32" in error["message"] and "JSON nested" not in error["message"]
    assert footprint(db) == before


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "bad\udfff"])
def test_api_text_with_nul_or_lone_surrogates_is_422(client, db, value):
    import json as stdlib_json
    headers = {**bearer(db, "customs"), "Content-Type": "application/json"}
    body = stdlib_json.dumps({"customs_code": "6201W60099", "uscc": "x", "name": value,
                              "roles": ["owner"]})  # \\u escapes: valid JSON, bad text
    before = footprint(db)
    assert_error_shape(client.post("/api/v1/enterprises", data=body, headers=headers), 422)
    assert footprint(db) == before


def test_api_numbers_nan_and_out_of_range_are_refused(client, db):
    headers = {**bearer(db, "customs"), "Content-Type": "application/json"}
    for body in ('{"name": NaN}', '{"name": Infinity}'):
        assert_error_shape(client.post("/api/v1/enterprises", data=body, headers=headers), 422)


def test_api_body_over_the_limit_is_413_in_the_error_shape(app, client, db):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    headers = {**bearer(db, "customs"), "Content-Type": "application/json"}
    body = '{"name": "' + "x" * 20_000 + '"}'
    error = assert_error_shape(client.post("/api/v1/enterprises", data=body, headers=headers),
                               413)
    assert error["code"] == "too_large"


@pytest.mark.parametrize("authenticated", [False, True])
def test_unknown_api_routes_and_methods_answer_json_404_and_405(client, db, authenticated):
    headers = bearer(db) if authenticated else {}
    error = assert_error_shape(client.get("/api/v1/no-such-thing", headers=headers), 404)
    assert error["code"] == "not_found"
    assert_error_shape(client.get("/api/v2/enterprises", headers=headers), 404)
    response = client.delete("/api/v1/enterprises", headers=headers)
    error = assert_error_shape(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    assert_error_shape(client.put("/api/v1/openapi.json", headers=headers), 405)


def test_pages_keep_sending_anonymous_people_to_the_login(client):
    response = client.get("/no-such-page")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_schema_fields_declare_and_enforce_their_bounds():
    from web.api.schema import Field, Schema
    from wms.core.errors import ValidationError
    schema = Schema("T", (Field("qty", "number"), Field("n", "integer", maximum=10),
                          Field("tags", "array", items="string", max_items=2)))
    spec = schema.openapi()["properties"]
    assert spec["qty"]["maximum"] == 10_000_000_000 and spec["n"]["maximum"] == 10
    assert spec["tags"]["maxItems"] == 2
    for bad in ({"qty": 1e25}, {"qty": -1e13}, {"n": 11}, {"n": 2**31},
                {"tags": ["a", "b", "c"]}, {"tags": ["a\x00"]}):
        with pytest.raises(ValidationError) as err:
            schema.validate(bad)
        assert err.value.field in ("qty", "n", "tags", "tags[0]")
    assert schema.validate({"qty": 2.5, "n": 10, "tags": ["a"]}) == {"qty": 2.5, "n": 10,
                                                                     "tags": ["a"]}


def test_page_arg_refuses_what_the_database_cannot_page_to(app):
    from web.paging import page_arg
    from wms.core.errors import ValidationError
    for good, expected in (("", 1), ("2", 2), (None, 1)):
        with app.test_request_context("/", query_string={} if good is None else {"page": good}):
            assert page_arg() == expected
    for bad in ("٣", "²", str(2**63), "-1", "0", "x"):
        with app.test_request_context("/", query_string={"page": bad}):
            with pytest.raises(ValidationError) as err:
                page_arg()
            assert err.value.field == "page"


def test_scanner_json_endpoints_answer_4xx_to_hostile_bodies(app, client, db):
    """Every JSON endpoint outside /api/v1 (the scanner pages') reads its body through the
    same bounded provider: deep nesting, NUL, 1e25 and wrong shapes are never a 5xx."""
    login(client, "admin")
    before = footprint(db)
    bodies = ("[" * 100_000 + "]" * 100_000, '{"code": "a\\u0000b", "barcode": "a\\u0000b"}',
              '{"quantity": 1e25, "qty": "1e25"}', '{"quantity": NaN}', "null", "[]", '"x"')
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or "/api/" not in rule.rule \
                or rule.rule.startswith("/api/"):
            continue
        url = OTHER_ARG.sub("1", rule.rule)
        for body in bodies:
            response = client.post(url, data=body, headers={"Content-Type": "application/json"})
            assert response.status_code < 500, (url, body[:20], response.status_code)
            checked += 1
    assert checked >= 7 * 5
    assert footprint(db) == before


HOSTILE_TYPES = {"nul": ("string",), "surrogate": ("string",), "huge": ("integer", "number"),
                 "overflow": ("integer", "number")}


def carries(schema, types: tuple[str, ...]) -> bool:
    """Whether a body of ``schema`` has a field (at any depth) of one of ``types``."""
    from web.api.schema import Schema
    return any(carries(f.items, types) if isinstance(f.items, Schema)
               else (f.items or "string") in types if f.type == "array" else f.type in types
               for f in schema.fields)


def hostile(schema, kind: str) -> dict:
    """A body for ``schema`` whose every field holds a value of the hostile ``kind``."""
    from web.api.schema import Schema
    values = {"nul": {"string": "a\x00b", "integer": 1, "number": 1},
              "surrogate": {"string": "a\ud800", "integer": 1, "number": 1},
              "huge": {"string": "x", "integer": 2**31, "number": 1e25},
              "overflow": {"string": "x", "integer": 2**63, "number": 1e13}}[kind]
    body: dict = {}
    for f in schema.fields:
        if isinstance(f.items, Schema):
            body[f.name] = [hostile(f.items, kind)]
        elif f.type == "array":
            body[f.name] = [values.get(f.items or "string", "x")]
        elif f.type in values:
            body[f.name] = values[f.type]
        elif f.type == "boolean":
            body[f.name] = True
        else:
            body[f.name] = {}
    return body


@pytest.mark.parametrize("kind", ["nul", "surrogate", "huge", "overflow"])
def test_every_api_write_refuses_hostile_values_and_changes_nothing(app, client, db, kind):
    import json as stdlib_json

    from web.api.core import OPERATIONS
    headers = {**bearer(db, "admin"), "Content-Type": "application/json"}
    before = footprint(db)
    checked = 0
    for op in OPERATIONS:
        if op.body is None or op.method not in ("POST", "PUT", "PATCH") \
                or not carries(op.body, HOSTILE_TYPES[kind]):
            continue
        url = "/api/v1" + OTHER_ARG.sub("1", op.rule)
        body = stdlib_json.dumps(hostile(op.body, kind))
        response = client.open(url, method=op.method, data=body, headers=headers)
        assert 400 <= response.status_code < 500, (op.rule, response.status_code,
                                                   response.get_data(as_text=True)[:200])
        assert_error_shape(response, response.status_code)
        checked += 1
    assert checked >= 5
    assert footprint(db) == before
