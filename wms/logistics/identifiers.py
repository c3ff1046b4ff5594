"""Check digits of the identifiers a bonded warehouse scans and prints.

S10 postal items and IATA air waybills are computed here (python-stdnum has neither);
ISO 6346 containers and GS1 keys (GTIN, SSCC, GLN, GSIN) are thin wrappers around
python-stdnum so every identifier fails the same way: a ``ValidationError`` naming the field,
and, when only the check digit is wrong, saying which digit was expected.
"""
from __future__ import annotations

import re
import unicodedata

from stdnum import ean, iso6346, luhn

from wms.core.errors import N_, ValidationError

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_PATTERN = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")
AWB_PATTERN = re.compile(r"^([0-9]{3})-?([0-9]{7})([0-9])$")
CONTAINER_PATTERN = re.compile(r"^([A-Z]{3})([UJZ])([0-9]{6})([0-9])$")
GTIN_LENGTHS = (8, 12, 13, 14)

WRONG_CHECK_DIGIT = N_("Wrong check digit in %(value)s: it should be %(expected)s")

_BLANKS = re.compile(r"[ \t\r\n\f\v]+")
_DIGITS = re.compile(r"^[0-9]+$")


def clean(value: str | None, drop: str = "") -> str:
    """Scanner and keyboard noise removed: full-width characters (Chinese input methods) made
    ASCII, blanks and the ``drop`` characters removed, letters upper-cased.

    Only explicit blanks are removed: ``str.split`` and ``\\s`` would also eat the GS
    separator (0x1D) of GS1 element strings.
    """
    value = _BLANKS.sub("", unicodedata.normalize("NFKC", value or ""))
    for char in drop:
        value = value.replace(char, "")
    return value.upper()


def is_digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts superscripts and other scripts."""
    return bool(_DIGITS.match(value))


def _check(value: str, actual: str, expected: str, field: str) -> None:
    if actual != expected:
        raise ValidationError(WRONG_CHECK_DIGIT, field=field, value=value,
                              expected=expected, actual=actual)


# UPU S10 ------------------------------------------------------------------------------------

def s10_check_digit(serial8: str) -> str:
    """The S10 check digit of an 8-digit serial (UPU S10, weights 8 6 4 2 3 5 9 7, mod 11)."""
    if len(serial8 or "") != 8 or not is_digits(serial8):
        raise ValidationError(N_("An S10 serial number has 8 digits"), field="serial")
    check = 11 - sum(int(d) * w for d, w in zip(serial8, S10_WEIGHTS)) % 11
    return str({10: 0, 11: 5}.get(check, check))


def validate_s10(value: str, field: str = "s10") -> str:
    """An S10 item number such as RR123456785CN, upper-cased with blanks removed."""
    number = clean(value)
    match = S10_PATTERN.match(number)
    if not match:
        raise ValidationError(
            N_("An S10 item number is 2 letters, 9 digits and 2 letters, like RR123456785CN"),
            field=field)
    _check(number, match.group(3), s10_check_digit(match.group(2)), field)
    return number


def make_s10(service: str, serial: int, country: str) -> str:
    """A new S10 item number from the service indicator, serial and ISO country code."""
    service, country = clean(service), clean(country)
    if not re.match(r"^[A-Z]{2}$", service):
        raise ValidationError(N_("An S10 service indicator is 2 letters"), field="service")
    if not re.match(r"^[A-Z]{2}$", country):
        raise ValidationError(N_("A country code is 2 letters"), field="country")
    if not 0 <= serial < 10 ** 8:
        raise ValidationError(N_("An S10 serial number has 8 digits"), field="serial")
    serial8 = f"{serial:08d}"
    return f"{service}{serial8}{s10_check_digit(serial8)}{country}"


# IATA air waybill ---------------------------------------------------------------------------

def awb_check_digit(serial7: str) -> str:
    """The air waybill check digit: the 7-digit serial modulo 7 (the airline prefix is not
    covered)."""
    if len(serial7 or "") != 7 or not is_digits(serial7):
        raise ValidationError(N_("An air waybill serial number has 7 digits"), field="serial")
    return str(int(serial7) % 7)


def validate_awb(value: str, field: str = "awb") -> str:
    """An air waybill number with or without the hyphen, normalised as 176-12345675."""
    match = AWB_PATTERN.match(clean(value))
    if not match:
        raise ValidationError(
            N_("An air waybill number is a 3-digit airline prefix and 8 digits, like 176-12345675"),
            field=field)
    prefix, serial, check = match.groups()
    number = f"{prefix}-{serial}{check}"
    _check(number, check, awb_check_digit(serial), field)
    return number


def make_awb(prefix: str, serial: int) -> str:
    """A new air waybill number from the airline's 3-digit prefix and a 7-digit serial."""
    prefix = clean(prefix)
    if len(prefix) != 3 or not is_digits(prefix):
        raise ValidationError(N_("An airline prefix has 3 digits"), field="prefix")
    if not 0 <= serial < 10 ** 7:
        raise ValidationError(N_("An air waybill serial number has 7 digits"), field="serial")
    serial7 = f"{serial:07d}"
    return f"{prefix}-{serial7}{awb_check_digit(serial7)}"


# ISO 6346 container -------------------------------------------------------------------------

def validate_container(value: str, field: str = "container") -> str:
    """An ISO 6346 container number such as CSQU3054383 (owner, category U/J/Z, serial,
    check digit), upper-cased with blanks and hyphens removed."""
    number = clean(value, drop="-")
    if not CONTAINER_PATTERN.match(number):
        raise ValidationError(
            N_("A container number is 3 letters, U, J or Z and 7 digits, like CSQU3054383"),
            field=field)
    _check(number, number[-1], iso6346.calc_check_digit(number[:-1]), field)
    return number


# GS1 keys -----------------------------------------------------------------------------------

def gs1_check_digit(payload: str) -> str:
    """The GS1 mod-10 check digit (weights 3, 1 from the right) of any digit string."""
    if not payload or not is_digits(payload):
        raise ValidationError(N_("A GS1 number has only digits"), field="gs1")
    return ean.calc_check_digit(payload)


def _gs1_key(value: str, lengths: tuple[int, ...], message: str, field: str) -> str:
    number = clean(value, drop="-")
    if len(number) not in lengths or not is_digits(number):
        raise ValidationError(message, field=field)
    _check(number, number[-1], gs1_check_digit(number[:-1]), field)
    return number


def validate_gtin(value: str, field: str = "gtin") -> str:
    """A GTIN-8, -12, -13 or -14, digits only, check digit verified; its length is kept."""
    return _gs1_key(value, GTIN_LENGTHS, N_("A GTIN has 8, 12, 13 or 14 digits"), field)


def validate_sscc(value: str, field: str = "sscc") -> str:
    """An SSCC as 18 digits; the GS1 forms ``00`` + 18 digits and ``(00)`` + 18 digits are
    accepted too, since that is what a scanner reads off a pallet label."""
    number = clean(value)
    if number.startswith("(00)"):
        number = number[4:]
    elif len(number) == 20 and number.startswith("00"):
        number = number[2:]
    return _gs1_key(number, (18,), N_("An SSCC has 18 digits"), field)


def make_sscc(extension: int, company_prefix: str, serial: int) -> str:
    """A new SSCC: extension digit, GS1 company prefix, serial zero-padded to fill 16 digits,
    check digit."""
    company_prefix = clean(company_prefix)
    if not 0 <= extension <= 9:
        raise ValidationError(N_("An SSCC extension digit is 0 to 9"), field="extension")
    if not 4 <= len(company_prefix) <= 12 or not is_digits(company_prefix):
        raise ValidationError(N_("A GS1 company prefix has 4 to 12 digits"),
                              field="company_prefix")
    room = 16 - len(company_prefix)
    if not 0 <= serial < 10 ** room:
        raise ValidationError(
            N_("Serial %(serial)s does not fit the %(room)s digits left by the company prefix"),
            field="serial", serial=serial, room=room)
    payload = f"{extension}{company_prefix}{serial:0{room}d}"
    return payload + gs1_check_digit(payload)


def validate_gln(value: str, field: str = "gln") -> str:
    """A GLN (Global Location Number): 13 digits, check digit verified."""
    return _gs1_key(value, (13,), N_("A GLN has 13 digits"), field)


def validate_gsin(value: str, field: str = "gsin") -> str:
    """A GSIN (Global Shipment Identification Number): 17 digits, check digit verified."""
    return _gs1_key(value, (17,), N_("A GSIN has 17 digits"), field)


# UPU S9 receptacle (mail bag) ---------------------------------------------------------------

# Origin and destination office of exchange (6 each), mail category (A air, B SAL, C surface,
# D priority by surface), subclass (2), last digit of the year, dispatch number (4),
# receptacle serial (3), highest-receptacle indicator (0, 1, 9), registered/insured indicator
# (0, 1, 9), weight in hectograms (4): 29 characters, no check digit.
RECEPTACLE_PATTERN = re.compile(
    r"^(?P<origin>[A-Z]{5}[A-Z0-9])(?P<destination>[A-Z]{5}[A-Z0-9])(?P<category>[A-D])"
    r"(?P<subclass>[A-Z][A-Z0-9])(?P<year>[0-9])(?P<dispatch>[0-9]{4})(?P<serial>[0-9]{3})"
    r"(?P<last>[019])(?P<registered>[019])(?P<weight>[0-9]{4})$")


def validate_receptacle(value: str, field: str = "receptacle") -> str:
    """A UPU receptacle identifier (S9), 29 characters, such as
    CNLHWADEFRAAAUN60001001000125: origin and destination office of exchange, category,
    subclass, year, dispatch, receptacle serial, indicators and weight."""
    number = clean(value)
    if len(number) != 29:
        raise ValidationError(N_("A UPU receptacle id has 29 characters, like "
                                 "CNLHWADEFRAAAUN60001001000125; this one has %(n)s"),
                              field=field, n=len(number))
    match = RECEPTACLE_PATTERN.match(number)
    if not match:
        raise ValidationError(N_("%(value)s is not a UPU receptacle id: two offices of "
                                 "exchange, category A-D, subclass, year, dispatch, serial, "
                                 "indicators and weight"), field=field, value=number)
    if match["dispatch"] == "0000" or match["serial"] == "000":
        raise ValidationError(N_("Dispatch and receptacle numbers start at 1"), field=field)
    return number


# IATA ULD and UIC wagon ---------------------------------------------------------------------

# ULD type code (3 letters), serial (4 or 5 digits), owner: the airline's 2-character code.
ULD_PATTERN = re.compile(r"^([A-Z]{3})([0-9]{4,5})([A-Z0-9]{2})$")
UIC_WAGON_PATTERN = re.compile(r"^[0-9]{12}$")


def validate_uld(value: str, field: str = "uld") -> str:
    """An IATA ULD identifier such as AKE12345CA (no check digit)."""
    number = clean(value, drop="-")
    if not ULD_PATTERN.match(number):
        raise ValidationError(N_("A ULD number is 3 letters, 4 or 5 digits and the owner's "
                                 "2-character code, like AKE12345CA"), field=field)
    return number


def validate_uic_wagon(value: str, field: str = "wagon") -> str:
    """A 12-digit UIC wagon number (Europe, the 1520 mm network), Luhn check digit verified."""
    number = clean(value, drop="-.")
    if not UIC_WAGON_PATTERN.match(number):
        raise ValidationError(N_("A UIC wagon number has 12 digits"), field=field)
    _check(number, number[-1], luhn.calc_check_digit(number[:-1]), field)
    return number
