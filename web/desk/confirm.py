"""The confirm step of an irreversible customs action (declare an order, file the entry
list, release goods, file a CEB625): a page, not a script dialog, so it works without
JavaScript, that says what will be sent (message type, document number, lines and items,
total value) before the clerk sends it.

A POST to the action without ``confirm=yes`` answers this page and changes nothing; the
page's own button posts again with ``confirm=yes`` and the fields it was given.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template, request


@dataclass
class Confirmation:
    title: str
    action: str                      # the URL the confirm button posts to
    back: str                        # where "go back" leads
    message_types: list[tuple[str, str]]  # (code, what it is)
    document: str
    lines: int
    items: str
    total: str | None
    currency: str = "CNY"
    warning: str | None = None
    button: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)


def confirmed() -> bool:
    """The clerk saw the confirm page and pressed its button."""
    return request.form.get("confirm") == "yes"


def kept_fields(*names_or_prefixes: str) -> list[tuple[str, str]]:
    """The form fields to carry through the confirm page (exact names or ``prefix-``)."""
    return [(k, v) for k, v in request.form.items(multi=True)
            if k != "confirm" and k != "csrf_token" and any(
                k == n or (n.endswith("-") and k.startswith(n)) for n in names_or_prefixes)]


def confirm_page(confirmation: Confirmation):
    return render_template("confirm.html", c=confirmation), 200
