"""Getting released orders out of the door: waves, picking, packing and shipping.

Each action is one door that the desk page, the scanner endpoint, the API and the CLI call:
``start_wave``, ``pick``, ``pack``, ``ship``. They lock what they change (the orders, the
reserved moves), check every rule here (released orders only, first expiry first out from
the owner's stock of the right customs status, the scanned location, product and lot, short
picks with a reason, S10 check digits) and write set-based: a wave of 1,000 lines, a batch
of 1,000 picks or an order of 1,000 lines takes the same number of statements as one of 10.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from wms.accountbook.services import book_document
from wms.catalog.models import Lot, Product
from wms.trace.models import blocked_lots, lot_is_blocked
from wms.core.messages import stored_message
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.inventory.barcodes import classify
from wms.inventory.models import Location, Quant, StockDocument, StockMove, Warehouse
from wms.inventory.services import (InsufficientStock, MoveLine, new_document, post_moves,
                                    virtual_location)
from wms.logistics.identifiers import validate_s10
from wms.logistics.parcels import register_shipped_parcels
from wms.partners.blacklist import refuse_held

from .intake import STOCK_STATUS, money
from .models import OrderLine, Parcel, SalesOrder, ShortPick, Wave, WaveOrder
from .queries import (find_order_to_pack, get_wave, open_picks_left, orders_by_refs,
                      plain_number)
from .rows import give_ids


def _areas(session: Session, warehouse: Warehouse) -> tuple[Location, Location]:
    """The warehouse's stock root and its output area, in one query."""
    found = {loc.full_path: loc for loc in session.scalars(select(Location).where(
        Location.full_path.in_((f"{warehouse.code}/Stock", f"{warehouse.code}/Output"))))}
    output = found.get(f"{warehouse.code}/Output")
    if output is None:
        raise NotFound(N_("Warehouse %(code)s has no output area"), field="warehouse",
                       code=warehouse.code)
    return found.get(f"{warehouse.code}/Stock", output), output


# ---------------------------------------------------------------- waves

def create_wave(session: Session, warehouse: Warehouse, orders: list[SalesOrder]) -> Wave:
    """Reserve the released orders' goods first expiry first out, from the owner's stock of
    the right customs status only; an order the stock cannot cover whole stays released,
    with the reason, and the others go ahead."""
    if not orders:
        raise ValidationError(N_("Choose at least one released order"), field="orders")
    for order in orders:
        if order.state != "released" or order.warehouse_id != warehouse.id:
            raise Conflict(N_("Order %(name)s is %(state)s: only released orders of this "
                              "warehouse join a wave"), field="orders", name=order.name,
                           state=order.state)
    stock_root, output = _areas(session, warehouse)
    lines = list(session.scalars(select(OrderLine).where(
        OrderLine.order_id.in_([o.id for o in orders])).order_by(OrderLine.order_id,
                                                                  OrderLine.gnum)))
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    free = _free_quants(session, stock_root, {o.owner_id for o in orders},
                        {ln.product_id for ln in lines},
                        {STOCK_STATUS[o.trade_mode] for o in orders})
    document = new_document(session, "pick", f"{warehouse.code}/PICK",
                            warehouse_id=warehouse.id)
    wave = Wave(warehouse_id=warehouse.id, document_id=document.id)
    session.add(wave)
    wave.assign_name(session, f"{warehouse.code}/WAVE")
    session.flush()
    rows, joined, now, actor = [], [], utcnow(), current_actor().user_id
    for order in orders:
        status = STOCK_STATUS[order.trade_mode]
        takes, short = [], None
        pending: dict[str, Decimal] = defaultdict(Decimal)
        for line in by_order[order.id]:
            wanted = line.qty - line.picked_qty
            if wanted <= 0:
                continue  # picked in an earlier wave
            candidates = free.get((line.product_id, order.owner_id, status), [])
            left = wanted
            for quant in candidates:
                if left <= 0:
                    break
                take = min(quant.free - pending[quant.key], left)
                if take > 0:
                    pending[quant.key] += take
                    takes.append((quant, take, line))
                    left -= take
            if left > 0:
                short = stored_message(N_(
                    "Not enough stock of product %(product)s at %(location)s: "
                    "%(available)s available, %(wanted)s wanted"), dict(
                    product=line.product.sku, location=stock_root.full_path,
                    available=plain_number(wanted - left), wanted=plain_number(wanted)))
                break
        if short is not None:
            order.hold_reason = short
            continue
        for quant, take, line in takes:
            quant.free -= take
            rows.append(dict(
                document_id=document.id, product_id=line.product_id, quantity=take,
                from_location_id=quant.location_id, to_location_id=output.id,
                lot_id=quant.lot_id, package_id=quant.package_id, owner_id=order.owner_id,
                customs_status=status, to_customs_status=status, source_key=quant.key,
                state="reserved", order_line_id=line.id, reason=f"{order.name}#{line.gnum}",
                created_by_id=actor, created_at=now))
        joined.append(order)
    if rows:
        session.execute(insert(StockMove.__table__), rows)
        document.transition("reserved")
    session.add_all([WaveOrder(wave_id=wave.id, order_id=o.id) for o in joined])
    for order in joined:
        order.transition("picking", reason=wave.name)
    session.flush()
    return wave


@dataclass
class _FreeQuant:
    key: str
    location_id: int
    lot_id: int | None
    package_id: int | None
    free: Decimal


def _free_quants(session: Session, root: Location, owners: set[int], products: set[int],
                 statuses: set[str]) -> dict[tuple[int, int, str], list[_FreeQuant]]:
    """Per (product, owner, status): the quants under ``root`` with free stock, first expiry
    first out, locked so that two waves cannot promise the same goods."""
    if not products:
        return {}
    prefix = root.full_path + "/"
    rows = session.execute(
        select(Quant.quant_key, Quant.product_id, Quant.owner_id, Quant.customs_status,
               Quant.location_id, Quant.lot_id, Quant.package_id, Quant.quantity)
        .join(Location, Location.id == Quant.location_id)
        .outerjoin(Lot, Lot.id == Quant.lot_id)
        .where(Quant.product_id.in_(products), Quant.owner_id.in_(owners),
               Quant.customs_status.in_(statuses), Quant.quantity > 0,
               Location.usage == "internal", ~lot_is_blocked(Quant.lot_id),
               (Location.id == root.id) | Location.full_path.startswith(prefix))
        .order_by(Lot.expiry_date.is_(None), Lot.expiry_date, Quant.in_date, Quant.id)
        .with_for_update(of=Quant)).all()
    reserved = dict(session.execute(
        select(StockMove.source_key, func.sum(StockMove.quantity))
        .where(StockMove.state == "reserved",
               StockMove.source_key.in_([r.quant_key for r in rows] or [""]))
        .group_by(StockMove.source_key)).all())
    free: dict[tuple[int, int, str], list[_FreeQuant]] = defaultdict(list)
    for r in rows:
        left = r.quantity - Decimal(reserved.get(r.quant_key) or 0)
        if left > 0:
            free[(r.product_id, r.owner_id, r.customs_status)].append(_FreeQuant(
                r.quant_key, r.location_id, r.lot_id, r.package_id, left))
    return free


@dataclass
class WaveStart:
    wave: Wave
    joined: list[SalesOrder]
    skipped: list[SalesOrder] = field(default_factory=list)  # hold_reason says why


def start_wave(session: Session, warehouse_code: str, order_refs: list) -> WaveStart:
    """The door: a wave of the named released orders (by id, platform order number or name;
    locked, owner-scoped); refused when none of them can be reserved, so no empty wave is
    left behind."""
    code = (warehouse_code or "").strip().upper()
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        raise ValidationError(N_("Unknown warehouse %(code)s"), field="warehouse",
                              code=warehouse_code)
    if not order_refs:
        raise ValidationError(N_("Choose at least one released order"), field="orders")
    orders: list[SalesOrder] = []
    for order in orders_by_refs(session, list(order_refs), lock=True):
        if order not in orders:
            orders.append(order)
    refuse_held(session, "order", orders, "orders")
    wave = create_wave(session, warehouse, orders)
    joined = [o for o in orders if o.state == "picking"]
    skipped = [o for o in orders if o.state != "picking"]
    if not joined:
        raise Conflict(N_("No order could be reserved (%(orders)s): each order shows why"),
                       field="orders", orders=", ".join(o.order_no for o in skipped))
    return WaveStart(wave, joined, skipped)


# ---------------------------------------------------------------- picking

@dataclass(frozen=True)
class PickScan:
    """What the picker reports for one reserved line: the quantity taken and, as scanned,
    the location and the product (either may be left out at a desk)."""
    move_id: int
    quantity: Any
    reason: str | None = None
    location: str | None = None
    product: str | None = None


@dataclass
class PickResult:
    move_id: int
    order_line_id: int | None
    sku: str
    expected: Decimal
    picked: Decimal

    @property
    def short(self) -> bool:
        return self.picked < self.expected


def _quantity(value: Any, maximum: Decimal) -> Decimal:
    if value is None or str(value).strip() == "":
        raise ValidationError(N_("Enter the quantity picked"), field="quantity")
    try:
        qty = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Quantity must be a number"), field="quantity") from None
    if not qty.is_finite() or qty < 0 or qty > maximum:
        raise ValidationError(N_("Picked quantity must be between 0 and %(max)s"),
                              field="quantity", max=maximum)
    return qty


def _product_scan(code: str) -> tuple[set[str], str | None, bool]:
    """The codes a product scan may match (GTIN in its 13 and 14 digit forms, or the SKU),
    the lot a GS1 label names, and whether it names a package instead."""
    scan = classify(code)
    if not scan.valid:
        raise ValidationError(N_("%(code)s does not check: misread? Scan again."),
                              field="product", code=code)
    if scan.kind == "sscc" or (scan.kind == "gs1" and scan.parts.get("sscc")):
        return set(), None, True
    value = code.strip()
    lot = None
    if scan.kind == "gs1":
        value = scan.parts.get("gtin") or scan.parts.get("content_gtin") or ""
        lot = scan.parts.get("lot")
    elif scan.kind == "gtin":
        value = scan.value
    codes = {value}
    if value.isdigit():
        codes |= {value.zfill(14), value.lstrip("0").zfill(13)}
    return codes, lot, False


def confirm_picks(session: Session, wave: Wave, scans: list[PickScan]) -> list[PickResult]:
    """Confirm reserved lines of a wave: what was picked moves to the output area; less than
    reserved is a short pick, recorded with its reason, and the rest of the reservation is
    released. Orders whose lines are all picked are ``picked``; one picked short with
    nothing left to pick goes back to ``released`` for the next wave."""
    if not scans:
        raise ValidationError(N_("Nothing to move"), field="move")
    ids = [s.move_id for s in scans]
    moves = {m.id: m for m in session.scalars(select(StockMove).where(
        StockMove.id.in_(ids), StockMove.document_id == wave.document_id)
        .with_for_update())}
    locations = {loc.id: loc for loc in session.scalars(select(Location).where(
        Location.id.in_({m.from_location_id for m in moves.values()} or {0})))}
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({m.product_id for m in moves.values()} or {0})))}
    lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
        Lot.id.in_({m.lot_id for m in moves.values() if m.lot_id} or {0})))}
    recalled = blocked_lots(session, lots)
    scanned_places = {(s.location or "").strip().upper() for s in scans if s.location}
    known_places = {code.upper(): path for code, path in session.execute(
        select(Location.barcode, Location.full_path).where(
            func.upper(Location.barcode).in_(scanned_places or {""}), Location.active))}
    product_codes = set()
    for s in scans:
        if s.product and s.product.strip():
            product_codes |= _product_scan(s.product)[0]
    known_codes = {c for row in session.execute(select(Product.sku, Product.gtin).where(
        Product.active, Product.sku.in_(product_codes or {""}) |
        Product.gtin.in_(product_codes or {""}))) for c in row if c}
    results, lines, consuming, cancelled, shorts, now = [], [], [], [], [], utcnow()
    handled: set[int] = set()
    for s in scans:
        move = moves.get(s.move_id)
        if move is None or move.state != "reserved" or s.move_id in handled:
            raise NotFound(N_("No open pick %(id)s in this wave"), field="move", id=s.move_id)
        product = products[move.product_id]
        place = locations[move.from_location_id]
        if move.lot_id in recalled:
            raise Conflict(N_("Lot %(lot)s is recalled: leave it where it is"), field="move",
                           lot=lots[move.lot_id])
        if s.location and s.location.strip():
            code = s.location.strip()
            if code.upper() not in known_places:
                raise NotFound(N_("%(code)s is not a known location barcode"),
                               field="location", code=code)
            if code.upper() != (place.barcode or "").upper():
                raise ValidationError(N_("Wrong location %(code)s: pick from %(path)s"),
                                      field="location", code=code, path=place.full_path)
        if s.product and s.product.strip():
            code = s.product.strip()
            codes, lot, package = _product_scan(code)
            if not package and not codes & known_codes:
                raise NotFound(N_("Unknown barcode %(code)s"), field="product", code=code)
            if package or not codes & {product.sku, product.gtin}:
                raise ValidationError(N_("%(code)s is not %(sku)s"), field="product",
                                      code=code, sku=product.sku)
            expected_lot = lots.get(move.lot_id)
            if lot and expected_lot and lot != expected_lot:
                raise ValidationError(N_("Lot %(lot)s is not the reserved lot %(expected)s"),
                                      field="product", lot=lot, expected=expected_lot)
        qty = _quantity(s.quantity, move.quantity)
        if qty < move.quantity:
            if not (s.reason or "").strip():
                raise ValidationError(N_("Say why less was picked"), field="reason")
            shorts.append(ShortPick(wave_id=wave.id, move_id=move.id,
                                    expected_qty=move.quantity, picked_qty=qty,
                                    reason=s.reason.strip()[:200], recorded_at=now))
        if qty > 0:
            lines.append(MoveLine(move.product_id, qty, move.from_location_id,
                                  move.to_location_id, move.owner_id, move.customs_status,
                                  move.lot_id, move.package_id, None, move.to_customs_status,
                                  move.reason, order_line_id=move.order_line_id))
            consuming.append(move.id)
        else:
            cancelled.append(move.id)
        handled.add(move.id)
        results.append(PickResult(move.id, move.order_line_id, product.sku, move.quantity,
                                  qty))
    give_ids(session, shorts)
    session.add_all(shorts)
    if lines:
        post_moves(session, lines, session.get(StockDocument, wave.document_id),
                   consuming=consuming)
    if cancelled:
        session.execute(update(StockMove.__table__).where(
            StockMove.__table__.c.id.in_(cancelled)).values(state="cancelled"))
    session.flush()
    _follow_orders(session, wave, results)
    if not open_picks_left(session, wave) and wave.state == "open":
        wave.transition("done")
    session.flush()
    return results


def _follow_orders(session: Session, wave: Wave, results: list[PickResult]) -> None:
    picked: dict[int, Decimal] = defaultdict(Decimal)
    for r in results:
        if r.order_line_id:
            picked[r.order_line_id] += r.picked
    if not picked:
        return
    order_ids = set(session.scalars(select(OrderLine.order_id).where(
        OrderLine.id.in_(picked))))
    orders = list(session.scalars(select(SalesOrder).where(SalesOrder.id.in_(order_ids))
                                  .order_by(SalesOrder.id).with_for_update(of=SalesOrder)))
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id.in_(order_ids))))
    open_by_order = dict(session.execute(
        select(OrderLine.order_id, func.count()).select_from(StockMove).join(
            OrderLine, OrderLine.id == StockMove.order_line_id).where(
            StockMove.document_id == wave.document_id, StockMove.state == "reserved",
            OrderLine.order_id.in_(order_ids)).group_by(OrderLine.order_id)).all())
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        line.picked_qty += picked.get(line.id, Decimal(0))
        by_order[line.order_id].append(line)
    for order in orders:
        mine = by_order[order.id]
        if all(ln.picked_qty >= ln.qty for ln in mine):
            order.transition("picked", reason=wave.name)
        elif not open_by_order.get(order.id):
            # Picked short and nothing left to pick in this wave: back to the queue for the
            # next wave, which reserves only what is still missing.
            order.hold_reason = stored_message(N_("short pick in %(wave)s"), {"wave": wave.name})
            order.transition("released", reason=order.hold_reason)


def confirm_pick(session: Session, wave: Wave, move_id: int, picked: Any,
                 reason: str | None = None) -> StockMove:
    """One reserved line picked (``confirm_picks`` with a single line, no scans)."""
    confirm_picks(session, wave, [PickScan(move_id, picked, reason)])
    return session.get(StockMove, move_id)


def pick(session: Session, wave_id: int, scan: PickScan) -> tuple[PickResult, Wave, int]:
    """The door for one scanned pick: the result, the wave and how many lines are left."""
    wave = get_wave(session, wave_id)
    result = confirm_picks(session, wave, [scan])[0]
    return result, wave, open_picks_left(session, wave)


# ---------------------------------------------------------------- packing and shipping

def pack_order(session: Session, order: SalesOrder, *, tracking_no: str,
               weight_kg: Any) -> Parcel:
    """A parcel for a picked order; the parcel gets its waybill or S10 number."""
    if order.state != "picked":
        raise Conflict(N_("Order %(name)s is %(state)s: only a picked order is packed"),
                       field="order", name=order.name, state=order.state)
    tracking_no = (tracking_no or "").strip().upper()
    if len(tracking_no) == 13 and tracking_no[:2].isalpha() and tracking_no[-2:].isalpha():
        tracking_no = validate_s10(tracking_no, "tracking_no")
    elif not tracking_no:
        raise ValidationError(N_("Scan the waybill or S10 number"), field="tracking_no")
    weight = money(weight_kg, "weight_kg") if weight_kg not in (None, "") else None
    if not weight or weight <= 0:
        raise ValidationError(N_("Weigh the parcel"), field="weight_kg")
    if session.scalar(select(Parcel.id).where(Parcel.tracking_no == tracking_no)):
        raise Conflict(N_("%(no)s is already on another parcel"), field="tracking_no",
                       no=tracking_no)
    parcel = Parcel(order_id=order.id, tracking_no=tracking_no, weight_kg=weight)
    session.add(parcel)
    order.transition("packed", reason=tracking_no)
    session.flush()
    return parcel


def pack(session: Session, order_code: str | None, tracking_no: str | None,
         weight_kg: Any) -> tuple[SalesOrder, Parcel]:
    """The door: the order scanned (name, number, waybill), locked, then packed."""
    order = find_order_to_pack(session, order_code, lock=True)
    return order, pack_order(session, order, tracking_no=tracking_no or "",
                             weight_kg=weight_kg)


def ship_order(session: Session, order: SalesOrder) -> None:
    """The parcel leaves through the second line: the goods go to the customer and are
    written off the account book; a 9810 export goes in transit to its overseas warehouse."""
    if order.state != "packed":
        raise Conflict(N_("Order %(name)s is %(state)s: only a packed order ships"),
                       field="order", name=order.name, state=order.state)
    warehouse = session.get(Warehouse, order.warehouse_id)
    _root, output = _areas(session, warehouse)
    status = STOCK_STATUS[order.trade_mode]
    if order.trade_mode == "9810":
        target, to_status = virtual_location(session, "transit"), "export"
    else:
        target = virtual_location(session, "customer")
        to_status = "released" if order.trade_mode == "1210" else "export"
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                                 .order_by(OrderLine.gnum)))
    quants: dict[int, list[Quant]] = defaultdict(list)
    for quant in session.scalars(select(Quant).where(
            Quant.location_id == output.id,
            Quant.product_id.in_({ln.product_id for ln in lines} or {0}),
            Quant.owner_id == order.owner_id, Quant.customs_status == status,
            Quant.quantity > 0).order_by(Quant.id)):
        quants[quant.product_id].append(quant)
    document = new_document(session, "ship", f"{warehouse.code}/SHIP",
                            warehouse_id=warehouse.id, origin=order.name)
    moves, now = [], utcnow()
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        left = line.picked_qty
        for quant in quants[line.product_id]:
            if left <= 0:
                break
            take = min(left, quant.quantity - taken[quant.id])
            if take <= 0:
                continue
            taken[quant.id] += take
            moves.append(MoveLine(line.product_id, take, output.id, target.id, order.owner_id,
                                  status, quant.lot_id, quant.package_id, None, to_status,
                                  f"ship {order.name}", order_line_id=line.id))
            left -= take
        if left > 0:
            raise InsufficientStock(N_("%(qty)s of %(sku)s are missing in the output area"),
                                    field="order", qty=left, sku=line.product.sku)
    post_moves(session, moves, document)
    document.transition("done")
    document.done_at = now
    book_document(session, document, "shipment", order.name)
    for parcel in session.scalars(select(Parcel).where(Parcel.order_id == order.id)):
        parcel.shipped_at = now
    register_shipped_parcels(session, order, now)
    order.transition("shipped", reason=document.name)
    session.flush()


def ship(session: Session, order_code: str | None) -> SalesOrder:
    """The door: the order scanned (name, number, waybill or parcel), locked, shipped."""
    order = find_order_to_pack(session, order_code, lock=True)
    ship_order(session, order)
    return order
