"""The account book's part of ``wms check-ledger``: each item's balance against physical
bonded stock. A difference that the unbooked moves behind it explain in full is reported as
a note (the moves say what happened: a count, a restock no door booked); a difference they do
not explain is a problem, as a book row without its goods or goods gone without a trace."""
from __future__ import annotations

from sqlalchemy.orm import Session

from wms.inventory.services import format_quantity

from .queries import reconcile


def account_book_report(session: Session) -> tuple[list[str], list[str]]:
    """(problems, notes), as sentences for the command line."""
    problems, notes = [], []
    for line in reconcile(session):
        if not line.difference:
            continue
        head = (f"account book {line.ems_no} item {line.sku} ({line.item_record_no or '-'}): "
                f"book {format_quantity(line.balance)}, bonded stock "
                f"{format_quantity(line.physical)}, difference "
                f"{format_quantity(line.difference)}")
        behind = ", ".join(f"move {m.move_id} {m.document or ''} {format_quantity(m.change)}"
                           for m in line.moves[:10])
        if line.unexplained:
            problems.append(f"{head}; unexplained {format_quantity(line.unexplained)}"
                            + (f" (unbooked moves: {behind})" if behind else ""))
        else:
            notes.append(f"{head}, explained by unbooked moves: {behind}")
    return problems, notes
