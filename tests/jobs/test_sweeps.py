"""A train that goes quiet raises "no report", one past its planned arrival "late"; the
deadlines of declarations and returns raise notices; nothing is raised twice, and each
alert and notice goes to the webhook subscribers as an event once."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.logistics.conftest import T0, train  # noqa: F401  (the rail shipment fixture)
from wms.core.db import utcnow
from wms.jobs.models import Notice
from wms.jobs.runner import run_job
from wms.logistics import events as lg
from wms.logistics.models import LogisticsAlert, WebhookDelivery
from wms.logistics.webhooks import create_subscription, set_subscription_active

from .conftest import fresh


def alerts(session) -> list[tuple[str, str]]:
    return [(a.kind, a.state) for a in session.scalars(select(LogisticsAlert)
                                                       .order_by(LogisticsAlert.id))]


def deliveries(session, event: str) -> list[WebhookDelivery]:
    return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.event == event)
                                .order_by(WebhookDelivery.id)))


def test_a_quiet_train_raises_no_report_then_late_once_each(db, jobs, train):  # noqa: F811
    hooks = create_subscription(db, url="https://erp.example/hooks", secret="s" * 20)
    paused = create_subscription(db, url="https://paused.example/hooks", secret="p" * 20)
    unit = train.container.identifier  # the container reports, not the shipment itself
    lg.ingest_events(db, "rail:crct", [
        dict(id="q1", code="DEPA", unit=unit, node="LANZHOU", time=T0),
        dict(id="q2", code="ARRI", unit=unit, node="WUWEI", time=T0 + timedelta(hours=20))],
        now=T0 + timedelta(hours=21))
    set_subscription_active(db, paused.id, False)
    db.commit()

    jobs.clock.now = T0 + timedelta(hours=50)  # 30 h since Wuwei: rail reports within 36 h
    assert run_job(jobs, "logistics_sweep", force=True).counts == {
        "shipments": 1, "late": 0, "no_report": 0, "published": 0}

    jobs.clock.now = T0 + timedelta(hours=60)
    assert run_job(jobs, "logistics_sweep", force=True).counts == {
        "shipments": 1, "late": 0, "no_report": 1, "published": 1}
    fresh(db)
    assert alerts(db) == [("no_report", "open")]
    notice = db.scalar(select(Notice))
    assert (notice.kind, notice.role, notice.reference) == (
        "alert_no_report", "dispatcher", "X8025-TEST")
    assert json.loads(notice.params)["hours"] == 40.0
    events = deliveries(db, "shipment.alert")
    assert [d.subscription_id for d in events] == [hooks.id]  # not the paused one
    assert json.loads(events[0].payload)["alert"]["kind"] == "no_report"

    # Sweeping again raises nothing new and sends nothing twice.
    jobs.clock.now = T0 + timedelta(hours=61)
    assert run_job(jobs, "logistics_sweep", force=True).counts["no_report"] == 0
    fresh(db)
    assert len(deliveries(db, "shipment.alert")) == 1 and len(list(db.scalars(
        select(Notice)))) == 1

    # Past the planned arrival (19 days) by more than rail's margin, and not arrived.
    jobs.clock.now = T0 + timedelta(days=19, hours=13)
    counts = run_job(jobs, "logistics_sweep", force=True).counts
    assert (counts["late"], counts["no_report"], counts["published"]) == (1, 0, 1)
    fresh(db)
    assert alerts(db) == [("no_report", "open"), ("late", "open")]
    late = db.scalar(select(LogisticsAlert).where(LogisticsAlert.kind == "late"))
    assert late.estimated_arrival >= jobs.clock.now - timedelta(seconds=1)
    assert late.delay_minutes == 13 * 60
    for _ in range(2):
        jobs.clock.advance(timedelta(hours=1))
        assert run_job(jobs, "logistics_sweep", force=True).counts["published"] == 0
    fresh(db)
    assert len(alerts(db)) == 2 and len(deliveries(db, "shipment.alert")) == 2
    assert db.get(LogisticsAlert, late.id).delay_minutes == 15 * 60  # kept up to date


def test_the_alert_webhooks_are_delivered_by_the_webhook_job(db, jobs, train):  # noqa: F811
    create_subscription(db, url="https://erp.example/hooks", secret="s" * 20)
    db.commit()
    jobs.clock.now = T0 + timedelta(days=3)  # booked, due to depart, never reported
    run_job(jobs, "logistics_sweep", force=True)
    assert run_job(jobs, "webhooks_deliver", force=True).counts == {
        "attempted": 1, "delivered": 1, "retrying": 0, "failed": 0}
    url, body, headers = jobs.post.calls[0]
    assert headers["X-WMS-Event"] == "shipment.alert"
    assert json.loads(body)["shipment"]["reference"] == "X8025-TEST"


def test_a_paused_subscriptions_deliveries_wait_until_it_is_back(db, jobs, train):  # noqa: F811
    hooks = create_subscription(db, url="https://erp.example/hooks", secret="s" * 20)
    lg.ingest_events(db, "rail:crct", [dict(id="p1", code="DEPA",
                                            unit=train.container.identifier, node="LANZHOU",
                                            time=T0)], now=T0 + timedelta(hours=1))
    set_subscription_active(db, hooks.id, False)
    db.commit()
    jobs.clock.now = T0 + timedelta(hours=2)
    assert run_job(jobs, "webhooks_deliver", force=True).counts["attempted"] == 0
    assert jobs.post.calls == []
    set_subscription_active(db, hooks.id, True)
    db.commit()
    assert run_job(jobs, "webhooks_deliver", force=True).counts["delivered"] == 1


def test_deadlines_raise_notices_from_the_warning_on_once(demo, jobs):
    create_subscription(demo, url="https://erp.example/hooks", secret="s" * 20)
    demo.commit()
    start = utcnow()
    jobs.clock.now = start + timedelta(hours=1)
    assert run_job(jobs, "deadline_notices", force=True).counts == {}
    jobs.clock.now = start + timedelta(days=60)
    counts = run_job(jobs, "deadline_notices", force=True).counts
    fresh(demo)
    found: dict[str, set[str]] = {}
    for notice in demo.scalars(select(Notice)):
        found.setdefault(notice.kind, set()).add(notice.reference)
    assert found == {
        "declaration_due": {"LZB/IN/2026/00002", "LZB/IN/2026/00003", "LZB/IN/2026/00004"},
        "return_apply_due": {"LZB/RMA/2026/00001", "LZB/RMA/2026/00002",
                             "LZB/RMA/2026/00008"},
        "return_arrive_due": {"LZB/RMA/2026/00001", "LZB/RMA/2026/00008"}}
    assert counts == {kind: len(refs) for kind, refs in found.items()}
    assert {n.role for n in demo.scalars(select(Notice).where(
        Notice.kind == "declaration_due"))} == {"customs_clerk"}
    assert len(deliveries(demo, "notice.deadline")) == 8
    assert run_job(jobs, "deadline_notices", force=True).counts == {}
    fresh(demo)
    assert len(deliveries(demo, "notice.deadline")) == 8


def test_raising_notices_is_set_based(db, statements):
    """The statements to raise notices (and their webhook events) do not grow with their
    number: 10 and 1,000 cost the same."""
    from wms.jobs.notices import raise_notices
    create_subscription(db, url="https://erp.example/hooks", secret="s" * 20)
    db.flush()

    def candidates(start: int, n: int) -> list[dict]:
        return [dict(kind="declaration_due", role="customs_clerk", owner_id=None,
                     subject_id=start + i, reference=f"R{start + i}", due_at=None,
                     message="Receipt %(reference)s: the entry declaration is due")
                for i in range(n)]
    counts = []
    for start, n in ((1, 10), (100, 1000)):
        with statements() as sent:
            assert raise_notices(db, candidates(start, n), utcnow()) == {"declaration_due": n}
        counts.append(len(sent))
    assert counts[0] == counts[1] <= 4
    assert len(deliveries(db, "notice.deadline")) == 1010
    with statements() as sent:  # raised before: nothing more
        assert raise_notices(db, candidates(1, 10), utcnow()) == {}
    assert len(sent) == 1
