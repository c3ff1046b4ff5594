"""New rows of a batch written with one statement per table on both databases.

PostgreSQL hands the ORM the new primary keys of a multi-row INSERT in order, so it batches;
SQLite cannot promise that order, so the ORM would insert row by row. There the batch takes
its keys first, in one query for all its tables: SQLite lets one writer in at a time, and a
writer that commits between the read and the insert makes this transaction fail and run
again (``run_in_transaction``), never write a duplicate.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def give_ids(session: Session, rows: Iterable[object]) -> None:
    """Give the new rows without an ``id`` consecutive ids past each table's highest."""
    if session.get_bind().dialect.name != "sqlite":
        return
    by_model: dict[type, list] = defaultdict(list)
    for row in rows:
        if getattr(row, "id", None) is None:
            by_model[type(row)].append(row)
    if not by_model:
        return
    models = list(by_model)
    highest = session.execute(select(*[
        select(func.coalesce(func.max(m.id), 0)).scalar_subquery() for m in models])).one()
    for model, top in zip(models, highest):
        for offset, row in enumerate(by_model[model], start=1):
            row.id = top + offset
