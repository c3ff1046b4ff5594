"""Fixtures: every database test runs on SQLite and, when WMS_TEST_DATABASE_URL is set, on
PostgreSQL too.

Isolation: on SQLite each test gets its own copy of a database file built once per run; on
PostgreSQL the tables live in a schema made for this run and each test runs inside a
transaction that is rolled back (the app's sessions join it through savepoints). Tests that
need real commits from several connections (concurrency) take ``committing_engine``: a
fresh schema of their own.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid

import pytest

os.environ.setdefault("WMS_SCRYPT_N", "1024")  # before wms.accounts.passwords is imported
# Files the app writes (secret key, the demo's customs outbox) go to a folder of this run.
os.environ["WMS_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="wms-test-instance-")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from wms.core.context import SYSTEM, acting_as  # noqa: E402
from wms.core.db import make_engine  # noqa: E402

PG_URL = os.environ.get("WMS_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
os.environ.setdefault("WMS_SECRET_KEY", "test-secret-key")


def pg_schema_engine(schema: str):
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    return engine


def migrate(engine) -> None:
    """Build the schema the way production does: Alembic to head (seed rows included)."""
    from alembic import command
    from wms.cli import alembic_config
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def create_pg_schema(tables: bool = True) -> tuple[str, object]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = pg_schema_engine(schema)
    if tables:
        migrate(engine)
    return schema, engine


def drop_pg_schema(schema: str, engine) -> None:
    engine.dispose()
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory):
    """The migrated template with the demo data loaded once per run (SQLite tests that ask
    for ``demo`` start from a copy of it instead of loading it again)."""
    from wms.demo import load_demo
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        load_demo(session)
        session.commit()
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine():
    if not PG_URL:
        pytest.skip("WMS_TEST_DATABASE_URL is not set")
    schema, engine = create_pg_schema()
    yield engine
    drop_pg_schema(schema, engine)


@pytest.fixture(scope="session")
def pg_demo_engine():
    """A schema of its own with the demo data committed once per run: tests that ask for
    ``demo`` run inside a rolled-back transaction on it instead of loading it each time."""
    if not PG_URL:
        pytest.skip("WMS_TEST_DATABASE_URL is not set")
    from wms.demo import load_demo
    schema, engine = create_pg_schema()
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        load_demo(session)
        session.commit()
    yield engine
    drop_pg_schema(schema, engine)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def bind(backend, request, tmp_path, sqlite_template):
    """What sessions bind to: a fresh SQLite engine, or a PostgreSQL connection in a
    transaction that is rolled back after the test."""
    if backend == "sqlite":
        path = tmp_path / "wms.db"
        with_demo = "demo" in request.fixturenames
        shutil.copy(request.getfixturevalue("sqlite_demo_template") if with_demo
                    else sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_demo_engine" if "demo" in request.fixturenames
                                         else "pg_engine")
        connection = engine.connect()
        transaction = connection.begin()
        yield connection
        transaction.rollback()
        connection.close()


@pytest.fixture
def session_factory(bind):
    return sessionmaker(bind=bind, expire_on_commit=False,
                        join_transaction_mode="create_savepoint")


@pytest.fixture
def db(session_factory) -> Session:
    session = session_factory()
    with acting_as(SYSTEM):
        yield session
    session.close()


@pytest.fixture
def committing_engine():
    """A PostgreSQL schema of its own whose commits other connections see."""
    if not PG_URL:
        pytest.skip("concurrency tests need PostgreSQL (WMS_TEST_DATABASE_URL)")
    schema, engine = create_pg_schema()
    yield engine
    drop_pg_schema(schema, engine)


@pytest.fixture
def app(session_factory, tmp_path):
    from web import create_app
    app = create_app({"TESTING": True, "SESSION_FACTORY": session_factory,
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "WTF_CSRF_ENABLED": False})
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(db):
    """The demo data, already there: a copy of the demo file on SQLite, the demo schema in a
    rolled-back transaction on PostgreSQL (see ``bind``)."""
    return db


def login(client, user: str, password: str = "Lanzhou-2026"):
    return client.post("/login", data={"login": user, "password": password})


@pytest.fixture
def statements(bind):
    """Count the SQL statements a block sends: ``with statements() as sent: ...; len(sent)``.
    Doors are set-based, so tests compare the count for 10 lines with the count for 1,000."""
    from contextlib import contextmanager

    from sqlalchemy import event
    engine = bind.engine if hasattr(bind, "engine") else bind

    @contextmanager
    def counting():
        sent: list[str] = []
        listener = lambda *args: sent.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    return counting
