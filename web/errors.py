"""Errors: one JSON shape for the API, a plain page for people, a translated message for both."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large",
         422: "validation_error", 500: "internal_error"}


def translate_error(exc: DomainError) -> str:
    return gettext(exc.template, **exc.params) if exc.params else gettext(exc.template)


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


def init_app(app) -> None:
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
        return error_response(status, CODES.get(status, "http_error"), message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", gettext(TITLES[500]))
