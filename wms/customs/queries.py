"""Reads of the customs outbox that the pages and the API share (owner-scoped)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.core.scoping import scope_to_owner

from .models import CustomsMessage


def message_counts(session: Session, by: str, message_type: str | None = None
                   ) -> dict[str, int]:
    """How many of the actor's messages per ``message_type`` or per ``state`` (of a type)."""
    column = CustomsMessage.message_type if by == "message_type" else CustomsMessage.state
    stmt = select(column, func.count()).group_by(column)
    if message_type:
        stmt = stmt.where(CustomsMessage.message_type == message_type)
    return {key: n for key, n in session.execute(scope_to_owner(stmt,
                                                                CustomsMessage.owner_id))}
