"""A product's customs data checked as a whole: what registering and editing both must hold.

HS code (10 digits), units and the country against the customs code tables, legal units
with their conversion factors, VAT and consumption-tax rates with the consumption-tax basis
(the cosmetics threshold needs a legal unit it can measure per ml, g, piece or sheet), the
record number (备案号) and the two flags. Every error names its field.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from wms.core.errors import N_, ValidationError
from wms.customs.codes import check_code
from wms.customs.tax import TAX_BASES, threshold_of

HS_CODE = re.compile(r"^\d{10}$")
RECORD_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,29}$")
TEXT_LIMITS = {"name_zh": 200, "name_en": 200, "category": 60, "gname": 250, "gmodel": 250}


def decimal_of(value, field: str, *, allow_zero: bool = True) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Must be a number"), field=field) from None
    if not number.is_finite() or number < 0 or (not allow_zero and number == 0):
        raise ValidationError(N_("Must be a positive number"), field=field)
    return number


def _flag(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("0", "false", "no", "n", "off", ""):
        return False
    raise ValidationError(N_("Expected %(type)s"), field=field, type="boolean")


def _optional_text(value) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else value
    return text or None


def customs_values(session: Session, values: dict) -> dict:
    """The product's fields normalised; a ValidationError for the first one that is wrong."""
    out = dict(values)
    for field, limit in TEXT_LIMITS.items():
        if field in out:
            out[field] = _optional_text(out[field])
            if out[field] and len(out[field]) > limit:
                raise ValidationError(N_("At most %(n)s characters"), field=field, n=limit)
    if not out.get("name_zh"):
        raise ValidationError(N_("Name is required"), field="name_zh")
    if not HS_CODE.match(str(out.get("hs_code") or "")):
        raise ValidationError(N_("HS code must have 10 digits"), field="hs_code")
    for field in ("gname", "gmodel"):
        if not out.get(field):
            raise ValidationError(N_("This field is required"), field=field)
    for field in ("customs_unit", "legal_unit1", "origin_country"):
        out[field] = _optional_text(out.get(field))
        if not out[field]:
            raise ValidationError(N_("This field is required"), field=field)
    out["legal_unit2"] = _optional_text(out.get("legal_unit2"))
    for field in ("customs_unit", "legal_unit1", "legal_unit2"):
        check_code(session, "unit", out[field], field)
    check_code(session, "country", out["origin_country"], "origin_country")
    out["legal_factor1"] = decimal_of(out.get("legal_factor1", 1), "legal_factor1",
                                      allow_zero=False)
    if out["legal_unit2"]:
        if out.get("legal_factor2") in (None, ""):
            raise ValidationError(N_("A second legal unit needs its conversion factor"),
                                  field="legal_factor2")
        out["legal_factor2"] = decimal_of(out["legal_factor2"], "legal_factor2",
                                          allow_zero=False)
    else:
        out["legal_factor2"] = None
    net = decimal_of(out.get("net_weight_kg", 0), "net_weight_kg")
    gross = decimal_of(out.get("gross_weight_kg", 0), "gross_weight_kg")
    if gross < net:
        raise ValidationError(N_("Gross weight cannot be less than net weight"),
                              field="gross_weight_kg")
    out["net_weight_kg"], out["gross_weight_kg"] = net, gross
    out["declared_price"] = decimal_of(out.get("declared_price", 0), "declared_price")
    for field, default in (("vat_rate", "0.13"), ("consumption_tax_rate", "0")):
        rate = decimal_of(out.get(field, default), field)
        if rate >= 1:
            raise ValidationError(N_("A tax rate is a fraction below 1, e.g. 0.13"), field=field)
        out[field] = rate
    basis = out.get("consumption_tax_basis") or "ad_valorem"
    if basis not in TAX_BASES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="consumption_tax_basis",
                              values=", ".join(TAX_BASES))
    if basis == "cosmetics_threshold":
        if out["consumption_tax_rate"] == 0:
            raise ValidationError(N_("The cosmetics threshold needs a consumption-tax rate"),
                                  field="consumption_tax_rate")
        if threshold_of(out["legal_unit1"]) is None:
            raise ValidationError(N_("The cosmetics threshold measures the price per ml, g, "
                                     "piece or sheet: the first legal unit must be one of "
                                     "those (or kg, l)"), field="legal_unit1")
    out["consumption_tax_basis"] = basis
    record_no = _optional_text(out.get("item_record_no"))
    if record_no and not RECORD_NO.match(record_no):
        raise ValidationError(N_("A record number is 1-30 letters, digits or '-'"),
                              field="item_record_no")
    out["item_record_no"] = record_no
    positive = out.get("positive_list")
    out["positive_list"] = bool(record_no) if positive is None else _flag(positive,
                                                                           "positive_list")
    out["simplified_export"] = _flag(out.get("simplified_export", False), "simplified_export")
    for field in ("track_lot", "track_expiry", "active"):
        if field in out:
            out[field] = _flag(out[field], field)
    return out
