"""The rules every return follows: its deadlines (30 days to apply, 45 for the goods to be
back, counted from the list's release; DOMAIN.md section 4) and when its goods may go back
to bonded stock. Why a return is late or may not be restocked is kept as a code
(``messages.LATE_REASONS``, ``messages.BONDED_REFUSALS``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from wms.settings import Settings
from wms.core.db import utcnow
from wms.core.errors import ValidationError
from wms.outbound.models import InventoryList

from .models import ReturnRequest
from .queries import declaration_of

class RestockRefused(ValidationError):
    """The goods may not go back to bonded stock (not approved by customs, or rejected)."""
    code = "restock_refused"


class PastDeadline(RestockRefused):
    code = "past_deadline"


@dataclass(frozen=True)
class ReturnRules:
    """Deadlines counted from the list's release."""
    apply_days: int = 30
    arrive_days: int = 45

    @classmethod
    def of(cls, settings: Settings) -> ReturnRules:
        return cls(apply_days=settings.return_apply_days,
                   arrive_days=settings.return_arrive_days)


def deadlines(listing: InventoryList, rules: ReturnRules) -> tuple[datetime, datetime]:
    released = listing.released_at
    return (released + timedelta(days=rules.apply_days),
            released + timedelta(days=rules.arrive_days))


def is_late(request: ReturnRequest, now: datetime | None = None) -> bool:
    """Flagged late, or its goods are not back and the arrival deadline has passed."""
    now = now or utcnow()
    return request.late or (request.received_at is None and request.arrive_by is not None
                            and now > request.arrive_by and request.state == "requested")


def bonded_refusal(request: ReturnRequest, declaration) -> str | None:
    """Why the goods may not go back to bonded stock (a BONDED_REFUSALS code), or None."""
    if request.late:
        return "late"
    if declaration is None or declaration.state == "sent":
        return "awaiting_customs"
    if declaration.state == "rejected":
        return "rejected"
    return None


def bonded_allowed(session: Session, request: ReturnRequest) -> tuple[bool, str | None]:
    """May the goods go back to bonded stock? Only in time and once customs approved.
    Answers the refusal's code when not."""
    refusal = bonded_refusal(request, declaration_of(session, request))
    return refusal is None, refusal
