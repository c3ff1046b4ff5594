"""Stock services: the only code that writes moves and quants.

``post_moves`` is the ledger's one write path. It posts a whole document in a fixed number
of statements whatever its length (load what the lines name, lock the quants they touch in
key order, check availability net of reservations, then one executemany each for quant
updates, quant inserts, moves and emptied quants), so a 1,000-line transfer costs what a
10-line one does. Locking quants ``FOR UPDATE`` in key order serialises concurrent moves of
the same stock without deadlocks; two transactions creating the same new quant collide on
its unique key and the loser is run again by ``run_in_transaction``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Iterable, Sequence

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.audit import update_tracked
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import visible_owner

from .models import (CUSTOMS_STATUSES, STOCKED_USAGES, Location, Package, Quant,
                     StockDocument, StockMove)


class InsufficientStock(Conflict):
    code = "insufficient_stock"


@dataclass(frozen=True)
class MoveLine:
    """One line to post: what, how much, from where to where, in which stock dimension."""

    product_id: int
    quantity: Decimal
    from_location_id: int
    to_location_id: int
    owner_id: int
    customs_status: str
    lot_id: int | None = None
    package_id: int | None = None
    to_package_id: int | None = None
    to_customs_status: str | None = None
    reason: str | None = None
    order_line_id: int | None = None
    return_line_id: int | None = None
    origin_move_id: int | None = None


def quant_key(product_id: int, location_id: int, lot_id: int | None, package_id: int | None,
              owner_id: int, customs_status: str) -> str:
    return f"{product_id}:{location_id}:{lot_id or 0}:{package_id or 0}:{owner_id}:{customs_status}"


def _source_key(line: MoveLine) -> str:
    return quant_key(line.product_id, line.from_location_id, line.lot_id, line.package_id,
                     line.owner_id, line.customs_status)


def _dest_key(line: MoveLine) -> str:
    return quant_key(line.product_id, line.to_location_id, line.lot_id, line.to_package_id,
                     line.owner_id, line.to_customs_status or line.customs_status)


# What a quantity column (``QTY``, 16 digits with 3 decimals) holds.
MAX_QUANTITY = Decimal("9999999999999.999")


def parse_quantity(value, field: str = "quantity") -> Decimal:
    """A positive quantity with at most three decimals that the quantity columns hold, or a
    ValidationError naming the field. Only ASCII digits: ``Decimal`` would read other
    scripts' digits too, which no scanner sends on purpose."""
    if isinstance(value, bool):
        raise ValidationError(N_("Quantity must be a number"), field=field)
    text = str(value).strip()
    try:
        if not text.isascii():
            raise ValueError(text)
        qty = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Quantity must be a number"), field=field) from None
    if not qty.is_finite() or qty <= 0:
        raise ValidationError(N_("Quantity must be greater than zero"), field=field)
    if qty > MAX_QUANTITY:
        raise ValidationError(N_("Quantity must be at most %(max)s"), field=field,
                              max=format_quantity(MAX_QUANTITY))
    if qty != qty.quantize(Decimal("0.001")):
        raise ValidationError(N_("Quantity may have at most three decimals"), field=field)
    return qty


def format_quantity(qty: Decimal) -> str:
    """A quantity as people read it: 240, 0.5, 12.125."""
    return format(Decimal(qty).normalize(), "f")


def _by_id(session: Session, model, ids: Iterable[int]) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def _validate(session: Session, lines: Sequence[MoveLine]) -> list[MoveLine]:
    """Check every line against what it names; three queries whatever the number of lines."""
    locations = _by_id(session, Location, [x for ln in lines for x in (ln.from_location_id,
                                                                        ln.to_location_id)])
    products = _by_id(session, Product, [ln.product_id for ln in lines])
    lots = _by_id(session, Lot, [ln.lot_id for ln in lines])
    clean = []
    for i, line in enumerate(lines):
        where = f"lines[{i}]" if len(lines) > 1 else None

        def field(name: str) -> str:
            return f"{where}.{name}" if where else name
        qty = parse_quantity(line.quantity, field("quantity"))
        product = products.get(line.product_id)
        if product is None or not visible_owner(product.owner_id):
            raise NotFound(N_("Product %(id)s not found"), field=field("product"),
                           id=line.product_id)
        if product.owner_id != line.owner_id:
            raise ValidationError(N_("Product %(sku)s belongs to another owner"),
                                  field=field("owner"), sku=product.sku)
        for name, loc_id in (("from_location", line.from_location_id),
                             ("to_location", line.to_location_id)):
            location = locations.get(loc_id)
            if location is None:
                raise NotFound(N_("Location %(id)s not found"), field=field(name), id=loc_id)
            if location.usage == "view":
                raise ValidationError(N_("%(path)s is a view location: stock cannot be kept "
                                         "there"), field=field(name), path=location.full_path)
            if not location.active:
                raise ValidationError(N_("Location %(path)s is archived"), field=field(name),
                                      path=location.full_path)
        if line.from_location_id == line.to_location_id and \
                line.package_id == line.to_package_id and \
                (line.to_customs_status or line.customs_status) == line.customs_status:
            raise ValidationError(N_("Source and destination are the same"),
                                  field=field("to_location"))
        if line.lot_id is not None:
            lot = lots.get(line.lot_id)
            if lot is None or lot.product_id != product.id:
                raise ValidationError(N_("Lot does not belong to product %(sku)s"),
                                      field=field("lot"), sku=product.sku)
        elif product.track_lot or product.track_expiry:
            raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                                  field=field("lot"), sku=product.sku)
        for name, status in (("customs_status", line.customs_status),
                             ("to_customs_status", line.to_customs_status)):
            if status is not None and status not in CUSTOMS_STATUSES:
                raise ValidationError(N_("Unknown customs status %(status)s"),
                                      field=field(name), status=status)
        clean.append(replace(line, quantity=qty,
                             to_customs_status=line.to_customs_status or line.customs_status))
    _check_customs_flow(clean, locations)
    return clean


def _check_customs_flow(lines: Sequence[MoveLine], locations: dict) -> None:
    """Stock in a bonded warehouse keeps its customs status unless a customs step changes
    it; that step passes ``to_customs_status`` explicitly, so nothing changes it by accident."""
    for line in lines:
        target = locations[line.to_location_id]
        if target.usage == "customs" and line.to_customs_status != "held":
            raise ValidationError(N_("Only goods held by customs go to a customs location"),
                                  field="to_location")


def _reserved_by_key(session: Session, keys: Iterable[str], exclude_ids: Iterable[int] = ()):
    keys = list(keys)
    if not keys:
        return {}
    stmt = (select(StockMove.source_key, func.sum(StockMove.quantity))
            .where(StockMove.state == "reserved", StockMove.source_key.in_(keys))
            .group_by(StockMove.source_key))
    exclude = list(exclude_ids)
    if exclude:
        stmt = stmt.where(StockMove.id.not_in(exclude))
    return {k: q for k, q in session.execute(stmt)}


def post_moves(session: Session, lines: Sequence[MoveLine],
               document: StockDocument | None = None,
               *, consuming: Sequence[int] = ()) -> int:
    """Post done moves and update quants; returns the number of moves.

    ``consuming`` lists reserved moves these lines fulfil, one per line in the same order:
    their reservation does not count against the stock they take, and they become the done
    moves instead of new rows being written.
    """
    if consuming and len(consuming) != len(lines):
        raise ValueError("consuming must name one reserved move per line")
    if not lines:
        raise ValidationError(N_("Nothing to move"), field="lines")
    lines = _validate(session, lines)
    now = utcnow()
    locations = _by_id(session, Location, [x for ln in lines for x in (ln.from_location_id,
                                                                        ln.to_location_id)])
    deltas: dict[str, Decimal] = defaultdict(Decimal)
    dims: dict[str, dict] = {}
    for line in lines:
        src, dst = _source_key(line), _dest_key(line)
        deltas[src] -= line.quantity
        deltas[dst] += line.quantity
        dims.setdefault(src, dict(product_id=line.product_id, location_id=line.from_location_id,
                                  lot_id=line.lot_id, package_id=line.package_id,
                                  owner_id=line.owner_id, customs_status=line.customs_status))
        dims.setdefault(dst, dict(product_id=line.product_id, location_id=line.to_location_id,
                                  lot_id=line.lot_id, package_id=line.to_package_id,
                                  owner_id=line.owner_id,
                                  customs_status=line.to_customs_status))
    keys = sorted(deltas)
    quants = {q.quant_key: (q.id, q.quantity) for q in session.execute(
        select(Quant.quant_key, Quant.id, Quant.quantity).where(Quant.quant_key.in_(keys))
        .order_by(Quant.quant_key).with_for_update())}
    stocked = {k for k in keys if locations[dims[k]["location_id"]].usage in STOCKED_USAGES}
    taking = [k for k in keys if k in stocked and deltas[k] < 0]
    reserved = _reserved_by_key(session, taking, consuming)
    for key in taking:
        on_hand = quants.get(key, (None, Decimal(0)))[1]
        available = on_hand - reserved.get(key, Decimal(0))
        if available + deltas[key] < 0:
            line = next(ln for ln in lines if _source_key(ln) == key)
            raise InsufficientStock(
                N_("Not enough stock of product %(product)s at %(location)s: %(available)s "
                   "available, %(wanted)s wanted"), field="quantity",
                product=_sku(session, line.product_id),
                location=locations[line.from_location_id].full_path,
                available=format_quantity(max(available, Decimal(0))),
                wanted=format_quantity(-deltas[key]))
    updates, inserts, emptied = [], [], []
    for key in keys:
        if deltas[key] == 0:
            continue
        new = quants.get(key, (None, Decimal(0)))[1] + deltas[key]
        if abs(new) > MAX_QUANTITY:
            _too_much(lines, key, quants.get(key, (None, Decimal(0)))[1], locations)
        if key in quants:
            quant_id, qty = quants[key]
            if new == 0:
                emptied.append(quant_id)
            else:
                updates.append({"q_id": quant_id, "q_qty": new})
        else:
            inserts.append(dict(quant_key=key, quantity=deltas[key], in_date=now, **dims[key]))
    if updates:
        table = Quant.__table__
        session.execute(update(table).where(table.c.id == bindparam("q_id"))
                        .values(quantity=bindparam("q_qty")), updates)
    if inserts:
        session.execute(insert(Quant.__table__), inserts)
    if emptied:
        session.execute(delete(Quant.__table__).where(Quant.__table__.c.id.in_(emptied)))
    _expire_loaded(session, (Quant, StockMove))
    if consuming:
        table = StockMove.__table__
        session.execute(update(table).where(table.c.id == bindparam("m_id"))
                        .values(state="done", done_at=now, quantity=bindparam("m_qty")),
                        [{"m_id": m_id, "m_qty": ln.quantity}
                         for m_id, ln in zip(consuming, lines)])
        return len(lines)
    actor = current_actor()
    session.execute(insert(StockMove.__table__), [dict(
        document_id=document.id if document is not None else None,
        product_id=ln.product_id, quantity=ln.quantity, from_location_id=ln.from_location_id,
        to_location_id=ln.to_location_id, lot_id=ln.lot_id, package_id=ln.package_id,
        to_package_id=ln.to_package_id, owner_id=ln.owner_id, customs_status=ln.customs_status,
        to_customs_status=ln.to_customs_status, source_key=_source_key(ln), state="done",
        reason=ln.reason, order_line_id=ln.order_line_id, return_line_id=ln.return_line_id,
        origin_move_id=ln.origin_move_id, created_by_id=actor.user_id, created_at=now,
        done_at=now)
        for ln in lines])
    return len(lines)


def _too_much(lines: Sequence[MoveLine], key: str, start: Decimal, locations: dict) -> None:
    """A balance the quantity column cannot hold is refused before the database is asked,
    naming the line that takes it past the limit."""
    balance, index, place = start, 0, None
    for index, line in enumerate(lines):
        if _source_key(line) == key:
            balance, place = balance - line.quantity, line.from_location_id
        if _dest_key(line) == key:
            balance, place = balance + line.quantity, line.to_location_id
        if place is not None and abs(balance) > MAX_QUANTITY:
            break
    raise ValidationError(N_("The stock at %(location)s would pass %(max)s"),
                          field=f"lines[{index}].quantity" if len(lines) > 1 else "quantity",
                          location=locations[place].full_path,
                          max=format_quantity(MAX_QUANTITY))


def _expire_loaded(session: Session, models: tuple[type, ...]) -> None:
    """Quants and moves are written with set-based statements; objects of them already in
    the session would show old numbers, so they are reloaded on next access."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, models):
            session.expire(obj)


def _sku(session: Session, product_id: int) -> str:
    return session.scalar(select(Product.sku).where(Product.id == product_id)) or str(product_id)


def new_document(session: Session, kind: str, prefix: str, *, warehouse_id: int | None = None,
                 origin: str | None = None, note: str | None = None) -> StockDocument:
    document = StockDocument(kind=kind, warehouse_id=warehouse_id, origin=origin, note=note)
    session.add(document)
    document.assign_name(session, prefix)
    session.flush()
    return document


def transfer(session: Session, lines: Sequence[MoveLine], *, prefix: str = "INT",
             warehouse_id: int | None = None, origin: str | None = None,
             kind: str = "transfer") -> StockDocument:
    """An internal transfer posted at once: one document, its moves done. A transfer moves
    goods and never changes their customs status: only customs decisions do."""
    if kind == "transfer" and any(ln.to_customs_status not in (None, ln.customs_status)
                                  for ln in lines):
        raise ValidationError(N_("A transfer never changes the customs status"),
                              field="to_customs_status")
    document = new_document(session, kind, prefix, warehouse_id=warehouse_id, origin=origin)
    post_moves(session, lines, document)
    document.transition("done")
    document.done_at = utcnow()
    return document


def on_hand(session: Session, *, product_id: int | None = None,
            location_id: int | None = None, package_id: int | None = None,
            owner_id: int | None = None) -> list[Quant]:
    stmt = select(Quant).where(Quant.quantity != 0)
    if product_id is not None:
        stmt = stmt.where(Quant.product_id == product_id)
    if location_id is not None:
        stmt = stmt.where(Quant.location_id == location_id)
    if package_id is not None:
        stmt = stmt.where(Quant.package_id == package_id)
    if owner_id is not None:
        stmt = stmt.where(Quant.owner_id == owner_id)
    return list(session.scalars(stmt.order_by(Quant.id)))


def available_quantity(session: Session, quant: Quant) -> Decimal:
    reserved = _reserved_by_key(session, [quant.quant_key]).get(quant.quant_key, Decimal(0))
    return quant.quantity - reserved


def package_tree(session: Session, package: Package) -> list[int]:
    """The package and every package nested in it, one query per level of nesting."""
    ids, level = [package.id], [package.id]
    while level:
        level = list(session.scalars(select(Package.id).where(Package.parent_id.in_(level))))
        ids += level
    return ids


def move_package(session: Session, package: Package, to_location: Location, *,
                 prefix: str = "INT", origin: str | None = None,
                 kind: str = "transfer") -> StockDocument:
    """Move a pallet and everything on it (nested cartons included) with one document."""
    if to_location.usage == "view":
        raise ValidationError(N_("%(path)s is a view location: stock cannot be kept there"),
                              field="to_location", path=to_location.full_path)
    if package.location_id == to_location.id:
        raise ValidationError(N_("Package %(sscc)s is already at %(path)s"),
                              field="to_location", sscc=package.sscc, path=to_location.full_path)
    tree = package_tree(session, package)
    quants = list(session.scalars(select(Quant).where(Quant.package_id.in_(tree),
                                                      Quant.quantity > 0)
                                  .order_by(Quant.quant_key)))
    if quants and not all(visible_owner(q.owner_id) for q in quants):
        raise NotFound(N_("Package %(sscc)s not found"), field="package", sscc=package.sscc)
    document = new_document(session, kind, prefix, warehouse_id=to_location.warehouse_id,
                            origin=origin or package.sscc)
    if quants:
        post_moves(session, [MoveLine(
            product_id=q.product_id, quantity=q.quantity, from_location_id=q.location_id,
            to_location_id=to_location.id, owner_id=q.owner_id, customs_status=q.customs_status,
            lot_id=q.lot_id, package_id=q.package_id, to_package_id=q.package_id)
            for q in quants], document)
    # Set-based, and still audited: Package.location_id is a tracked field.
    update_tracked(session, Package, tree, {"location_id": to_location.id})
    for loaded in [o for o in session.identity_map.values()
                   if isinstance(o, Package) and o.id in tree]:
        session.expire(loaded, ["location_id", "updated_at", "updated_by_id"])
    document.transition("done")
    document.done_at = utcnow()
    return document


def adjust_count(session: Session, *, location: Location, product: Product, counted: Decimal,
                 owner_id: int, customs_status: str, reason: str, lot_id: int | None = None,
                 package_id: int | None = None, document: StockDocument | None = None,
                 loss_location: Location | None = None) -> Decimal:
    """Set the quantity of one key to what was counted; the difference goes to or comes from
    the inventory-loss location with the reason. Returns the difference posted."""
    if not (reason or "").strip():
        raise ValidationError(N_("A count adjustment needs a reason"), field="reason")
    if counted < 0:
        raise ValidationError(N_("Counted quantity cannot be negative"), field="counted")
    key = quant_key(product.id, location.id, lot_id, package_id, owner_id, customs_status)
    current = session.scalar(select(Quant.quantity).where(Quant.quant_key == key)
                             .with_for_update()) or Decimal(0)
    difference = counted - current
    if difference == 0:
        return difference
    loss = loss_location or virtual_location(session, "inventory")
    if difference > 0:
        line = MoveLine(product.id, difference, loss.id, location.id, owner_id, customs_status,
                        lot_id, None, package_id, reason=reason)
    else:
        line = MoveLine(product.id, -difference, location.id, loss.id, owner_id, customs_status,
                        lot_id, package_id, None, reason=reason)
    post_moves(session, [line], document)
    return difference


def virtual_location(session: Session, usage: str) -> Location:
    """The shared virtual location of a usage (suppliers, customers, inventory loss...)."""
    location = session.scalar(select(Location).where(Location.warehouse_id.is_(None),
                                                     Location.usage == usage)
                              .order_by(Location.id).limit(1))
    if location is None:
        raise NotFound(N_("No virtual %(usage)s location"), field="location", usage=usage)
    return location


def reserve_fefo(session: Session, document: StockDocument, *, product: Product,
                 quantity: Decimal, owner_id: int, from_root: Location, to_location: Location,
                 customs_status: str = "bonded", order_line_id: int | None = None,
                 reason: str | None = None) -> list[StockMove]:
    """Reserve stock under ``from_root`` for a document, first expiry first out.

    Only stock of the given owner and customs status counts: arrived (undeclared) goods are
    never reserved for a sale. Raises InsufficientStock when the subtree cannot cover it.
    """
    quantity = parse_quantity(quantity)
    prefix = from_root.full_path + "/"
    rows = session.execute(
        select(Quant, Lot.expiry_date)
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.product_id == product.id, Quant.owner_id == owner_id,
               Quant.customs_status == customs_status, Quant.quantity > 0,
               Location.usage == "internal",
               or_(Location.id == from_root.id, Location.full_path.startswith(prefix)))
        .order_by(Lot.expiry_date.is_(None), Lot.expiry_date, Quant.in_date, Quant.id)
        .with_for_update(of=Quant)).all()
    reserved = _reserved_by_key(session, [q.quant_key for q, _ in rows])
    moves, remaining, now = [], quantity, utcnow()
    for quant, _expiry in rows:
        free = quant.quantity - reserved.get(quant.quant_key, Decimal(0))
        if free <= 0:
            continue
        take = min(free, remaining)
        moves.append(StockMove(
            document_id=document.id, product_id=product.id, quantity=take,
            from_location_id=quant.location_id, to_location_id=to_location.id,
            lot_id=quant.lot_id, package_id=quant.package_id, owner_id=owner_id,
            customs_status=customs_status, to_customs_status=customs_status,
            source_key=quant.quant_key, state="reserved", order_line_id=order_line_id,
            reason=reason, created_by_id=current_actor().user_id, created_at=now))
        remaining -= take
        if remaining == 0:
            break
    if remaining > 0:
        raise InsufficientStock(
            N_("Not enough stock of product %(product)s at %(location)s: %(available)s "
               "available, %(wanted)s wanted"), field="quantity", product=product.sku,
            location=from_root.full_path, available=format_quantity(quantity - remaining),
            wanted=format_quantity(quantity))
    session.add_all(moves)
    session.flush()
    if document.state == "draft":
        document.transition("reserved")
    return moves


def unreserve(session: Session, document: StockDocument) -> int:
    """Release a document's reservations; the stock is free again."""
    result = session.execute(update(StockMove).where(StockMove.document_id == document.id,
                                                     StockMove.state == "reserved")
                             .values(state="cancelled").execution_options(
                                 synchronize_session="fetch"))
    return result.rowcount


def validate_reserved(session: Session, document: StockDocument) -> int:
    """Post a document's reserved moves as done (the reservation is consumed)."""
    reserved = list(session.scalars(select(StockMove).where(
        StockMove.document_id == document.id, StockMove.state == "reserved")
        .order_by(StockMove.id)))
    if not reserved:
        raise ValidationError(N_("Nothing reserved to post"), field="document")
    lines = [MoveLine(m.product_id, m.quantity, m.from_location_id, m.to_location_id,
                      m.owner_id, m.customs_status, m.lot_id, m.package_id, m.to_package_id,
                      m.to_customs_status, m.reason) for m in reserved]
    post_moves(session, lines, document, consuming=[m.id for m in reserved])
    document.transition("done")
    document.done_at = utcnow()
    return len(lines)
