"""Running a periodic job once: claim its lease, run it, record the outcome.

Every job is a function of a ``JobContext`` that does its own small transactions (one per
message, delivery or file) and returns the counts it handled. The run record is the
``job_run`` row: a worker claims it with an UPDATE that only a free lease matches, so two
workers never run the same job at once, and a worker killed mid-run loses its lease when it
runs out. The items a job handles are claimed one by one as well, so even two runs at once
would send nothing twice.
"""
from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from wms.core.db import run_in_transaction, utcnow

from .models import JobFailure, JobRun
from .settings import JobSettings

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What a job needs, handed in: settings, sessions, and the outside world's seams."""
    settings: JobSettings
    sessions: sessionmaker[Session]
    gateway: object | None = None       # a CustomsGateway; built from the settings if None
    post: Callable | None = None        # the webhook poster; a real HTTP POST if None
    clock: Callable[[], datetime] = utcnow

    def customs_gateway(self):
        if self.gateway is None:
            from wms.customs.outbox import gateway_from
            self.gateway = gateway_from(self.settings.customs_gateway)
        return self.gateway

    def webhook_post(self):
        if self.post is None:
            from wms.logistics.delivery_http import http_post
            allow = self.settings.webhook_allow_private
            self.post = lambda url, body, headers: http_post(url, body, headers,
                                                             allow_private=allow)
        return self.post


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[JobContext], dict[str, int]]
    title: str


JOBS: dict[str, Job] = {}


def job(name: str, title: str):
    """Register a periodic job; its interval is ``settings.intervals[name]``."""
    def register(fn: Callable[[JobContext], dict[str, int]]):
        JOBS[name] = Job(name, fn, title)
        return fn
    return register


@dataclass
class RunResult:
    job: str
    outcome: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def _ensure_rows(sessions: sessionmaker[Session]) -> None:
    def add_missing(session: Session) -> None:
        have = set(session.scalars(select(JobRun.name)))
        for name in JOBS:
            if name not in have:
                session.add(JobRun(name=name, runs=0, failures=0))
        session.flush()
    try:
        run_in_transaction(sessions, add_missing)
    except IntegrityError:  # another worker added them at the same moment
        pass


def due_jobs(ctx: JobContext, now: datetime | None = None) -> list[str]:
    """The jobs whose next run has come and that no worker holds."""
    now = now or ctx.clock()
    _ensure_rows(ctx.sessions)
    with ctx.sessions() as session:
        return list(session.scalars(select(JobRun.name).where(
            JobRun.name.in_(JOBS),
            or_(JobRun.next_run_at.is_(None), JobRun.next_run_at <= now),
            or_(JobRun.lease_until.is_(None), JobRun.lease_until < now))
            .order_by(JobRun.name)))


def _claim(ctx: JobContext, name: str, now: datetime, force: bool) -> bool:
    def claim(session: Session) -> bool:
        stmt = update(JobRun).where(JobRun.name == name,
                                    or_(JobRun.lease_until.is_(None), JobRun.lease_until < now))
        if not force:
            stmt = stmt.where(or_(JobRun.next_run_at.is_(None), JobRun.next_run_at <= now))
        result = session.execute(stmt.values(lease_until=now + ctx.settings.lease,
                                             last_started_at=now)
                                 .execution_options(synchronize_session=False))
        return result.rowcount == 1
    return run_in_transaction(ctx.sessions, claim)


def _finish(ctx: JobContext, name: str, started: datetime, result: RunResult) -> None:
    def record(session: Session) -> None:
        now = ctx.clock()
        row = session.get(JobRun, name)
        row.lease_until = None
        row.last_finished_at = now
        row.next_run_at = started + ctx.settings.interval(name)
        row.outcome = result.outcome
        row.counts = json.dumps(result.counts, sort_keys=True)
        row.error = result.error
        row.runs += 1
        if result.outcome == "failed":
            row.failures += 1
            session.add(JobFailure(job=name, error=result.error or "", failed_at=now))
        else:  # a successful run settles the failures before it
            session.execute(update(JobFailure).where(JobFailure.job == name,
                                                     JobFailure.resolved_at.is_(None))
                            .values(resolved_at=now)
                            .execution_options(synchronize_session=False))
        session.flush()
    run_in_transaction(ctx.sessions, record)


def run_job(ctx: JobContext, name: str, *, force: bool = False) -> RunResult | None:
    """Run ``name`` once if it is due (or ``force``) and no other worker holds it; None when
    it was not run. A failure is recorded, not raised: the next run tries again."""
    job_ = JOBS[name]
    _ensure_rows(ctx.sessions)
    started = ctx.clock()
    if not _claim(ctx, name, started, force):
        return None
    try:
        result = RunResult(name, "ok", job_.run(ctx))
    except Exception as exc:
        log.exception("job %s failed", name)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        result = RunResult(name, "failed", error=detail[:4000])
    _finish(ctx, name, started, result)
    return result


def retry_failure(session: Session, failure_id: int, *, user_id: int | None) -> JobFailure:
    """A person asks for a failed job to run again: the failure is settled now and the job
    is enqueued once this transaction commits."""
    from wms.core.errors import N_, NotFound

    from .queue import kick_after_commit
    failure = session.get(JobFailure, failure_id)
    if failure is None or failure.resolved_at is not None:
        raise NotFound(N_("No open failure %(id)s"), field="failure", id=failure_id)
    failure.resolved_at = utcnow()
    failure.retried_by_id = user_id
    session.flush()
    kick_after_commit(session, failure.job)
    return failure
