"""Domain errors with stable codes.

Every error a user can cause carries a code that never changes (clients match on it), an
English message template that the web layer translates, its parameters, and, where one field
is to blame, the field's name. The web layer maps ``status`` to the HTTP status.
"""
from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation; the web layer translates it when it is shown."""
    return message


class DomainError(Exception):
    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None,
                 error_code: str | None = None, **params: Any) -> None:
        self.template = message
        self.params = params
        self.field = field
        if error_code is not None:
            self.code = error_code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The message in English, parameters filled in."""
        return self.template % self.params if self.params else self.template

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationError(DomainError):
    """Input that breaks a rule: a field's format, a check digit, a missing value."""
    code = "validation_error"
    status = 422


class NotFound(DomainError):
    """A record that does not exist or that the acting user may not see."""
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The request clashes with the state of a record: duplicate key, wrong state."""
    code = "conflict"
    status = 409


class IllegalTransition(Conflict):
    code = "illegal_transition"
