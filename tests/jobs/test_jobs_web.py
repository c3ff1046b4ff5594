"""The jobs page, GET /api/v1/jobs, the notices feed and the desk home pages, through HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login
from wms.accounts.services import create_token, get_user
from wms.core.db import utcnow
from wms.jobs.models import JobFailure, Notice
from wms.jobs.queue import huey
from wms.jobs.runner import run_job

from .conftest import fresh

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def swept(db, jobs):
    """The demo after the alert and deadline sweeps, two months on."""
    jobs.clock.now = utcnow() + timedelta(days=60)
    run_job(jobs, "logistics_sweep", force=True)
    run_job(jobs, "deadline_notices", force=True)
    fresh(db)
    return jobs


def test_the_jobs_page_shows_each_job_and_a_failure_can_be_retried(client, db, jobs):
    run_job(jobs, "idempotency_cleanup")
    db.add(JobFailure(job="customs_send", error="OSError: signing client down",
                      failed_at=utcnow()))
    db.commit()
    login(client, "operator")
    assert client.get("/jobs/").status_code == 403
    client.post("/logout")
    login(client, "supervisor")
    page = client.get("/jobs/").get_data(as_text=True)
    for name in ("customs_send", "customs_receive", "webhooks_deliver", "logistics_sweep",
                 "deadline_notices", "idempotency_cleanup"):
        assert f'id="job-{name}"' in page
    assert "已删除 0" in page and "deleted 0" not in page  # count keys in the reader's language
    assert "signing client down" in page
    home = client.get("/").get_data(as_text=True)
    assert 'id="job-failures"' in home and "customs_send" in home
    failure = db.scalar(select(JobFailure))
    response = client.post(f"/jobs/failures/{failure.id}/retry")
    assert response.status_code == 302
    fresh(db)
    assert db.get(JobFailure, failure.id).resolved_at is not None
    assert huey.pending_count() == 1  # the retry is on the queue
    assert 'id="job-failures"' not in client.get("/").get_data(as_text=True)
    assert client.post(f"/jobs/failures/{failure.id}/retry").status_code == 302  # flashed


def test_api_jobs_answers_what_the_page_shows(client, db, jobs):
    run_job(jobs, "customs_send")
    token = create_token(db, get_user(db, "supervisor"))
    db.commit()
    body = client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {token}"}).json
    assert body["queue_backend"] == "sqlite" and body["queue_depth"] == 0
    by_name = {j["name"]: j for j in body["jobs"]}
    assert by_name["customs_send"]["outcome"] == "ok"
    assert by_name["customs_send"]["counts"] == {"sent": 0}
    assert by_name["logistics_sweep"]["outcome"] is None and body["failures"] == []
    other = create_token(db, get_user(db, "operator"))
    db.commit()
    assert client.get("/api/v1/jobs",
                      headers={"Authorization": f"Bearer {other}"}).status_code == 403
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/jobs" in spec["paths"]


def test_notices_reach_the_desk_that_acts_and_the_feed(client, db, swept):
    kinds = {n.kind for n in db.scalars(select(Notice))}
    assert {"alert_late", "declaration_due", "return_apply_due"} <= kinds
    login(client, "dispatcher")
    home = client.get("/").get_data(as_text=True)
    assert 'data-kind="alert_late"' in home and 'data-kind="declaration_due"' not in home
    assert 'src="/static/notices.js"' in home
    assert 'src="/static/notices.js"' in client.get("/dispatch/").get_data(as_text=True)
    assert "notices.js" not in client.get("/dispatch/alerts").get_data(as_text=True)
    first = client.get("/jobs/notices.json?after=-1").json
    assert first["notices"] == [] and first["last_id"] > 0
    feed = client.get("/jobs/notices.json?after=0").json
    assert {n["kind"] for n in feed["notices"]} <= {"alert_late", "alert_no_report"}
    assert all(n["url"] == "/dispatch/alerts" for n in feed["notices"])
    assert client.get(f"/jobs/notices.json?after={feed['last_id']}").json["notices"] == []
    client.post("/logout")
    login(client, "customs")
    home = client.get("/").get_data(as_text=True)
    assert 'data-kind="declaration_due"' in home and 'data-kind="alert_late"' not in home
    assert "LZB/IN/2026/00002" in home


def test_redis_down_the_declaration_still_succeeds_and_the_sweep_sends_it(client, db, jobs,
                                                                         tmp_path):
    from wms.customs.models import CustomsMessage
    from wms.jobs.queue import configure

    from .conftest import job_settings
    configure(job_settings(tmp_path, "redis://127.0.0.1:1/0"))  # nothing listens there
    token = create_token(db, get_user(db, "customs"))
    db.commit()
    response = client.post("/api/v1/orders/SLX2026112700001/declare",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    fresh(db)
    drafts = list(db.scalars(select(CustomsMessage).where(CustomsMessage.state == "draft")))
    assert drafts and {m.business_key for m in drafts} == {"SLX2026112700001"}
    assert run_job(jobs, "customs_send").counts == {"sent": len(drafts)}
    fresh(db)
    assert {db.get(CustomsMessage, m.id).state for m in drafts} == {"sent"}


def test_the_page_knows_every_job_in_a_fresh_process():
    """A web host imports no task module: the jobs the page lists register all the same."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "from wms.jobs import queries, runner; "
                          "print(sorted(runner.JOBS))"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == str(["customs_receive", "customs_send", "deadline_notices",
                               "idempotency_cleanup", "logistics_sweep", "risk_rules",
                               "webhooks_deliver"])
