"""The sweeps that look at time passing: ETAs and alerts for shipments that go quiet or run
late, and notices for deadlines coming up. What they raise is kept in rows (one open alert
per leg and kind, one notice per kind and subject), so sweeping again raises nothing twice.

Domain reads happen here directly on the models (shipments and legs, receipts, return
requests); the ETA itself comes from ``wms.logistics.estimates.estimate_shipment``, the same
estimator booking and event ingest use.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from wms.core.db import run_in_transaction
from wms.core.errors import N_

from .notices import publish_alerts, raise_notices
from .runner import JobContext, job

ACTIVE_SHIPMENTS = ("booked", "in_transit")
OPEN_LEGS = ("planned", "in_transit")


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _raise_alert(session: Session, shipment, leg, kind: str, *, delay: timedelta,
                 since: datetime | None, margin: timedelta, now: datetime):
    """One open alert per leg and kind: an open one is brought up to date; after one was
    acknowledged, a "late" is raised again only when it got later by another margin, a "no
    report" only for a silence that began after it was raised."""
    from wms.logistics.models import LogisticsAlert
    alerts = list(session.scalars(select(LogisticsAlert).where(
        LogisticsAlert.leg_id == leg.id, LogisticsAlert.kind == kind)
        .order_by(LogisticsAlert.id.desc())))
    estimated = leg.estimated_arrival or now
    current = next((a for a in alerts if a.state == "open"), None)
    if current is not None:
        current.estimated_arrival = estimated
        current.delay_minutes = _minutes(delay)
        return None
    if alerts and kind == "late" and delay <= timedelta(minutes=alerts[0].delay_minutes) + margin:
        return None
    if alerts and kind == "no_report" and since is not None and alerts[0].created_at >= since:
        return None
    alert = LogisticsAlert(kind=kind, state="open", shipment_id=shipment.id, leg_id=leg.id,
                           planned_arrival=leg.planned_arrival or estimated,
                           estimated_arrival=estimated, delay_minutes=_minutes(delay))
    session.add(alert)
    session.flush()
    return alert


def sweep_shipment(session: Session, shipment_id: int, last_event: datetime | None,
                   ctx: JobContext, now: datetime) -> dict[str, int]:
    """Re-estimate one shipment from its events, then raise "late" for an open leg past its
    planned arrival and "no report" when it has been silent longer than its leg allows."""
    from wms.logistics.eta import DEFAULT_CONFIG
    from wms.logistics.models import Shipment
    from wms.logistics.estimates import estimate_shipment
    shipment = session.get(Shipment, shipment_id)
    estimated = estimate_shipment(session, shipment, now=now)
    # A missed connection is found by the estimator too: the inbound leg, not there yet,
    # arrives no earlier than now.
    raised = {"late": sum(a.kind == "late" for a in estimated), "no_report": 0,
              "connection": sum(a.kind == "connection" for a in estimated)}
    for leg in shipment.legs:
        if leg.state not in OPEN_LEGS or leg.actual_arrival is not None:
            continue
        margin = DEFAULT_CONFIG.margin(leg.mode, leg.carriage_mode)
        if leg.planned_arrival is not None and now > leg.planned_arrival + margin:
            # Not arrived yet, so it arrives no earlier than now.
            if leg.estimated_arrival is None or leg.estimated_arrival < now:
                leg.estimated_arrival = now
            if _raise_alert(session, shipment, leg, "late", delay=now - leg.planned_arrival,
                            since=None, margin=margin, now=now):
                raised["late"] += 1
        started = leg.actual_departure or leg.planned_departure
        if started is None or started > now:
            continue
        since = max(t for t in (last_event, started) if t is not None)
        if now - since > ctx.settings.no_report_after(leg.mode):
            if _raise_alert(session, shipment, leg, "no_report", delay=now - since,
                            since=since, margin=margin, now=now):
                raised["no_report"] += 1
        break  # the first open leg is where the shipment is; later legs wait for it
    session.flush()
    return raised


def last_reports(session: Session, shipment_ids: list[int]) -> dict[int, datetime]:
    """When each shipment last reported: its latest actual, understood event, its own or
    one of its units' (as on its timeline), in one query."""
    from wms.logistics.models import TrackingEvent, TrackingEventUnit, TransportUnit
    reported = (TrackingEvent.classifier == "ACT", TrackingEvent.flagged.is_(False))
    direct = select(TrackingEvent.shipment_id.label("shipment_id"),
                    TrackingEvent.event_time.label("event_time")).where(
        TrackingEvent.shipment_id.in_(shipment_ids), *reported)
    via_units = (select(TransportUnit.shipment_id.label("shipment_id"),
                        TrackingEvent.event_time.label("event_time"))
                 .join(TrackingEventUnit, TrackingEventUnit.unit_id == TransportUnit.id)
                 .join(TrackingEvent, TrackingEvent.id == TrackingEventUnit.event_id)
                 .where(TransportUnit.shipment_id.in_(shipment_ids), *reported))
    events = union_all(direct, via_units).subquery()
    return dict(session.execute(select(events.c.shipment_id, func.max(events.c.event_time))
                                .group_by(events.c.shipment_id)).all())


@job("logistics_sweep", N_("Re-estimate shipments, raise late and no-report alerts"))
def logistics_sweep(ctx: JobContext) -> dict[str, int]:
    from wms.logistics.models import Shipment
    now = ctx.clock()
    with ctx.sessions() as session:
        ids = list(session.scalars(select(Shipment.id).where(
            Shipment.state.in_(ACTIVE_SHIPMENTS)).order_by(Shipment.id)))
        last_events = last_reports(session, ids) if ids else {}
    counts = {"shipments": len(ids), "late": 0, "no_report": 0}
    for shipment_id in ids:
        raised = run_in_transaction(ctx.sessions, lambda s, i=shipment_id: sweep_shipment(
            s, i, last_events.get(i), ctx, now))
        counts["late"] += raised["late"]
        counts["no_report"] += raised["no_report"]
    counts["published"] = run_in_transaction(ctx.sessions, lambda s: publish_alerts(s, now))
    return counts


def deadline_candidates(session: Session, settings, now: datetime) -> list[dict]:
    """Receipts not declared in time and returns whose declaration or goods are due, from
    ``deadline_warning`` before the deadline on."""
    from wms.inbound.models import Receipt
    from wms.returns.models import ReturnDeclaration, ReturnRequest
    horizon = now + settings.deadline_warning
    found = []
    declaration_limit = horizon - settings.declaration_deadline
    for receipt in session.scalars(select(Receipt).where(
            Receipt.state.in_(("arrived", "tallying", "tallied")),
            Receipt.arrived_at <= declaration_limit).order_by(Receipt.id)):
        found.append(dict(kind="declaration_due", role="customs_clerk", owner_id=receipt.owner_id,
                          subject_id=receipt.id, reference=receipt.name,
                          due_at=receipt.arrived_at + settings.declaration_deadline,
                          message=N_("Receipt %(reference)s: the entry declaration is due")))
    declared = select(ReturnDeclaration.id).where(
        ReturnDeclaration.request_id == ReturnRequest.id).exists()
    open_returns = select(ReturnRequest).where(
        ReturnRequest.state.in_(("requested", "received", "inspected")),
        ReturnRequest.late.is_(False))
    for request in session.scalars(open_returns.where(
            ~declared, ReturnRequest.apply_by <= horizon).order_by(ReturnRequest.id)):
        found.append(dict(kind="return_apply_due", role="returns_clerk",
                          owner_id=request.owner_id, subject_id=request.id,
                          reference=request.name, due_at=request.apply_by,
                          message=N_("Return %(reference)s: the return declaration is due")))
    for request in session.scalars(open_returns.where(
            ReturnRequest.state == "requested", ReturnRequest.received_at.is_(None),
            ReturnRequest.arrive_by <= horizon).order_by(ReturnRequest.id)):
        found.append(dict(kind="return_arrive_due", role="returns_clerk",
                          owner_id=request.owner_id, subject_id=request.id,
                          reference=request.name, due_at=request.arrive_by,
                          message=N_("Return %(reference)s: the goods must be back")))
    return found


@job("deadline_notices", N_("Raise notices for declaration and return deadlines"))
def deadline_notices(ctx: JobContext) -> dict[str, int]:
    now = ctx.clock()

    def sweep(session: Session) -> dict[str, int]:
        return raise_notices(session, deadline_candidates(session, ctx.settings, now), now)
    return run_in_transaction(ctx.sessions, sweep)

