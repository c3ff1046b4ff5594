"""The customs outbox sends itself: each draft once, after its commit, with a sweep for
whatever an enqueue lost; receipts from the gateway's inbox are applied once."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from wms.customs.models import CustomsMessage
from wms.customs.outbox import FileGateway, queue_message, send_message
from wms.customs.simulator import receipt_for
from wms.jobs import tasks
from wms.jobs.models import JobFailure, JobRun, ReceiptFile
from wms.jobs.queue import configure, huey
from wms.jobs.runner import run_job

from .conftest import fresh, job_settings


def draft(session, n: int = 1, key: str = "T") -> list[CustomsMessage]:
    return [queue_message(session, "CEB311", f"<m n='{i}'/>", business_key=f"{key}{i}")
            for i in range(n)]


def states(session) -> dict[str, int]:
    return dict(session.execute(select(CustomsMessage.state, func.count())
                                .group_by(CustomsMessage.state)).all())


def test_a_committed_draft_is_enqueued_and_the_worker_sends_it_once(db, queued_jobs, gateway):
    jobs = queued_jobs
    draft(db, 3)
    db.rollback()  # a rolled-back draft asks for nothing
    assert huey.pending_count() == 0
    messages = draft(db, 3)
    db.commit()
    assert huey.pending_count() == 1  # one kick for the transaction, not one per message
    assert tasks.drain() == 1
    fresh(db)
    assert {m.state for m in messages} == {"sent"}
    assert sorted(p.name for p in gateway.outbox.iterdir()) == sorted(
        f"CEB311_{m.guid}.xml" for m in messages)
    row = db.get(JobRun, "customs_send")
    assert row.outcome == "ok" and row.counts == '{"sent": 3}' and row.lease_until is None
    # Sent messages are not sent again, whoever asks.
    assert run_job(jobs, "customs_send", force=True).counts == {"sent": 0}


def test_a_message_claimed_by_one_worker_is_skipped_by_the_other(db, jobs, gateway):
    message = draft(db)[0]
    db.commit()
    assert send_message(db, message.id, gateway) is True
    assert send_message(db, message.id, gateway) is False  # same transaction, state checked
    db.commit()
    assert len(list(gateway.outbox.iterdir())) == 1


class Refusing(FileGateway):
    def send(self, message):
        raise OSError("signing client not answering")


def test_a_gateway_failure_leaves_drafts_and_is_recorded_until_a_run_succeeds(db, jobs,
                                                                              tmp_path):
    draft(db, 2)
    db.commit()
    jobs.gateway = Refusing(tmp_path / "o", tmp_path / "i")
    result = run_job(jobs, "customs_send", force=True)
    assert result.outcome == "failed" and "signing client not answering" in result.error
    assert states(db) == {"draft": 2}
    failure = db.scalar(select(JobFailure))
    assert failure.job == "customs_send" and failure.resolved_at is None
    jobs.gateway = FileGateway(tmp_path / "o", tmp_path / "i")
    assert run_job(jobs, "customs_send", force=True).counts == {"sent": 2}
    fresh(db)
    assert states(db) == {"sent": 2}
    assert db.get(JobFailure, failure.id).resolved_at is not None


def test_redis_down_at_enqueue_the_commit_stands_and_the_sweep_sends(db, queued_jobs,
                                                                    tmp_path):
    jobs = queued_jobs
    configure(job_settings(tmp_path, "redis://127.0.0.1:1/0"))  # nothing listens there
    message = draft(db)[0]
    db.commit()  # no error: the enqueue failed after the commit and was logged
    fresh(db)
    assert db.get(CustomsMessage, message.id).state == "draft"
    jobs.clock.advance(jobs.settings.interval("customs_send"))
    assert run_job(jobs, "customs_send").counts == {"sent": 1}
    fresh(db)
    assert db.get(CustomsMessage, message.id).state == "sent"


def test_two_workers_at_once_send_each_message_once(committing_engine, tmp_path):
    """PostgreSQL, real commits: two workers race over the same drafts."""
    from sqlalchemy.orm import sessionmaker

    from wms.jobs.runner import JobContext

    sessions = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with sessions() as session:
        draft(session, 40)
        session.commit()
    sent: list[str] = []
    lock = threading.Lock()

    class Recording(FileGateway):
        def send(self, message):
            with lock:
                sent.append(message.guid)
            super().send(message)

    settings = job_settings(tmp_path)
    from wms.jobs.work import send_customs_messages
    results = []

    def worker():
        ctx = JobContext(settings, sessions, gateway=Recording(tmp_path / "o", tmp_path / "i"))
        results.append(send_customs_messages(ctx))
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 40 == len(set(sent))
    assert sum(r["sent"] for r in results) == 40
    with sessions() as session:
        assert states(session) == {"sent": 40}


def test_two_workers_at_once_on_sqlite_send_each_message_once(tmp_path, sqlite_template):
    import shutil

    from wms.core.db import make_engine, make_session_factory
    from wms.jobs.runner import JobContext
    from wms.jobs.work import send_customs_messages
    path = tmp_path / "race.db"
    shutil.copy(sqlite_template, path)
    engines = [make_engine(f"sqlite:///{path}") for _ in range(2)]
    with make_session_factory(engines[0])() as session:
        draft(session, 30)
        session.commit()
    sent: list[str] = []

    class Recording(FileGateway):
        def send(self, message):
            sent.append(message.guid)
            super().send(message)
    settings = job_settings(tmp_path)
    threads = [threading.Thread(target=send_customs_messages, args=(JobContext(
        settings, make_session_factory(e), gateway=Recording(tmp_path / "o", tmp_path / "i")),))
        for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 30 == len(set(sent))
    for e in engines:
        e.dispose()


def test_a_receipt_file_is_applied_once(demo, jobs, gateway):
    message = demo.scalar(select(CustomsMessage).where(
        CustomsMessage.state == "sent", CustomsMessage.message_type.like("CEB%"))
        .order_by(CustomsMessage.id))
    receipts_before = len(message.receipts)
    content = receipt_for(message, "120", "入库成功")
    gateway.inbox.mkdir(parents=True)
    (gateway.inbox / "r1.xml").write_bytes(content)
    (gateway.inbox / "bad.xml").write_bytes(b"<not-a-receipt/>")
    assert run_job(jobs, "customs_receive", force=True).counts == {
        "applied": 1, "repeated": 0, "rejected": 1}
    assert sorted(p.name for p in (gateway.inbox / "imported").iterdir()) == ["r1.xml"]
    assert sorted(p.name for p in (gateway.inbox / "rejected").iterdir()) == ["bad.xml"]
    # The same file again (a worker died before moving it aside; customs sent it twice).
    (gateway.inbox / "r1-again.xml").write_bytes(content)
    assert run_job(jobs, "customs_receive", force=True).counts == {
        "applied": 0, "repeated": 1, "rejected": 0}
    fresh(demo)
    message = demo.get(CustomsMessage, message.id)
    assert message.state == "accepted" and len(message.receipts) == receipts_before + 1
    files = {f.name: f for f in demo.scalars(select(ReceiptFile))}
    assert files["r1.xml"].state == "applied" and files["bad.xml"].state == "rejected"
    assert files["bad.xml"].error


@pytest.mark.parametrize("spec, folders", [("file:/a/out,/a/in", ("/a/out", "/a/in"))])
def test_the_gateway_comes_from_the_setting(spec, folders):
    from wms.customs.outbox import gateway_from
    gateway = gateway_from(spec)
    assert (str(gateway.outbox), str(gateway.inbox)) == folders
    with pytest.raises(ValueError):
        gateway_from("file:/only-one")
