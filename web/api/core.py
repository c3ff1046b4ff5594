"""The API blueprint: token auth, JSON errors, and the route registry behind OpenAPI."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import Blueprint, current_app, g, request
from flask_babel import gettext
from sqlalchemy import func, select

from wms.accounts import services as accounts
from wms.core.context import set_actor
from wms.core.errors import N_, Forbidden, ValidationError

from ..db import db
from ..errors import error_response
from .schema import Schema

api = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    tag: str
    body: Schema | None
    response: Schema | None
    many: bool
    status: int
    public: bool
    roles: tuple[str, ...]
    query: tuple[tuple[str, str, str], ...]
    body_spec: dict | None = None
    produces: tuple[str, ...] = ("application/json",)


OPERATIONS: list[Operation] = []


def operation(rule: str, method: str = "GET", *, summary: str, tag: str,
              body: Schema | None = None, response: Schema | None = None, many: bool = False,
              status: int = 200, public: bool = False, roles: tuple[str, ...] = (),
              query: tuple[tuple[str, str, str], ...] = (), body_spec: dict | None = None,
              produces: tuple[str, ...] = ("application/json",)):
    """Register an endpoint with what OpenAPI needs to know about it.

    ``body`` is validated before the view runs and handed to it as ``payload``. An endpoint
    whose body has no fixed shape (label data of any kind) reads it itself and describes it
    with ``body_spec``; one that answers with files lists their types in ``produces``.
    """
    def decorator(view: Callable):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if roles and not g.api_actor.has_role(*roles):
                raise Forbidden(N_("Your role may not do this"))
            if body is not None:
                data = request.get_json(silent=True)
                if data is None:
                    raise ValidationError(N_("Send a JSON body with Content-Type application/json"))
                kwargs["payload"] = body.validate(data)
            return view(*args, **kwargs)

        wrapper.public = public
        api.add_url_rule(rule, view.__name__, wrapper, methods=[method])
        OPERATIONS.append(Operation(rule, method, view.__name__, summary,
                                    (view.__doc__ or "").strip(), tag, body, response, many,
                                    status, public, roles, query, body_spec, produces))
        return wrapper
    return decorator


@api.before_request
def authenticate_token():
    view = api_view()
    if view is not None and getattr(view, "public", False):
        return None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    user = accounts.user_for_token(db(), token) if token else None
    if user is None:
        return error_response(401, "unauthorized", gettext(
            "A valid API token is required: Authorization: Bearer <token>"))
    db().commit()  # last_used_at
    actor = accounts.actor_for(user)
    g.api_actor = actor
    g.actor_token = set_actor(actor)
    g.api_locale = user.locale
    return None


def api_view():
    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


def page_of(stmt, serialise) -> dict:
    page = max(1, request.args.get("page", 1, type=int))
    size = min(500, max(1, request.args.get("per_page", 100, type=int)))
    total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db().scalars(stmt.limit(size).offset((page - 1) * size)).all()
    return {"items": [serialise(r) for r in rows], "total": total, "page": page,
            "pages": max(1, -(-total // size))}


PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_path(rule: str) -> str:
    return PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)
