"""Running the rules keeps one warning per rule and subject, queues a ``risk.raised``
webhook for each new one, keeps acknowledgements, and costs the same statements for few
documents as for many."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from wms.core.db import utcnow
from wms.core.errors import Conflict, ValidationError
from wms.logistics.models import WebhookDelivery
from wms.logistics.webhooks import create_subscription
from wms.risk.models import RiskWarning
from wms.risk.queries import RiskFilter, open_counts, parse_filter, warnings_query
from wms.risk.services import acknowledge, run_rules
from wms.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


def test_a_second_run_raises_nothing_twice_and_keeps_acknowledgements(db):
    first = run_rules(db, Settings())
    assert first.total_raised > 0
    total = db.scalar(select(func.count()).select_from(RiskWarning))
    assert total == first.total_raised
    warning = db.scalars(select(RiskWarning).order_by(RiskWarning.id)).first()
    with pytest.raises(ValidationError):
        acknowledge(db, warning.id, "  ")
    acknowledge(db, warning.id, "已联系货主核实")
    with pytest.raises(Conflict):
        acknowledge(db, warning.id, "again")
    second = run_rules(db, Settings(), now=utcnow() + timedelta(minutes=5))
    assert second.total_raised == 0 and second.seen == total
    db.refresh(warning)
    assert warning.state == "acknowledged" and warning.note == "已联系货主核实"
    assert warning.last_seen_at > warning.raised_at


def test_the_demo_raises_warnings_of_every_level(db):
    run_rules(db, Settings())
    counts = open_counts(db)
    assert all(counts[level] > 0 for level in (1, 2, 3)), counts


def test_new_warnings_are_sent_to_webhook_subscribers(db):
    create_subscription(db, url="https://erp.example.com/hooks/wms",
                        secret="s3cret-s3cret-s3cret")
    run = run_rules(db, Settings())
    rows = db.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "risk.raised"))
    payloads = [json.loads(r.payload) for r in rows]
    assert len(payloads) == run.total_raised
    assert {p["warning"]["rule"] for p in payloads} == {c for c, n in run.raised.items() if n}
    run_rules(db, Settings())
    assert db.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.event == "risk.raised")) == len(payloads)


def test_switched_off_rules_do_not_run_and_unknown_rules_are_named(db):
    settings = Settings.from_env({"WMS_RISK_RULES_OFF": "return_late,train_silent"})
    run = run_rules(db, settings)
    assert "return_late" not in run.raised and "train_silent" not in run.raised
    with pytest.raises(ValidationError) as err:
        run_rules(db, Settings(), only=["no_such_rule"])
    assert err.value.field == "rule"


def test_filters_are_checked_and_applied(db):
    run_rules(db, Settings())
    level3 = db.scalars(warnings_query(RiskFilter(level=3))).all()
    assert level3 and all(w.level == 3 for w in level3)
    customs = db.scalars(warnings_query(parse_filter({"category": "customs",
                                                      "state": "open"}))).all()
    assert customs and all(w.category == "customs" for w in customs)
    for args, field in [({"level": "4"}, "level"), ({"category": "weather"}, "category"),
                        ({"state": "closed"}, "state"), ({"owner": "x"}, "owner")]:
        with pytest.raises(ValidationError) as err:
            parse_filter(args)
        assert err.value.field == field


def test_a_run_takes_the_same_statements_for_few_and_many_documents(db, statements):
    """Both measured runs find known subjects and new ones: a new address of 3 orders,
    then three new addresses of 9 orders each."""
    from tests.risk.test_rules import order

    def orders(first: int, last: int, address) -> None:
        for n in range(first, last):
            order(db, f"RK-M{n}", buyer=60 + n, address=address(n))
    orders(0, 3, lambda n: "兰州市城关区 甲 1 号")
    run_rules(db, Settings())
    orders(3, 6, lambda n: "兰州市城关区 乙 1 号")
    with statements() as few:
        run_rules(db, Settings())
    orders(6, 33, lambda n: f"兰州市城关区 丙 {n % 3} 号")
    with statements() as many:
        run_rules(db, Settings())
    assert len(many) == len(few)
