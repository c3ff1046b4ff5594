"""Messages the returns centre keeps on its records: a code or a template with its
parameters, never English words, so each page says them in its reader's language."""
from __future__ import annotations

from wms.core.errors import N_
from wms.core.messages import read_stored, stored_message  # noqa: F401 (returns rooms)

# ReturnRequest.late_reason holds one of these codes.
LATE_REASONS = {
    "applied_late": N_("applied after the return deadline"),
    "arrived_late": N_("goods arrived after the return deadline"),
}
# Why the goods of a return may not go back to bonded stock (``bonded_allowed``).
BONDED_REFUSALS = {
    "late": N_("past its deadline: non-bonded handling only"),
    "awaiting_customs": N_("waiting for customs to approve the return declaration (CEB626)"),
    "rejected": N_("customs rejected the return declaration: non-bonded handling only"),
}


def read_message(text: str | None) -> tuple[str, dict] | None:
    """``(template, params)`` of a stored message or reason code; a person's own words come
    back as they are."""
    if not text:
        return None
    if text in LATE_REASONS:
        return LATE_REASONS[text], {}
    if text in BONDED_REFUSALS:
        return BONDED_REFUSALS[text], {}
    template, params, _ = read_stored(text)
    return template, params


def in_english(text: str | None) -> str:
    """A stored message in English words (for the CSV export and logs)."""
    found = read_message(text)
    if found is None:
        return ""
    template, params = found
    try:
        return template % params if params else template
    except (KeyError, TypeError, ValueError):
        return template
