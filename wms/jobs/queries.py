"""Reads of the background work shared by the jobs page, the API and the home pages."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.context import current_actor
from wms.core.scoping import scope_to_owner

from . import sweeps, work  # noqa: F401  (importing registers the jobs)
import wms.risk.job  # noqa: F401,E402  (the risk rules' periodic run)
from .models import JobFailure, JobRun, Notice
from .runner import JOBS
from .settings import JobSettings

# Roles that see every notice, whichever desk it is for.
ALL_NOTICES = ("admin", "supervisor")


@dataclass
class JobStatus:
    name: str
    title: str
    interval_seconds: int
    last_started_at: datetime | None
    last_finished_at: datetime | None
    next_run_at: datetime | None
    outcome: str | None
    counts: dict[str, int]
    error: str | None
    running: bool
    runs: int
    failures: int


@dataclass
class JobsOverview:
    jobs: list[JobStatus]
    queue_depth: int | None          # None: the queue cannot be reached
    queue_backend: str
    failures: list[JobFailure] = field(default_factory=list)


def queue_backend(settings: JobSettings) -> str:
    url = settings.queue_url or "sqlite"
    return url.split(":", 1)[0].split("+", 1)[0]


def job_statuses(session: Session, settings: JobSettings, now: datetime) -> list[JobStatus]:
    rows = {r.name: r for r in session.scalars(select(JobRun))}
    statuses = []
    for name, job in sorted(JOBS.items()):
        row = rows.get(name)
        statuses.append(JobStatus(
            name=name, title=job.title,
            interval_seconds=int(settings.interval(name).total_seconds()),
            last_started_at=row.last_started_at if row else None,
            last_finished_at=row.last_finished_at if row else None,
            next_run_at=(row.next_run_at if row and row.next_run_at else now),
            outcome=row.outcome if row else None,
            counts=json.loads(row.counts) if row and row.counts else {},
            error=row.error if row else None,
            running=bool(row and row.lease_until and row.lease_until > now),
            runs=row.runs if row else 0, failures=row.failures if row else 0))
    return statuses


def open_failures(session: Session, limit: int = 50) -> list[JobFailure]:
    return list(session.scalars(select(JobFailure).where(JobFailure.resolved_at.is_(None))
                                .order_by(JobFailure.id.desc()).limit(limit)))


def overview(session: Session, settings: JobSettings, now: datetime,
             queue_depth: int | None) -> JobsOverview:
    return JobsOverview(job_statuses(session, settings, now), queue_depth,
                        queue_backend(settings), open_failures(session))


def notices_for(session: Session, roles, *, after_id: int = 0, limit: int = 20
                ) -> list[Notice]:
    """The newest notices for the desks of these roles (all of them for a supervisor),
    of the owners the acting user may see, newer than ``after_id``."""
    stmt = select(Notice).where(Notice.id > after_id)
    if not set(roles) & set(ALL_NOTICES):
        stmt = stmt.where(Notice.role.in_(sorted(roles)))
    if current_actor().owner_ids is not None:
        stmt = scope_to_owner(stmt, Notice.owner_id)
    return list(session.scalars(stmt.order_by(Notice.id.desc()).limit(limit)))


def notice_params(notice: Notice) -> dict:
    return json.loads(notice.params or "{}")
