"""The resident identity card number (GB 11643) a retail import buyer declares.

Checked by what the number itself can prove: 18 characters, a province code from the
province table, a real date of birth that is not in the future and gives a plausible age,
and the ISO 7064 MOD 11-2 check character. The county code is deliberately not looked up
by the year it was valid (python-stdnum's ``cn.ric`` does that, and refuses real buyers
whose county was renamed or renumbered after they were born, e.g. 620102 before 1983).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from wms.core.errors import N_, ValidationError

from . import DEFAULT_CODES

OLDEST_AGE = 120
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


@dataclass(frozen=True)
class IdProblem:
    """What is wrong with a number: a stable code and a message with its parameters."""
    code: str
    template: str
    params: dict = field(default_factory=dict)


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits: '0'-'9' or 'X'."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def _provinces() -> frozenset[str]:
    return frozenset(code for code, _zh, _en in DEFAULT_CODES["province"])


def resident_id_problem(number: str, *, today: date | None = None,
                        provinces: frozenset[str] | None = None) -> IdProblem | None:
    """None when the number holds; else the first thing wrong with it."""
    text = (number or "").strip().upper()
    if len(text) != 18:
        return IdProblem("resident_id_length",
                         N_("A resident ID number has 18 characters, not %(n)s"), {"n": len(text)})
    if not (text[:17].isascii() and text[:17].isdigit()) or text[17] not in "0123456789X":
        return IdProblem("resident_id_form",
                         N_("A resident ID number is 17 digits and a digit or X"))
    if text[:2] not in (provinces or _provinces()):
        return IdProblem("resident_id_province",
                         N_("%(code)s is not a province code"), {"code": text[:2]})
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return IdProblem("resident_id_birth_date",
                         N_("%(value)s is not a real date of birth"), {"value": text[6:14]})
    today = today or date.today()
    if born > today:
        return IdProblem("resident_id_birth_date",
                         N_("The date of birth %(value)s is in the future"),
                         {"value": born.isoformat()})
    if today.year - born.year > OLDEST_AGE:
        return IdProblem("resident_id_birth_date",
                         N_("The date of birth %(value)s gives an age over %(age)s"),
                         {"value": born.isoformat(), "age": OLDEST_AGE})
    expected = check_character(text[:17])
    if text[17] != expected:
        return IdProblem("resident_id_check_digit",
                         N_("The check character should be %(expected)s"),
                         {"expected": expected})
    return None


def validate_resident_id(number: str, field: str, *, today: date | None = None) -> str:
    """The number (upper-case X) if it holds, else a ValidationError naming ``field``."""
    problem = resident_id_problem(number, today=today)
    if problem is not None:
        raise ValidationError(problem.template, field=field, **problem.params)
    return number.strip().upper()
