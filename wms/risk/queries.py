"""Reads of the warnings that the risk page, the home page and the API share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wms.core.errors import N_, ValidationError
from wms.core.parsing import parse_id, parse_int
from wms.core.scoping import scope_to_owner

from .models import RISK_CATEGORIES, RISK_LEVELS, RISK_STATES, RiskWarning
from .rules import RULES


@dataclass(frozen=True)
class RiskFilter:
    level: int | None = None
    category: str | None = None
    owner_id: int | None = None
    state: str | None = None
    rule: str | None = None


def parse_filter(args: dict[str, Any]) -> RiskFilter:
    """The filters as given (query string), each checked and named when wrong."""
    def text(name: str, allowed) -> str | None:
        value = (args.get(name) or "").strip() or None
        if value is not None and value not in allowed:
            raise ValidationError(N_("Unknown value %(value)s"), field=name, value=value)
        return value
    level = args.get("level") or None
    level = parse_int(level, "level") if level is not None else None
    if level is not None and level not in RISK_LEVELS:
        raise ValidationError(N_("Level is 1, 2 or 3"), field="level")
    owner = args.get("owner") or None
    return RiskFilter(level=level, category=text("category", RISK_CATEGORIES),
                      owner_id=parse_id(owner, "owner") if owner is not None else None,
                      state=text("state", RISK_STATES), rule=text("rule", RULES))


def warnings_query(f: RiskFilter) -> Select:
    """Highest level first, newest first; an owner user sees only their own."""
    stmt = select(RiskWarning).order_by(RiskWarning.level.desc(), RiskWarning.id.desc())
    for column, value in ((RiskWarning.level, f.level), (RiskWarning.category, f.category),
                          (RiskWarning.owner_id, f.owner_id), (RiskWarning.state, f.state),
                          (RiskWarning.rule, f.rule)):
        if value is not None:
            stmt = stmt.where(column == value)
    return scope_to_owner(stmt, RiskWarning.owner_id)


def open_counts(session: Session) -> dict[int, int]:
    """Open warnings per level (1-3), for the home page."""
    stmt = scope_to_owner(select(RiskWarning.level, func.count()).where(
        RiskWarning.state == "open").group_by(RiskWarning.level), RiskWarning.owner_id)
    counts = {level: 0 for level in RISK_LEVELS}
    counts.update(dict(session.execute(stmt).all()))
    return counts
