"""The customs code tables over the API: pick a country, currency or unit by name."""
from __future__ import annotations

from flask import jsonify, request

from wms.customs.codes import search_codes

from ..db import db
from .core import operation
from .schema import Field, Schema

LIMIT = 50
CODE = Schema("CustomsCode", (
    Field("code", "string", True, max_length=10),
    Field("name_zh", "string", True, max_length=60),
    Field("name_en", "string", True, max_length=60),
), "One code of a customs code table.")


@operation("/codes/<table>", summary="Look up a customs code table", tag="customs",
           response=CODE, many=True,
           query=(("q", "string", "code starts with, or the Chinese or English name contains; "
                   f"at most {LIMIT} answers, by code"),))
def lookup_codes(table: str):
    """``table``: country, currency, unit, trade_mode, transport_mode, customs_office or
    province; another name is a 422 naming the field ``table``. One page of at most 50."""
    rows = search_codes(db(), table, (request.args.get("q") or "")[:60], limit=LIMIT)
    items = [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en} for c in rows]
    return jsonify(items=items, total=len(items), page=1, pages=1)
