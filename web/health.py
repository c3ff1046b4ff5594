"""``/healthz``: the settings, the database and the queue, each reported on its own.

A load balancer reads the status code (200 when the database answers and no setting is
wrong, else 503); a person reads which part failed and which setting to fix.
"""
from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import text

from wms.core.settings_check import check_settings

from .db import db


def probe_queue() -> dict:
    """The background queue's state. The queue (``wms.jobs``) is optional in this build: a
    tree without it reports ``not installed`` instead of failing."""
    try:
        from wms.jobs.queue import ensure_configured, queue_depth
    except ImportError:
        return {"status": "not installed"}
    try:
        ensure_configured()
        depth = queue_depth()
    except Exception as exc:  # a bad queue URL or storage that will not open
        return {"status": "unavailable", "problem": f"WMS_QUEUE_URL: {exc}"}
    if depth is None:
        return {"status": "unavailable", "problem": "WMS_QUEUE_URL: the queue does not answer"}
    return {"status": "ok", "pending": depth}


def healthz():
    try:
        db().execute(text("SELECT 1"))
        problem = None
    except Exception as exc:  # not reaching the database is the answer, not an error
        problem = f"WMS_DATABASE_URL: the database does not answer ({type(exc).__name__})"
    database = {"status": "ok"} if problem is None else {"status": "unavailable",
                                                         "problem": problem}
    settings = check_settings(current_app.config.get("SETTINGS_ENVIRONMENT"))
    queue = probe_queue()
    healthy = problem is None and not settings
    body = {"status": "ok" if healthy else "unavailable", "database": database,
            "queue": queue, "settings": settings}
    return jsonify(body), 200 if healthy else 503
