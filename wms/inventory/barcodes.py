"""Scan anything: one pure function that says what a scanned code is, so every scanning
screen (receiving, put-away, picking, dispatch) recognises the same codes the same way.

A code that looks like a known identifier but fails its check digit keeps that kind and is
marked invalid, so the operator hears "misread, scan again" instead of "unknown location".
Anything unrecognised is ``text``: the caller looks it up as a location barcode or an SKU.
Why a code is invalid is a ``Problem``: a stable code, an ``N_()`` template and its
parameters, put into the reader's language by the page that shows it.
"""
from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Callable

from stdnum import numdb

from wms.core.errors import N_, ValidationError
from wms.logistics.identifiers import (
    AWB_PATTERN, CONTAINER_PATTERN, GTIN_LENGTHS, S10_PATTERN, WRONG_CHECK_DIGIT, clean,
    is_digits, validate_awb, validate_container, validate_gln, validate_gsin, validate_gtin,
    validate_s10, validate_sscc)

KINDS = ("sscc", "gtin", "gs1", "s10", "awb", "container", "text")

GS = "\x1d"
# GS as scanners send it; FNC1 as python-stdnum and some encoders write it
SEPARATORS = (GS, "\xf1")
GS1_SYMBOLOGIES = ("]C1", "]e0", "]d2", "]Q3", "]J1")  # GS1-128, DataBar, DataMatrix, QR, DotCode
_SYMBOLOGY_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_GS1_CHARS = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$")  # GS1 character set 82
_PARENTHESISED = re.compile(r"\(([0-9]{2,4})\)")
_RAW_GS1_START = re.compile(r"^(00[0-9]{18}|0[12][0-9]{14})")


@dataclass(frozen=True)
class Problem:
    """Why a code is invalid: ``code`` never changes (pages and clients match on it),
    ``template`` is the English ``N_()`` sentence the edge translates, ``params`` fill it."""
    code: str
    template: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """In English, for logs and tests; pages translate ``template`` instead."""
        return self.template % self.params if self.params else self.template


def _problem_of(exc: ValidationError, **extra: Any) -> Problem:
    """An identifier's own refusal (wms.logistics.identifiers) as a scan problem."""
    code = "bad_check_digit" if exc.template == WRONG_CHECK_DIGIT else "bad_format"
    return Problem(code, exc.template, {**exc.params, **extra})


@dataclass(frozen=True)
class Scan:
    """What a scanned code is. ``parts`` holds the parsed fields, JSON-serialisable;
    ``problems`` says why an invalid code is invalid (empty when it is valid)."""
    kind: str
    valid: bool
    value: str
    parts: dict[str, Any] = field(default_factory=dict, hash=False)
    problems: tuple[Problem, ...] = ()

    @property
    def problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"problems": [asdict(p) for p in self.problems]}


class _Malformed(Exception):
    """An element string that cannot be split into AIs; nothing after the fault is known."""

    def __init__(self, code: str, template: str, **params: Any) -> None:
        super().__init__(code)
        self.problem = Problem(code, template, params)


class _BadValue(ValueError):
    """One AI's value that reads but means nothing (a 13th month, a short postal code)."""

    def __init__(self, code: str, template: str, **params: Any) -> None:
        super().__init__(code)
        self.problem = Problem(code, template, params)


@dataclass(frozen=True)
class _AI:
    name: str
    length: int
    fixed: bool
    numeric: bool
    convert: Callable[[str, str, datetime.date], Any] | None = None
    check: Callable[..., str] | None = None


def _gs1_date(value: str, ai: str, today: datetime.date) -> str:
    """YYMMDD as an ISO date; day 00 is the last day of the month and the century is the one
    that puts the year within 49 years back / 50 years ahead of today (GS1 General
    Specifications 7.12)."""
    yy, month, day = int(value[:2]), int(value[2:4]), int(value[4:])
    year = today.year - today.year % 100 + yy
    if year - today.year >= 51:
        year -= 100
    elif year - today.year <= -50:
        year += 100
    if not 1 <= month <= 12:
        raise _BadValue("gs1_bad_date", N_("(%(ai)s) %(value)s is not a date: there is no "
                                           "month %(month)s"), ai=ai, value=value, month=month)
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise _BadValue("gs1_bad_date", N_("(%(ai)s) %(value)s is not a date: %(month)s has "
                                           "%(days)s days"),
                        ai=ai, value=value, month=f"{year}-{month:02d}", days=last)
    return datetime.date(year, month, day or last).isoformat()


def _weight(value: str, ai: str, today: datetime.date) -> str:
    """330n: six digits with n decimals, kept as a decimal string so no precision is lost."""
    return f"{Decimal(int(value)).scaleb(-int(ai[-1])):f}"


def _count(value: str, ai: str, today: datetime.date) -> int:
    return int(value)


AIS: dict[str, _AI] = {
    "00": _AI("sscc", 18, True, True, check=validate_sscc),
    "01": _AI("gtin", 14, True, True, check=validate_gtin),
    "02": _AI("content_gtin", 14, True, True, check=validate_gtin),
    "10": _AI("lot", 20, False, False),
    "11": _AI("production_date", 6, True, True, convert=_gs1_date),
    "15": _AI("best_before", 6, True, True, convert=_gs1_date),
    "17": _AI("expiry", 6, True, True, convert=_gs1_date),
    "21": _AI("serial", 20, False, False),
    "37": _AI("count", 8, False, True, convert=_count),
    "400": _AI("order", 30, False, False),
    "401": _AI("ginc", 30, False, False),
    "402": _AI("gsin", 17, True, True, check=validate_gsin),
    "410": _AI("ship_to_gln", 13, True, True, check=validate_gln),
    "411": _AI("bill_to_gln", 13, True, True, check=validate_gln),
    "412": _AI("purchased_from_gln", 13, True, True, check=validate_gln),
    "413": _AI("ship_for_gln", 13, True, True, check=validate_gln),
    "414": _AI("location_gln", 13, True, True, check=validate_gln),
    "420": _AI("ship_to_postal", 20, False, False),
    "421": _AI("ship_to_postal", 12, False, False),
    **{f"330{n}": _AI("gross_weight_kg", 6, True, True, convert=_weight) for n in range(6)},
}

_stdnum_ais = numdb.get("gs1_ai")


def _lookup_ai(text: str) -> tuple[str, _AI]:
    """The AI at the start of ``text``: ours first, then python-stdnum's table so that AIs we
    do not interpret (net weight, price...) can still be skipped by their length."""
    for size in (2, 3, 4):
        if text[:size] in AIS:
            return text[:size], AIS[text[:size]]
    ai, info = _stdnum_ais.info(text)[0]
    if not info or not text.startswith(ai) or len(ai) < 2:
        raise _Malformed("gs1_unknown_ai", N_("Not a readable GS1 element string: unknown "
                                              "application identifier at “%(text)s”"),
                         text=text[:4])
    formats = info["format"].split("+")
    length = sum(int(re.sub(r"[^0-9]", " ", f).split()[-1]) for f in formats)
    fixed = not any(".." in f or "[" in f for f in formats)
    return ai, _AI(f"ai_{ai}", length, fixed, not re.search("[XY]", info["format"]))


def _check_value(ai: str, spec: _AI, value: str) -> None:
    if spec.fixed and len(value) != spec.length:
        raise _Malformed("gs1_wrong_length", N_("Not a readable GS1 element string: (%(ai)s) "
                                                "needs %(length)s characters, got %(got)s"),
                         ai=ai, length=spec.length, got=len(value))
    if not value:
        raise _Malformed("gs1_empty", N_("Not a readable GS1 element string: (%(ai)s) is "
                                         "empty"), ai=ai)
    if len(value) > spec.length:
        raise _Malformed("gs1_too_long", N_("Not a readable GS1 element string: (%(ai)s) is "
                                            "longer than %(length)s characters; is a GS "
                                            "separator missing?"), ai=ai, length=spec.length)
    if spec.numeric and not is_digits(value):
        raise _Malformed("gs1_not_digits", N_("Not a readable GS1 element string: (%(ai)s) "
                                              "must be digits only"), ai=ai)
    if not _GS1_CHARS.match(value):
        raise _Malformed("gs1_bad_characters", N_("Not a readable GS1 element string: "
                                                  "(%(ai)s) contains characters not allowed "
                                                  "in GS1 data"), ai=ai)


def _split_parenthesised(text: str) -> list[tuple[str, str]]:
    """``(AI)value`` pairs; separators some scanners add after a value are ignored."""
    pieces = _PARENTHESISED.split(text)
    if pieces[0]:
        raise _Malformed("gs1_text_before_ai", N_("Not a readable GS1 element string: "
                                                  "“%(text)s” comes before the first "
                                                  "application identifier"), text=pieces[0])
    fields = []
    for ai, value in zip(pieces[1::2], pieces[2::2]):
        value = value.strip("".join(SEPARATORS))
        known, spec = _lookup_ai(ai + value)
        if known != ai:
            raise _Malformed("gs1_unknown_ai", N_("Not a readable GS1 element string: unknown "
                                                  "application identifier (%(ai)s)"), ai=ai)
        _check_value(ai, spec, value)
        fields.append((ai, value))
    return fields


def _split_raw(text: str) -> list[tuple[str, str]]:
    """AIs one after another; a variable-length value runs to the next separator or the end,
    fixed-length values need none (a superfluous separator after them is tolerated)."""
    fields, pos = [], 0
    while pos < len(text):
        if text[pos] in SEPARATORS:
            pos += 1
            continue
        ai, spec = _lookup_ai(text[pos:])
        pos += len(ai)
        if spec.fixed:
            end = pos + spec.length
        else:
            end = min([i for i in (text.find(s, pos) for s in SEPARATORS) if i >= 0],
                      default=len(text))
        value = text[pos:end]
        _check_value(ai, spec, value)
        fields.append((ai, value))
        pos = end
    return fields


def parse_gs1(text: str, today: datetime.date | None = None) -> Scan:
    """A GS1 element string in any of the forms scanners send: with AIs in parentheses, raw
    with GS separators (optionally after a ``]C1`` symbology identifier), or raw without
    separators when only fixed-length AIs follow a variable one."""
    today = today or datetime.date.today()
    for prefix in GS1_SYMBOLOGIES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    try:
        fields = (_split_parenthesised(text) if text.startswith("(") else _split_raw(text))
        if not fields:
            raise _Malformed("gs1_no_ai", N_("Not a readable GS1 element string: no "
                                             "application identifier"))
    except _Malformed as exc:
        return Scan("gs1", False, text, {}, (exc.problem,))
    ais: dict[str, str] = {}
    parts: dict[str, Any] = {}
    errors: list[Problem] = []
    for ai, value in fields:
        if ais.get(ai, value) != value:
            errors.append(Problem("gs1_duplicate_ai", N_("(%(ai)s) appears twice with "
                                                         "different values"), {"ai": ai}))
            continue
        ais[ai] = value
        spec = AIS.get(ai)
        if spec is None:
            continue
        try:
            if spec.check is not None:
                spec.check(value, field=spec.name)
            if ai == "421":
                if len(value) < 4 or not is_digits(value[:3]):
                    raise _BadValue("gs1_bad_postal", N_("(421) must be a 3-digit ISO country "
                                                         "code and a postal code"))
                parts["ship_to_country"], value = value[:3], value[3:]
            parts[spec.name] = spec.convert(value, ai, today) if spec.convert else value
        except ValidationError as exc:
            parts[spec.name] = value
            errors.append(_problem_of(exc, ai=ai))
        except _BadValue as exc:
            errors.append(exc.problem)
    parts["ai"] = ais
    normalised = "".join(f"({ai}){value}" for ai, value in ais.items())
    if len(fields) == 1 and "00" in ais:
        return _sscc(ais["00"], tuple(errors))
    if len(fields) == 1 and "01" in ais:
        return _gtin(ais["01"], tuple(errors))
    return Scan("gs1", not errors, normalised, parts, tuple(errors))


def _sscc(number: str, problems: tuple[Problem, ...] = ()) -> Scan:
    parts = {"extension": number[0], "reference": number[1:17], "check": number[17]}
    problems = problems or _problems(validate_sscc, number)
    return Scan("sscc", not problems, number, parts, problems)


def _gtin(number: str, problems: tuple[Problem, ...] = ()) -> Scan:
    parts = {"gtin14": number.rjust(14, "0"), "check": number[-1]}
    problems = problems or _problems(validate_gtin, number)
    return Scan("gtin", not problems, number, parts, problems)


def _problems(validate: Callable[[str], str], value: str) -> tuple[Problem, ...]:
    try:
        validate(value)
    except ValidationError as exc:
        return (_problem_of(exc),)
    return ()


def classify(code: str, *, today: datetime.date | None = None) -> Scan:
    """What a scanned code is. ``today`` fixes the century of GS1 dates (tests)."""
    original = (code or "").strip(" \t\r\n")
    if not original:
        return Scan("text", False, "", {}, (Problem("nothing_scanned",
                                                    N_("Nothing was scanned.")),))
    text = original
    symbology = _SYMBOLOGY_ID.match(text)
    if symbology and symbology.group() not in GS1_SYMBOLOGIES:
        text = text[3:]
    if (symbology and symbology.group() in GS1_SYMBOLOGIES) or any(s in text for s in SEPARATORS) \
            or _PARENTHESISED.match(text):
        return parse_gs1(text, today)
    compact = clean(text)
    if is_digits(compact) and len(compact) == 18:
        return _sscc(compact)
    if is_digits(compact) and len(compact) in GTIN_LENGTHS:
        return _gtin(compact)
    if _RAW_GS1_START.match(text):
        return parse_gs1(text, today)
    if match := S10_PATTERN.match(compact):
        service, serial, check, country = match.groups()
        parts = {"service": service, "serial": serial, "check": check, "country": country}
        problems = _problems(validate_s10, compact)
        return Scan("s10", not problems, compact, parts, problems)
    if match := AWB_PATTERN.match(compact):
        prefix, serial, check = match.groups()
        parts = {"prefix": prefix, "serial": serial, "check": check}
        problems = _problems(validate_awb, compact)
        return Scan("awb", not problems, f"{prefix}-{serial}{check}", parts, problems)
    container = clean(text, drop="-")
    if match := CONTAINER_PATTERN.match(container):
        owner, category, serial, check = match.groups()
        parts = {"owner": owner, "category": category, "serial": serial, "check": check}
        problems = _problems(validate_container, container)
        return Scan("container", not problems, container, parts, problems)
    return Scan("text", True, original)
