"""The customs code tables: shipped as CSV files beside this module, kept in ``customs_code``.

One CSV per table (``code,name_zh,name_en``; docs/codes.md says where each comes from).
Migration 0011 loads them and ``wms codes load`` reloads one from a newer file; checks read
the table in the database, so a code an administrator loads counts without a release.
``DEFAULT_CODES`` is the shipped files, for checks that run without a database.
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from wms.core.errors import N_, ValidationError

from ..models import CODE_TABLES, CustomsCode

DATA_DIR = Path(__file__).resolve().parent
CODE_FORM = {"country": 3, "currency": 3, "unit": 3, "trade_mode": 4, "customs_office": 4,
             "province": 2, "transport_mode": 1}
NAME_MAX = 60


def parse_code_csv(table: str, text: str) -> list[tuple[str, str, str]]:
    """The rows of one table's CSV, every line checked (code form, names, no repeats)."""
    if table not in CODE_TABLES:
        raise ValidationError(N_("Unknown code table %(table)s"), field="table", table=table)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or set(reader.fieldnames) < {"code", "name_zh", "name_en"}:
        raise ValidationError(N_("The file needs the columns code, name_zh and name_en"),
                              field="file")
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        code = (row.get("code") or "").strip()
        zh, en = (row.get("name_zh") or "").strip(), (row.get("name_en") or "").strip()
        if len(code) != CODE_FORM[table] or not code.isascii() or not code.isalnum():
            raise ValidationError(N_("Line %(line)s: %(code)s is not a %(n)s-character code"),
                                  field="file", line=line, code=code, n=CODE_FORM[table])
        if not zh or not en or len(zh) > NAME_MAX or len(en) > NAME_MAX:
            raise ValidationError(N_("Line %(line)s: both names are required, at most "
                                     "%(n)s characters"), field="file", line=line, n=NAME_MAX)
        if code in seen:
            raise ValidationError(N_("Line %(line)s: code %(code)s is there twice"),
                                  field="file", line=line, code=code)
        seen.add(code)
        rows.append((code, zh, en))
    if not rows:
        raise ValidationError(N_("The file holds no codes"), field="file")
    return rows


@lru_cache(maxsize=None)
def shipped_rows(table: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(parse_code_csv(table, (DATA_DIR / f"{table}.csv").read_text("utf-8")))


DEFAULT_CODES: dict[str, tuple[tuple[str, str, str], ...]] = {
    table: shipped_rows(table) for table in CODE_TABLES}


def default_code_rows() -> list[dict]:
    return [dict(code_table=table, code=code, name_zh=zh, name_en=en)
            for table, rows in DEFAULT_CODES.items() for code, zh, en in rows]


def load_code_table(session: Session, table: str, text: str | None = None) -> int:
    """Replace one table's rows with a CSV (the shipped file when ``text`` is None): two
    statements whatever the number of rows. Returns how many rows the table now holds."""
    rows = parse_code_csv(table, text) if text is not None else list(shipped_rows(table))
    session.execute(delete(CustomsCode).where(CustomsCode.code_table == table))
    session.execute(CustomsCode.__table__.insert(), [
        dict(code_table=table, code=code, name_zh=zh, name_en=en) for code, zh, en in rows])
    session.expire_all()
    return len(rows)


def search_codes(session: Session, table: str, query: str | None = None,
                 limit: int = 50) -> list[CustomsCode]:
    """Codes of one table whose code starts with, or whose names contain, the query."""
    if table not in CODE_TABLES:
        raise ValidationError(N_("Unknown code table %(table)s"), field="table", table=table)
    stmt = select(CustomsCode).where(CustomsCode.code_table == table)
    query = (query or "").strip()
    if query:
        stmt = stmt.where(or_(CustomsCode.code.startswith(query, autoescape=True),
                              func.lower(CustomsCode.name_en).contains(query.lower(),
                                                                       autoescape=True),
                              CustomsCode.name_zh.contains(query, autoescape=True)))
    return list(session.scalars(stmt.order_by(CustomsCode.code).limit(limit)))


def check_code(session: Session, table: str, code: str | None, field: str) -> str | None:
    """The code if the table knows it (None passes through), else a ValidationError."""
    if code is None or code == "":
        return None
    found = session.scalar(select(CustomsCode.code).where(CustomsCode.code_table == table,
                                                          CustomsCode.code == code))
    if found is None:
        raise ValidationError(N_("%(code)s is not in the customs %(table)s table"), field=field,
                              code=code, table=table)
    return found
