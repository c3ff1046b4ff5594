"""Messages kept on records as a template and its parameters, never as English words, so
each page says them in its reader's language (a hold reason, a refusal, a late reason).

Text that is not a stored message (customs' own ``returnInfo``, a person's note) comes back
as it is.
"""
from __future__ import annotations

import json

PREFIX = '{"t": '


def stored_message(template: str, params: dict | None = None, max_len: int = 300) -> str:
    """The text to keep in a column of ``max_len``: long parameters are shortened to fit."""
    params = {k: v if isinstance(v, (int, float)) else str(v) for k, v in (params or {}).items()}
    text = json.dumps({"t": template, "p": params}, ensure_ascii=False)
    if len(text) > max_len:
        params = {k: v if not isinstance(v, str) else v[:40] for k, v in params.items()}
        text = json.dumps({"t": template, "p": params}, ensure_ascii=False)
    return text if len(text) <= max_len else json.dumps({"t": template, "p": {}})[:max_len]


def read_stored(text: str | None) -> tuple[str, dict, bool] | None:
    """``(template, params, is_message)`` of a stored text: ``is_message`` is False for
    words kept as they were written (customs' answer, a note), None for no text."""
    if not text:
        return None
    if text.startswith(PREFIX):
        try:
            data = json.loads(text)
            return data["t"], dict(data.get("p") or {}), True
        except (ValueError, KeyError, TypeError):
            pass
    return text, {}, False


def in_english(text: str | None) -> str:
    """A stored text in English words (CSV exports, logs, audit notes)."""
    found = read_stored(text)
    if found is None:
        return ""
    template, params, _ = found
    try:
        return template % params if params else template
    except (KeyError, TypeError, ValueError):
        return template


def _n(text: str) -> str:
    """Marks a word for the catalog (``N_``) without importing wms.core.errors here."""
    return text


N_ = _n

# The states, statuses, grades and decisions records are in, as messages name them
# ("Return %(name)s is %(state)s"): a page says the word in its reader's language.
STATE_WORDS = {
    "acknowledged": N_("acknowledged"), "approved": N_("approved"), "arrived": N_("arrived"),
    "booked": N_("booked"), "cancelled": N_("cancelled"), "closed": N_("closed"),
    "counting": N_("counting"), "decided": N_("decided"), "declared": N_("declared"),
    "delivered": N_("delivered"), "done": N_("done"), "draft": N_("draft"),
    "expected": N_("expected"), "filed": N_("filed"), "held": N_("held"),
    "in_transit": N_("in transit"), "inspected": N_("inspected"), "open": N_("open"),
    "packed": N_("packed"), "picked": N_("picked"), "picking": N_("picking"),
    "planned": N_("planned"), "received": N_("received"), "rejected": N_("rejected"),
    "released": N_("released"), "requested": N_("requested"), "reserved": N_("reserved"),
    "sent": N_("sent"), "shipped": N_("shipped"), "stored": N_("stored"),
    "tallied": N_("tallied"), "tallying": N_("tallying"), "to_approve": N_("to approve"),
    "pending": N_("pending"), "bonded": N_("bonded"), "export": N_("export supervision"),
    "new": N_("as new"), "open_box": N_("open box"), "damaged": N_("damaged"),
    "scrap": N_("scrap"), "unidentified": N_("unidentified"), "matched": N_("matched"),
    "failed": N_("failed"), "accepted": N_("accepted"),
}
# Parameters of stored and raised messages that hold one of those words.
STATE_PARAMS = ("state", "current", "status", "decision", "grade")


def state_word(value: str) -> str:
    """The catalog word of a state (to be passed through gettext), else the value itself."""
    return STATE_WORDS.get(value, value)

# A location's usage as messages name it ("%(usage)s"): said in the reader's language.
USAGE_WORDS = {
    "view": N_("group of locations"), "internal": N_("internal"), "supplier": N_("supplier"),
    "customer": N_("customer"), "inventory": N_("inventory loss"), "transit": N_("transit"),
    "customs": N_("customs hold"), "scrap": N_("scrap"),
}
