"""Scan anything: what a scanned code is, and the warehouse record it names.

``barcodes.classify`` says what kind of code it is and whether its check digit holds;
``explain`` adds what the warehouse knows: a location and its contents, a product and its
stock by location, a package and what is in it (nested packages included). Owner-scoped
users only ever see their own owners' records.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from wms.catalog.models import Lot, Product
from wms.catalog.services import find_products_by_code
from wms.core.context import current_actor
from wms.core.scoping import scope_to_owner, visible_owner

from .barcodes import classify
from .scan_records import records_for
from .models import Location, Package, Quant
from .services import package_tree

MAX_ROWS = 50


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _stock_rows(session: Session, stmt, *, with_total: bool = False):
    """The first ``MAX_ROWS`` stock rows of ``stmt``; with ``with_total`` also the sum of
    every matching row (a window over the same query, so no second statement)."""
    stmt = scope_to_owner(stmt, Quant.owner_id)
    total_column = (func.sum(Quant.quantity).over(),) if with_total else ()
    rows = session.execute(
        stmt.join(Product, Product.id == Quant.product_id)
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .outerjoin(Package, Package.id == Quant.package_id)
        .where(Quant.quantity != 0)
        .order_by(Location.full_path, Product.sku, Quant.id)
        .limit(MAX_ROWS)
        .with_only_columns(Product.id, Product.sku, Product.name_zh, Location.id,
                           Location.full_path, Lot.name, Lot.expiry_date, Package.sscc,
                           Quant.customs_status, Quant.quantity, Quant.owner_id,
                           *total_column)).all()
    found = [dict(product_id=r[0], sku=r[1], name=r[2], location_id=r[3], location=r[4],
                 lot=r[5], expiry=r[6].isoformat() if r[6] else None, sscc=r[7],
                 customs_status=r[8], quantity=_num(r[9]), owner_id=r[10]) for r in rows]
    if with_total:
        return found, (rows[0][11] if rows else None) or Decimal(0)
    return found


def location_record(session: Session, location: Location) -> dict[str, Any]:
    return {"type": "location", "id": location.id, "barcode": location.barcode,
            "path": location.full_path, "usage": location.usage,
            "warehouse": location.warehouse.code if location.warehouse else None,
            "contents": _stock_rows(session, select(Quant).where(
                Quant.location_id == location.id))}


def product_record(session: Session, product: Product) -> dict[str, Any]:
    stocked = select(Location.id).where(Location.usage.in_(("internal", "customs")))
    stock, total = _stock_rows(session, select(Quant).where(
        Quant.product_id == product.id, Quant.location_id.in_(stocked)), with_total=True)
    return {"type": "product", "id": product.id, "sku": product.sku, "gtin": product.gtin,
            "name_zh": product.name_zh, "name_en": product.name_en,
            "owner": product.owner.customs_code, "hs_code": product.hs_code,
            "track_lot": product.track_lot, "on_hand": _num(total), "stock": stock}


def package_record(session: Session, package: Package) -> dict[str, Any]:
    tree = package_tree(session, package)
    children = session.scalars(select(Package).where(Package.parent_id == package.id)
                               .order_by(Package.sscc)).all()
    return {"type": "package", "id": package.id, "sscc": package.sscc, "kind": package.kind,
            "location": package.location.full_path if package.location else None,
            "location_id": package.location_id,
            "parent": package.parent.sscc if package.parent else None,
            "packages": [{"sscc": c.sscc, "kind": c.kind} for c in children],
            "contents": _stock_rows(session, select(Quant).where(Quant.package_id.in_(tree)))}


def _package_visible(package_owners: set[int]) -> bool:
    """Staff see every package; an owner user sees packages holding its own goods."""
    if current_actor().owner_ids is None:
        return True
    return any(visible_owner(owner) for owner in package_owners)


def _package_owners(session: Session, package: Package) -> set[int]:
    owners = set(session.scalars(select(Quant.owner_id).where(
        Quant.package_id.in_(package_tree(session, package))).distinct()))
    return owners | ({package.owner_id} if package.owner_id else set())


def explain(session: Session, code: str) -> dict[str, Any]:
    """Kind, validity, parsed parts and the matching records of a scanned code."""
    scan = classify(code)
    result = scan.as_dict()
    matches: list[dict[str, Any]] = []
    if scan.valid:
        sscc = scan.value if scan.kind == "sscc" else \
            scan.parts.get("sscc") if scan.kind == "gs1" else None
        if sscc:
            package = session.scalar(select(Package).where(Package.sscc == sscc))
            if package is not None and _package_visible(_package_owners(session, package)):
                matches.append(package_record(session, package))
        gtin = scan.value if scan.kind == "gtin" else \
            (scan.parts.get("gtin") or scan.parts.get("content_gtin")) \
            if scan.kind == "gs1" else None
        if gtin:
            matches += [product_record(session, p) for p in find_products_by_code(session, gtin)]
        if scan.kind == "text":
            # Location barcodes and SKUs are matched as printed, whatever case was scanned.
            text = code.strip()
            location = session.scalars(select(Location).options(
                joinedload(Location.warehouse)).where(
                func.upper(Location.barcode) == text.upper(), Location.active)
                .order_by(Location.id)).first()
            if location is not None:
                matches.append(location_record(session, location))
            matches += [product_record(session, p) for p in find_products_by_code(session, text)]
        if not matches:  # a code that names stock is not also looked for among documents,
            matches += records_for(session, scan, code)  # which keeps a lookup at 4
    result["matches"] = matches
    result["found"] = bool(matches)
    return result


def verdict(result: dict[str, Any]) -> tuple[str, bool]:
    """What the scanner says about an ``explain`` result, as a code and whether it is good:
    ``misread`` (a known kind whose check fails), ``empty``, ``unknown`` (text naming
    nothing), ``found``, or ``no_record`` (a valid identifier this warehouse does not hold:
    not good, however well its check digit holds)."""
    if not result["valid"] and result["value"]:
        return "misread", False
    if not result["value"]:
        return "empty", False
    if result["kind"] == "text" and not result["found"]:
        return "unknown", False
    # A well-formed identifier this warehouse does not know is not a good scan either.
    return ("found", True) if result["found"] else ("no_record", False)
