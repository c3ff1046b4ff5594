"""Figures for the returns desk: parcels per day, requests by state and reason, where the
goods went, and how long parcels have waited; owner-scoped like every read."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.scoping import scope_to_owner

from .models import ReturnLine, ReturnParcel, ReturnRequest
from .queries import parcels_query, requests_query

LOCAL = ZoneInfo("Asia/Shanghai")


def parcel_age_days(parcel: ReturnParcel, now: datetime | None = None) -> int:
    return max(0, ((now or utcnow()) - parcel.scanned_at).days)


def daily_volumes(session: Session, days: int = 14, now: datetime | None = None
                  ) -> list[tuple[str, int]]:
    """Parcels received per day for the last ``days`` days (UTC+8 calendar days)."""
    now = (now or utcnow()).astimezone(LOCAL)
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0,
                                                     microsecond=0)
    counts: dict[str, int] = {}
    stmt = parcels_query().where(ReturnParcel.scanned_at >= start).with_only_columns(
        ReturnParcel.scanned_at)
    for (at,) in session.execute(stmt.order_by(None)):
        key = at.astimezone(LOCAL).date().isoformat()
        counts[key] = counts.get(key, 0) + 1
    return [((start + timedelta(days=i)).date().isoformat(),
             counts.get((start + timedelta(days=i)).date().isoformat(), 0))
            for i in range(days)]


def summary(session: Session) -> dict[str, Any]:
    """Counts for the desk: requests by state, reasons, dispositions."""
    states = dict(session.execute(requests_query().order_by(None).with_only_columns(
        ReturnRequest.state, func.count()).group_by(ReturnRequest.state)).all())
    reasons = session.execute(requests_query().order_by(None).with_only_columns(
        ReturnRequest.reason, func.count()).group_by(ReturnRequest.reason)
        .order_by(func.count().desc(), ReturnRequest.reason).limit(8)).all()
    dispositions = session.execute(scope_to_owner(
        select(ReturnLine.disposition, ReturnLine.disposition_state, func.count())
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.request_id)
        .where(ReturnLine.disposition.is_not(None))
        .group_by(ReturnLine.disposition, ReturnLine.disposition_state),
        ReturnRequest.owner_id)).all()
    return {"states": states, "reasons": [tuple(r) for r in reasons],
            "dispositions": [tuple(d) for d in dispositions]}
