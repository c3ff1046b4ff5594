"""A risk warning as a sentence in the reader's language (pages, CSV and API share it)."""
from __future__ import annotations

from flask_babel import gettext

from wms.risk.models import RiskWarning
from wms.risk.rules import CATEGORY_TITLES, LEVEL_TITLES, RULES, WORDS


def warning_text(warning: RiskWarning) -> str:
    rule = RULES.get(warning.rule)
    if rule is None:
        return warning.rule
    params = {k: gettext(WORDS[v]) if isinstance(v, str) and v in WORDS else v
              for k, v in (warning.facts or {}).items()}
    params.setdefault("reference", warning.reference or "-")
    try:
        return gettext(rule.text, **params)
    except (KeyError, TypeError, ValueError):
        return gettext(rule.title)


def rule_title(code: str) -> str:
    rule = RULES.get(code)
    return gettext(rule.title) if rule else code


def level_title(level: int) -> str:
    return gettext(LEVEL_TITLES[level])


def category_title(category: str) -> str:
    return gettext(CATEGORY_TITLES[category])
