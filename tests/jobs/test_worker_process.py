"""``wms worker`` as operators run it: a real process on a real database and queue, run
once, and killed with SIGKILL in the middle of a batch; nothing is lost, nothing sent twice
in the database, and what the gateway got twice is at most the one message in hand."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from tests.conftest import PG_URL, create_pg_schema, drop_pg_schema
from wms.customs.models import CustomsMessage
from wms.customs.outbox import queue_message
from wms.core.db import make_engine
from wms.jobs.models import JobRun

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def worker_db(request, tmp_path, sqlite_template):
    """A database with committed data that a worker process can open: (url, sessions)."""
    if request.param == "sqlite":
        path = tmp_path / "worker.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        yield url, sessionmaker(bind=engine, expire_on_commit=False)
        engine.dispose()
        return
    schema, engine = create_pg_schema()
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    yield url, sessionmaker(bind=engine, expire_on_commit=False)
    drop_pg_schema(schema, engine)


def worker_env(tmp_path, url: str, queue_url: str, **extra) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WMS_DATABASE_URL": url,
           "WMS_QUEUE_URL": queue_url, "WMS_INSTANCE_PATH": str(tmp_path / "instance"),
           "WMS_CUSTOMS_GATEWAY": "tests.jobs.slow_gateway:make",
           "SLOW_GATEWAY_DIR": str(tmp_path / "gw"), "WMS_JOB_LEASE_SECONDS": "2", **extra}
    for name in ("customs_send", "customs_receive", "webhooks_deliver", "logistics_sweep",
                 "deadline_notices", "idempotency_cleanup"):
        env.setdefault(f"WMS_JOB_{name.upper()}_SECONDS", "0")
    (tmp_path / "gw").mkdir(exist_ok=True)
    return env


def wms(*args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wms.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def make_drafts(sessions, n: int) -> None:
    with sessions() as session:
        for i in range(n):
            queue_message(session, "CEB311", f"<m n='{i}'/>", business_key=f"K{i}")
        session.commit()


def sent_count(sessions) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(select(CustomsMessage.state, func.count())
                                    .group_by(CustomsMessage.state)).all())


def journal(tmp_path) -> list[str]:
    path = tmp_path / "gw" / "journal.txt"
    return path.read_text().split() if path.exists() else []


def test_worker_once_runs_every_due_job_and_exits(worker_db, tmp_path, queue_url):
    url, sessions = worker_db
    make_drafts(sessions, 3)
    env = worker_env(tmp_path, url, queue_url, SLOW_GATEWAY_DELAY="0")
    result = wms("worker", "--once", env=env)
    assert result.returncode == 0, result.stderr
    assert "customs_send: ok sent=3" in result.stdout
    assert "7 due job(s) run" in result.stdout
    assert sent_count(sessions) == {"sent": 3}
    with sessions() as session:
        assert {r.name: r.outcome for r in session.scalars(select(JobRun))} == {
            name: "ok" for name in ("customs_send", "customs_receive", "webhooks_deliver",
                                    "logistics_sweep", "deadline_notices",
                                    "idempotency_cleanup", "risk_rules")}


def test_a_consumer_killed_mid_batch_loses_nothing(worker_db, tmp_path, queue_url):
    url, sessions = worker_db
    make_drafts(sessions, 20)
    env = worker_env(tmp_path, url, queue_url)
    consumer = subprocess.Popen([sys.executable, "-m", "wms.cli", "worker", "--workers", "2"],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(journal(tmp_path)) < 4:
            assert time.monotonic() < deadline, "the consumer sent nothing"
            assert consumer.poll() is None, "the consumer died by itself"
            time.sleep(0.05)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(10)
    finally:
        if consumer.poll() is None:
            consumer.kill()
    handed = len(journal(tmp_path))
    states = sent_count(sessions)
    assert 0 < states.get("sent", 0) < 20 and states.get("draft", 0) > 0  # mid-batch
    time.sleep(2.2)  # the dead consumer's lease on the job runs out
    result = wms("worker", "--once", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sent_count(sessions) == {"sent": 20}
    guids = journal(tmp_path)
    with sessions() as session:
        assert set(guids) == set(session.scalars(select(CustomsMessage.guid)))
    twice = [g for g, n in Counter(guids).items() if n > 1]
    assert len(twice) <= 1 and len(guids) <= 21 and handed >= 4
    assert len(list((tmp_path / "gw" / "out").glob("*.xml"))) == 20
