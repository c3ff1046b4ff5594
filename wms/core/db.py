"""Engine, sessions and the declarative base with a stable constraint naming convention."""
from __future__ import annotations

import os
from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_DATABASE_URL = "sqlite:///instance/wms.db"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Aware UTC now; stored naive-UTC on SQLite, timestamptz on PostgreSQL."""
    return datetime.now(timezone.utc)


def database_url() -> str:
    return os.environ.get("WMS_DATABASE_URL", DEFAULT_DATABASE_URL)


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine with the settings the ledger relies on for each backend."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", 30)
        # Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so that SAVEPOINTs work as
        # documented; a writer that loses the race for the lock is retried (is_transient).
        connect_args["isolation_level"] = None
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # A unit of work that will write takes the write lock at its start (see
    # ``begin_write``): it then waits its turn under the busy timeout, instead of failing
    # at once with "database is locked" when another writer committed since its first read.
    immediate = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "wms_unit_of_work_writes"


def begin_write(session: Session) -> None:
    """Open ``session``'s transaction as a writing one (SQLite: BEGIN IMMEDIATE; on
    PostgreSQL nothing changes). Call before the unit of work's first statement."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: True})


TRANSIENT_PG_CODES = {"40001", "40P01"}  # serialization failure, deadlock detected


def is_transient(exc: BaseException) -> bool:
    """A conflict with a concurrent transaction that running again will resolve."""
    from sqlalchemy.exc import DBAPIError, IntegrityError
    if not isinstance(exc, DBAPIError):
        return False
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in TRANSIENT_PG_CODES:
        return True
    if "database is locked" in str(exc.orig):  # SQLite: another writer held the lock
        return True
    # Two transactions created the same quant (or the same new lot, seen by two scanners at
    # once): the loser runs again and finds the row the winner made.
    text = str(exc.orig)
    return isinstance(exc, IntegrityError) and ("quant_key" in text or "uq_lot_" in text
                                                 or "lot.product_id, lot.name" in text)


def run_in_transaction(session_factory, use_case, *, attempts: int = 8):
    """Run ``use_case(session)`` in its own transaction and commit; run it again on a
    transient conflict. Domain errors and other failures roll back and propagate."""
    import random
    import time
    for attempt in range(1, attempts + 1):
        session = session_factory()
        try:
            begin_write(session)
            result = use_case(session)
            session.commit()
            return result
        except Exception as exc:
            session.rollback()
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(random.uniform(0, 0.01 * attempt))
        finally:
            session.close()
    raise AssertionError("unreachable")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
