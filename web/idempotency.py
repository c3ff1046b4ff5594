"""Writes from handhelds and machines: one transaction, replayed answers for repeated keys.

The key comes from the ``Idempotency-Key`` header or an ``idempotency_key`` field of the
JSON body (the handheld's offline queue sends it in the body). Without a key the write
still runs once per request, retried on a transient database conflict.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app, jsonify, request
from sqlalchemy.orm import Session

from wms.core.db import run_in_transaction
from wms.core.idempotency import run_idempotent

from .db import close_session

UseCase = Callable[[Session], tuple[int, Any]]


def idempotency_key(payload: Any) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None and isinstance(payload, dict):
        key = payload.get("idempotency_key")
    return key


def write(payload: Any, use_case: UseCase):
    """Run ``use_case(session) -> (status, body)`` and answer with its JSON.

    The request's own session (used to log the user in) is ended first: the write runs in
    a transaction of its own, which nothing of the request may hold open around it.
    """
    close_session()
    sessions = current_app.extensions["wms.sessionmaker"]
    key = idempotency_key(payload)
    if key is None:
        status, body = run_in_transaction(sessions, use_case)
        replayed = False
    else:
        body_for_hash = {k: v for k, v in payload.items() if k != "idempotency_key"} \
            if isinstance(payload, dict) else payload
        status, body, replayed = run_idempotent(sessions, key, request.endpoint or request.path,
                                                body_for_hash, use_case)
    response = jsonify(body)
    response.status_code = status
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
