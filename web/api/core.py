"""The API blueprint: token auth, JSON errors, and the route registry behind OpenAPI."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import Blueprint, current_app, g, request
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from wms.accounts import services as accounts
from wms.core.context import set_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Forbidden, ValidationError
from wms.core.parsing import MAX_PAGE, parse_int, parse_page

from ..guards import TooDeep
from ..db import close_session, db
from ..errors import error_response
from .schema import Schema

log = logging.getLogger(__name__)
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
                kwargs["payload"] = body.validate(json_body())
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
    row = accounts.token_for(db(), token) if token else None
    if row is None:
        return error_response(401, "unauthorized", gettext(
            "A valid API token is required: Authorization: Bearer <token>"))
    actor = accounts.actor_for(row.user)
    g.api_actor = actor
    g.actor_token = set_actor(actor)
    g.api_locale = row.user.locale
    note_token_use(row.id, row.prefix, row.last_used_at)
    return None


def note_token_use(token_id: int, prefix: str, last_used_at) -> None:
    """Write the token's last use at most once a minute, in a short transaction of its
    own after the request's read has ended: the request's work stays a read when it is
    one. Losing the race for the write lock (SQLite) only skips this note."""
    now = utcnow()
    if not accounts.token_needs_touch(last_used_at, now):
        return
    close_session()
    session = current_app.extensions["wms.sessionmaker"]()
    try:
        accounts.touch_token(session, token_id, now)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not record the use of API token %s", prefix, exc_info=True)
    finally:
        session.close()


def json_body():
    """The request's JSON document, read through the app's bounded provider: a body that
    is not JSON, nests too deep or holds text the database cannot store is a 422 naming
    ``body``, not a 500."""
    if not request.is_json:
        raise ValidationError(N_("Send a JSON body with Content-Type application/json"))
    try:
        return current_app.json.loads(request.get_data(cache=True))
    except TooDeep as exc:
        raise ValidationError(N_("The JSON is nested deeper than %(n)s levels"), field="body",
                              n=exc.max_depth) from None
    except ValueError as exc:
        raise ValidationError(N_("The body is not valid JSON: %(reason)s"), field="body",
                              reason=str(exc)[:200]) from None


PER_PAGE_MAX = 500


def api_view():
    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


def page_of(stmt, serialise, *, count_cap: int | None = None) -> dict:
    """One page of ``stmt``. With ``count_cap`` (lists that grow to millions of rows) the
    total is counted only up to the cap, or to the end of the asked page if that lies
    further: ``more`` then says there are more rows than ``total``."""
    page, size = paging()
    rows = db().scalars(stmt.limit(size).offset((page - 1) * size)).all()
    if count_cap is None:
        total = db().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        more = False
    else:
        cap = max(count_cap, page * size)
        total = db().scalar(select(func.count()).select_from(
            stmt.order_by(None).limit(cap + 1).subquery()))
        more = total > cap
        total = min(total, cap)
    body = {"items": [serialise(r) for r in rows], "total": total, "page": page,
            "pages": max(1, -(-total // size))}
    if count_cap is not None:
        body["more"] = more
    return body


def paging() -> tuple[int, int]:
    """``page`` and ``per_page`` from the query: ASCII digits within their range, else 422."""
    page = parse_page(request.args.get("page"), maximum=MAX_PAGE)
    size = request.args.get("per_page")
    size = 100 if size in (None, "") else parse_int(size, "per_page", minimum=1,
                                                     maximum=PER_PAGE_MAX)
    return page, size


PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_path(rule: str) -> str:
    return PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", rule)
