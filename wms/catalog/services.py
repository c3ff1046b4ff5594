"""Registering products and lots; every customs field checked before anything is written."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, defaultload

from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import ascii_digits
from wms.core.scoping import scope_to_owner, visible_owner
from wms.logistics.identifiers import validate_gtin
from wms.partners.models import Enterprise

from .models import Lot, Product
from .validation import customs_values

SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


def optional_gtin(value: str | None, field: str = "gtin") -> str | None:
    """A product may have no GTIN (herbs sold loose); one it has must check."""
    return validate_gtin(value, field) if value not in (None, "") else None


CUSTOMS_FIELDS = ("name_zh", "name_en", "category", "hs_code", "gname", "gmodel",
                  "customs_unit", "legal_unit1", "legal_factor1", "legal_unit2",
                  "legal_factor2", "origin_country", "declared_price", "net_weight_kg",
                  "gross_weight_kg", "item_record_no", "vat_rate", "consumption_tax_rate",
                  "consumption_tax_basis", "positive_list", "simplified_export")
EDITABLE_FIELDS = (*CUSTOMS_FIELDS, "gtin", "track_lot", "track_expiry", "active")


def register_product(session: Session, *, owner_code: str, sku: str, name_zh: str,
                     hs_code: str, gname: str, gmodel: str, customs_unit: str,
                     legal_unit1: str, origin_country: str, gtin: str | None = None,
                     name_en: str | None = None, category: str | None = None,
                     legal_factor1=1, legal_unit2: str | None = None, legal_factor2=None,
                     declared_price=0, net_weight_kg=0, gross_weight_kg=0,
                     track_lot: bool = False, track_expiry: bool = False,
                     item_record_no: str | None = None, vat_rate="0.13",
                     consumption_tax_rate="0", consumption_tax_basis: str = "ad_valorem",
                     positive_list: bool | None = None,
                     simplified_export: bool = False) -> Product:
    """A new product of an owner; ``positive_list`` left out means: on the list when it has
    a record number (registered for retail import)."""
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
    values = customs_values(session, dict(
        name_zh=name_zh, name_en=name_en, category=category, hs_code=hs_code, gname=gname,
        gmodel=gmodel, customs_unit=customs_unit, legal_unit1=legal_unit1,
        legal_factor1=legal_factor1, legal_unit2=legal_unit2, legal_factor2=legal_factor2,
        origin_country=origin_country, declared_price=declared_price,
        net_weight_kg=net_weight_kg, gross_weight_kg=gross_weight_kg,
        item_record_no=item_record_no, vat_rate=vat_rate,
        consumption_tax_rate=consumption_tax_rate, consumption_tax_basis=consumption_tax_basis,
        positive_list=positive_list, simplified_export=simplified_export,
        track_lot=track_lot, track_expiry=track_expiry))
    if session.scalar(select(Product.id).where(Product.owner_id == owner.id, Product.sku == sku)):
        raise Conflict(N_("SKU %(sku)s already exists for this owner"), field="sku", sku=sku)
    _check_gtin_free(session, owner.id, gtin, None)
    values["track_lot"] = values["track_lot"] or values["track_expiry"]
    product = Product(owner_id=owner.id, sku=sku, gtin=gtin, **values)
    session.add(product)
    session.flush()
    return product


def _check_gtin_free(session: Session, owner_id: int, gtin: str | None,
                     product_id: int | None) -> None:
    if gtin and session.scalar(select(Product.id).where(Product.owner_id == owner_id,
                                                        Product.gtin == gtin,
                                                        Product.id != (product_id or 0))):
        raise Conflict(N_("GTIN %(gtin)s already exists for this owner"), field="gtin",
                       gtin=gtin)


def update_product(session: Session, product_id: int, changes: dict) -> Product:
    """Change a product's customs data (or GTIN, tracking, active): the product locked, the
    result checked as a whole like a new one, each changed field audited."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(N_("This field cannot be changed"), field=unknown[0])
    product = get_product(session, product_id)
    session.execute(select(Product.id).where(Product.id == product.id).with_for_update())
    session.refresh(product)
    values = {name: getattr(product, name) for name in EDITABLE_FIELDS}
    values.update(changes)
    gtin = optional_gtin(values.pop("gtin"))
    values = customs_values(session, values)
    _check_gtin_free(session, product.owner_id, gtin, product.id)
    values["gtin"] = gtin
    values["track_lot"] = values["track_lot"] or values["track_expiry"]
    for name, value in values.items():
        if getattr(product, name) != value:
            setattr(product, name, value)
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
