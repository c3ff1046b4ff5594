"""What codes name: products by SKU or GTIN, lots, locations by barcode, owners, packages.

Two kinds of callers: a scanner names one thing per scan (``resolve_item``,
``find_location``), a document names many (``Names``: every product, location, lot and
package of all its lines in one query each, whatever the number of lines). Errors name the
field the caller gives, so a handheld hears ``item`` and the API ``lines[3].sku``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.catalog.services import find_products_by_codes
from wms.core.parsing import ascii_id  # noqa: F401  (callers take it from here too)
from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.partners.models import Enterprise

from .barcodes import Scan, classify
from .models import Location, Package
from .services import parse_quantity

# Integer ids are 32-bit on PostgreSQL: a bigger one is "not found", never a database error.
KIND_NAMES = {
    "sscc": N_("Package (SSCC)"),
    "gtin": N_("Product number (GTIN)"),
    "gs1": N_("GS1-128 element string"),
    "s10": N_("UPU S10 postal item number"),
    "awb": N_("IATA air waybill number"),
    "container": N_("ISO 6346 container number"),
    "text": N_("Location, SKU or other text"),
}


def check_scan(scan: Scan, code: str, field_name: str) -> None:
    if not scan.valid:
        raise ValidationError(N_("%(code)s looks like a %(kind)s but does not check: misread? "
                                 "Scan again."), field=field_name, code=code,
                              kind=KIND_NAMES.get(scan.kind, scan.kind))


def find_location(session: Session, code: str | None, field_name: str) -> Location:
    """The active location whose barcode was scanned (case as printed or not)."""
    if not code:
        raise ValidationError(N_("Scan a location"), field=field_name)
    location = session.scalars(select(Location).where(
        func.upper(Location.barcode) == code.strip().upper(), Location.active)
        .order_by(Location.id)).first()
    if location is None:
        raise NotFound(N_("%(code)s is not a known location barcode"), field=field_name,
                       code=code)
    return location


@dataclass
class Item:
    """What the item scan names: a package, or a product with the label's lot and count."""
    package: Package | None = None
    products: list[Product] | None = None
    lot: str | None = None
    count: int | None = None


def _wanted(code: str | None, field_name: str) -> tuple[str, str | None, int | None]:
    """What one scan asks for, before any query: ("sscc", the SSCC, None), or (the code to
    look up as GTIN or SKU, the label's lot, the label's count)."""
    if not code:
        raise ValidationError(N_("Scan a package or a product"), field=field_name)
    scan = classify(code)
    if scan.kind == "text" and not scan.value:
        raise ValidationError(N_("Scan a package or a product"), field=field_name)
    check_scan(scan, code, field_name)
    sscc = scan.parts.get("sscc") if scan.kind == "gs1" else (
        scan.value if scan.kind == "sscc" else None)
    if sscc:
        return ("sscc", sscc, None)
    if scan.kind in ("s10", "awb", "container"):
        raise ValidationError(N_("%(code)s is a %(kind)s, not a package or a product"),
                              field=field_name, code=code, kind=KIND_NAMES[scan.kind])
    if scan.kind == "gs1":
        gtin = scan.parts.get("gtin") or scan.parts.get("content_gtin")
        if not gtin:
            raise ValidationError(N_("The label names no product (GTIN) and no package (SSCC)"),
                                  field=field_name)
        return (gtin, scan.parts.get("lot"), scan.parts.get("count"))
    return (scan.value if scan.kind == "gtin" else code.strip(), None, None)


def resolve_items(session: Session, codes: list[str | None], fields: list[str]) -> list[Item]:
    """What each scanned code names: a package by SSCC (plain or on a GS1 label), or the
    products a GTIN, GS1 label or SKU names (two owners may store the same GTIN: the caller
    narrows). One query per kind however many codes; the first bad code, in order, raises
    an error naming its field."""
    wanted: list = []
    for code, field_name in zip(codes, fields):
        try:
            wanted.append(_wanted(code, field_name))
        except DomainError as exc:
            wanted.append(exc)
    ssccs = {w[1] for w in wanted if isinstance(w, tuple) and w[0] == "sscc"}
    lookups = [w[0] for w in wanted if isinstance(w, tuple) and w[0] != "sscc"]
    packages = {p.sscc: p for p in session.scalars(
        select(Package).where(Package.sscc.in_(ssccs)))} if ssccs else {}
    products = find_products_by_codes(session, lookups)
    unknown = {code.strip().upper() for code, w in zip(codes, wanted)
               if isinstance(w, tuple) and w[0] != "sscc" and w[0] not in products}
    places = set(session.scalars(select(func.upper(Location.barcode)).where(
        func.upper(Location.barcode).in_(unknown)))) if unknown else set()
    items = []
    for code, field_name, w in zip(codes, fields, wanted):
        if isinstance(w, DomainError):
            raise w
        if w[0] == "sscc":
            if w[1] not in packages:
                raise NotFound(N_("No package has SSCC %(sscc)s"), field=field_name, sscc=w[1])
            items.append(Item(package=packages[w[1]]))
            continue
        if w[0] not in products:
            if code.strip().upper() in places:
                raise ValidationError(N_("%(code)s is a location, not a package or a product"),
                                      field=field_name, code=code)
            raise NotFound(N_("Unknown barcode %(code)s"), field=field_name, code=code)
        items.append(Item(products=products[w[0]], lot=w[1], count=w[2]))
    return items


def resolve_item(session: Session, code: str | None, field_name: str = "item") -> Item:
    """What one scanned code names (see ``resolve_items``)."""
    return resolve_items(session, [code], [field_name])[0]


def scanned_quantity(raw, item: Item, field_name: str = "quantity") -> Decimal:
    """What the operator typed, else the label's count, else one."""
    if raw in (None, ""):
        raw = item.count if item.count else 1
    return parse_quantity(raw, field_name)


def owner_by_code(session: Session, code: str | None, field_name: str = "owner"
                  ) -> Enterprise | None:
    if not code:
        return None
    owner = session.scalar(select(Enterprise).where(Enterprise.customs_code == code))
    if owner is None or not visible_owner(owner.id):
        raise NotFound(N_("Owner %(code)s not found"), field=field_name, code=code)
    return owner


def lots_named(session: Session, products: list[Product], name: str,
               field_name: str = "lot") -> dict[int, Lot]:
    """The lot of that name for each candidate product; a lot of another product is an
    error, not a quiet 'no stock'."""
    lots = {lot.product_id: lot for lot in session.scalars(select(Lot).where(
        Lot.name == name, Lot.product_id.in_([p.id for p in products])))}
    if not lots:
        product = products[0]
        if session.scalar(select(Lot.id).where(Lot.name == name)):
            raise ValidationError(N_("Lot %(lot)s does not belong to product %(sku)s"),
                                  field=field_name, lot=name, sku=product.sku)
        raise NotFound(N_("Product %(sku)s has no lot %(lot)s"), field=field_name, lot=name,
                       sku=product.sku)
    return lots


@dataclass
class Names:
    """Everything the lines of one document name, each kind loaded in one query.

    Fill the sets, call ``load``, then look up: a code that names nothing is simply absent,
    and the caller raises the error that names its line."""
    skus: set[str] = field(default_factory=set)
    product_ids: set[int] = field(default_factory=set)
    owner_codes: set[str] = field(default_factory=set)
    location_codes: set[str] = field(default_factory=set)
    location_ids: set[int] = field(default_factory=set)
    lot_names: set[str] = field(default_factory=set)
    ssccs: set[str] = field(default_factory=set)
    products_by_sku: dict[str, list[Product]] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    owners: dict[str, Enterprise] = field(default_factory=dict)
    locations_by_code: dict[str, Location] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    lots: dict[tuple[int, str], Lot] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)

    def add_location(self, code: str | None) -> None:
        """A barcode, or an id written as digits (tried when no barcode matches)."""
        if code:
            self.location_codes.add(code)
            if ascii_id(code):
                self.location_ids.add(ascii_id(code))

    def load(self, session: Session) -> Names:
        if self.owner_codes:
            self.owners = {e.customs_code: e for e in session.scalars(
                select(Enterprise).where(Enterprise.customs_code.in_(self.owner_codes)))
                if visible_owner(e.id)}
        if self.skus or self.product_ids:
            stmt = select(Product).where(or_(Product.sku.in_(self.skus),
                                             Product.id.in_(self.product_ids)))
            for product in session.scalars(scope_to_owner(stmt, Product.owner_id)
                                           .order_by(Product.id)):
                self.products[product.id] = product
                if product.sku in self.skus:
                    self.products_by_sku.setdefault(product.sku, []).append(product)
        if self.location_codes or self.location_ids:
            for location in session.scalars(select(Location).where(or_(
                    Location.barcode.in_(self.location_codes),
                    Location.id.in_(self.location_ids))).order_by(Location.id)):
                self.locations[location.id] = location
                self.locations_by_code.setdefault(location.barcode, location)
        if self.lot_names and self.products:
            self.lots = {(lot.product_id, lot.name): lot for lot in session.scalars(
                select(Lot).where(Lot.name.in_(self.lot_names),
                                  Lot.product_id.in_(list(self.products))))}
        if self.ssccs:
            self.packages = {p.sscc: p for p in session.scalars(
                select(Package).where(Package.sscc.in_(self.ssccs)))}
        return self

    def location(self, code: str) -> Location | None:
        found = self.locations_by_code.get(code)
        if found is None:
            number = ascii_id(code)
            found = self.locations.get(number) if number is not None else None
        return found
