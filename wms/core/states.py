"""A declarative state machine for documents (receipts, orders, lists, returns...).

A model declares ``__states__`` and ``__transitions__`` once; services call
``record.transition("released", reason=...)``. An illegal move raises
``IllegalTransition``; a legal one is written to the audit trail by the flush hook
(the state column is always tracked), with the reason as the note.
"""
from __future__ import annotations

from typing import ClassVar

from .errors import N_, IllegalTransition


class StateMachine:
    __state_field__: ClassVar[str] = "state"
    __states__: ClassVar[tuple[str, ...]] = ()
    __transitions__: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__states__:
            return
        for source, targets in cls.__transitions__.items():
            unknown = {source, *targets} - set(cls.__states__)
            if unknown:
                raise TypeError(f"{cls.__name__}: transitions name unknown states {sorted(unknown)}")
        tracked = tuple(getattr(cls, "__tracked__", ()) or ())
        if cls.__state_field__ not in tracked:
            cls.__tracked__ = (cls.__state_field__, *tracked)

    def can_transition(self, to: str) -> bool:
        current = getattr(self, self.__state_field__)
        return to in self.__transitions__.get(current, ())

    def transition(self, to: str, *, reason: str | None = None) -> None:
        current = getattr(self, self.__state_field__)
        if not self.can_transition(to):
            raise IllegalTransition(
                N_("%(model)s cannot go from %(source)s to %(target)s"),
                field=self.__state_field__, model=type(self).__name__,
                source=current, target=to)
        setattr(self, self.__state_field__, to)
        if reason:
            self.__dict__["_audit_note"] = reason

    @classmethod
    def state_check_sql(cls) -> str:
        """SQL for a CheckConstraint that keeps the column inside the declared states."""
        states = ", ".join(f"'{s}'" for s in cls.__states__)
        return f"{cls.__state_field__} IN ({states})"
