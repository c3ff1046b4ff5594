"""Notices: what the sweeps raise for people, shown on the desk home of the role that acts
and on every page through the notices feed, and sent to webhook subscribers as events."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from wms.core.errors import N_

from .models import Notice

ALERT_MESSAGES = {
    "late": N_("%(reference)s leg %(leg)s is late: %(hours)s h behind plan"),
    "no_report": N_("%(reference)s has not reported for %(hours)s h"),
}


def _existing(session: Session, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    if not keys:
        return set()
    rows = session.execute(select(Notice.kind, Notice.subject_id).where(
        tuple_(Notice.kind, Notice.subject_id).in_(keys))).all()
    return {(kind, subject_id) for kind, subject_id in rows}


def _event(notice: dict, extra: dict) -> tuple[str, dict]:
    from wms.logistics.webhooks import EVENT_ALERT, EVENT_NOTICE
    event = EVENT_ALERT if notice["kind"].startswith("alert_") else EVENT_NOTICE
    return event, {"event": event, "notice": {
        "kind": notice["kind"], "reference": notice["reference"],
        "due_at": notice["due_at"].isoformat() if notice["due_at"] else None,
        "created_at": notice["created_at"].isoformat()}, **extra}


def raise_notices(session: Session, candidates: list[dict], now: datetime) -> dict[str, int]:
    """Add the notices not raised before (one per kind and subject) and send each once as a
    webhook event, in a fixed number of statements whatever the number of candidates."""
    from wms.logistics.webhooks import active_subscriptions, add_deliveries, deliveries_for
    seen = _existing(session, [(c["kind"], c["subject_id"]) for c in candidates])
    raised: list[tuple[dict, dict]] = []
    for candidate in candidates:
        key = (candidate["kind"], candidate["subject_id"])
        if key in seen:
            continue
        seen.add(key)
        params = {"reference": candidate["reference"], **candidate.get("params", {})}
        raised.append((dict(kind=candidate["kind"], role=candidate["role"],
                            owner_id=candidate["owner_id"], subject_id=candidate["subject_id"],
                            reference=candidate["reference"], message=candidate["message"],
                            params=json.dumps(params, ensure_ascii=False),
                            due_at=candidate.get("due_at"), created_at=now), candidate))
    if not raised:
        return {}
    session.execute(insert(Notice), [notice for notice, _ in raised])
    subscriptions = active_subscriptions(session)
    deliveries = []
    counts: dict[str, int] = {}
    for notice, candidate in raised:
        event, payload = _event(notice, candidate.get("event", {}))
        deliveries += deliveries_for(subscriptions, event, payload, owner_id=notice["owner_id"],
                                     shipment_id=candidate.get("shipment_id"), now=now)
        counts[notice["kind"]] = counts.get(notice["kind"], 0) + 1
    add_deliveries(session, deliveries)
    return counts


def publish_alerts(session: Session, now: datetime) -> int:
    """Turn every open logistics alert that has no notice yet (raised by this sweep or by
    event ingest) into a dispatcher's notice and a webhook event."""
    from wms.logistics.models import LogisticsAlert, Shipment, ShipmentLeg
    rows = session.execute(
        select(LogisticsAlert, Shipment, ShipmentLeg)
        .join(Shipment, Shipment.id == LogisticsAlert.shipment_id)
        .join(ShipmentLeg, ShipmentLeg.id == LogisticsAlert.leg_id)
        .where(LogisticsAlert.state == "open",
               ~select(Notice.id).where(Notice.kind == "alert_" + LogisticsAlert.kind,
                                        Notice.subject_id == LogisticsAlert.id).exists())
        .order_by(LogisticsAlert.id)).all()
    candidates = []
    for alert, shipment, leg in rows:
        if alert.kind not in ALERT_MESSAGES:
            continue
        reference = shipment.reference or shipment.name
        candidates.append(dict(
            kind=f"alert_{alert.kind}", role="dispatcher", owner_id=shipment.owner_id,
            subject_id=alert.id, reference=reference, message=ALERT_MESSAGES[alert.kind],
            params={"leg": leg.seq, "hours": round(alert.delay_minutes / 60, 1)},
            due_at=alert.planned_arrival, shipment_id=shipment.id,
            event={"alert": {"id": alert.id, "kind": alert.kind, "leg": leg.seq,
                             "delay_minutes": alert.delay_minutes,
                             "planned_arrival": alert.planned_arrival.isoformat(),
                             "estimated_arrival": alert.estimated_arrival.isoformat()},
                   "shipment": {"id": shipment.id, "name": shipment.name,
                                "reference": shipment.reference, "status": shipment.status}}))
    return sum(raise_notices(session, candidates, now).values())
