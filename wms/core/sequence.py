"""Gapless human references such as ``LZB/IN/2026/00042``.

One ``sequence`` row per (prefix, year) is locked for update while the next number is taken,
so numbers stay unique and consecutive under concurrency; if the transaction rolls back,
the number goes back too (customs wants no holes in a series of declarations).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from .db import Base, utcnow

UNNAMED = "/"


class Sequence(Base):
    __tablename__ = "sequence"
    __table_args__ = (
        UniqueConstraint("prefix", "year"),
        CheckConstraint("next_number >= 1", name="next_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    next_number: Mapped[int] = mapped_column(default=1)
    padding: Mapped[int] = mapped_column(default=5)


def next_reference(session: Session, prefix: str, when: datetime | None = None) -> str:
    """Take the next number for ``prefix`` in the year of ``when`` (default: now)."""
    year = (when or utcnow()).year
    number, padding = next_number(session, prefix, year)
    return f"{prefix}/{year}/{number:0{padding}d}"


def next_references(session: Session, prefix: str, count: int,
                    when: datetime | None = None) -> list[str]:
    """``count`` consecutive references for a batch, in the same three statements as one."""
    year = (when or utcnow()).year
    first, padding = next_number(session, prefix, year, count)
    return [f"{prefix}/{year}/{n:0{padding}d}" for n in range(first, first + count)]


def assign_names(session: Session, records, prefix: str) -> None:
    """Name every unnamed record of a batch from one take of the sequence."""
    unnamed = [r for r in records if r.name in (None, UNNAMED)]
    if unnamed:
        for record, name in zip(unnamed, next_references(session, prefix, len(unnamed))):
            record.name = name


def next_number(session: Session, prefix: str, year: int = 0, count: int = 1) -> tuple[int, int]:
    """The next number of a counter and its padding; ``year=0`` for counters that never
    restart (SSCC serials). ``count`` numbers are taken: the first is returned."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Sequence).values(prefix=prefix, year=year, next_number=1, padding=5)
                    .on_conflict_do_nothing(index_elements=["prefix", "year"]))
    row = session.execute(
        select(Sequence.id, Sequence.next_number, Sequence.padding)
        .where(Sequence.prefix == prefix, Sequence.year == year)
        .with_for_update()
    ).one()
    session.execute(update(Sequence).where(Sequence.id == row.id)
                    .values(next_number=row.next_number + count))
    return row.next_number, row.padding


def unique_name_index(tablename: str) -> Index:
    """A partial unique index: confirmed names are unique, drafts may all be ``/``."""
    where = text(f"name <> '{UNNAMED}'")
    return Index(f"uq_{tablename}_name", "name", unique=True,
                 sqlite_where=where, postgresql_where=where)


class Sequenced:
    """A ``name`` that is ``/`` while a draft and a gapless reference once confirmed.

    Models put ``unique_name_index(__tablename__)`` in their ``__table_args__``.
    """

    @declared_attr
    def name(cls) -> Mapped[str]:
        return mapped_column(String(40), default=UNNAMED)

    def assign_name(self, session: Session, prefix: str) -> str:
        if self.name in (None, UNNAMED):
            self.name = next_reference(session, prefix)
        return self.name
