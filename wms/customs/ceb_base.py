"""The ground the CEB modules share: namespaces, the error and problem types, field specs and
the rendering of values (dates in Beijing time, decimals without trailing zeros).

A field spec says, for one business element, the element's name, the dataclass attribute
that holds its value, how the value is written, whether the schema requires it and the
schema's length limit. The specs follow the order of the XSD sequences (rev. 202205); the
tests derive that order from the XSD and compare.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

from wms.core.xml import parse_untrusted_xml
from wms.core.errors import N_, ValidationError

CEB_NS = "http://www.chinaport.gov.cn/ceb"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"ceb": CEB_NS}


def _beijing() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database on this host: China has kept UTC+8 without DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


BEIJING = _beijing()

GUID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def new_guid() -> str:
    """A message or record guid as customs wants it: 36 characters, upper case."""
    return str(uuid.uuid4()).upper()


class CebValidationError(ValidationError):
    """A CEB message that breaks the schema or a business rule.

    ``field`` names the element path, e.g. ``InventoryList[2].gcode`` (list indexes count
    from 1, like ``gnum``); ``errors`` holds every ``(field, message)`` found, the first of
    which is this error's own.
    """
    code = "ceb_invalid"

    def __init__(self, message: str, *, field: str | None = None,
                 errors: list[tuple[str | None, str]] | None = None, **params: Any) -> None:
        super().__init__(message, field=field, **params)
        self.errors = errors if errors is not None else [(field, self.message)]


@dataclass(frozen=True)
class Problem:
    """One broken business rule: the element path to blame, a stable code, an English
    message template (marked for translation) and its parameters."""
    field: str
    code: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def problems_error(problems: list[Problem]) -> CebValidationError:
    first = problems[0]
    return CebValidationError(first.template, field=first.field, error_code=first.code,
                              errors=[(p.field, p.message) for p in problems], **first.params)


# --- field specs -------------------------------------------------------------------------

# kinds: str, dec (xs:decimal 19.5), int, time (datetime -> YYYYMMDDhhmmss), date
# (datetime/date -> YYYYMMDD), hs (export HS code: 4/6/10 digits, written as 10)

def snake(name: str) -> str:
    """``acturalPaid`` -> ``actural_paid``, ``fCurrency`` -> ``f_currency``, ``POD`` -> ``pod``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class F:
    """One element of a business block."""
    elem: str
    kind: str = "str"
    required: bool = True
    max_len: int | None = None      # xs:maxLength
    length: int | None = None       # xs:length (exact)
    min_len: int | None = None      # xs:minLength beyond 1 (POD)
    attr: str = ""

    def __post_init__(self) -> None:
        if not self.attr:
            object.__setattr__(self, "attr", snake(self.elem))


def s(elem: str, max_len: int, required: bool = True) -> F:
    return F(elem, "str", required, max_len=max_len)


def o(elem: str, max_len: int) -> F:
    """An optional text element."""
    return F(elem, "str", False, max_len=max_len)


def fixed(elem: str, length: int, required: bool = True) -> F:
    return F(elem, "str", required, length=length)


def dec(elem: str, required: bool = True) -> F:
    return F(elem, "dec", required)


def integer(elem: str, required: bool = True) -> F:
    return F(elem, "int", required)


def time14(elem: str, required: bool = True) -> F:
    return F(elem, "time", required, length=14)


def date8(elem: str, required: bool = True) -> F:
    return F(elem, "date", required, length=8)


# --- rendering ---------------------------------------------------------------------------

def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, (int, str)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"not an amount: {value!r}")


def fmt_decimal(value: Any) -> str:
    """``Decimal("198.00")`` -> ``"198"``, ``Decimal("19.90")`` -> ``"19.9"``; never an
    exponent."""
    d = to_decimal(value)
    if not d.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    d = d.normalize()
    if d == 0:
        return "0"
    return format(d, "f")


def decimal_digits(value: Any) -> tuple[int, int]:
    """(total digits, fraction digits) of an amount as written by ``fmt_decimal``."""
    text = fmt_decimal(value).lstrip("-")
    whole, _, frac = text.partition(".")
    whole = whole.lstrip("0")
    return len(whole) + len(frac), len(frac)


def beijing(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a naive datetime: CEB times need an aware datetime")
    return value.astimezone(BEIJING)


def fmt_time(value: datetime) -> str:
    """YYYYMMDDhhmmss in Beijing time."""
    return beijing(value).strftime("%Y%m%d%H%M%S")


def fmt_date(value: date | datetime) -> str:
    """YYYYMMDD: an aware datetime is taken to Beijing time first; a date is taken as is."""
    if isinstance(value, datetime):
        return beijing(value).strftime("%Y%m%d")
    return value.strftime("%Y%m%d")


def fmt_hs(value: str) -> str:
    """An export HS code: a 4- or 6-digit simplified code is written as 10 characters, the
    tariff digits followed by zeros (the schema's ``gcode`` is exactly 10 long)."""
    code = str(value).strip()
    return code.ljust(10, "0") if len(code) in (4, 6) and code.isdigit() else code


def render(spec: F, value: Any) -> str:
    if spec.kind == "dec":
        return fmt_decimal(value)
    if spec.kind == "int":
        return str(int(value))
    if spec.kind == "time":
        return fmt_time(value)
    if spec.kind == "date":
        return fmt_date(value)
    if spec.kind == "hs":
        return fmt_hs(value)
    return str(value)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def parse_return_time(text: str) -> datetime:
    """``yyyyMMddHHmmssfff`` (Beijing time) -> an aware datetime; 14 digits are accepted
    too."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{14}(\d{3})?", text):
        raise ValidationError(N_("returnTime %(value)s is not yyyyMMddHHmmssfff"),
                              field="returnTime", value=text)
    try:
        moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        raise ValidationError(N_("returnTime %(value)s is not a valid time"),
                              field="returnTime", value=text) from None
    millis = int(text[14:] or 0)
    return moment.replace(microsecond=millis * 1000, tzinfo=BEIJING)





# --- parsing -----------------------------------------------------------------------------

def parse_xml(data: bytes | str):
    """A message or receipt as an lxml element, with a parser that resolves no entities,
    loads no DTD and touches no network; a document with a DOCTYPE is refused.
    Malformed XML: ``ValidationError`` naming ``xml``."""
    return parse_untrusted_xml(data, field="xml", error_code="ceb_xml")


def local_name(element) -> str:
    from lxml import etree
    return etree.QName(element).localname


__all__ = ["CEB_NS", "DS_NS", "NSMAP", "BEIJING", "GUID_RE", "new_guid", "CebValidationError",
           "Problem", "problems_error", "F", "snake", "to_decimal", "fmt_decimal", "fmt_time",
           "fmt_date", "fmt_hs", "render", "is_blank", "parse_return_time", "decimal_digits",
           "parse_xml", "local_name"]
