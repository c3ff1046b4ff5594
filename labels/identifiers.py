"""Identifier validation for labels: check digits are computed here, never trusted.

A label that prints a wrong check digit is worse than no label: the scanner rejects it at
the dock, or worse, a wrong but valid-looking number is booked. Every identifier a layout
prints as a barcode passes through one of these functions first. Each returns the
normalised form and raises :class:`LabelDataError` naming the field otherwise.

The wms package keeps its own copies of the S10 and AWB algorithms on purpose: ``labels``
must stay importable without ``wms`` and the reverse.
"""

import re

from stdnum import ean, iso6346
from stdnum.exceptions import ValidationError

from labels.errors import LabelDataError

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_AWB = re.compile(r"^(\d{3})[- ]?(\d{7})(\d)$")
_IATA_AIRPORT = re.compile(r"^[A-Z]{3}$")


def _compact(value: str) -> str:
    return re.sub(r"[\s-]", "", str(value)).upper()


def gs1_check_digit(digits: str) -> str:
    """GS1 mod 10 check digit (weights 3,1 from the right) for any GS1 key length."""
    return ean.calc_check_digit(digits)


def _gs1_key(field: str, value: str, lengths: tuple, label: str) -> str:
    number = _compact(value)
    if not number.isdigit():
        raise LabelDataError(field, f"{label} must be digits only, got {value!r}")
    if len(number) not in lengths:
        allowed = "/".join(str(n) for n in lengths)
        raise LabelDataError(field, f"{label} must have {allowed} digits, got {len(number)}")
    expected = gs1_check_digit(number[:-1])
    if number[-1] != expected:
        raise LabelDataError(field, f"check digit should be {expected}")
    return number


def gtin(field: str, value: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it unpadded."""
    return _gs1_key(field, value, (8, 12, 13, 14), "GTIN")


def gtin14(field: str, value: str) -> str:
    """Validate a GTIN and return it left-padded to the 14 digits AI (01)/(02) require."""
    return gtin(field, value).zfill(14)


def sscc(field: str, value: str) -> str:
    """Validate an SSCC-18 (extension digit, company prefix, serial, GS1 check digit)."""
    return _gs1_key(field, value, (18,), "SSCC")


def s10_check_digit(serial: str) -> str:
    """UPU S10 check digit of an 8-digit serial: 11 - (weighted sum mod 11); 10->0, 11->5."""
    check = 11 - sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS)) % 11
    return {10: "0", 11: "5"}.get(check, str(check))


def is_s10(value: str) -> bool:
    """Whether the value has the shape of an S10 item number (check digit not yet checked)."""
    return bool(_S10.match(_compact(value)))


def s10(field: str, value: str) -> str:
    """Validate a UPU S10 item number such as RR123456785CN."""
    number = _compact(value)
    match = _S10.match(number)
    if not match:
        raise LabelDataError(field, f"not a UPU S10 number (AA12345678 9 CC): {value!r}")
    expected = s10_check_digit(match.group(2))
    if match.group(3) != expected:
        raise LabelDataError(field, f"check digit should be {expected}")
    return number


def awb(field: str, value: str) -> str:
    """Validate an IATA air waybill number; returns the 11 digits (prefix + serial + check)."""
    match = _AWB.match(str(value).strip())
    if not match:
        raise LabelDataError(field, f"not an air waybill number (176-12345675): {value!r}")
    prefix, serial, check = match.groups()
    expected = str(int(serial) % 7)
    if check != expected:
        raise LabelDataError(field, f"check digit should be {expected}")
    return prefix + serial + check


def format_awb(number: str) -> str:
    """Print form of an 11-digit AWB: 176-1234 5675, as airlines and handlers read it."""
    return f"{number[:3]}-{number[3:7]} {number[7:]}"


def container(field: str, value: str) -> str:
    """Validate an ISO 6346 container number (owner, category U/J/Z, serial, check)."""
    number = _compact(value)
    if len(number) != 11 or not re.match(r"^[A-Z]{3}[UJZ]\d{7}$", number):
        raise LabelDataError(field, f"not an ISO 6346 container number (CSQU3054383): {value!r}")
    try:
        return iso6346.validate(number)
    except ValidationError:
        raise LabelDataError(
            field, f"check digit should be {iso6346.calc_check_digit(number[:10])}"
        ) from None


def format_container(number: str) -> str:
    """Print form of a container number: CSQU 305438 3, the way it is painted on the box."""
    return f"{number[:4]} {number[4:10]} {number[10]}"


def airport(field: str, value: str) -> str:
    """An IATA airport code: three letters."""
    code = str(value).strip().upper()
    if not _IATA_AIRPORT.match(code):
        raise LabelDataError(field, f"IATA airport code must be 3 letters, got {value!r}")
    return code
