"""The dispatch blueprint and who may use which part of it.

Dispatchers and supervisors (admin passes every check) use all of it; goods owners
(``owner_viewer``) read the board, their own shipments and alerts, scoped by the domain's
queries, and may make a tracking link for a shipment they see; warehouse operators only use
the loading scanner (``/dispatch/m/load``), since loading is done on the floor.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, request
from flask_login import current_user

from ..auth import blueprint_roles

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")
READERS = ("dispatcher", "supervisor", "owner_viewer")
EDITORS = ("dispatcher", "supervisor")
LOADERS = ("dispatcher", "supervisor", "operator")
blueprint_roles(bp, *READERS, *LOADERS)
LOAD_ENDPOINTS = {"dispatch.load_page", "dispatch.load_scan"}


@bp.before_request
def operators_only_load():
    """Operators reach the loading scanner and nothing else here."""
    if current_user.is_authenticated and not current_user.has_role(*READERS) \
            and request.endpoint not in LOAD_ENDPOINTS:
        abort(403)
    if request.endpoint in LOAD_ENDPOINTS and not current_user.has_role(*LOADERS):
        abort(403)
    return None


def only(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def is_editor() -> bool:
    return current_user.has_role(*EDITORS)
