"""CSV cells that a spreadsheet shows as text, never runs as a formula.

A return reason of ``=HYPERLINK(...)`` or a move reason of ``@SUM(...)`` reached staff's
exports raw and Excel ran them. As OWASP advises, a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote; plain numbers
(``-5``, ``+86``-free amounts like ``-12.50``) are left alone, since they cannot be a
formula and accountants need them as numbers.
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The full-width forms that some spreadsheet versions also read as formula starts.
FORMULA_STARTS_WIDE = ("＝", "＋", "－", "＠")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet should read it: text that starts like a formula gets a
    leading ``'``; line breaks become ``\n`` (a lone CR is not quoted by ``csv`` under a
    ``\n`` line terminator and would split the row); numbers, dates and None pass through."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_STARTS + FORMULA_STARTS_WIDE) \
            and not PLAIN_NUMBER.fullmatch(value):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n")


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, buffer, **kwargs) -> None:
        self._writer = csv.writer(buffer, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose every value goes through ``safe_cell``."""

    def writerow(self, rowdict):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)


def safe_writer(buffer, **kwargs) -> SafeWriter:
    return SafeWriter(buffer, **kwargs)
