"""Messages the returns centre keeps on its records: a code or a template with its
parameters, never English words, so each page says them in its reader's language."""
from __future__ import annotations

import json

from wms.core.errors import N_

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


def stored_message(template: str, params: dict | None = None, max_len: int = 300) -> str:
    """A message to keep on a record as its template and parameters (translated where it
    is shown), never as English words. Long parameters are shortened to fit the column."""
    params = {k: v if isinstance(v, (int, float)) else str(v) for k, v in (params or {}).items()}
    text = json.dumps({"t": template, "p": params}, ensure_ascii=False)
    if len(text) > max_len:
        params = {k: v if not isinstance(v, str) else v[:40] for k, v in params.items()}
        text = json.dumps({"t": template, "p": params}, ensure_ascii=False)
    return text if len(text) <= max_len else json.dumps({"t": template, "p": {}})[:max_len]


def read_message(text: str | None) -> tuple[str, dict] | None:
    """``(template, params)`` of a stored message or reason code; a person's own words come
    back as they are."""
    if not text:
        return None
    if text in LATE_REASONS:
        return LATE_REASONS[text], {}
    if text in BONDED_REFUSALS:
        return BONDED_REFUSALS[text], {}
    if text.startswith('{"t": '):
        try:
            data = json.loads(text)
            return data["t"], dict(data.get("p") or {})
        except (ValueError, KeyError, TypeError):
            pass
    return text, {}


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
