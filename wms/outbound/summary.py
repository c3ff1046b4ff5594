"""The export summary application (汇总申请单, CEB701) over released B2C export lists.

A B2C (9610) exporter sums up, per e-commerce enterprise and period, the lists customs
released, so that they count as an export declaration. Here: which released 9610 lists of a
period are still to be summed up (a pure query), and the CEB701 message over a chosen set of
them, built from the ``SummaryApply`` dataclass, checked like every message and queued in
the customs outbox. A list is summed up once: lists named by an earlier summary that customs
did not reject or refuse are not offered again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs import ceb
from wms.customs.ceb_base import CEB_NS
from wms.customs.models import CustomsMessage
from wms.customs.outbox import queue_message
from wms.customs.declarant import base_transfer, declaring_agent
from wms.partners.models import Enterprise
from wms.settings import Settings

from .models import InventoryList, SalesOrder

BEIJING = ZoneInfo("Asia/Shanghai")
SUMMARY_TYPE = "CEB701"
# A summary in these states no longer holds its lists (customs refused it).
DEAD_STATES = ("rejected", "failed")


@dataclass(frozen=True)
class SummaryCandidate:
    listing: InventoryList
    order: SalesOrder
    invt_no: str


@dataclass(frozen=True)
class SummaryResult:
    message: CustomsMessage
    doc: ceb.SummaryApply
    lists: list[SummaryCandidate]


def _bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None,
                                                                   datetime | None]:
    start = datetime.combine(date_from, time.min, BEIJING).astimezone(timezone.utc) \
        if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, BEIJING) \
        .astimezone(timezone.utc) if date_to else None
    return start, end


def summarised_invt_nos(session: Session, owner_id: int | None = None) -> set[str]:
    """List numbers already named by a live CEB701 message (of that owner)."""
    stmt = select(CustomsMessage.xml).where(CustomsMessage.message_type == SUMMARY_TYPE,
                                            CustomsMessage.state.not_in(DEAD_STATES))
    if owner_id is not None:
        stmt = stmt.where(CustomsMessage.owner_id == owner_id)
    found: set[str] = set()
    for xml in session.scalars(stmt):
        root = etree.fromstring(xml.encode("utf-8"))
        found.update(e.text for e in root.iter(f"{{{CEB_NS}}}invtNo") if e.text)
    return found


def list_numbers(session: Session, listing: InventoryList) -> tuple[str | None, str | None]:
    """The list's customs pre-entry and list numbers (preNo, invtNo): stored on the list,
    else read from the last receipt customs sent for its message (the customs inbox keeps
    the receipt but does not copy the numbers onto the list)."""
    if listing.invt_no:
        return listing.pre_no, listing.invt_no
    if listing.message_id is None:
        return listing.pre_no, None
    message = session.get(CustomsMessage, listing.message_id)
    for receipt in reversed(message.receipts if message else []):
        try:
            parsed = ceb.parse_receipts(receipt.raw.encode("utf-8"))
        except Exception:  # a raw receipt we cannot read again names no number
            continue
        for answer in parsed:
            if (answer.guid or "").upper() == message.guid and answer.invt_no:
                return answer.pre_no or listing.pre_no, answer.invt_no
    return listing.pre_no, None


def released_export_lists(session: Session, *, date_from: date | None = None,
                          date_to: date | None = None, owner_id: int | None = None,
                          include_summarised: bool = False) -> list[SummaryCandidate]:
    """Released 9610 lists with a customs list number, released in the period (Beijing
    dates, both ends included), owner-scoped, oldest first."""
    start, end = _bounds(date_from, date_to)
    stmt = (select(InventoryList, SalesOrder)
            .join(SalesOrder, SalesOrder.id == InventoryList.order_id)
            .where(InventoryList.state == "released", SalesOrder.trade_mode == "9610")
            .order_by(InventoryList.released_at, InventoryList.id))
    if start is not None:
        stmt = stmt.where(InventoryList.released_at >= start)
    if end is not None:
        stmt = stmt.where(InventoryList.released_at < end)
    if owner_id is not None:
        stmt = stmt.where(SalesOrder.owner_id == owner_id)
    stmt = scope_to_owner(stmt, SalesOrder.owner_id)
    rows = []
    for listing, order in session.execute(stmt).all():
        invt_no = list_numbers(session, listing)[1]
        if invt_no:
            rows.append(SummaryCandidate(listing, order, invt_no))
    if include_summarised:
        return rows
    done = summarised_invt_nos(session, owner_id)
    return [r for r in rows if r.invt_no not in done]


def summary_messages(session: Session, owner_id: int | None = None) -> list[CustomsMessage]:
    stmt = select(CustomsMessage).where(CustomsMessage.message_type == SUMMARY_TYPE) \
        .order_by(CustomsMessage.id.desc())
    if owner_id is not None:
        stmt = stmt.where(CustomsMessage.owner_id == owner_id)
    return list(session.scalars(scope_to_owner(stmt, CustomsMessage.owner_id)))


def parse_day(value: str | None, field: str) -> date | None:
    """A day of the period as YYYY-MM-DD; empty: None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError(N_("Date must be YYYY-MM-DD"), field=field) from None


def invt_nos_of(message: CustomsMessage) -> list[str]:
    root = etree.fromstring(message.xml.encode("utf-8"))
    return [e.text for e in root.iter(f"{{{CEB_NS}}}invtNo") if e.text]


def build_summary(session: Session, *, owner_code: str, date_from: date, date_to: date,
                  invt_nos: list[str] | None = None, settings: Settings | None = None,
                  xsd_dir: str | None = None) -> SummaryResult:
    """Build, check and queue the CEB701 for the owner's released 9610 lists of the period
    (all of them, or the ``invt_nos`` chosen among them). ``xsd_dir`` overrides the
    settings' folder (the reports page passes the app's)."""
    settings = (settings or Settings.from_env()).with_xsd_dir(xsd_dir)
    if date_from is None or date_to is None:
        raise ValidationError(N_("Give the period: from and to"),
                              field="date_from" if date_from is None else "date_to")
    if date_to < date_from:
        raise ValidationError(N_("The period ends before it starts"), field="date_to")
    owner = session.scalar(select(Enterprise).where(
        Enterprise.customs_code == (owner_code or "").strip().upper()))
    if owner is None or "owner" not in owner.roles or not visible_owner(owner.id):
        raise ValidationError(N_("No owner enterprise with customs code %(code)s"),
                              field="owner", code=owner_code)
    candidates = released_export_lists(session, date_from=date_from, date_to=date_to,
                                       owner_id=owner.id)
    by_no = {c.invt_no: c for c in candidates}
    if invt_nos:
        already = summarised_invt_nos(session, owner.id)
        chosen = []
        for i, no in enumerate(invt_nos):
            if no in already:
                raise Conflict(N_("List %(no)s is already in a summary application"),
                               field=f"invt_nos[{i}]", no=no)
            if no not in by_no:
                raise NotFound(N_("No released 9610 list %(no)s of %(owner)s in this period"),
                               field=f"invt_nos[{i}]", no=no, owner=owner.customs_code)
            chosen.append(by_no[no])
    else:
        chosen = candidates
    if not chosen:
        raise ValidationError(N_("No released 9610 list of %(owner)s to sum up in this "
                                 "period"), field="invt_nos", owner=owner.customs_code)
    agent = declaring_agent(session, settings)
    warehouse = chosen[0].order.warehouse
    now = utcnow()
    start, end = _bounds(date_from, date_to)
    cop_no = f"{warehouse.code}SUM{now.astimezone(BEIJING):%Y%m%d%H%M%S}{owner.customs_code}"
    doc = ceb.SummaryApply(
        app_time=now, customs_code=warehouse.customs_area_code or "",
        cop_no=cop_no[:30], agent_code=agent.customs_code, agent_name=agent.name,
        ebc_code=owner.customs_code, ebc_name=owner.name,
        decl_agent_code=agent.customs_code, decl_agent_name=agent.name,
        invt_nos=[c.invt_no for c in chosen],
        start_time=start, end_time=end - timedelta(seconds=1))
    xml = ceb.build(doc, base_transfer(agent, settings), xsd_dir=settings.ceb_xsd_dir)
    message = queue_message(session, SUMMARY_TYPE, xml.decode("utf-8"), guid=doc.guid,
                            business_key=doc.cop_no, owner_id=owner.id)
    return SummaryResult(message, doc, chosen)
