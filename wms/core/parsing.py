"""Input from the edges, parsed once: ids, pages, quantities and text that the database can hold.

Python's ``str.isdigit()`` and ``int()`` accept superscript and Arabic-Indic digits, ``Decimal``
accepts ``1e25`` and ``NaN``, and PostgreSQL refuses NUL bytes and integers beyond its
column: each of those used to reach the database and come back as a 500. Every parser here
answers a ``ValidationError`` naming the field instead, so a bad value is a 422, never a 5xx,
and nothing is written.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import N_, ValidationError

INT_MAX = 2**31 - 1  # PostgreSQL ``integer``: every primary and foreign key of the schema
BIGINT_MAX = 2**63 - 1
MAX_PAGE = 1_000_000  # far beyond any listing; keeps LIMIT/OFFSET inside bigint
ASCII_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
ASCII_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
MAX_DIGITS_TEXT = 40  # longer digit strings are refused before int() has to read them


def ascii_digits(text: Any) -> bool:
    """True for a non-empty string of ASCII digits only (``"٣"`` and ``"³"`` are not)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def ascii_id(value: Any) -> int | None:
    """An id typed or scanned as ASCII digits, or None if it is not one: for lookups that
    fall back to a name. Digits beyond what the id columns hold give 0, which names
    nothing, so the lookup answers "not found" instead of overflowing the column."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not ascii_digits(text):
        return None
    if len(text) > MAX_DIGITS_TEXT:
        return 0
    number = int(text)
    return number if number <= INT_MAX else 0


def parse_int(value: Any, field: str, *, minimum: int = -INT_MAX - 1,
              maximum: int = INT_MAX) -> int:
    """An integer written with ASCII digits (or a JSON integer) within [minimum, maximum]."""
    if isinstance(value, bool):
        raise ValidationError(N_("Expected a whole number"), field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DIGITS_TEXT or not ASCII_INTEGER.fullmatch(text):
            raise ValidationError(N_("Expected a whole number"), field=field)
        number = int(text)
    else:
        raise ValidationError(N_("Expected a whole number"), field=field)
    if number < minimum or number > maximum:
        raise ValidationError(N_("Must be between %(min)s and %(max)s"), field=field,
                              min=minimum, max=maximum)
    return number


def parse_id(value: Any, field: str = "id") -> int:
    """A record id: 1 to 2^31-1, ASCII digits only."""
    return parse_int(value, field, minimum=1, maximum=INT_MAX)


def parse_page(value: Any, field: str = "page", *, default: int = 1,
               maximum: int = MAX_PAGE) -> int:
    """A page number (1-based); missing or empty gives ``default``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return parse_int(value, field, minimum=1, maximum=maximum)


def decimal_bounds(precision: int, scale: int) -> Decimal:
    """The largest magnitude a ``Numeric(precision, scale)`` column holds."""
    return Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)


def parse_decimal(value: Any, field: str, *, precision: int = 14, scale: int = 4,
                  minimum: Decimal | int | None = None,
                  maximum: Decimal | int | None = None) -> Decimal:
    """A finite decimal that fits ``Numeric(precision, scale)`` and [minimum, maximum].

    Strings are plain ASCII decimals (no exponent, no NaN or Infinity); JSON numbers are read
    through their text so 0.1 stays 0.1. More decimal places than the column keeps are
    refused rather than silently rounded.
    """
    if isinstance(value, bool):
        raise ValidationError(N_("Quantity must be a number"), field=field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_DIGITS_TEXT or not ASCII_DECIMAL.fullmatch(text):
            raise ValidationError(N_("Quantity must be a number"), field=field)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(N_("Quantity must be a number"), field=field) from None
    else:
        raise ValidationError(N_("Quantity must be a number"), field=field)
    if not number.is_finite():
        raise ValidationError(N_("Quantity must be a number"), field=field)
    limit = decimal_bounds(precision, scale)
    low = -limit if minimum is None else max(Decimal(minimum), -limit)
    high = limit if maximum is None else min(Decimal(maximum), limit)
    if number < low or number > high:
        raise ValidationError(N_("Must be between %(min)s and %(max)s"), field=field,
                              min=_plain(low), max=_plain(high))
    if number != number.quantize(Decimal(1).scaleb(-scale), rounding="ROUND_DOWN"):
        raise ValidationError(N_("At most %(n)s decimal places"), field=field, n=scale)
    return number


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_text(value: str, field: str, *, max_length: int | None = None) -> str:
    """Text the database can store: no NUL character, no unpaired surrogate."""
    if not isinstance(value, str):
        raise ValidationError(N_("Expected text"), field=field)
    if "\x00" in value:
        raise ValidationError(N_("Text may not contain a NUL character"), field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(N_("Text is not valid Unicode"), field=field) from None
    if max_length is not None and len(value) > max_length:
        raise ValidationError(N_("At most %(n)s characters"), field=field, n=max_length)
    return value


def parse_text(value: Any, field: str, *, max_length: int | None = None,
               required: bool = False) -> str | None:
    """Trimmed text or None when empty (an error when ``required``)."""
    if value is None:
        text = ""
    else:
        text = check_text(value, field, max_length=max_length).strip()
    if not text:
        if required:
            raise ValidationError(N_("This field is required"), field=field)
        return None
    return text


def check_json_text(data: Any, field: str = "") -> None:
    """Every string (keys too) in a parsed JSON document is storable text; iterative, so
    the document's depth cannot exhaust the stack."""
    stack: list[tuple[Any, str]] = [(data, field)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            check_text(node, path or "body")
        elif isinstance(node, dict):
            for key, item in node.items():
                check_text(key, path or "body")
                name = f"{path}.{key}" if path else str(key)
                stack.append((item, name))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))


def parse_aware_datetime(value: Any, field: str) -> datetime | None:
    """An ISO 8601 time with its zone (a warehouse in Lanzhou and a train in Duisburg must not
    guess each other's clock); empty gives None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                                  field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"), field=field)
    return parsed


def decode_text_upload(content: bytes, field: str = "file") -> str:
    """An uploaded text file: UTF-8 (with or without BOM), else GB18030, as Excel saves CSV
    on Chinese Windows."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError(N_("The file is neither UTF-8 nor GB18030 text"),
                                  field=field) from None
