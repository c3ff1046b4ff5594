"""The run record: a job runs when due, one worker at a time, a dead worker's lease runs
out, failures wait for a person's retry, and old idempotency keys go."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from wms.core.errors import NotFound
from wms.core.idempotency import IdempotencyKey
from wms.jobs import tasks
from wms.jobs.models import JobFailure, JobRun
from wms.jobs.queue import huey
from wms.jobs.runner import JOBS, due_jobs, retry_failure, run_job
from wms.jobs.settings import JobSettings

from .conftest import fresh


def test_a_job_runs_when_due_and_not_while_another_worker_holds_it(db, jobs):
    assert due_jobs(jobs) == sorted(JOBS)  # never run: all due
    assert run_job(jobs, "idempotency_cleanup") is not None
    assert run_job(jobs, "idempotency_cleanup") is None  # next run in an hour
    jobs.clock.advance(timedelta(hours=1))
    assert "idempotency_cleanup" in due_jobs(jobs)
    # Another worker holds the lease: not run, not even when forced.
    db.execute(update(JobRun).where(JobRun.name == "idempotency_cleanup")
               .values(lease_until=jobs.clock.now + timedelta(minutes=5)))
    db.commit()
    assert "idempotency_cleanup" not in due_jobs(jobs)
    assert run_job(jobs, "idempotency_cleanup", force=True) is None
    jobs.clock.advance(timedelta(minutes=6))  # that worker died: its lease ran out
    assert run_job(jobs, "idempotency_cleanup").outcome == "ok"
    fresh(db)
    row = db.get(JobRun, "idempotency_cleanup")
    assert row.runs == 2 and row.lease_until is None
    assert row.next_run_at == jobs.clock.now + timedelta(hours=1)


def test_a_failure_is_kept_until_retried_and_the_retry_is_enqueued(db, jobs, monkeypatch):
    def broken(ctx):
        raise RuntimeError("disk full")
    monkeypatch.setitem(JOBS, "idempotency_cleanup",
                        JOBS["idempotency_cleanup"].__class__("idempotency_cleanup", broken,
                                                              "cleanup"))
    result = run_job(jobs, "idempotency_cleanup")
    assert result.outcome == "failed" and "disk full" in result.error
    fresh(db)
    failure = db.scalar(select(JobFailure))
    assert failure.resolved_at is None and db.get(JobRun, "idempotency_cleanup").failures == 1
    retry_failure(db, failure.id, user_id=None)
    assert huey.pending_count() == 0  # only once committed
    db.commit()
    assert huey.pending_count() == 1
    with pytest.raises(NotFound):
        retry_failure(db, failure.id, user_id=None)  # settled already
    monkeypatch.undo()
    assert tasks.drain() == 1
    fresh(db)
    assert db.get(JobRun, "idempotency_cleanup").outcome == "ok"


def test_old_idempotency_keys_are_removed(db, jobs):
    for age, key in ((timedelta(days=8), "old"), (timedelta(days=1), "new")):
        db.add(IdempotencyKey(user_key=f"0:{key}", endpoint="x", request_hash="h", status=200,
                              response="{}", created_at=jobs.clock.now - age))
    db.commit()
    assert run_job(jobs, "idempotency_cleanup").counts == {"deleted": 1}
    fresh(db)
    assert [k.user_key for k in db.scalars(select(IdempotencyKey))] == ["0:new"]


def test_settings_are_read_once_from_the_environment(tmp_path):
    settings = JobSettings.from_env({
        "WMS_INSTANCE_PATH": str(tmp_path), "WMS_JOB_CUSTOMS_SEND_SECONDS": "15",
        "WMS_NO_REPORT_HOURS": "rail=24", "WMS_DECLARATION_DEADLINE_HOURS": "48"})
    assert settings.interval("customs_send") == timedelta(seconds=15)
    assert settings.interval("logistics_sweep") == timedelta(minutes=5)
    assert settings.no_report_after("rail") == timedelta(hours=24)
    assert settings.no_report_after("air") == timedelta(hours=12)
    assert settings.declaration_deadline == timedelta(hours=48)
    assert settings.customs_gateway == f"file:{tmp_path}/customs/outbox,{tmp_path}/customs/inbox"
