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


def split_order(db, tag: str, buyers: int = 3) -> None:
    """A new address that three buyers order to: one new shared-contact warning."""
    from tests.risk.test_rules import order
    for n in range(buyers):
        order(db, f"RK-W{tag}{n}", buyer=100 + n, address=f"兰州市西固区 {tag} 号")


def test_a_second_run_raises_nothing_twice_and_keeps_acknowledgements(db):
    before = db.scalar(select(func.count()).select_from(RiskWarning))
    assert before > 0  # the demo ran the rules once
    assert run_rules(db, Settings()).total_raised == 0
    split_order(db, "A")
    first = run_rules(db, Settings())
    assert first.raised["shared_contact"] == 1 and first.total_raised == 1
    warning = db.scalars(select(RiskWarning).order_by(RiskWarning.id.desc())).first()
    assert warning.rule == "shared_contact" and warning.facts["buyers"] == 3
    with pytest.raises(ValidationError):
        acknowledge(db, warning.id, "  ")
    acknowledge(db, warning.id, "已联系货主核实")
    with pytest.raises(Conflict):
        acknowledge(db, warning.id, "again")
    second = run_rules(db, Settings(), now=utcnow() + timedelta(minutes=5))
    assert second.total_raised == 0 and second.seen == before + 1
    db.refresh(warning)
    assert warning.state == "acknowledged" and warning.note == "已联系货主核实"
    assert warning.last_seen_at > warning.raised_at


def test_the_demo_shows_warnings_of_every_level(db):
    counts = open_counts(db)
    assert all(counts[level] >= 2 for level in (1, 2, 3)), counts


def test_new_warnings_are_sent_to_webhook_subscribers(db):
    create_subscription(db, url="https://erp.example.com/hooks/wms",
                        secret="s3cret-s3cret-s3cret")
    split_order(db, "B")
    run = run_rules(db, Settings())
    rows = db.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "risk.raised"))
    payloads = [json.loads(r.payload) for r in rows]
    assert run.total_raised == 1 and len(payloads) == 1
    assert payloads[0]["warning"]["rule"] == "shared_contact"
    assert payloads[0]["warning"]["level"] == 3
    run_rules(db, Settings())
    assert db.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.event == "risk.raised")) == 1


def test_switched_off_rules_do_not_run_and_unknown_rules_are_named(db):
    settings = Settings.from_env({"WMS_RISK_RULES_OFF": "return_late,train_silent"})
    run = run_rules(db, settings)
    assert set(run.raised) == {"tally_difference", "unadvised_goods", "buyer_near_limit",
                               "shared_contact", "buyer_id_names", "short_shelf_life",
                               "declaration_stopped", "blacklisted_party"}
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
