"""Print labels for a selection of records from the desk pages: one PDF for all of them.

The records' fields are read here and handed to the pure ``labels`` package; a record that
cannot be printed (a product without GTIN, a check digit that fails) is refused naming it,
and nothing is printed, so a sheet never comes out half right.
"""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, request
from sqlalchemy import select

from wms.catalog.models import Lot, Product
from wms.core.errors import N_, ValidationError
from wms.core.parsing import ascii_id
from wms.core.scoping import scope_to_owner
from wms.inventory.models import Location, Package, Quant
from wms.inventory.services import package_tree
from wms.partners.models import Enterprise

from ..api.labels import label_response
from ..auth import blueprint_roles
from ..db import db

bp = Blueprint("printing", __name__, url_prefix="/print")
blueprint_roles(bp, "supervisor", "operator", "customs_clerk", "returns_clerk", "dispatcher")
MAX_LABELS = 2000


def _ids() -> list[int]:
    ids = [n for n in map(ascii_id, request.form.getlist("ids")) if n][:MAX_LABELS]
    if not ids:
        raise ValidationError(N_("Tick the records to print first"), field="ids")
    return ids


@bp.post("/locations")
def locations():
    rows = db().scalars(select(Location).where(Location.id.in_(_ids()))
                        .order_by(Location.full_path)).all()
    records = [{"barcode": loc.barcode, "path": loc.full_path.replace("/", " / "),
                "name": loc.name} for loc in rows]
    stock = request.form.get("stock") or "100x50"
    return label_response("location", records, "pdf", stock, "locations")


@bp.post("/products")
def products():
    rows = db().scalars(scope_to_owner(select(Product).where(Product.id.in_(_ids())),
                                       Product.owner_id).order_by(Product.sku)).all()
    records = []
    for product in rows:
        if not product.gtin:
            raise ValidationError(N_("Product %(sku)s has no GTIN to print"), field="gtin",
                                  sku=product.sku)
        records.append({"gtin": product.gtin, "sku": product.sku, "name_zh": product.name_zh,
                        "name_en": product.name_en or product.name_zh})
    return label_response("product", records, "pdf", None, "products")


def sscc_record(package: Package) -> dict:
    """The GS1 logistic label of a package: from the warehouse, to the goods' owner, and the
    content block when the package holds one product of one lot."""
    session = db()
    quants = session.scalars(select(Quant).where(
        Quant.package_id.in_(package_tree(session, package)), Quant.quantity > 0)).all()
    warehouse = package.location.warehouse if package.location else None
    owner_id = package.owner_id or (quants[0].owner_id if quants else None)
    owner = session.get(Enterprise, owner_id) if owner_id else None
    record = {"sscc": package.sscc,
              "ship_from": "\n".join(filter(None, [warehouse.name if warehouse else None,
                                                   warehouse.address if warehouse else None]))
              or "—",
              "ship_to": "\n".join(filter(None, [owner.name if owner else None,
                                                 owner.customs_code if owner else None])) or "—"}
    keys = {(q.product_id, q.lot_id) for q in quants}
    if len(keys) == 1:
        product_id, lot_id = keys.pop()
        product = session.get(Product, product_id)
        lot = session.get(Lot, lot_id) if lot_id else None
        count = sum((q.quantity for q in quants), Decimal(0))
        if product.gtin:
            record["content_gtin"] = product.gtin.zfill(14)
        if count == count.to_integral():
            record["count"] = int(count)
        if lot is not None:
            record["lot"] = lot.name[:20]
            if lot.expiry_date:
                record["best_before"] = lot.expiry_date.isoformat()
        if product.gross_weight_kg:
            record["gross_weight_kg"] = float(product.gross_weight_kg * count)
    return record


@bp.post("/packages")
def packages():
    rows = db().scalars(select(Package).where(Package.id.in_(_ids()))
                        .order_by(Package.sscc)).all()
    return label_response("sscc", [sscc_record(p) for p in rows], "pdf", None, "packages")
