"""Times as feeds and forms give them: ISO 8601 with the zone the place reported.

A time without a zone is refused rather than guessed: a train at Dostyk and a clerk in
Lanzhou are five hours apart, and the zone is kept with each event to show it as seen there.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from wms.core.errors import N_, ValidationError


def aware(value: Any, field: str, required: bool = False) -> datetime | None:
    """The time with its zone, or None when empty and not required."""
    if value in (None, ""):
        if required:
            raise ValidationError(N_("This field is required"), field=field)
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                                  field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"), field=field)
    return parsed


def offset(value: datetime) -> str:
    """The time's UTC offset as +HH:MM, the form events keep."""
    minutes = int(value.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_of(offset_text: str | None) -> timezone | None:
    """A fixed offset like +05:00 as a tzinfo (events keep the zone their source gave)."""
    if not offset_text or len(offset_text) != 6 or offset_text[0] not in "+-" \
            or offset_text[3] != ":" or not (offset_text[1:3] + offset_text[4:]).isdigit():
        return None
    sign = 1 if offset_text[0] == "+" else -1
    return timezone(sign * timedelta(hours=int(offset_text[1:3]),
                                     minutes=int(offset_text[4:6])))


def in_zone(value: datetime | None, zone: str | None = None) -> str | None:
    """ISO 8601 text of the time, in the zone the place reported when given."""
    if value is None:
        return None
    tz = zone_of(zone)
    return value.astimezone(tz).isoformat() if tz else value.isoformat()
