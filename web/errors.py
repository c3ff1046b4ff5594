"""Errors: one JSON shape for the API, a plain page for people, a translated message for both."""
from __future__ import annotations

import logging
import re

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from wms.core.messages import STATE_PARAMS, STATE_WORDS, USAGE_WORDS, read_stored
from wms.core.errors import N_, DomainError

log = logging.getLogger(__name__)

TITLES = {
    400: N_("Bad request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    422: N_("Cannot accept this input"),
    500: N_("Something went wrong"),
    503: N_("The service is unavailable"),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         422: "validation_error", 500: "internal_error", 503: "service_unavailable"}
# Seconds a client should wait before trying again while the database is unreachable.
RETRY_AFTER = 5


# Parameters that name a code's kind or a place's usage carry an English word marked with
# N_ in the domain; they are said in the reader's language like the rest of the message.
TRANSLATED_PARAMS = ("kind", "usage")
# Parameters that name a location or a set-up area by its path.
PLACE_PARAMS = ("area", "location", "path", "place", "source", "target")


# The areas every warehouse is set up with (``wms.inventory.places``, ``wms.returns.places``)
# carry English names in their paths; a page says them by what they are, in its language.
AREA_NAMES = {
    "Stock": N_("Stock area"), "Input": N_("Input area"), "Output": N_("Output area"),
    "Customs hold": N_("Customs hold"), "Returns": N_("Returns area"),
    "Dock": N_("Returns dock"), "Non-bonded": N_("Non-bonded area"),
}


def place_name(path) -> str:
    """A location's path (or the location) with the warehouse's set-up areas in the reader's
    language (``LZB/Returns/Dock`` reads LZB/退货区/退货收货口); bins keep their codes."""
    path = getattr(path, "full_path", path)
    if not path:
        return ""
    return "/".join(gettext(AREA_NAMES[part]) if part in AREA_NAMES else part
                    for part in str(path).split("/"))


# The field names errors carry (``ValidationError(field=...)``) as a person reads them.
FIELD_NAMES = {
    "receipt": N_("Receipt"), "order": N_("Order"), "return": N_("Return"),
    "parcel": N_("Parcel"), "batch": N_("Batch"), "code": N_("Code"),
    "qty": N_("Quantity"), "gnum": N_("Item no."), "reason": N_("Reason"),
    "product": N_("Product"), "lot": N_("Lot"), "location": N_("Location"),
    "warehouse": N_("Warehouse"), "declaration": N_("Declaration"), "grade": N_("Grade"),
    "disposition": N_("Disposition"), "lines": N_("Items"), "owner": N_("Owner"),
    "file": N_("File"), "xml": N_("File"), "photo": N_("Photo"), "notes": N_("Notes"),
    "time": N_("Time"), "note": N_("Notes"), "whole_order": N_("Items"),
}
_LINE_FIELD = re.compile(r"^line (\d+)(?::\s*(.+))?$")
_ITEM_FIELD = re.compile(r"^[a-z_]+\[(\d+)\]\.([a-z_]+)$")


def field_label(field: str | None) -> str:
    """The field an error names, as a person reads it: ``line 3: time`` says 第 3 行 and the
    column, ``lines[0].qty`` the first line's quantity, ``receipt`` the word for a receipt.
    A column of a file keeps its name as the file spells it."""
    if not field:
        return ""
    if match := _LINE_FIELD.match(field):
        line, column = match.groups()
        if column:
            return gettext("line %(line)s: %(column)s", line=line, column=_field_word(column))
        return gettext("line %(line)s", line=line)
    if match := _ITEM_FIELD.match(field):
        return gettext("line %(line)s: %(column)s", line=int(match.group(1)) + 1,
                       column=_field_word(match.group(2)))
    return _field_word(field)


def _field_word(name: str) -> str:
    return gettext(FIELD_NAMES[name]) if name in FIELD_NAMES else name


def translate_error(exc: DomainError) -> str:
    if not exc.params:
        return gettext(exc.template)
    return gettext(exc.template, **translated_params(exc.params))


def translated_params(params: dict) -> dict:
    """A message's parameters with states, kinds and set-up areas in the reader's language."""
    return {name: _translated_param(name, value) for name, value in params.items()}


def _translated_param(name: str, value):
    if not isinstance(value, str):
        return value
    if name == "usage" and value in USAGE_WORDS:
        return gettext(USAGE_WORDS[value])
    if name in TRANSLATED_PARAMS:
        return gettext(value)
    if name in PLACE_PARAMS:
        return place_name(value)
    if name in STATE_PARAMS and value in STATE_WORDS:
        return gettext(STATE_WORDS[value])
    return value


def stored_text(text: str | None) -> str:
    """A message kept on a record (``wms.core.messages``) in the reader's language; words
    kept as written (customs' answer, a note) as they are."""
    found = read_stored(text)
    if found is None:
        return ""
    template, params, is_message = found
    if not is_message:
        return template
    params = translated_params(params)
    try:
        return gettext(template, **params) if params else gettext(template)
    except (KeyError, TypeError, ValueError):
        return template


def translate_problems(problems: list[dict]) -> str | None:
    """A scan's problems (``barcodes.Problem.as_dict``) as one sentence in the reader's
    language; None for a valid code."""
    return " ".join(gettext(p["template"], **p["params"]) for p in problems) or None


def wants_json() -> bool:
    """Machines and scanner pages get JSON: the API, every scanner endpoint (``/m/api/...``,
    ``/m/pick/api/...``, ``/returns/m/api/...``) and ``.json`` feeds; people get a page."""
    return "/api/" in request.path or request.path.endswith(".json")


def error_response(status: int, code: str, message: str, field: str | None = None,
                   **extra):
    """``extra`` rides along in the JSON error (e.g. the stock a scanner may choose from)."""
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message, "field": field,
                                      **extra}})
        response.status_code = status
        return response
    title = gettext(TITLES.get(status, N_("Error")))
    try:
        return render_template("errors/error.html", status=status, title=title,
                               message=message, field=field), status
    except Exception:  # the error page itself failed: still answer, in plain text
        log.exception("error page failed")
        return f"{status} {title}", status, {"Content-Type": "text/plain; charset=utf-8"}


def _as_response(answer):
    from flask import make_response
    return make_response(answer)


def init_app(app) -> None:
    app.add_template_filter(place_name, "place")
    app.add_template_global(field_label, "field_label")
    app.add_template_filter(lambda state: gettext(STATE_WORDS.get(state, state)),
                            "state_word")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, translate_error(exc), exc.field,
                              **getattr(exc, "extra", {}))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "csrf", gettext("The form expired or was not sent from this "
                                                   "site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = gettext(TITLES.get(status, N_("Error")))
        if exc.description and status in (400, 413) and wants_json():
            message = exc.description
        response = _as_response(error_response(status, CODES.get(status, "http_error"),
                                               message))
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc: Exception):
        """The database cannot be reached (stopped, restarting, network): a 503 that says
        so; the pool's pre-ping reconnects once it is back, no restart needed."""
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        # Answer as to an anonymous visitor: loading the user needs the database.
        g.database_unavailable = True
        g._login_user = current_app.login_manager.anonymous_user()
        response = _as_response(error_response(
            503, "database_unavailable",
            gettext("The database cannot be reached just now. Try again in a moment.")))
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    @app.errorhandler(DataError)
    def value_out_of_range(exc: DataError):
        """A value the database refused (out of its column's range, not storable text):
        input that slipped past parsing is still the client's error, never a 500."""
        log.warning("database refused a value on %s %s: %s", request.method, request.path,
                    str(exc.orig).splitlines()[0] if exc.orig else exc)
        return error_response(422, "validation_error",
                              gettext("A value is out of range or not valid for its field."))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", gettext(TITLES[500]))
