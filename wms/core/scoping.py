"""Owner scoping, Odoo's record rules for a warehouse shared by many enterprises.

Every query over owner-scoped records goes through ``scope_to_owner``: a user bound to
some owners sees only those owners' rows, and ``get_scoped`` answers "not found" (never
"forbidden", which would confirm the record exists) for anything else.
"""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, false
from sqlalchemy.orm import Session

from .context import current_actor
from .errors import N_, NotFound

T = TypeVar("T")


def scope_to_owner(stmt: Select, owner_column: Any) -> Select:
    owners = current_actor().owner_ids
    if owners is None:
        return stmt
    if not owners:
        return stmt.where(false())
    return stmt.where(owner_column.in_(owners))


def visible_owner(owner_id: int | None) -> bool:
    owners = current_actor().owner_ids
    return owners is None or owner_id in owners


def get_scoped(session: Session, model: type[T], record_id: Any, owner_attr: str = "owner_id") -> T:
    record = session.get(model, record_id)
    if record is None or not visible_owner(getattr(record, owner_attr)):
        raise NotFound(N_("%(model)s %(id)s not found"), model=model.__name__, id=record_id)
    return record
