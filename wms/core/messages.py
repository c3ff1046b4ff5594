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
