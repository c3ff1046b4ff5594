"""Putaway: released goods from the input area to their place, and where that place is.

Putaway never changes customs status. Undeclared (``arrived``) goods stay in the input
area until customs releases them, held goods stay in a customs location; only bonded
(released) goods go to storage. A receipt is ``stored`` once none of its released goods is
left in the input area. The handheld, the desk and the API come through these doors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.messages import stored_message
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.inventory.models import Location, Package, Quant, StockDocument, Warehouse
from wms.inventory.services import (MoveLine, move_package, package_tree, parse_quantity,
                                    transfer)

from .models import PutawayRule, Receipt, TallyScan
from .queries import input_area, released_in_input
from .receipts import products_by_code


# -- suggestions ---------------------------------------------------------------------------

def _rank(rule: PutawayRule, product: Product) -> int | None:
    if rule.product_id is not None:
        return 0 if rule.product_id == product.id else None
    if rule.category is not None:
        return 1 if rule.category == product.category else None
    if rule.owner_id is not None:
        return 2 if rule.owner_id == product.owner_id else None
    return 3


def suggest_locations(session: Session, warehouse: Warehouse,
                      wanted: Sequence[tuple[Product, Decimal]]) -> list[Location | None]:
    """For each (product, quantity): the most specific rule's place (product, category,
    owner, any), then the storage location under it that already holds the product and has
    room, else the emptiest. Three queries for any number of goods; room taken by an earlier
    suggestion of the same call counts."""
    if not wanted:
        return []
    rules = session.scalars(select(PutawayRule).where(PutawayRule.warehouse_id == warehouse.id)
                            .order_by(PutawayRule.sequence, PutawayRule.id)).all()
    places = session.execute(
        select(Location, func.coalesce(func.sum(Quant.quantity), 0))
        .outerjoin(Quant, Quant.location_id == Location.id)
        .where(Location.warehouse_id == warehouse.id, Location.usage == "internal",
               Location.active, Location.name != "Input")
        .group_by(Location.id).order_by(Location.full_path)).all()
    used = {loc.id: Decimal(qty) for loc, qty in places}
    holding = set(session.execute(select(Quant.location_id, Quant.product_id).where(
        Quant.product_id.in_({p.id for p, _ in wanted}), Quant.quantity > 0)).all())
    stock_root = f"{warehouse.code}/Stock"
    answers: list[Location | None] = []
    for product, quantity in wanted:
        ranked = sorted((r for r in rules if _rank(r, product) is not None),
                        key=lambda r: (_rank(r, product), r.sequence))
        roots = [r.location.full_path for r in ranked] or [stock_root]
        answer = None
        for root in roots:
            fitting = [loc for loc, _ in places
                       if (loc.full_path == root or loc.full_path.startswith(root + "/"))
                       and (loc.capacity is None or loc.capacity - used[loc.id] >= quantity)]
            fitting.sort(key=lambda loc: ((loc.id, product.id) not in holding, used[loc.id],
                                          loc.full_path))
            if fitting:
                answer = fitting[0]
                used[answer.id] += quantity
                holding.add((answer.id, product.id))
                break
        answers.append(answer)
    return answers


def suggest_location(session: Session, warehouse: Warehouse, product: Product,
                     quantity: Decimal) -> Location | None:
    return suggest_locations(session, warehouse, [(product, quantity)])[0]


# -- the rule ------------------------------------------------------------------------------

def _in_input(location: Location, inputs: dict[int, str]) -> bool:
    root = inputs.get(location.warehouse_id or 0)
    return root is not None and (location.full_path == root
                                 or location.full_path.startswith(root + "/"))


def check_places(session: Session, goods: Iterable[tuple[str, Location]]) -> None:
    """Where goods of a customs status may be put: undeclared goods wait in the input area,
    held goods in a customs location; putaway changes no status."""
    goods = list(goods)
    warehouse_ids = {loc.warehouse_id for _, loc in goods if loc.warehouse_id}
    inputs = {wid: path for wid, path in session.execute(
        select(Location.warehouse_id, Location.full_path)
        .join(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Location.warehouse_id.in_(warehouse_ids), Location.usage == "internal",
               Location.full_path == Warehouse.code + "/Input"))} if warehouse_ids else {}
    for status, place in goods:
        if place.usage == "view":
            raise ValidationError(N_("%(path)s is a view location: stock cannot be kept "
                                     "there"), field="destination", path=place.full_path)
        if place.usage not in ("internal", "customs"):
            raise ValidationError(N_("%(path)s is not a storage location: goods cannot be put "
                                     "away there"), field="destination", path=place.full_path)
        if status == "arrived" and not _in_input(place, inputs):
            raise ValidationError(N_("These goods are not declared yet: they wait in the input "
                                     "area until customs releases them, not at %(path)s"),
                                  field="destination", path=place.full_path)
        if status == "held" and place.usage != "customs":
            raise ValidationError(N_("These goods are held by customs: they stay in a customs "
                                     "location, not at %(path)s"), field="destination",
                                  path=place.full_path)


# -- the doors -----------------------------------------------------------------------------

@dataclass
class PutawayDone:
    document: StockDocument
    stored: list[str] = field(default_factory=list)  # receipts that became stored


def put_away(session: Session, lines: Sequence[MoveLine], *,
             warehouse_id: int | None) -> PutawayDone:
    """Post loose goods to their places (one document) after the customs-status rule."""
    if not lines:
        raise ValidationError(N_("Nothing to move"), field="lines")
    places = {loc.id: loc for loc in session.scalars(select(Location).where(
        Location.id.in_({ln.to_location_id for ln in lines})))}
    check_places(session, [(ln.customs_status, places[ln.to_location_id]) for ln in lines
                           if ln.to_location_id in places])
    code = session.scalar(select(Warehouse.code).where(Warehouse.id == warehouse_id)) \
        if warehouse_id else None
    if any(ln.to_customs_status not in (None, ln.customs_status) for ln in lines):
        raise ValidationError(N_("Putaway does not change customs status"),
                              field="customs_status")
    document = transfer(session, lines, prefix=f"{code}/PUT" if code else "PUT", warehouse_id=warehouse_id,
                        kind="putaway")
    session.flush()
    return PutawayDone(document, store_finished_receipts(
        session, {(ln.product_id, ln.lot_id) for ln in lines}))


def put_away_package(session: Session, package: Package, destination: Location, *,
                     source: Location | None = None) -> PutawayDone:
    """A pallet moves whole, nested cartons included, after the customs-status rule; with
    ``source`` the operator said where it is, and it must be there."""
    if source is not None and package.location_id != source.id:
        raise ValidationError(N_("Package %(sscc)s is at %(where)s, not at %(source)s"),
                              field="source", sscc=package.sscc,
                              where=package.location.full_path if package.location else "?",
                              source=source.full_path)
    tree = package_tree(session, package)
    contents = session.execute(select(Quant.customs_status, Quant.product_id, Quant.lot_id)
                               .where(Quant.package_id.in_(tree), Quant.quantity > 0)).all()
    check_places(session, [(status, destination) for status in {c[0] for c in contents}])
    warehouse = destination.warehouse
    document = move_package(session, package, destination,
                            prefix=f"{warehouse.code}/PUT" if warehouse else "PUT",
                            origin=package.sscc, kind="putaway")
    session.flush()
    return PutawayDone(document, store_finished_receipts(
        session, {(pid, lot_id) for _s, pid, lot_id in contents}))


def package_goods(session: Session, package: Package) -> tuple[Product, Decimal] | None:
    """What a suggestion for a pallet goes by: its first product and its total quantity."""
    quants = list(session.scalars(select(Quant).where(
        Quant.package_id.in_(package_tree(session, package)), Quant.quantity > 0)
        .order_by(Quant.id)))
    if not quants:
        return None
    return (session.get(Product, quants[0].product_id),
            sum((q.quantity for q in quants), Decimal(0)))


def input_warehouse(session: Session, products: list[Product]
                    ) -> tuple[Warehouse | None, Product]:
    """The warehouse whose input area holds one of the products (the first that does)."""
    row = session.execute(
        select(Location.warehouse_id, Quant.product_id)
        .join(Location, Location.id == Quant.location_id)
        .where(Quant.product_id.in_([p.id for p in products]), Quant.quantity > 0,
               Location.usage == "internal", Location.name == "Input")
        .order_by(Quant.id).limit(1)).first()
    if row is None:
        return None, products[0]
    return session.get(Warehouse, row[0]), next(p for p in products if p.id == row[1])


@dataclass
class PutawayInput:
    """One line of a receipt's putaway as an integrator sends it."""

    product: str
    quantity: Any
    destination: str  # location barcode or full path
    lot: str | None = None


def putaway_receipt(session: Session, receipt: Receipt,
                    lines: Sequence[PutawayInput] | None = None) -> PutawayDone:
    """Put away released goods of a receipt from the input area: the lines given, or, with
    none, everything released that waits there, each to its suggested place. Resolves
    products, lots and locations in a fixed number of queries."""
    if receipt.state not in ("released", "held"):
        raise Conflict(N_("Receipt %(name)s is %(state)s: only released goods are put away"),
                       field="receipt", name=receipt.name, state=receipt.state)
    source = input_area(session, receipt.warehouse)
    if not lines:
        waiting = released_in_input(session, receipt)
        if not waiting:
            raise ValidationError(N_("Nothing of receipt %(name)s waits in the input area"),
                                  field="lines", name=receipt.name)
        for item in waiting:
            if item.location is None:
                raise NotFound(N_("No location with room for %(qty)s × %(sku)s: ask a "
                                  "supervisor."), field="destination", qty=item.quantity,
                               sku=item.product.sku)
        moves = [MoveLine(g.product.id, g.quantity, source.id, g.location.id, receipt.owner_id,
                          "bonded", g.lot_id, g.package_id, g.package_id,
                          reason=f"putaway {receipt.name}") for g in waiting]
        done = put_away(session, moves, warehouse_id=receipt.warehouse_id)
        pallets = {g.package_id: g.location.id for g in waiting if g.package_id}
        if pallets:  # a pallet goes whole with its goods
            session.execute(update(Package), [{"id": pid, "location_id": loc}
                                              for pid, loc in pallets.items()])
        return done
    products = products_by_code(session, receipt.owner_id, (ln.product for ln in lines))
    codes = {ln.destination.strip() for ln in lines if ln.destination}
    places = list(session.scalars(select(Location).where(
        Location.active, func.upper(Location.barcode).in_({c.upper() for c in codes})
        | Location.full_path.in_(codes))))
    names = {ln.lot.strip() for ln in lines if ln.lot}
    lots = {(lot.product_id, lot.name): lot.id for lot in session.scalars(select(Lot).where(
        Lot.product_id.in_({p.id for p in products.values()}), Lot.name.in_(names)))} \
        if names else {}
    moves = []
    for i, given in enumerate(lines):
        where = f"lines[{i}]."
        product = products.get((given.product or "").strip())
        if product is None:
            raise ValidationError(N_("No product %(code)s of owner %(owner)s"),
                                  field=f"{where}product", code=given.product,
                                  owner=receipt.owner.customs_code)
        code = (given.destination or "").strip()
        place = next((p for p in places if p.full_path == code
                      or (p.barcode or "").upper() == code.upper()), None)
        if place is None:
            raise NotFound(N_("%(code)s is not a known location barcode"),
                           field=f"{where}destination", code=code)
        lot_id = None
        if given.lot:
            lot_id = lots.get((product.id, given.lot.strip()))
            if lot_id is None:
                raise NotFound(N_("Product %(sku)s has no lot %(lot)s"), field=f"{where}lot",
                               sku=product.sku, lot=given.lot)
        moves.append(MoveLine(product.id, parse_quantity(given.quantity, f"{where}quantity"),
                              source.id, place.id, receipt.owner_id, "bonded", lot_id,
                              reason=f"putaway {receipt.name}"))
    return put_away(session, moves, warehouse_id=receipt.warehouse_id)


def putaway(session: Session, receipt: Receipt, *, product: Product, quantity: Any,
            to_location: Location, lot_id: int | None = None) -> Receipt:
    """One released line of a receipt to its place (the desk's and the demo's way)."""
    if receipt.state not in ("released", "held"):
        raise Conflict(N_("Receipt %(name)s is %(state)s: only released goods are put away"),
                       field="receipt", name=receipt.name, state=receipt.state)
    source = input_area(session, receipt.warehouse)
    put_away(session, [MoveLine(product.id, parse_quantity(quantity), source.id, to_location.id,
                                receipt.owner_id, "bonded", lot_id,
                                reason=f"putaway {receipt.name}")],
             warehouse_id=receipt.warehouse_id)
    return receipt


# -- stored --------------------------------------------------------------------------------

def mark_stored_if_done(session: Session, receipt: Receipt) -> bool:
    """A released receipt becomes ``stored`` once none of its goods is left in the input."""
    if receipt.state != "released":
        return False
    source = input_area(session, receipt.warehouse)
    counted = select(TallyScan.product_id, TallyScan.lot_id).where(
        TallyScan.receipt_id == receipt.id).distinct().subquery()
    left = session.scalar(
        select(func.count()).select_from(Quant).join(
            counted, (counted.c.product_id == Quant.product_id)
            & ((counted.c.lot_id == Quant.lot_id)
               | (counted.c.lot_id.is_(None) & Quant.lot_id.is_(None))))
        .where(Quant.location_id == source.id, Quant.owner_id == receipt.owner_id,
               Quant.customs_status == "bonded", Quant.quantity > 0))
    if left:
        return False
    receipt.transition("stored", reason=stored_message(N_("all released goods put away")))
    return True


def store_finished_receipts(session: Session, keys: set[tuple[int, int | None]]) -> list[str]:
    """After a putaway: every released receipt whose tally counted one of these (product,
    lot) keys becomes ``stored`` once none of its goods is left in the input area."""
    if not keys:
        return []
    touched = {receipt_id for receipt_id, pid, lot_id in session.execute(
        select(TallyScan.receipt_id, TallyScan.product_id, TallyScan.lot_id)
        .join(Receipt, Receipt.id == TallyScan.receipt_id)
        .where(Receipt.state == "released",
               TallyScan.product_id.in_({pid for pid, _ in keys})).distinct())
        if (pid, lot_id) in keys}
    receipts = session.scalars(select(Receipt).where(Receipt.id.in_(touched))
                               .order_by(Receipt.id)) if touched else []
    stored = [receipt.name for receipt in receipts if mark_stored_if_done(session, receipt)]
    if stored:
        session.flush()
    return stored

