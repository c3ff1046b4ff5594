"""What every request passes before a view sees it: bounded ids in URLs, bounded JSON.

The app's ``int`` converter is replaced, so every existing ``<int:id>`` route answers 404
for ids a database column cannot hold (>= 2^31) and for digits that are not ASCII
(Werkzeug's ``\\d`` matches Arabic-Indic and other Unicode digits). The JSON provider
refuses documents nested deeper than ``MAX_JSON_DEPTH`` (a 100,000-deep array used to end
in RecursionError, a 500) and strings the database cannot store (NUL, lone surrogates): a
request's ``get_json()`` then fails like any malformed body, a 400 in the one error shape.
"""
from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from wms.core.errors import ValidationError
from wms.core.parsing import INT_MAX, check_json_text

MAX_JSON_DEPTH = 32


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` with ASCII digits only and an upper bound of 2^31-1."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = INT_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_depth(data: Any) -> int:
    """How deeply arrays and objects nest in ``data``; iterative, any depth."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class TooDeep(ValueError):
    """A JSON document nested deeper than the limit."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels")
        self.max_depth = max_depth


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with limits on what it reads; what it writes is unchanged."""

    max_depth = MAX_JSON_DEPTH

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            data = json.loads(s, **kwargs)
        except RecursionError:
            raise TooDeep(self.max_depth) from None
        if json_depth(data) > self.max_depth:
            raise TooDeep(self.max_depth)
        try:
            check_json_text(data)
        except ValidationError as exc:
            raise ValueError(f"{exc.field}: {exc.message}") from None
        return data


def init_app(app) -> None:
    """Call before any blueprint is registered: rules take their converter when added."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.json_provider_class = BoundedJSONProvider
    app.json = BoundedJSONProvider(app)
