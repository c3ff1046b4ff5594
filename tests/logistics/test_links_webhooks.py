"""Tracking links resist tampering and expire; webhooks are signed, retried with back-off
and given up after the last attempt."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from wms.core.errors import ValidationError
from wms.logistics.events import ingest_events
from wms.logistics.links import (ExpiredToken, InvalidToken, make_tracking_token,
                                 public_view, public_view_for_token, read_tracking_token)
from wms.logistics.webhooks import (SIGNATURE_HEADER, create_subscription, deliver_due,
                                    delivery_log)

from .conftest import NOW, T0

SECRET = "link-secret-0123456789"


def test_token_round_trip_tamper_and_expiry(db, train):
    expires = NOW + timedelta(days=7)
    token = make_tracking_token(train.shipment.id, SECRET, expires)
    assert read_tracking_token(token, SECRET, NOW) == train.shipment.id
    version, sid, exp, sig = token.split(".")
    for forged in (f"{version}.{int(sid) + 1}.{exp}.{sig}",       # another shipment
                   f"{version}.{sid}.{int(exp) + 86400}.{sig}",   # a longer life
                   f"{version}.{sid}.{exp}.{sig[:-1]}{'0' if sig[-1] != '0' else '1'}",
                   token[:-2], "", "garbage"):
        with pytest.raises(InvalidToken) as err:
            read_tracking_token(forged, SECRET, NOW)
        assert type(err.value) is InvalidToken
    with pytest.raises(InvalidToken):
        read_tracking_token(token, "another-secret-0123456", NOW)
    with pytest.raises(ExpiredToken):
        read_tracking_token(token, SECRET, expires)
    assert read_tracking_token(token, SECRET, expires - timedelta(seconds=1)) == \
        train.shipment.id


def test_public_view_shows_milestones_only(db, train):
    ingest_events(db, "rail:crct", [
        dict(id="v1", code="DEPA", unit=train.container.identifier, node="LANZHOU", time=T0),
        dict(id="v2", code="QQQ", unit=train.container.identifier, node="WUWEI",
             time=T0 + timedelta(hours=3))], now=NOW)
    token = make_tracking_token(train.shipment.id, SECRET, NOW + timedelta(days=1))
    view = public_view_for_token(db, token, SECRET, NOW)
    assert set(view) == {"reference", "status", "status_at", "place", "origin", "destination",
                         "legs", "timeline"}
    assert view["status"] == "in_transit" and view["place"].startswith("Lanzhou")
    assert [(t["milestone"], t["classifier"]) for t in view["timeline"]] == \
        [("departed", "ACT")]  # the flagged event is not shown
    assert view["timeline"][0]["time"] == "2026-11-02T09:00:00+08:00"
    assert set(view["legs"][0]) == {"mode", "from", "to", "state", "departure", "arrival"}
    text = json.dumps(view)
    for secret_bit in ("owner", "SMGS", "X8025", "raw", train.container.identifier):
        assert secret_bit not in text
    assert public_view(db, train.shipment.id) == view


class FakePost:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, body, headers):
        self.calls.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 500
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_status_change_is_signed_and_retried_with_backoff(db, train):
    ok = create_subscription(db, url="https://erp.example/hooks", secret="s" * 20)
    flaky = create_subscription(db, url="https://down.example/hooks", secret="t" * 20)
    create_subscription(db, url="https://off.example/hooks", secret="u" * 20, active=False)
    ingest_events(db, "rail:crct", [dict(id="w1", code="DEPA",
                                            unit=train.container.identifier, node="LANZHOU",
                                            time=T0)], now=NOW)
    # A second event without a status change queues nothing more.
    ingest_events(db, "rail:crct", [dict(id="w2", code="ARRI",
                                            unit=train.container.identifier, node="WUWEI",
                                            time=T0 + timedelta(hours=9))], now=NOW)
    queued = delivery_log(db)
    assert len(queued) == 2 and {d.status for d in queued} == {"pending"}
    payload = json.loads(queued[0].payload)
    assert payload["shipment"]["status"] == "in_transit"
    assert payload["shipment"]["previous_status"] == "pending"

    post = FakePost([500, 500])  # first round: both fail
    run = deliver_due(db, post, NOW, max_attempts=3)
    assert (run.attempted, run.retrying) == (2, 2)
    url, body, headers = post.calls[0]
    assert headers[SIGNATURE_HEADER] == hmac.new(b"s" * 20, body, hashlib.sha256).hexdigest()
    first = next(d for d in delivery_log(db) if d.subscription_id == ok.id)
    assert first.attempts == 1 and first.response_code == 500
    assert first.next_attempt_at == NOW + timedelta(minutes=1)
    assert deliver_due(db, post, NOW + timedelta(seconds=59)).attempted == 0  # not yet due

    post = FakePost([200, ConnectionError("refused")])
    run = deliver_due(db, post, NOW + timedelta(minutes=1), max_attempts=3)
    assert (run.delivered, run.retrying) == (1, 1)
    assert first.status == "delivered" and first.attempts == 2
    second = next(d for d in delivery_log(db) if d.subscription_id == flaky.id)
    assert second.error.startswith("ConnectionError") and second.attempts == 2
    assert second.next_attempt_at == NOW + timedelta(minutes=1) + timedelta(minutes=2)

    run = deliver_due(db, FakePost([503]), NOW + timedelta(minutes=3), max_attempts=3)
    assert run.failed == 1 and second.status == "failed" and second.response_code == 503
    assert deliver_due(db, FakePost([]), NOW + timedelta(days=1)).attempted == 0
    assert [d.status for d in delivery_log(db, subscription_id=flaky.id)] == ["failed"]


def test_subscription_input_is_checked(db):
    with pytest.raises(ValidationError) as err:
        create_subscription(db, url="ftp://x", secret="s" * 20)
    assert err.value.field == "url"
    with pytest.raises(ValidationError) as err:
        create_subscription(db, url="https://x.example", secret="short")
    assert err.value.field == "secret"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost/hook",
                                 "http://169.254.169.254/latest/meta-data",
                                 "https://10.1.2.3/h", "http://[::1]/h", "http://192.168.1.5/h"])
def test_webhooks_to_this_machine_or_a_private_network_are_refused(db, url):
    from wms.core.errors import ValidationError
    from wms.logistics.webhooks import create_subscription, public_host
    with pytest.raises(ValidationError) as err:
        create_subscription(db, url=url, secret="s" * 32)
    assert err.value.field == "url"
    assert public_host("erp.example")  # names are checked again when resolved at delivery
    assert not public_host("erp.example", resolve=lambda host: ["10.0.0.7"])
    assert public_host("erp.example", resolve=lambda host: ["203.0.113.9"]) is False  # doc range
    assert public_host("erp.example", resolve=lambda host: ["8.8.8.8"])
