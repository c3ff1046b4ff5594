"""The huey tasks: run one job, and the minute tick that enqueues the jobs that are due.

Each job's interval is a setting (``WMS_JOB_<NAME>_SECONDS``); huey's periodic scheduler
ticks once a minute, and the tick enqueues every job whose ``next_run_at`` has come, so
several workers share the jobs and the run record, not the worker's clock, says what is
due. A kick after a commit enqueues the job at once.
"""
from __future__ import annotations

import logging

from huey import crontab

import wms.models  # noqa: F401  (every mapper, before any flush)

from . import sweeps, work  # noqa: F401  (importing registers the jobs)
import wms.risk.job  # noqa: F401,E402  (the risk rules' periodic run)
from .queue import huey, settings
from .runner import JOBS, JobContext, due_jobs, run_job

log = logging.getLogger(__name__)
_contexts: dict = {}


def context() -> JobContext:
    """The context of this process's jobs: sessions on the configured database."""
    from wms.core.db import make_engine, make_session_factory
    if "override" in _contexts:
        return _contexts["override"]
    current = settings()
    ctx = _contexts.get(current.database_url)
    if ctx is None or ctx.settings is not current:
        ctx = JobContext(current, make_session_factory(make_engine(current.database_url)))
        _contexts[current.database_url] = ctx
    return ctx


def use_context(ctx: JobContext | None) -> None:
    """Run this process's tasks with ``ctx`` (the tests' sessions and fakes); None: back to
    the configured database."""
    _contexts.clear()
    if ctx is not None:
        _contexts["override"] = ctx


@huey.task(name="wms.run_job")
def run_job_task(name: str, force: bool = True):
    if name not in JOBS:
        log.warning("unknown job %s", name)
        return None
    result = run_job(context(), name, force=force)
    return None if result is None else result.outcome


@huey.periodic_task(crontab(), name="wms.tick")
def tick():
    enqueue_due()


def enqueue_due() -> list[str]:
    """Enqueue every job that is due; the job checks again when it runs."""
    names = due_jobs(context())
    for name in names:
        run_job_task(name, force=False)
    return names


def drain(limit: int = 10_000) -> int:
    """Execute the tasks waiting in the queue in this process; how many ran."""
    done = 0
    while done < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        done += 1
    return done


def run_once() -> dict:
    """``wms worker --once``: what is queued, then every due job, each once."""
    drained = drain()
    ran = {}
    for name in due_jobs(context()):
        result = run_job(context(), name)
        if result is not None:
            ran[name] = result
    return {"queued": drained, "jobs": ran}
