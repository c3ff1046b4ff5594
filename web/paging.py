"""The page number of a listing, read once for every page module.

``request.args.get("page", 1, type=int)`` read Arabic-Indic digits as numbers and let pages
beyond bigint reach OFFSET (a 500 on PostgreSQL). ``page_arg`` reads ASCII digits within
``MAX_PAGE``; anything else is a 422 naming ``page``.
"""
from __future__ import annotations

from flask import request

from wms.core.parsing import MAX_PAGE, parse_page


def page_arg(name: str = "page") -> int:
    return parse_page(request.args.get(name), name, maximum=MAX_PAGE)
