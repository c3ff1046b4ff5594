"""``/api/v1/jobs``: the background jobs' state for monitoring, as on the jobs page."""
from __future__ import annotations

from flask import jsonify

from wms.core.db import utcnow
from wms.jobs import queries
from wms.jobs.queue import ensure_configured, queue_depth

from ..db import db
from .core import operation
from .schema import Field, Schema


def _iso(value):
    return value.isoformat() if value else None


JOB = Schema("Job", (
    Field("name", "string", True),
    Field("title", "string", True),
    Field("interval_seconds", "integer", True),
    Field("last_started_at", "string", True, nullable=True),
    Field("last_finished_at", "string", True, nullable=True),
    Field("next_run_at", "string", True, nullable=True),
    Field("outcome", "string", True, "ok or failed; null before the first run",
          nullable=True),
    Field("counts", "object", True, "what the last run handled, e.g. {\"sent\": 3}"),
    Field("error", "string", True, nullable=True),
    Field("running", "boolean", True, "a worker holds the job now"),
    Field("runs", "integer", True),
    Field("failures", "integer", True),
))
FAILURE = Schema("JobFailure", (
    Field("id", "integer", True),
    Field("job", "string", True),
    Field("error", "string", True),
    Field("failed_at", "string", True),
))
JOBS = Schema("Jobs", (
    Field("queue_backend", "string", True, "sqlite, redis or postgresql"),
    Field("queue_depth", "integer", True, "tasks waiting; null when the queue cannot be "
          "reached", nullable=True),
    Field("jobs", "array", True, items=JOB),
    Field("failures", "array", True, "failed runs no one has retried yet", items=FAILURE),
))


@operation("/jobs", summary="Background jobs: last and next runs, queue depth, failures",
           tag="jobs", response=JOBS, roles=("supervisor",))
def jobs_overview():
    """For monitoring: a job whose ``outcome`` is ``failed`` or whose ``next_run_at`` lies
    well in the past means no worker is running it."""
    overview = queries.overview(db(), ensure_configured(), utcnow(), queue_depth())
    return jsonify(
        queue_backend=overview.queue_backend, queue_depth=overview.queue_depth,
        jobs=[{"name": j.name, "title": j.title, "interval_seconds": j.interval_seconds,
               "last_started_at": _iso(j.last_started_at),
               "last_finished_at": _iso(j.last_finished_at),
               "next_run_at": _iso(j.next_run_at), "outcome": j.outcome, "counts": j.counts,
               "error": j.error, "running": j.running, "runs": j.runs,
               "failures": j.failures} for j in overview.jobs],
        failures=[{"id": f.id, "job": f.job, "error": f.error,
                   "failed_at": f.failed_at.isoformat()} for f in overview.failures])
