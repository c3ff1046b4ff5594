"""Registering products and lots; every customs field checked before anything is written."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, defaultload

from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import ascii_digits
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs.codes import check_code
from wms.logistics.identifiers import validate_gtin
from wms.partners.models import Enterprise

from .models import Lot, Product

HS_CODE = re.compile(r"^\d{10}$")
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


def optional_gtin(value: str | None, field: str = "gtin") -> str | None:
    """A product may have no GTIN (herbs sold loose); one it has must check."""
    return validate_gtin(value, field) if value not in (None, "") else None


def _decimal(value, field: str, *, minimum: Decimal = Decimal(0),
             allow_zero: bool = True) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Must be a number"), field=field) from None
    if not number.is_finite() or number < minimum or (not allow_zero and number == 0):
        raise ValidationError(N_("Must be a positive number"), field=field)
    return number


def register_product(session: Session, *, owner_code: str, sku: str, name_zh: str,
                     hs_code: str, gname: str, gmodel: str, customs_unit: str,
                     legal_unit1: str, origin_country: str, gtin: str | None = None,
                     name_en: str | None = None, category: str | None = None,
                     legal_factor1=1, legal_unit2: str | None = None, legal_factor2=None,
                     declared_price=0, net_weight_kg=0, gross_weight_kg=0,
                     track_lot: bool = False, track_expiry: bool = False,
                     item_record_no: str | None = None, vat_rate="0.13",
                     consumption_tax_rate="0") -> Product:
    owner = session.scalar(select(Enterprise).where(Enterprise.customs_code == owner_code))
    if owner is None or not visible_owner(owner.id):
        raise NotFound(N_("Owner %(code)s not found"), field="owner", code=owner_code)
    if "owner" not in owner.roles:
        raise ValidationError(N_("%(name)s is not registered as a goods owner"), field="owner",
                              name=owner.name)
    sku = (sku or "").strip()
    if not SKU.match(sku):
        raise ValidationError(N_("SKU must be 1-40 letters, digits, '.', '_', '/' or '-'"),
                              field="sku")
    gtin = optional_gtin(gtin)
    if not (name_zh or "").strip():
        raise ValidationError(N_("Name is required"), field="name_zh")
    if not HS_CODE.match(hs_code or ""):
        raise ValidationError(N_("HS code must have 10 digits"), field="hs_code")
    for field, value in (("gname", gname), ("gmodel", gmodel)):
        if not (value or "").strip():
            raise ValidationError(N_("This field is required"), field=field)
    check_code(session, "unit", customs_unit, "customs_unit")
    check_code(session, "unit", legal_unit1, "legal_unit1")
    check_code(session, "unit", legal_unit2, "legal_unit2")
    check_code(session, "country", origin_country, "origin_country")
    if not customs_unit:
        raise ValidationError(N_("This field is required"), field="customs_unit")
    if not legal_unit1:
        raise ValidationError(N_("This field is required"), field="legal_unit1")
    if not origin_country:
        raise ValidationError(N_("This field is required"), field="origin_country")
    factor1 = _decimal(legal_factor1, "legal_factor1", allow_zero=False)
    factor2 = None
    if legal_unit2:
        if legal_factor2 in (None, ""):
            raise ValidationError(N_("A second legal unit needs its conversion factor"),
                                  field="legal_factor2")
        factor2 = _decimal(legal_factor2, "legal_factor2", allow_zero=False)
    net = _decimal(net_weight_kg, "net_weight_kg")
    gross = _decimal(gross_weight_kg, "gross_weight_kg")
    if gross < net:
        raise ValidationError(N_("Gross weight cannot be less than net weight"),
                              field="gross_weight_kg")
    price = _decimal(declared_price, "declared_price")
    vat = _decimal(vat_rate, "vat_rate")
    consumption = _decimal(consumption_tax_rate, "consumption_tax_rate")
    for field, rate in (("vat_rate", vat), ("consumption_tax_rate", consumption)):
        if rate >= 1:
            raise ValidationError(N_("A tax rate is a fraction below 1, e.g. 0.13"), field=field)
    if session.scalar(select(Product.id).where(Product.owner_id == owner.id, Product.sku == sku)):
        raise Conflict(N_("SKU %(sku)s already exists for this owner"), field="sku", sku=sku)
    if gtin and session.scalar(select(Product.id).where(Product.owner_id == owner.id,
                                                        Product.gtin == gtin)):
        raise Conflict(N_("GTIN %(gtin)s already exists for this owner"), field="gtin",
                       gtin=gtin)
    product = Product(owner_id=owner.id, sku=sku, gtin=gtin, name_zh=name_zh.strip(),
                      name_en=name_en, category=category, hs_code=hs_code, gname=gname.strip(),
                      gmodel=gmodel.strip(), customs_unit=customs_unit, legal_unit1=legal_unit1,
                      legal_factor1=factor1, legal_unit2=legal_unit2 or None,
                      legal_factor2=factor2, origin_country=origin_country,
                      declared_price=price, net_weight_kg=net, gross_weight_kg=gross,
                      track_lot=track_lot or track_expiry, track_expiry=track_expiry,
                      item_record_no=item_record_no, vat_rate=vat,
                      consumption_tax_rate=consumption)
    session.add(product)
    session.flush()
    return product


def products_query(owner_id: int | None = None, search: str | None = None):
    stmt = select(Product).order_by(Product.sku, Product.id)
    if owner_id is not None:
        stmt = stmt.where(Product.owner_id == owner_id)
    if search:
        like = f"%{search.strip()}%"
        stmt = stmt.where(Product.sku.ilike(like) | Product.name_zh.ilike(like)
                          | Product.name_en.ilike(like) | (Product.gtin == search.strip()))
    return scope_to_owner(stmt, Product.owner_id)


def gtin_forms(code: str) -> set[str]:
    """A GTIN-13 scanned from an EAN symbol also matches the same number registered as
    GTIN-14 (leading zero): scanners and suppliers differ on that."""
    forms = {code}
    if ascii_digits(code):
        forms |= {code.zfill(14), code.lstrip("0").zfill(13)}
    return forms


def find_products_by_code(session: Session, code: str) -> list[Product]:
    """Products whose GTIN or SKU is the scanned code, among those the actor may see."""
    return find_products_by_codes(session, [code]).get(code.strip(), [])


def find_products_by_codes(session: Session, codes) -> dict[str, list[Product]]:
    """For each scanned code (stripped), the active products whose GTIN or SKU it is, among
    those the actor may see: one query however many codes."""
    codes = {c.strip() for c in codes if c and c.strip()}
    if not codes:
        return {}
    gtins = set().union(*(gtin_forms(c) for c in codes))
    stmt = select(Product).where(Product.active, Product.gtin.in_(gtins) | Product.sku.in_(codes))
    stmt = stmt.options(defaultload(Product.owner).lazyload(Enterprise.role_rows))  # not per scan
    found = list(session.scalars(scope_to_owner(stmt, Product.owner_id).order_by(Product.id)))
    result: dict[str, list[Product]] = {}
    for code in codes:
        forms = gtin_forms(code)
        matches = [p for p in found if p.gtin in forms or p.sku == code]
        if matches:
            result[code] = matches
    return result


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or not visible_owner(product.owner_id):
        raise NotFound(N_("Product %(id)s not found"), field="product", id=product_id)
    return product


def lot_for(session: Session, product: Product, name: str,
            expiry_date: date | None = None) -> Lot:
    """The product's lot of that name, created on first sight (as a tally or putaway scans
    it); an expiry that contradicts the recorded one is an error, not an overwrite."""
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise ValidationError(N_("Lot must be 1-40 characters"), field="lot")
    lot = session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.name == name))
    if lot is None:
        if product.track_expiry and expiry_date is None:
            raise ValidationError(N_("Product %(sku)s needs an expiry date for each lot"),
                                  field="expiry_date", sku=product.sku)
        lot = Lot(product_id=product.id, name=name, expiry_date=expiry_date)
        session.add(lot)
        session.flush()
    elif expiry_date is not None and lot.expiry_date not in (None, expiry_date):
        raise ValidationError(N_("Lot %(lot)s expires on %(recorded)s, not %(given)s"),
                              field="expiry_date", lot=name, recorded=lot.expiry_date,
                              given=expiry_date)
    return lot
