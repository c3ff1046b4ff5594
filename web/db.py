"""One SQLAlchemy session per request; views commit once when the use case succeeded."""
from __future__ import annotations

import logging

from flask import current_app, g
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def db() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["wms.sessionmaker"]()
    return g.db_session


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()
            session.close()
        except Exception:  # the database went away mid-request; the pool drops the link
            log.warning("could not roll back the request's session", exc_info=True)
            session.invalidate()
