"""Internal transfers: the one door through which people and machines move stock between
places in the warehouse.

Goods move only between real internal locations: suppliers, customers, inventory loss,
transit and scrap are reached by the use cases that own them (receipt, shipping, count
approval, scrap), and customs hold by customs decisions. A transfer keeps owner, lot and
customs status. ``transfer_lines`` takes a document named by codes (the API) and resolves
it in a fixed number of queries; ``transfer_scan`` takes what a handheld scanned.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.partners.models import Enterprise

from .models import Location, Package, Quant, StockDocument, Warehouse
from .resolve import (Item, Names, ascii_id, find_location, lots_named, owner_by_code,
                      resolve_item, scanned_quantity)
from .services import (InsufficientStock, MoveLine, format_quantity, move_package,
                       parse_quantity, transfer)

TRANSFER_USAGES = ("internal",)
USAGE_NAMES = {
    "supplier": N_("suppliers"), "customer": N_("customers"),
    "inventory": N_("inventory adjustment"), "transit": N_("transit"), "scrap": N_("scrap"),
    "customs": N_("customs hold"),
}


class ChooseStock(ValidationError):
    """Several stock keys fit the scan: the handheld shows them and the operator picks one."""
    code = "choose_stock"

    def __init__(self, message: str, choices: list[dict], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.extra = {"choices": choices}


def check_transfer_place(location: Location, field: str) -> None:
    """Refuse anything but an active internal location, saying what the place is."""
    if location.usage == "view":
        raise ValidationError(N_("%(path)s is a view location: stock cannot be kept there"),
                              field=field, path=location.full_path)
    if not location.active:
        raise ValidationError(N_("Location %(path)s is archived"), field=field,
                              path=location.full_path)
    if location.usage not in TRANSFER_USAGES:
        raise ValidationError(
            N_("%(path)s is not a place in the warehouse but %(usage)s: goods go there or "
               "come from there only by a receipt, a shipment, a count, scrap or a customs "
               "decision, never by a transfer"), field=field, path=location.full_path,
            usage=USAGE_NAMES.get(location.usage, location.usage))


def _prefix(warehouse: Warehouse | None) -> str:
    return f"{warehouse.code}/INT" if warehouse else "INT"


# ---------------------------------------------------------------- a document by codes

@dataclass
class PostedLine:
    product: Product
    quantity: Decimal
    source: Location
    target: Location
    customs_status: str
    lot: Lot | None = None
    package: Package | None = None
    to_package: Package | None = None


@dataclass
class PostedTransfer:
    document: StockDocument
    lines: list[PostedLine]


def _text(line: Mapping[str, Any], name: str) -> str | None:
    value = line.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _names(lines: Sequence[Mapping[str, Any]]) -> Names:
    names = Names()
    for line in lines:
        for key, bag in (("sku", names.skus), ("owner", names.owner_codes),
                         ("lot", names.lot_names), ("package", names.ssccs),
                         ("to_package", names.ssccs)):
            if _text(line, key):
                bag.add(_text(line, key))
        if ascii_id(line.get("product_id")):
            names.product_ids.add(ascii_id(line["product_id"]))
        for name in ("from_location", "to_location"):
            names.add_location(_text(line, name))
            if ascii_id(line.get(f"{name}_id")):
                names.location_ids.add(ascii_id(line[f"{name}_id"]))
    return names


def _product(names: Names, line: Mapping[str, Any], field) -> Product:
    owner = None
    owner_code = _text(line, "owner")
    if owner_code:
        owner = names.owners.get(owner_code)
        if owner is None:
            raise NotFound(N_("Owner %(code)s not found"), field=field("owner"),
                           code=owner_code)
    sku = _text(line, "sku")
    if line.get("product_id") is not None:
        product = names.products.get(line["product_id"])
        if product is None:
            raise NotFound(N_("Product %(id)s not found"), field=field("product_id"),
                           id=line["product_id"])
    elif sku:
        found = [p for p in names.products_by_sku.get(sku, [])
                 if owner is None or p.owner_id == owner.id]
        if not found:
            raise NotFound(N_("Product %(id)s not found"), field=field("sku"), id=sku)
        if len(found) > 1:
            raise ValidationError(N_("Several owners use SKU %(sku)s: give the owner"),
                                  field=field("owner"), sku=sku)
        product = found[0]
    else:
        raise ValidationError(N_("Give product_id, or sku and owner"),
                              field=field("product_id"))
    if owner is not None and product.owner_id != owner.id:
        raise ValidationError(N_("Product %(sku)s belongs to another owner"),
                              field=field("owner"), sku=product.sku)
    if not product.active:
        raise ValidationError(N_("Product %(sku)s is archived"), field=field("product_id"),
                              sku=product.sku)
    return product


def _place(names: Names, line: Mapping[str, Any], name: str, field) -> Location:
    by_id, code = line.get(f"{name}_id"), _text(line, name)
    if by_id is not None:
        location = names.locations.get(by_id)
    elif code:
        location = names.location(code)
    else:
        raise ValidationError(N_("This field is required"), field=field(name))
    if location is None:
        raise NotFound(N_("Location %(path)s not found"), field=field(name),
                       path=by_id or code)
    check_transfer_place(location, field(name))
    return location


def _package(names: Names, line: Mapping[str, Any], name: str, field) -> Package | None:
    sscc = _text(line, name)
    if not sscc:
        return None
    package = names.packages.get(sscc)
    if package is None:
        raise NotFound(N_("Package %(sscc)s not found"), field=field(name), sscc=sscc)
    return package


def _resolve_line(names: Names, i: int, line: Mapping[str, Any]) -> PostedLine:
    def field(name: str) -> str:
        return f"lines[{i}].{name}"
    quantity = parse_quantity(line.get("quantity"), field("quantity"))
    product = _product(names, line, field)
    source = _place(names, line, "from_location", field)
    target = _place(names, line, "to_location", field)
    lot = None
    lot_name = _text(line, "lot")
    if lot_name:
        lot = names.lots.get((product.id, lot_name))
        if lot is None:
            raise ValidationError(N_("Lot does not belong to product %(sku)s"),
                                  field=field("lot"), sku=product.sku)
    elif product.track_lot or product.track_expiry:
        raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                              field=field("lot"), sku=product.sku)
    package = _package(names, line, "package", field)
    to_package = _package(names, line, "to_package", field)
    if source.id == target.id and package is to_package:
        raise ValidationError(N_("Source and destination are the same"),
                              field=field("to_location"))
    return PostedLine(product, quantity, source, target, line.get("customs_status"), lot,
                      package, to_package)


def _blame_line(exc: DomainError, lines: list[PostedLine]) -> None:
    """The ledger names ``quantity`` for stock short at a place: point at the line."""
    if not exc.field or exc.field.startswith("lines"):
        return
    index = next((i for i, ln in enumerate(lines)
                  if ln.product.sku == exc.params.get("product")
                  and ln.source.full_path == exc.params.get("location")), 0)
    exc.field = f"lines[{index}].{exc.field}"


def transfer_lines(session: Session, lines: Sequence[Mapping[str, Any]], *,
                   origin: str | None = None, reason: str | None = None) -> PostedTransfer:
    """Post an internal transfer whose lines name products by id or SKU (and owner),
    places by barcode or id, lots by name and packages by SSCC: all lines or none, every
    error naming ``lines[i].field``. Costs the same number of statements for 10 lines as
    for 1,000."""
    if not lines:
        raise ValidationError(N_("Nothing to move"), field="lines")
    names = _names(lines).load(session)
    posted = [_resolve_line(names, i, line) for i, line in enumerate(lines)]
    first = posted[0].source
    warehouse = session.get(Warehouse, first.warehouse_id) if first.warehouse_id else None
    moves = [MoveLine(product_id=ln.product.id, quantity=ln.quantity,
                      from_location_id=ln.source.id, to_location_id=ln.target.id,
                      owner_id=ln.product.owner_id, customs_status=ln.customs_status,
                      to_customs_status=ln.customs_status,
                      lot_id=ln.lot.id if ln.lot else None,
                      package_id=ln.package.id if ln.package else None,
                      to_package_id=ln.to_package.id if ln.to_package else None,
                      reason=reason) for ln in posted]
    try:
        document = transfer(session, moves, prefix=_prefix(warehouse),
                            warehouse_id=warehouse.id if warehouse else None, origin=origin)
    except DomainError as exc:
        _blame_line(exc, posted)
        raise
    return PostedTransfer(document, posted)


# ---------------------------------------------------------------- what a handheld scanned

def pick_source_quant(session: Session, item: Item, source: Location, quantity: Decimal, *,
                      owner_code: str | None = None, customs_status: str | None = None,
                      lot_name: str | None = None) -> tuple[Product, Quant]:
    """The quant at the source to take from: the product (and lot) scanned, narrowed by the
    owner and customs status the operator chose. Several that fit: ask which."""
    products = item.products or []
    owner = owner_by_code(session, owner_code)
    if owner is not None:
        mine = [p for p in products if p.owner_id == owner.id]
        if not mine:
            raise ValidationError(N_("Product %(sku)s belongs to another owner"),
                                  field="owner", sku=products[0].sku)
        products = mine
    lot_name = lot_name or item.lot
    stmt = select(Quant).where(Quant.location_id == source.id, Quant.quantity > 0,
                               Quant.product_id.in_([p.id for p in products]))
    if lot_name:
        lots = lots_named(session, products, lot_name)
        stmt = stmt.where(Quant.lot_id.in_([lot.id for lot in lots.values()]))
    if owner is not None:
        stmt = stmt.where(Quant.owner_id == owner.id)
    if customs_status:
        stmt = stmt.where(Quant.customs_status == customs_status)
    quants = list(session.scalars(stmt.order_by(Quant.package_id.is_not(None),
                                                Quant.quantity.desc(), Quant.id)))
    by_id = {p.id: p for p in products}
    if not quants:
        raise InsufficientStock(
            N_("Not enough stock of product %(product)s at %(location)s: %(available)s "
               "available, %(wanted)s wanted"), field="quantity", product=products[0].sku,
            location=source.full_path, available="0", wanted=format_quantity(quantity))
    keys: dict[tuple, Quant] = {}
    for quant in quants:  # loose stock first, then the fullest package
        keys.setdefault((quant.product_id, quant.lot_id, quant.owner_id, quant.customs_status),
                        quant)
    if len(keys) > 1:
        lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
            Lot.id.in_([q.lot_id for q in keys.values() if q.lot_id])))}
        owners = {e.id: e for e in session.scalars(select(Enterprise).where(
            Enterprise.id.in_([q.owner_id for q in keys.values()])))}
        choices = [{"sku": by_id[q.product_id].sku, "lot": lots.get(q.lot_id),
                    "owner": owners[q.owner_id].customs_code,
                    "owner_name": owners[q.owner_id].name,
                    "customs_status": q.customs_status,
                    "quantity": format_quantity(q.quantity)} for q in keys.values()]
        raise ChooseStock(N_("%(sku)s at %(location)s: several lots, owners or customs "
                             "statuses fit. Choose one."), choices, field="lot",
                          sku=products[0].sku, location=source.full_path)
    quant = next(iter(keys.values()))
    return by_id[quant.product_id], quant


@dataclass
class ScanTransfer:
    """What a scanned transfer moved, for the handheld's answer."""
    document: StockDocument
    destination: Location
    source_path: str | None
    package: Package | None = None
    product: Product | None = None
    lot: Lot | None = None
    quantity: Decimal | None = None


def transfer_scan(session: Session, *, item: str | None, destination: str | None,
                  source: str | None = None, quantity=None, lot: str | None = None,
                  owner: str | None = None, customs_status: str | None = None
                  ) -> ScanTransfer:
    """One scanned package (with everything on it) or product quantity from one internal
    location to another; errors name the handheld's fields."""
    target = find_location(session, destination, "destination")
    check_transfer_place(target, "destination")
    scanned = resolve_item(session, item, "item")
    warehouse = target.warehouse
    if scanned.package is not None:
        package = scanned.package
        if source:
            place = find_location(session, source, "source")
            if package.location_id != place.id:
                where = package.location.full_path if package.location else "?"
                raise ValidationError(N_("Package %(sscc)s is at %(where)s, not at %(source)s"),
                                      field="source", sscc=package.sscc, where=where,
                                      source=place.full_path)
        if package.location is not None:
            check_transfer_place(package.location, "source")
        origin = package.location.full_path if package.location else None
        document = move_package(session, package, target, prefix=_prefix(warehouse),
                                origin=package.sscc, kind="transfer")
        return ScanTransfer(document, target, origin, package=package)
    if not source:
        raise ValidationError(N_("Scan the location the goods come from"), field="source")
    place = find_location(session, source, "source")
    check_transfer_place(place, "source")
    if place.id == target.id:
        raise ValidationError(N_("Source and destination are the same"), field="destination")
    qty = scanned_quantity(quantity, scanned)
    product, quant = pick_source_quant(session, scanned, place, qty, owner_code=owner,
                                       customs_status=customs_status, lot_name=lot)
    lot_id = quant.lot_id  # the quant row is gone once the move empties it
    document = transfer(session, [MoveLine(
        product_id=product.id, quantity=qty, from_location_id=place.id,
        to_location_id=target.id, owner_id=quant.owner_id,
        customs_status=quant.customs_status, to_customs_status=quant.customs_status,
        lot_id=lot_id, package_id=quant.package_id)], prefix=_prefix(warehouse),
        warehouse_id=warehouse.id if warehouse else None)
    return ScanTransfer(document, target, place.full_path, product=product,
                        lot=session.get(Lot, lot_id) if lot_id else None, quantity=qty)

