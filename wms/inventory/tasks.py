"""What is waiting for the warehouse staff: the handheld home's task list.

One statement answers every count (each a scalar subquery), whatever the size of the
warehouse; which tasks a user sees follows the user's roles. Owner viewers see none: they
do no warehouse work.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.core.errors import N_

# Task code -> (title, what it means, the roles that do it), in the order of a shift.
TASKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "tally": (N_("Receipts to tally"), N_("Arrived at the gate, counting not finished."),
              ("operator", "supervisor")),
    "putaway": (N_("Receipts to put away"), N_("Released by customs, still in the input "
                                               "area."), ("operator", "supervisor")),
    "pick": (N_("Waves to pick"), N_("Open waves with lines left to pick."),
             ("operator", "supervisor")),
    "pack": (N_("Orders to pack"), N_("Picked, waiting at the packing station."),
             ("operator", "supervisor")),
    "count": (N_("Counts to do"), N_("Cycle counts started and not sent."),
              ("operator", "supervisor")),
    "approve": (N_("Counts to approve"), N_("Differences above the threshold."),
                ("supervisor",)),
    "receive_returns": (N_("Return batches to receive"), N_("Parcels gathered at the "
                                                            "returns centre, not arrived."),
                        ("returns_clerk", "supervisor")),
    "grade": (N_("Returns to grade"), N_("Received, waiting for inspection."),
              ("returns_clerk", "supervisor")),
}


@dataclass(frozen=True)
class Task:
    code: str
    title: str
    description: str
    count: int


def visible_tasks(roles: frozenset[str] | set[str]) -> list[str]:
    """The task codes a user with these roles sees (admins see them all)."""
    if "admin" in roles:
        return list(TASKS)
    return [code for code, (_t, _d, who) in TASKS.items() if set(who) & set(roles)]


def _counts() -> dict:
    from wms.inbound.models import Receipt
    from wms.inventory.models import CountSession
    from wms.outbound.models import SalesOrder, Wave
    from wms.returns.models import ConsolidationBatch, ReturnRequest

    def number(model, *where):
        return select(func.count()).select_from(model).where(*where).scalar_subquery()
    return {
        "tally": number(Receipt, Receipt.state.in_(("arrived", "tallying"))),
        "putaway": number(Receipt, Receipt.state == "released"),
        "pick": number(Wave, Wave.state == "open"),
        "pack": number(SalesOrder, SalesOrder.state == "picked"),
        "count": number(CountSession, CountSession.state == "counting"),
        "approve": number(CountSession, CountSession.state == "to_approve"),
        "receive_returns": number(ConsolidationBatch, ConsolidationBatch.state == "open"),
        "grade": number(ReturnRequest, ReturnRequest.state == "received"),
    }


def waiting_tasks(session: Session, roles: frozenset[str] | set[str]) -> list[Task]:
    """The user's tasks with how many of each wait, in one statement."""
    codes = visible_tasks(roles)
    if not codes:
        return []
    counts = _counts()
    row = session.execute(select(*(counts[c].label(c) for c in codes))).one()
    return [Task(code, TASKS[code][0], TASKS[code][1], int(getattr(row, code) or 0))
            for code in codes]
