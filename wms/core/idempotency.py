"""Idempotency keys: a replayed request returns the stored answer and changes nothing.

Handhelds on weak warehouse Wi-Fi retry, and the offline queue replays scans, so every
state-changing handheld and API call carries a key. The key row is inserted in the same
transaction as the use case: if two copies of a request race, the unique key lets exactly
one commit, and the other finds the stored answer.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .context import current_actor
from .db import Base, begin_write, is_transient, utcnow
from .errors import N_, Conflict, ValidationError
from .types import UtcDateTime

MAX_KEY = 80


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The key as the client sent it, prefixed with the user: keys are per user.
    user_key: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


def request_fingerprint(endpoint: str, payload: Any) -> str:
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{endpoint}\n{body}".encode()).hexdigest()


def _user_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationError(N_("Idempotency key must be 1-%(n)s characters"),
                              field="idempotency_key", n=MAX_KEY)
    return f"{current_actor().user_id or 0}:{key}"


def _stored(session: Session, user_key: str, fingerprint: str) -> tuple[int, Any] | None:
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_key == user_key))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Conflict(N_("This idempotency key was already used for a different request"),
                       field="idempotency_key")
    return row.status, json.loads(row.response)


def run_idempotent(session_factory, key: str, endpoint: str, payload: Any,
                   use_case: Callable[[Session], tuple[int, Any]], *, attempts: int = 8):
    """Run ``use_case`` once per key; return ``(status, body, replayed)``.

    ``use_case`` returns the status and JSON body to store. A domain error is not stored
    (nothing was changed, so the client may correct and resend with the same key).
    """
    import random
    import time
    user_key = _user_key(key)
    fingerprint = request_fingerprint(endpoint, payload)
    for attempt in range(1, attempts + 1):
        session = session_factory()
        try:
            begin_write(session)
            found = _stored(session, user_key, fingerprint)
            if found is not None:
                session.rollback()
                return found[0], found[1], True
            status, body = use_case(session)
            session.add(IdempotencyKey(
                user_key=user_key, user_id=current_actor().user_id, endpoint=endpoint,
                request_hash=fingerprint, status=status,
                response=json.dumps(body, ensure_ascii=False, default=str),
                created_at=utcnow()))
            session.commit()
            return status, body, False
        except IntegrityError as exc:
            session.rollback()
            if "idempotency_key" not in str(exc.orig) and not is_transient(exc):
                raise
            if attempt == attempts:
                raise
        except Exception as exc:
            session.rollback()
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(random.uniform(0, 0.01 * attempt))
        finally:
            session.close()
    raise AssertionError("unreachable")
