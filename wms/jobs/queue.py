"""The one huey instance, its storage chosen by the settings, and enqueue-after-commit.

``WMS_QUEUE_URL`` unset: ``SqliteHuey``'s storage in ``instance/queue.db`` (nothing else to
install). ``redis://...``: Redis. ``postgresql://...``: huey 3's PostgreSQL storage, for a
site that runs no Redis. Tasks register on this instance at import, and ``configure`` binds
its storage, so the web app, ``wms worker`` and the tests share the task definitions.

Work is never handed over only through the queue: the rows (outbox, deliveries) are the
truth, a task is enqueued after the transaction that made its work commits, and an enqueue
that fails (Redis down) is logged and left to the periodic sweep.
"""
from __future__ import annotations

import logging

from huey import Huey
from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from .settings import JobSettings

log = logging.getLogger(__name__)
KICKS = "wms.jobs.kick"

huey = Huey("wms", results=False, utc=True, storage_class=MemoryStorage)
_state: dict = {"settings": None}


def storage_for(settings: JobSettings):
    """The storage class and its arguments for the queue URL."""
    url = settings.queue_url
    if not url or url.startswith("sqlite"):
        path = url.split("///", 1)[1] if url else str(settings.instance_path / "queue.db")
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        return SqliteStorage, {"filename": path}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return PostgresStorage, {"dsn": url.replace("postgresql+psycopg://", "postgresql://")}
    raise ValueError(f"WMS_QUEUE_URL: no queue storage for {url.split(':', 1)[0]}://")


def configure(settings: JobSettings | None = None) -> JobSettings:
    """Bind the queue's storage to the settings (from the environment by default) and make
    commits enqueue the work they recorded."""
    settings = settings or JobSettings.from_env()
    storage_class, kwargs = storage_for(settings)
    try:
        huey.storage.close()
    except Exception:  # a storage that was never opened
        pass
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    huey.storage = huey.create_storage()
    _state["settings"] = settings
    if not event.contains(Session, "after_commit", _enqueue_kicks):
        event.listen(Session, "after_commit", _enqueue_kicks)
        event.listen(Session, "after_rollback", _forget_kicks)
    return settings


def reset() -> None:
    """Stop enqueueing on commit until configured again (a test that is done with it)."""
    _state["settings"] = None


def settings() -> JobSettings:
    return _state["settings"] or configure()


def ensure_configured() -> JobSettings:
    """Configure from the environment unless something (a test, the worker) did already."""
    return settings()


def kick_after_commit(session: Session, job: str) -> None:
    """Ask for ``job`` to run once this session's transaction commits (a rollback forgets
    it). Called by the doors that record work: queueing a customs message, a delivery."""
    session.info.setdefault(KICKS, set()).add(job)


def _forget_kicks(session: Session) -> None:
    session.info.pop(KICKS, None)


def _enqueue_kicks(session: Session) -> None:
    jobs = session.info.pop(KICKS, None)
    if not jobs or _state["settings"] is None:
        return
    from .tasks import run_job_task
    for job in sorted(jobs):
        try:
            run_job_task(job)
        except Exception as exc:  # the queue is down: the periodic sweep finds the rows
            log.warning("could not enqueue %s (%s); the next sweep picks it up", job, exc)


def queue_depth() -> int | None:
    """Tasks waiting in the queue, or None when the queue cannot be reached."""
    try:
        return huey.pending_count()
    except Exception:
        return None
