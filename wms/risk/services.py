"""Running the rules and keeping their warnings; acknowledging a warning.

``run_rules`` evaluates each rule once (its own set-based query), then, per rule, reads the
warnings it raised before for the subjects found (one query), inserts the new ones (one
statement), marks the known ones seen (one statement) and queues one ``risk.raised`` webhook
delivery per new warning and subscriber (one statement). An acknowledged warning stays
acknowledged when its rule finds the same subject again.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import visible_owner

from .checks import Finding
from .models import RiskWarning
from .rules import RULES, Rule, evaluate, rules_to_run

EVENT_RISK_RAISED = "risk.raised"


@dataclass
class RiskRun:
    raised: dict[str, int] = field(default_factory=dict)
    seen: int = 0

    @property
    def total_raised(self) -> int:
        return sum(self.raised.values())


def warning_payload(rule: Rule, finding: Finding, now: datetime) -> dict:
    return {"event": EVENT_RISK_RAISED,
            "warning": {"rule": rule.code, "level": rule.level, "category": rule.category,
                        "document": finding.document, "document_id": finding.document_id,
                        "reference": finding.reference, "facts": finding.facts,
                        "raised_at": now.isoformat()}}


def record_findings(session: Session, rule: Rule, findings: list[Finding], now: datetime,
                    subscriptions: list | None) -> tuple[int, int]:
    """New warnings for subjects not warned about before, ``last_seen_at`` for the others;
    how many were raised and seen again."""
    if not findings:
        return 0, 0
    unique = {f.subject: f for f in findings}
    known = dict(session.execute(select(RiskWarning.subject, RiskWarning.id).where(
        RiskWarning.rule == rule.code, RiskWarning.subject.in_(unique))).all())
    new = [f for s, f in unique.items() if s not in known]
    if new:
        session.execute(insert(RiskWarning.__table__), [dict(
            rule=rule.code, level=rule.level, category=rule.category, subject=f.subject,
            owner_id=f.owner_id, document=f.document, document_id=f.document_id,
            reference=(f.reference or None) and f.reference[:80], facts=f.facts,
            state="open", raised_at=now, last_seen_at=now) for f in new])
    if known:
        session.execute(update(RiskWarning).where(RiskWarning.id.in_(known.values()))
                        .values(last_seen_at=now).execution_options(synchronize_session=False))
    if new and subscriptions:
        from wms.logistics.webhooks import add_deliveries, deliveries_for
        add_deliveries(session, [row for f in new for row in deliveries_for(
            subscriptions, EVENT_RISK_RAISED, warning_payload(rule, f, now),
            owner_id=f.owner_id, shipment_id=None, now=now)])
    return len(new), len(known)


def run_rules(session: Session, settings, *, now: datetime | None = None,
              only: Iterable[str] | None = None) -> RiskRun:
    """Evaluate the rules (all that are switched on, or ``only`` these) and keep what they
    found, in the caller's transaction."""
    from wms.logistics.webhooks import active_subscriptions
    now = now or utcnow()
    wanted = set(only) if only is not None else None
    if wanted and wanted - set(RULES):
        raise ValidationError(N_("Unknown risk rule: %(rule)s"), field="rule",
                              rule=sorted(wanted - set(RULES))[0])
    subscriptions = None
    run = RiskRun()
    for rule in rules_to_run(settings.risk):
        if wanted is not None and rule.code not in wanted:
            continue
        findings = evaluate(rule, session, settings, now)
        if findings and subscriptions is None:
            subscriptions = active_subscriptions(session)
        raised, seen = record_findings(session, rule, findings, now, subscriptions)
        run.raised[rule.code] = raised
        run.seen += seen
    session.flush()
    return run


def get_warning(session: Session, warning_id: int) -> RiskWarning:
    warning = session.get(RiskWarning, warning_id)
    if warning is None or not visible_owner(warning.owner_id):
        raise NotFound(N_("Risk warning %(id)s not found"), field="warning", id=warning_id)
    return warning


def acknowledge(session: Session, warning_id: int, note: str | None) -> RiskWarning:
    """Someone has looked at the warning and says what was done about it."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(N_("Say what was done about this warning"), field="note")
    if len(note) > 2000:
        raise ValidationError(N_("At most %(n)s characters"), field="note", n=2000)
    warning = session.scalar(select(RiskWarning).where(RiskWarning.id == warning_id)
                             .with_for_update(of=RiskWarning))
    if warning is None or not visible_owner(warning.owner_id):
        raise NotFound(N_("Risk warning %(id)s not found"), field="warning", id=warning_id)
    if warning.state != "open":
        raise Conflict(N_("This warning was already acknowledged"), field="warning")
    actor = current_actor()
    warning.state = "acknowledged"
    warning.note = note
    warning.acknowledged_at = utcnow()
    warning.acknowledged_by_id = actor.user_id
    warning.acknowledged_by_login = actor.login
    session.flush()
    return warning
