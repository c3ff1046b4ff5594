"""Who is acting: a context variable set by web login and by the command line.

Audit fields, tracked-field events and owner scoping all read it, so services never need
a ``user`` argument threaded through every call.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    login: str
    roles: frozenset[str] = frozenset()
    # None: every owner (staff of the warehouse); a set: only these enterprise ids.
    owner_ids: frozenset[int] | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or "admin" in self.roles


SYSTEM = Actor(user_id=None, login="system", roles=frozenset({"admin"}))

_current: ContextVar[Actor] = ContextVar("wms_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor):
    """Set the actor for the rest of this context; returns a token for ``reset_actor``."""
    return _current.set(actor)


def reset_actor(token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
