"""Audit fields and the audit trail (Odoo's chatter), written by session flush hooks.

Models that inherit ``Audited`` get created/updated stamps from the acting user. Models
that list ``__tracked__`` fields get one ``audit_event`` row per changed field per flush,
plus a ``create`` row when they are inserted; a state transition's reason rides along in
the ``note``. Customs requires this trail, so it is written in the same transaction as the
change itself and cannot be skipped by a service that forgets.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event, inspect
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from .context import current_actor
from .db import Base, utcnow
from .types import UtcDateTime


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_record", "model", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # create, write, transition, delete
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    user_login: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Audited:
    """created_at / created_by / updated_at / updated_by, filled from the acting user."""

    @declared_attr
    def created_at(cls) -> Mapped[datetime]:
        return mapped_column(UtcDateTime(), default=utcnow)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))

    @declared_attr
    def updated_at(cls) -> Mapped[datetime]:
        return mapped_column(UtcDateTime(), default=utcnow)

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


def audit_model_name(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return cls.__tablename__


def _render(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _primary_key(obj: Any) -> int:
    return inspect(obj).mapper.primary_key_from_instance(obj)[0]


@event.listens_for(Session, "before_flush")
def _stamp_audit_fields(session: Session, _ctx, _instances) -> None:
    actor = current_actor()
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, Audited):
            obj.created_by_id = obj.created_by_id or actor.user_id
            obj.updated_by_id = obj.updated_by_id or actor.user_id
            if obj.created_at is None:
                obj.created_at = now
            obj.updated_at = obj.created_at
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            obj.updated_at = now
            obj.updated_by_id = actor.user_id


@event.listens_for(Session, "after_flush")
def _write_audit_events(session: Session, _ctx) -> None:
    """Write tracked changes with one multi-row insert per flush."""
    actor = current_actor()
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def row(obj, kind, field=None, old=None, new=None, note=None):
        rows.append(dict(model=audit_model_name(obj), record_id=_primary_key(obj),
                         kind=kind, field=field, old_value=_render(old), new_value=_render(new),
                         note=note, user_id=actor.user_id, user_login=actor.login, at=now))

    for obj in session.new:
        tracked = getattr(obj, "__tracked__", None)
        if tracked is None:
            continue
        row(obj, "create", note=obj.__dict__.pop("_audit_note", None))
    for obj in session.dirty:
        tracked = getattr(obj, "__tracked__", None)
        if not tracked:
            continue
        state = inspect(obj)
        note = obj.__dict__.pop("_audit_note", None)
        for field in tracked:
            hist = state.attrs[field].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            kind = "transition" if field == getattr(obj, "__state_field__", None) else "write"
            row(obj, kind, field, old, new, note if kind == "transition" else None)
    for obj in session.deleted:
        if getattr(obj, "__tracked__", None) is not None:
            row(obj, "delete")
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), rows)


def update_tracked(session: Session, model: type, ids, values: dict[str, Any],
                   note: str | None = None) -> int:
    """A set-based UPDATE of ``model`` rows that still writes the audit trail.

    A Core ``update()`` bypasses the flush hooks above, so a tracked field changed that way
    left no audit row (moving a pallet moved its cartons' ``location_id`` unrecorded). This
    reads the tracked fields being changed (one SELECT), updates (one UPDATE) and writes one
    audit row per changed field per row (one multi-row INSERT): three statements whatever
    the number of rows. Returns the number of rows updated.
    """
    from sqlalchemy import select, update
    ids = sorted(set(ids))
    if not ids:
        return 0
    table = model.__table__
    tracked = [name for name in getattr(model, "__tracked__", ()) if name in values]
    before = {}
    if tracked:
        columns = [table.c.id] + [table.c[name] for name in tracked]
        before = {row[0]: row[1:] for row in
                  session.execute(select(*columns).where(table.c.id.in_(ids)))}
    stamped = dict(values)
    if issubclass(model, Audited):
        stamped.setdefault("updated_at", utcnow())
        stamped.setdefault("updated_by_id", current_actor().user_id)
    result = session.execute(update(table).where(table.c.id.in_(ids)).values(**stamped))
    actor = current_actor()
    now = utcnow()
    state_field = getattr(model, "__state_field__", None)
    rows = [dict(model=audit_model_name(model), record_id=record_id,
                 kind="transition" if name == state_field else "write", field=name,
                 old_value=_render(old), new_value=_render(values[name]),
                 note=note if name == state_field else None, user_id=actor.user_id,
                 user_login=actor.login, at=now)
            for record_id, olds in before.items()
            for name, old in zip(tracked, olds) if old != values[name]]
    if rows:
        session.execute(AuditEvent.__table__.insert(), rows)
    _expire(session, model, ids, list(stamped))
    return result.rowcount


def _expire(session: Session, model: type, ids: list[int], fields: list[str]) -> None:
    """Objects of the updated rows already in the session read the new values next."""
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and _primary_key(obj) in wanted:
            session.expire(obj, [f for f in fields if f in inspect(model).attrs])
