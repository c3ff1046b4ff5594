"""Webhook subscriptions to shipment status changes, and their signed, retried deliveries.

A status change queues one delivery row per matching subscription in the same transaction
as the change, so a notification is never lost nor sent for a change that rolled back.
``deliver_due`` sends through an injected ``post`` callable (the web layer and the worker
pass ``wms.logistics.delivery_http``), so this module knows no HTTP library and tests need
no network. Besides status changes, the background sweeps send alerts and deadline
notices to subscribers as events through ``queue_event``.

Only deliveries of active subscriptions are attempted (a paused subscription's wait until it
is switched on again). A delivery is claimed before it is posted, by an UPDATE that only the
pending attempt matches (after ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers
never post the same attempt.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from urllib.parse import urlparse

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from wms.core.hosts import is_public_host
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner

from .models import Shipment, WebhookDelivery, WebhookSubscription

EVENT_STATUS_CHANGED = "shipment.status_changed"
EVENT_ALERT = "shipment.alert"
EVENT_NOTICE = "notice.deadline"
SIGNATURE_HEADER = "X-WMS-Signature"
MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
MIN_SECRET = 16

Post = Callable[[str, bytes, dict], int]


def sign(body: bytes, secret: str) -> str:
    """Hex HMAC-SHA256 of the body with the subscription's secret: the signature header."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def public_host(host: str, resolve=None) -> bool:
    """Whether a webhook may be sent to ``host``: every address it names (resolved when it is
    a name and ``resolve`` is given) must be a public one. Loopback, private, link-local
    (cloud metadata) and reserved ranges are refused, in every numeric spelling
    (``2130706433``, ``0x7f000001``, ``127.1``), so a subscription cannot make the warehouse
    server call its own internal services."""
    return is_public_host(host, resolve)


def create_subscription(session: Session, *, url: str, secret: str,
                        owner_id: int | None = None, active: bool = True,
                        description: str | None = None,
                        allow_private: bool = False) -> WebhookSubscription:
    """Subscribe ``url`` to status changes of all shipments, or of one owner's. A user bound
    to owners may only subscribe to their own. ``allow_private`` admits addresses on the
    warehouse's own network (an ERP on the LAN), which a deployment switches on knowingly."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise ValidationError(N_("The URL must start with https:// or http://"), field="url")
    if not allow_private and not public_host(parsed.hostname or ""):
        raise ValidationError(N_("Webhooks go to public addresses only, not to this machine "
                                 "or a private network"), field="url")
    if len(secret or "") < MIN_SECRET or len(secret) > 200:
        raise ValidationError(N_("The secret needs at least %(n)s characters"),
                              field="secret", n=MIN_SECRET)
    owners = current_actor().owner_ids
    if owners is not None and owner_id not in owners:
        raise ValidationError(N_("Choose one of your owners"), field="owner_id")
    subscription = WebhookSubscription(url=url, secret=secret, owner_id=owner_id,
                                       active=active, description=description)
    session.add(subscription)
    session.flush()
    return subscription


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or (subscription.owner_id is None
                                and current_actor().owner_ids is not None) \
            or (subscription.owner_id is not None and not visible_owner(subscription.owner_id)):
        raise NotFound(N_("Subscription %(id)s not found"), field="subscription",
                       id=subscription_id)
    return subscription


def set_subscription_active(session: Session, subscription_id: int, active: bool) -> None:
    get_subscription(session, subscription_id).active = active
    session.flush()


def status_payload(shipment: Shipment, previous: str | None) -> dict:
    node = shipment.current_node
    return {"event": EVENT_STATUS_CHANGED,
            "shipment": {"id": shipment.id, "name": shipment.name,
                         "reference": shipment.reference, "status": shipment.status,
                         "previous_status": previous,
                         "status_at": shipment.status_at.isoformat()
                         if shipment.status_at else None,
                         "place": node.code if node else shipment.current_place}}


def queue_status_change(session: Session, shipment: Shipment, previous: str | None, *,
                        now: datetime | None = None) -> int:
    """Queue one delivery per active subscription that sees this shipment."""
    return queue_event(session, EVENT_STATUS_CHANGED, status_payload(shipment, previous),
                       owner_id=shipment.owner_id, shipment_id=shipment.id, now=now)


def active_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id)))


def deliveries_for(subscriptions: list[WebhookSubscription], event: str, payload: dict, *,
                   owner_id: int | None, shipment_id: int | None, now: datetime) -> list[dict]:
    """The rows of one signed delivery per subscription that sees ``owner_id``'s records (a
    subscription to all owners sees everything; an owner's sees only theirs)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return [dict(subscription_id=s.id, shipment_id=shipment_id, event=event, payload=body,
                 signature=sign(body.encode(), s.secret), status="pending", attempts=0,
                 next_attempt_at=now, created_at=now)
            for s in subscriptions
            if s.active and (s.owner_id is None or s.owner_id == owner_id)]


def add_deliveries(session: Session, rows: list[dict]) -> int:
    """Write the deliveries in one statement and have the worker deliver them after the
    commit."""
    if rows:
        session.execute(insert(WebhookDelivery), rows)
        from wms.jobs.queue import kick_after_commit
        kick_after_commit(session, "webhooks_deliver")
    return len(rows)


def queue_event(session: Session, event: str, payload: dict, *, owner_id: int | None,
                shipment_id: int | None = None, now: datetime | None = None) -> int:
    """Queue ``payload`` for every active subscription that sees ``owner_id``'s records;
    how many deliveries were queued."""
    return add_deliveries(session, deliveries_for(
        active_subscriptions(session), event, payload, owner_id=owner_id,
        shipment_id=shipment_id, now=now or utcnow()))


def backoff(attempts: int, base: timedelta = BASE_DELAY, cap: timedelta = MAX_DELAY) -> timedelta:
    """Wait after the ``attempts``-th failure: base, 2 base, 4 base... capped."""
    return min(base * (2 ** (attempts - 1)), cap)


@dataclass
class DeliveryRun:
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def due_delivery_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Pending deliveries whose attempt is due, of active subscriptions only."""
    return list(session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               WebhookSubscription.active.is_(True))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)))


def deliver_one(session: Session, delivery_id: int, post: Post, now: datetime, run: DeliveryRun,
                *, max_attempts: int = MAX_ATTEMPTS, base_delay: timedelta = BASE_DELAY) -> bool:
    """Attempt one due delivery in the caller's transaction; False if another worker holds
    it or it is no longer due. A 2xx answer delivers; anything else (another status, an
    exception from ``post``) is retried with exponential back-off until ``max_attempts``,
    then the delivery is failed. Commit right after: the claim holds until then."""
    seen = session.execute(select(WebhookDelivery.attempts).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now).with_for_update(skip_locked=True)).first()
    if seen is None:
        return False
    claimed = session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
        WebhookDelivery.attempts == seen.attempts)
        .values(attempts=seen.attempts + 1, last_attempt_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    subscription = delivery.subscription
    body = delivery.payload.encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature,
               "X-WMS-Event": delivery.event, "X-WMS-Delivery": str(delivery.id)}
    run.attempted += 1
    try:
        code = int(post(subscription.url, body, headers))
        delivery.response_code = code
        delivery.error = None if 200 <= code < 300 else f"HTTP {code}"
    except Exception as exc:  # the receiver's failure is data here, not ours
        code = None
        delivery.response_code = None
        delivery.error = f"{type(exc).__name__}: {exc}"[:500]
    if code is not None and 200 <= code < 300:
        delivery.status = "delivered"
        delivery.delivered_at = now
        run.delivered += 1
    elif delivery.attempts >= max_attempts:
        delivery.status = "failed"
        run.failed += 1
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts, base_delay)
        run.retrying += 1
    session.flush()
    return True


def deliver_due(session: Session, post: Post, now: datetime | None = None, *,
                max_attempts: int = MAX_ATTEMPTS, base_delay: timedelta = BASE_DELAY,
                limit: int = 100) -> DeliveryRun:
    """Attempt the due deliveries in this transaction (the dispatcher's "Deliver now");
    the worker runs ``deliver_one`` in a transaction each instead."""
    now = now or utcnow()
    run = DeliveryRun()
    for delivery_id in due_delivery_ids(session, now, limit):
        deliver_one(session, delivery_id, post, now, run, max_attempts=max_attempts,
                    base_delay=base_delay)
    return run


def delivery_log(session: Session, *, subscription_id: int | None = None,
                 shipment_id: int | None = None, status: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[WebhookDelivery]:
    """Deliveries, newest first, of the subscriptions the acting user may see."""
    stmt = select(WebhookDelivery).join(WebhookSubscription,
                                        WebhookSubscription.id == WebhookDelivery.subscription_id)
    if current_actor().owner_ids is not None:
        stmt = scope_to_owner(stmt, WebhookSubscription.owner_id)
    if subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    if shipment_id is not None:
        stmt = stmt.where(WebhookDelivery.shipment_id == shipment_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(session.scalars(stmt.order_by(WebhookDelivery.id.desc())
                                .limit(limit).offset(offset)))
