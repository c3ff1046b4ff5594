"""Who am I, and the OpenAPI document generated from the registered operations."""
from __future__ import annotations

from flask import g, jsonify

from wms.accounts.models import USER_ROLES, User
from wms.partners.models import Enterprise

from ..db import db
from wms.core.parsing import INT_MAX, MAX_PAGE

from .core import OPERATIONS, PATH_PARAM, PER_PAGE_MAX, api, openapi_path, operation
from .schema import ERROR, Field, Schema

ME = Schema("Me", (
    Field("login", "string", True),
    Field("display_name", "string", True),
    Field("roles", "array", True, items="string", enum=USER_ROLES),
    Field("owners", "array", True, "Customs codes of the owners whose goods you may see; "
          "empty for warehouse staff, who see all", items="string"),
    Field("locale", "string", True, enum=("zh_CN", "en")),
))


@operation("/me", summary="The user behind the token", tag="meta", response=ME)
def me():
    """Useful to check that a token works and what it may see."""
    user = db().get(User, g.api_actor.user_id)
    owners = []
    if g.api_actor.owner_ids is not None:
        owners = sorted(db().get(Enterprise, i).customs_code for i in g.api_actor.owner_ids)
    return jsonify(login=user.login, display_name=user.display_name, roles=sorted(user.roles),
                   owners=owners, locale=user.locale)


@operation("/openapi.json", summary="This document", tag="meta", public=True)
def openapi():
    """The OpenAPI 3.1 description of every endpoint, generated from the code."""
    return jsonify(build_openapi())


def build_openapi() -> dict:
    schemas: dict = {ERROR.name: {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message", "field"],
                                 "properties": {"code": {"type": "string"},
                                                "message": {"type": "string"},
                                                "field": {"type": ["string", "null"]}}}}}}
    paths: dict = {}

    def register(schema: Schema) -> None:
        if schema.name in schemas:
            return
        schemas[schema.name] = schema.openapi()
        for f in schema.fields:
            if isinstance(f.items, Schema):
                register(f.items)

    error = {"description": "Error", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ERROR.name}"}}}}
    for op in OPERATIONS:
        path = openapi_path(api.url_prefix + op.rule)
        item = paths.setdefault(path, {})
        params = [{"name": name, "in": "path", "required": True, "schema": _path_schema(kind)}
                  for kind, name in _path_params(op.rule)]
        params += [{"name": name, "in": "query", "required": False,
                    "schema": _query_schema(name, typ), "description": text}
                   for name, typ, text in op.query]
        spec: dict = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                      "responses": {}}
        if op.description:
            spec["description"] = op.description
        if params:
            spec["parameters"] = params
        if op.public:
            spec["security"] = []
        if op.body is not None:
            register(op.body)
            spec["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": op.body.ref}}}}
        elif op.body_spec is not None:
            spec["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": op.body_spec}}}
        ok: dict = {"description": "OK"}
        if op.produces != ("application/json",):
            ok["content"] = {kind: {"schema": {"type": "string", "format": "binary"}}
                             for kind in op.produces}
        if op.response is not None:
            register(op.response)
            schema = {"$ref": op.response.ref}
            if op.many:
                schema = {"type": "object", "required": ["items", "total", "page", "pages"],
                          "properties": {"items": {"type": "array", "items": schema},
                                         "total": {"type": "integer"},
                                         "page": {"type": "integer"},
                                         "pages": {"type": "integer"},
                                         "more": {"type": "boolean", "description":
                                                  "lists counted only up to a cap: true "
                                                  "when there are more than total"}}}
            ok["content"] = {"application/json": {"schema": schema}}
        spec["responses"][str(op.status)] = ok
        for status in ("400", "401", "403", "404", "409", "422", "503"):
            if status == "401" and op.public:
                continue
            spec["responses"][status] = error
        if op.body is not None or op.body_spec is not None:
            spec["responses"]["413"] = error
        item[op.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lanzhou bonded warehouse WMS API", "version": "1.0.0",
                 "description": "Errors always have the shape "
                                '{"error": {"code", "message", "field"}}.'},
        "servers": [{"url": "/"}],
        "components": {"schemas": schemas, "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer",
                      "description": "Create one with `wms token create USER` or on "
                                     "the account page."}}},
        "security": [{"token": []}],
        "paths": paths,
    }


def _path_params(rule: str) -> list[tuple[str, str]]:
    return [(m.group(1) or "string", m.group(2)) for m in PATH_PARAM.finditer(rule)]


def _path_schema(converter: str) -> dict:
    """``<int:...>`` takes ASCII digits up to 2^31-1 (the app's bounded converter)."""
    if converter == "int":
        return {"type": "integer", "minimum": 0, "maximum": INT_MAX}
    return {"type": "string"}


QUERY_BOUNDS = {"page": (1, MAX_PAGE), "per_page": (1, PER_PAGE_MAX)}


def _query_schema(name: str, typ: str) -> dict:
    schema: dict = {"type": typ}
    if typ == "integer" and name in QUERY_BOUNDS:
        schema["minimum"], schema["maximum"] = QUERY_BOUNDS[name]
    return schema
