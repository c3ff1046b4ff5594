"""Background work against the real queue storages: huey's SQLite storage in a temporary
folder, and Redis (db 15, flushed per test) when WMS_TEST_QUEUE_URL is set."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from wms.customs.outbox import FileGateway
from wms.jobs import tasks
from wms.jobs.queue import configure, huey, reset
from wms.jobs.runner import JobContext
from wms.jobs.settings import JobSettings

REDIS_URL = os.environ.get("WMS_TEST_QUEUE_URL")
PG_URL = os.environ.get("WMS_TEST_DATABASE_URL")
QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else []) + (["postgresql"] if PG_URL else [])
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    """The jobs' clock, moved by the test."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta) -> datetime:
        self.now += delta
        return self.now


class FakePost:
    """A webhook receiver: answers with the given codes in turn (200 once they run out)."""

    def __init__(self, codes=()):
        self.codes, self.calls = list(codes), []

    def __call__(self, url, body, headers):
        self.calls.append((url, body, headers))
        return self.codes.pop(0) if self.codes else 200


def job_settings(tmp_path, queue_url: str | None = None, **env) -> JobSettings:
    values = {"WMS_INSTANCE_PATH": str(tmp_path / "instance"),
              "WMS_DATABASE_URL": "sqlite:///unused.db", **env}
    if queue_url:
        values["WMS_QUEUE_URL"] = queue_url
    return JobSettings.from_env(values)


@pytest.fixture(params=QUEUES)
def queue_url(request, tmp_path):
    """A real, empty queue storage: a SQLite file of this test, Redis db 15 flushed, or
    huey's PostgreSQL storage in a schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
        return
    if request.param == "postgresql":
        from tests.conftest import create_pg_schema, drop_pg_schema
        schema, engine = create_pg_schema(tables=False)
        base = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        yield base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
        huey.storage.close()
        drop_pg_schema(schema, engine)
        return
    import redis
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def gateway(tmp_path):
    return FileGateway(tmp_path / "customs" / "out", tmp_path / "customs" / "in")


def _jobs(session_factory, tmp_path, gateway, queue_url):
    settings = configure(job_settings(tmp_path, queue_url))
    huey.flush()
    ctx = JobContext(settings, session_factory, gateway=gateway, post=FakePost(),
                     clock=Clock())
    tasks.use_context(ctx)
    yield ctx
    tasks.use_context(None)
    configure(settings)  # a test may have pointed the queue elsewhere
    huey.flush()
    reset()


@pytest.fixture
def jobs(session_factory, tmp_path, gateway):
    """Jobs on the test's database, with a file gateway in a temporary folder, a fake
    webhook receiver and a clock the test moves; the queue in a SQLite file."""
    yield from _jobs(session_factory, tmp_path, gateway, f"sqlite:///{tmp_path / 'queue.db'}")


@pytest.fixture
def queued_jobs(session_factory, tmp_path, gateway, queue_url):
    """The same, once on each real queue storage (SQLite, and Redis when configured)."""
    yield from _jobs(session_factory, tmp_path, gateway, queue_url)


def fresh(session) -> None:
    """See what the jobs committed: end this session's transaction (SQLite keeps its read
    snapshot until then; on PostgreSQL a rollback would take the jobs' savepoints with it)
    and forget what it had loaded."""
    session.commit()
    session.expire_all()
