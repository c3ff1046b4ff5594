"""The blacklist (黑名单): listing and lifting enterprises, refusing their new documents,
holding their pending ones for a supervisor.

``refuse_blacklisted`` is the one check the receipt and order doors make: one query for the
whole set of enterprises a batch names. A refusal raises ``EnterpriseBlacklisted`` (403,
naming the enterprise); the attempt is noted on the session and written once the caller's
transaction has rolled back (``_record_after_rollback``), so it stays on record whatever
the door's caller does with its own transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, Forbidden, NotFound, ValidationError

from .models import BlacklistEntry, DocumentHold, Enterprise, EnterpriseRefusal

PENDING_REFUSALS = "wms.partners.refusals"
# The documents still open to a hold, by kind.
PENDING_RECEIPTS = ("draft", "expected", "arrived", "tallying", "tallied", "declared", "held",
                    "released")
PENDING_ORDERS = ("received", "declared", "released", "held", "picking", "picked", "packed")


class EnterpriseBlacklisted(Forbidden):
    code = "enterprise_blacklisted"


def _text(value: Any, field: str, max_len: int, required: bool = True) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationError(N_("This field is required"), field=field)
        return None
    if len(text) > max_len:
        raise ValidationError(N_("At most %(n)s characters"), field=field, n=max_len)
    return text


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(N_("Date must be YYYY-MM-DD"), field=field) from None


def in_force_clause(today: date):
    return (BlacklistEntry.lifted_at.is_(None), BlacklistEntry.listed_from <= today,
            or_(BlacklistEntry.listed_until.is_(None), BlacklistEntry.listed_until >= today))


def entries_in_force(session: Session, enterprise_ids: Iterable[int],
                     today: date | None = None) -> dict[int, BlacklistEntry]:
    """The listing in force today per enterprise, for any number of them in one query."""
    ids = set(enterprise_ids)
    if not ids:
        return {}
    found: dict[int, BlacklistEntry] = {}
    for entry in session.scalars(select(BlacklistEntry).where(
            BlacklistEntry.enterprise_id.in_(ids), *in_force_clause(today or date.today()))
            .order_by(BlacklistEntry.id)):
        found.setdefault(entry.enterprise_id, entry)
    return found


def refuse_blacklisted(session: Session,
                       parties: Iterable[tuple[Enterprise | None, str, str | None]], *,
                       document: str) -> None:
    """Refuse a new receipt or order if any party is on the blacklist today. ``parties``
    are (enterprise, the field that named it, the document's reference), for a whole batch:
    one query for the set; the first listed party in the batch's order is named."""
    parties = [p for p in parties if p[0] is not None]
    listed = entries_in_force(session, {e.id for e, _, _ in parties})
    if not listed:
        return
    enterprise, field, reference = next(p for p in parties if p[0].id in listed)
    entry = listed[enterprise.id]
    session.info.setdefault(PENDING_REFUSALS, []).append(dict(
        enterprise_id=enterprise.id, entry_id=entry.id, document=document,
        reference=(reference or "")[:80] or None, user_login=current_actor().login,
        refused_at=utcnow()))
    raise EnterpriseBlacklisted(
        N_("%(name)s (%(code)s) is on the blacklist since %(since)s (%(authority)s): it "
           "cannot create receipts or orders"), field=field, name=enterprise.name,
        code=enterprise.customs_code, since=entry.listed_from.isoformat(),
        authority=entry.authority)


def order_parties(enterprises: dict[str, Enterprise], batch: list, wheres: list[str]):
    """The owner, platform and logistics company each order of a platform batch names
    (``enterprises`` by customs code, as the intake read them)."""
    def code(value: Any) -> str:
        return str(value or "").strip().upper()
    for data, where in zip(batch, wheres):
        if not isinstance(data, dict):
            continue
        waybill = data.get("waybill") if isinstance(data.get("waybill"), dict) else {}
        reference = str(data.get("order_no") or "").strip() or None
        for field, value in (("platform", data.get("platform")), ("owner", data.get("owner")),
                             ("waybill.logistics_code", waybill.get("logistics_code"))):
            yield enterprises.get(code(value)), f"{where}{field}", reference


def record_refusals(session: Session) -> int:
    """Write the refusals noted on ``session`` in its current transaction (the demo, which
    refuses inside a savepoint); how many."""
    rows = session.info.pop(PENDING_REFUSALS, [])
    if rows:
        session.execute(insert(EnterpriseRefusal.__table__), rows)
    return len(rows)


@event.listens_for(Session, "after_soft_rollback")
def _record_after_rollback(session: Session, previous_transaction) -> None:
    """After the refusing transaction rolled back, its refusals in one transaction of
    their own on the same database."""
    if previous_transaction.parent is not None or not session.info.get(PENDING_REFUSALS):
        return
    rows = session.info.pop(PENDING_REFUSALS)
    bind = session.get_bind()
    if isinstance(bind, Engine):
        with Session(bind=bind) as own:
            own.execute(insert(EnterpriseRefusal.__table__), rows)
            _kick_risk_rules(own)
            own.commit()
    elif isinstance(bind, Connection):  # a session joined to an outer transaction
        with bind.begin_nested():
            bind.execute(insert(EnterpriseRefusal.__table__), rows)


def _kick_risk_rules(session: Session) -> None:
    """The risk rules run soon after a listing or a refusal, not only at their interval."""
    from wms.jobs.queue import kick_after_commit
    kick_after_commit(session, "risk_rules")


def get_entry(session: Session, entry_id: int) -> BlacklistEntry:
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise NotFound(N_("Blacklist entry %(id)s not found"), field="entry", id=entry_id)
    return entry


def blacklist_enterprise(session: Session, enterprise: Enterprise, *, reason: Any,
                         authority: Any, listed_from: Any = None,
                         listed_until: Any = None) -> BlacklistEntry:
    """Put an enterprise on the blacklist and hold its pending receipts and orders."""
    reason = _text(reason, "reason", 2000)
    authority = _text(authority, "authority", 200)
    start = _date(listed_from, "listed_from") or date.today()
    until = _date(listed_until, "listed_until")
    if until is not None and until < start:
        raise ValidationError(N_("The listing cannot end before it starts"),
                              field="listed_until")
    if enterprise.blacklisting is not None:
        raise Conflict(N_("%(name)s is already on the blacklist"), field="enterprise",
                       name=enterprise.name)
    entry = BlacklistEntry(enterprise_id=enterprise.id, reason=reason, authority=authority,
                           listed_from=start, listed_until=until)
    session.add(entry)
    session.flush()
    if entry.in_force(date.today()):
        hold_pending_documents(session, enterprise, entry)
        _kick_risk_rules(session)
    session.expire(enterprise, ["blacklist_entries"])
    return entry


def lift_blacklisting(session: Session, entry: BlacklistEntry, *, reason: Any) -> BlacklistEntry:
    """Take the enterprise off the blacklist; the entry stays, with who lifted it and why.
    Its held documents stay held until a supervisor releases each."""
    if entry.lifted_at is not None:
        raise Conflict(N_("This listing was already lifted"), field="entry")
    entry.lift_reason = _text(reason, "reason", 2000)
    entry.lifted_at = utcnow()
    entry.lifted_by_id = current_actor().user_id
    session.flush()
    session.expire(entry.enterprise, ["blacklist_entries"])
    return entry


def hold_pending_documents(session: Session, enterprise: Enterprise,
                           entry: BlacklistEntry) -> int:
    """Hold every pending receipt of the enterprise as owner and every pending order it is
    owner, platform or logistics company of: two reads, one insert."""
    from wms.inbound.models import Receipt
    from wms.outbound.models import SalesOrder
    now = utcnow()
    rows = [dict(document="receipt", document_id=i, reference=name, enterprise_id=enterprise.id,
                 entry_id=entry.id, held_at=now)
            for i, name in session.execute(select(Receipt.id, Receipt.name).where(
                Receipt.owner_id == enterprise.id, Receipt.state.in_(PENDING_RECEIPTS)))]
    rows += [dict(document="order", document_id=i, reference=name, enterprise_id=enterprise.id,
                  entry_id=entry.id, held_at=now)
             for i, name in session.execute(select(SalesOrder.id, SalesOrder.name).where(
                 or_(SalesOrder.owner_id == enterprise.id,
                     SalesOrder.platform_id == enterprise.id,
                     SalesOrder.logistics_id == enterprise.id),
                 SalesOrder.state.in_(PENDING_ORDERS)))]
    if rows:
        session.execute(insert(DocumentHold.__table__), rows)
    return len(rows)


def open_holds(session: Session, document: str, document_ids: Iterable[int]
               ) -> dict[int, DocumentHold]:
    """The unreleased hold of each document, for a set of them in one query."""
    ids = set(document_ids)
    if not ids:
        return {}
    return {h.document_id: h for h in session.scalars(select(DocumentHold).where(
        DocumentHold.document == document, DocumentHold.document_id.in_(ids),
        DocumentHold.released_at.is_(None)).order_by(DocumentHold.id.desc()))}


class DocumentHeld(Conflict):
    """A document of a blacklisted party, waiting for a supervisor's release."""
    code = "document_held"


def refuse_held(session: Session, document: str, records: Iterable[Any],
                field: str) -> None:
    """A held receipt or order moves no further (gate-in, declaration, wave) until a
    supervisor releases it: one query for any number of documents."""
    records = list(records)
    holds = open_holds(session, document, [r.id for r in records])
    held = next((holds[r.id] for r in records if r.id in holds), None)
    if held is not None:
        raise DocumentHeld(N_("%(reference)s is held for a supervisor: %(enterprise)s is on "
                              "the blacklist"), field=field, reference=held.reference,
                           enterprise=held.enterprise.customs_code)


def release_hold(session: Session, hold_id: int, *, note: Any) -> DocumentHold:
    """A supervisor releases one held document, saying why."""
    hold = session.scalar(select(DocumentHold).where(DocumentHold.id == hold_id)
                          .with_for_update())
    if hold is None:
        raise NotFound(N_("Hold %(id)s not found"), field="hold", id=hold_id)
    if hold.released_at is not None:
        raise Conflict(N_("%(reference)s was already released"), field="hold",
                       reference=hold.reference)
    hold.release_note = _text(note, "note", 2000)
    hold.released_at = utcnow()
    hold.released_by_id = current_actor().user_id
    session.flush()
    return hold
