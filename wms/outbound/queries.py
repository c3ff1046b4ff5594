"""Reads of outbound that the desk pages, the scanner pages and the API share.

Every order read is owner-scoped (``scope_to_owner`` / ``visible_owner``): an owner user
gets "not found" for another owner's order, whichever way it is named (id, platform order
number, name, waybill or parcel number).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.parsing import ascii_id
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs.models import CustomsMessage
from wms.customs.rules import RetailLimits
from wms.inventory.models import Location, Quant, StockMove, Warehouse

from .models import (InventoryList, OrderLine, Parcel, SalesOrder, ShortPick, Wave, WaveOrder,
                     Waybill)

BEIJING = ZoneInfo("Asia/Shanghai")  # the buyer's calendar year is China's
# Orders that use the buyer's annual quota (rejected and cancelled ones give it back).
COUNTED_STATES = ("received", "declared", "released", "held", "picking", "picked", "packed",
                  "shipped")
# The list's tabs: retail import, B2C export, and B2B export kept apart from both.
KINDS = {"import": ("1210",), "b2c": ("9610",), "b2b": ("9710", "9810")}


def plain_number(value) -> str:
    """A quantity or amount without trailing zeros: 240, 0.5, 12.13."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


# ---------------------------------------------------------------- the buyer's quota

def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=BEIJING), datetime(year + 1, 1, 1, tzinfo=BEIJING)


def buyer_year_total(session: Session, id_number: str, year: int) -> Decimal:
    """What the buyer spent on retail imports this calendar year, returns given back."""
    return buyer_year_totals(session, {(id_number, year)}).get((id_number, year), Decimal(0))


def buyer_year_totals(session: Session, keys: set[tuple[str, int]]
                      ) -> dict[tuple[str, int], Decimal]:
    """The year totals of many (buyer, year) pairs in one grouped query."""
    if not keys:
        return {}
    years = {year for _, year in keys}
    start, end = _year_bounds(min(years))[0], _year_bounds(max(years))[1]
    rows = session.execute(
        select(SalesOrder.buyer_id_number, SalesOrder.ordered_at,
               SalesOrder.actual_paid - SalesOrder.refunded)
        .where(SalesOrder.buyer_id_number.in_({buyer for buyer, _ in keys}),
               SalesOrder.trade_mode == "1210", SalesOrder.state.in_(COUNTED_STATES),
               SalesOrder.ordered_at >= start, SalesOrder.ordered_at < end))
    totals = {key: Decimal(0) for key in keys}
    for buyer, ordered_at, amount in rows:
        key = (buyer, ordered_at.astimezone(BEIJING).year)
        if key in totals:
            totals[key] += Decimal(amount)
    return totals


def remaining_quota(session: Session, buyer_id: str, year: int,
                    limits: RetailLimits) -> Decimal:
    """What the buyer may still spend on retail imports this calendar year."""
    left = limits.per_year - buyer_year_total(session, buyer_id, year)
    return max(left, Decimal(0))


def order_quota(session: Session, order: SalesOrder, limits: RetailLimits) -> Decimal | None:
    if order.trade_mode != "1210":
        return None
    return remaining_quota(session, order.buyer_id_number,
                           order.ordered_at.astimezone(BEIJING).year, limits)


def free_stock(session: Session, keys: set[tuple[int, int, int, str]]
               ) -> dict[tuple[int, int, int, str], Decimal]:
    """Free stock per (warehouse, product, owner, customs status) in the warehouses'
    internal locations, net of reservations: two grouped queries for any number of keys."""
    if not keys:
        return {}
    warehouses, products, owners, statuses = (set(k[i] for k in keys) for i in range(4))
    free: dict[tuple[int, int, int, str], Decimal] = defaultdict(Decimal)
    for warehouse_id, product_id, owner_id, status, qty in session.execute(
            select(Location.warehouse_id, Quant.product_id, Quant.owner_id,
                   Quant.customs_status, func.sum(Quant.quantity))
            .join(Location, Location.id == Quant.location_id)
            .where(Quant.product_id.in_(products), Quant.owner_id.in_(owners),
                   Quant.customs_status.in_(statuses), Location.usage == "internal",
                   Location.warehouse_id.in_(warehouses))
            .group_by(Location.warehouse_id, Quant.product_id, Quant.owner_id,
                      Quant.customs_status)):
        free[(warehouse_id, product_id, owner_id, status)] += Decimal(qty)
    for warehouse_id, product_id, owner_id, status, qty in session.execute(
            select(Location.warehouse_id, StockMove.product_id, StockMove.owner_id,
                   StockMove.customs_status, func.sum(StockMove.quantity))
            .join(Location, Location.id == StockMove.from_location_id)
            .where(StockMove.state == "reserved", StockMove.product_id.in_(products),
                   StockMove.owner_id.in_(owners), StockMove.customs_status.in_(statuses),
                   Location.warehouse_id.in_(warehouses))
            .group_by(Location.warehouse_id, StockMove.product_id, StockMove.owner_id,
                      StockMove.customs_status)):
        free[(warehouse_id, product_id, owner_id, status)] -= Decimal(qty)
    return free


# ---------------------------------------------------------------- finding orders

def orders_query(state: str | None = None, trade_mode: str | None = None, *,
                 kind: str | None = None, search: str | None = None):
    """Newest first, the actor's owners only; ``search`` looks in numbers and names."""
    stmt = select(SalesOrder).order_by(SalesOrder.id.desc())
    if state:
        stmt = stmt.where(SalesOrder.state == state)
    if trade_mode:
        stmt = stmt.where(SalesOrder.trade_mode == trade_mode)
    if kind in KINDS:
        stmt = stmt.where(SalesOrder.trade_mode.in_(KINDS[kind]))
    if search:
        like = f"%{search}%"
        stmt = stmt.where(or_(SalesOrder.order_no.ilike(like), SalesOrder.name.ilike(like),
                              SalesOrder.buyer_name.ilike(like),
                              SalesOrder.consignee.ilike(like)))
    return scope_to_owner(stmt, SalesOrder.owner_id)


def order_counts(session: Session, by: str, kind: str | None = None) -> dict[str, int]:
    """How many of the actor's orders per ``trade_mode`` or per ``state`` (within a kind)."""
    column = SalesOrder.trade_mode if by == "trade_mode" else SalesOrder.state
    stmt = select(column, func.count()).group_by(column)
    if kind in KINDS:
        stmt = stmt.where(SalesOrder.trade_mode.in_(KINDS[kind]))
    return {key: n for key, n in session.execute(scope_to_owner(stmt, SalesOrder.owner_id))}


def get_order(session: Session, order_id: int) -> SalesOrder:
    order = session.get(SalesOrder, order_id)
    if order is None or not visible_owner(order.owner_id):
        raise NotFound(N_("Order %(id)s not found"), field="order", id=order_id)
    return order


def orders_by_refs(session: Session, refs: list, *, lock: bool = False,
                   field: str = "orders") -> list[SalesOrder]:
    """Orders named by id, platform order number or name (slashes may be written as
    hyphens), in one query, in the order named; another owner's order is not found (the
    error names ``orders[i]``). ``lock``: FOR UPDATE, for a door that changes them."""
    refs = [str(r or "").strip() for r in refs]
    ids = {n for n in map(ascii_id, refs) if n}
    names = set(refs) | {r.replace("-", "/") for r in refs}
    stmt = orders_query().order_by(None).where(
        SalesOrder.id.in_(ids) | SalesOrder.order_no.in_(refs) | SalesOrder.name.in_(names)
    ).order_by(SalesOrder.id)
    found = list(session.scalars(stmt.with_for_update(of=SalesOrder) if lock else stmt))
    by_id = {str(o.id): o for o in found}
    by_no = {o.order_no: o for o in found}
    by_name = {o.name: o for o in found}
    orders = []
    for i, ref in enumerate(refs):
        order = by_id.get(ref) or by_no.get(ref) or by_name.get(ref) or \
            by_name.get(ref.replace("-", "/"))
        if order is None:
            raise NotFound(N_("Order %(id)s not found"),
                           field=f"{field}[{i}]" if len(refs) > 1 or field == "orders"
                           else field, id=ref)
        orders.append(order)
    return orders


def resolve_order(session: Session, ref, *, lock: bool = False) -> SalesOrder:
    """One order by id, number or name (see ``orders_by_refs``)."""
    return orders_by_refs(session, [ref], lock=lock, field="order")[0]


def find_order_to_pack(session: Session, code: str | None, *, lock: bool = False) -> SalesOrder:
    """The order a packer scanned: its name, the platform's order number, its waybill
    number or a parcel's tracking number (owner-scoped like every order read)."""
    code = (code or "").strip()
    if not code:
        raise ValidationError(N_("Scan the order or its waybill"), field="order")
    try:
        return resolve_order(session, code, lock=lock)
    except NotFound:
        pass
    upper = code.upper()
    stmt = orders_query().order_by(None).where(or_(
        SalesOrder.id.in_(select(Waybill.order_id).where(
            func.upper(Waybill.logistics_no) == upper)),
        SalesOrder.id.in_(select(Parcel.order_id).where(Parcel.tracking_no == upper))
    )).order_by(SalesOrder.id).limit(1)
    order = session.scalars(stmt.with_for_update(of=SalesOrder) if lock else stmt).first()
    if order is None:
        raise NotFound(N_("No order, waybill or parcel %(code)s"), field="order", code=code)
    return order


# ---------------------------------------------------------------- what belongs to an order

def listing_of(session: Session, order: SalesOrder) -> InventoryList | None:
    return session.scalar(select(InventoryList).where(InventoryList.order_id == order.id))


def messages_of(session: Session, order: SalesOrder) -> list[CustomsMessage]:
    return list(session.scalars(select(CustomsMessage).where(
        CustomsMessage.business_key == order.order_no,
        CustomsMessage.owner_id == order.owner_id).order_by(CustomsMessage.id)))


def parcels_of(session: Session, order: SalesOrder) -> list[Parcel]:
    return list(session.scalars(select(Parcel).where(Parcel.order_id == order.id)
                                .order_by(Parcel.id)))


def wave_of(session: Session, order: SalesOrder) -> Wave | None:
    """The order's latest wave (one picked short joins a later wave too)."""
    return session.scalars(select(Wave).join(WaveOrder, WaveOrder.wave_id == Wave.id)
                           .where(WaveOrder.order_id == order.id)
                           .order_by(Wave.id.desc())).first()


def short_picks_of(session: Session, order: SalesOrder, wave: Wave) -> list[tuple]:
    """The wave's short picks of this order's lines, with their moves."""
    return list(session.execute(select(ShortPick, StockMove).join(
        StockMove, StockMove.id == ShortPick.move_id).join(
        OrderLine, OrderLine.id == StockMove.order_line_id).where(
        ShortPick.wave_id == wave.id, OrderLine.order_id == order.id)
        .order_by(ShortPick.id)).all())


def destination_of(session: Session, order: SalesOrder) -> Warehouse | None:
    if not order.destination_warehouse_id:
        return None
    return session.get(Warehouse, order.destination_warehouse_id)


def has_arrived(session: Session, order: SalesOrder) -> bool:
    """A 9810 export's goods left transit for its overseas warehouse."""
    return bool(session.scalar(select(StockMove.id).join(
        Location, Location.id == StockMove.from_location_id).join(
        OrderLine, OrderLine.id == StockMove.order_line_id).where(
        OrderLine.order_id == order.id, Location.usage == "transit",
        StockMove.state == "done").limit(1)))


# ---------------------------------------------------------------- waves

def get_wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise NotFound(N_("Wave %(id)s not found"), field="wave", id=wave_id)
    return wave


def wave_orders(session: Session, wave: Wave) -> list[SalesOrder]:
    return list(session.scalars(select(SalesOrder).join(
        WaveOrder, WaveOrder.order_id == SalesOrder.id).where(WaveOrder.wave_id == wave.id)
        .order_by(SalesOrder.id)))


def wave_moves(session: Session, wave: Wave) -> list[StockMove]:
    return list(session.scalars(select(StockMove).where(
        StockMove.document_id == wave.document_id).order_by(StockMove.from_location_id,
                                                             StockMove.id)))


def wave_progress(session: Session, waves: list[Wave]) -> dict[int, tuple[int, int]]:
    """Per wave: lines handled (picked or not found) and lines in all, in one query."""
    if not waves:
        return {}
    by_document = {w.document_id: w.id for w in waves}
    rows = session.execute(
        select(StockMove.document_id, func.count(),
               func.sum(case((StockMove.state != "reserved", 1), else_=0)))
        .where(StockMove.document_id.in_(by_document)).group_by(StockMove.document_id))
    progress = {w.id: (0, 0) for w in waves}
    for document_id, total, handled in rows:
        progress[by_document[document_id]] = (int(handled or 0), int(total))
    return progress


def open_picks_left(session: Session, wave: Wave) -> int:
    return session.scalar(select(func.count()).select_from(StockMove).where(
        StockMove.document_id == wave.document_id, StockMove.state == "reserved"))


@dataclass(frozen=True)
class PickRow:
    """One line of the pick list: where, what, how many, for which order."""
    move: StockMove
    product: Product
    location: Location
    lot: Lot | None
    order_name: str
    gnum: str
    short: ShortPick | None

    @property
    def expected(self) -> Decimal:
        return self.short.expected_qty if self.short else self.move.quantity

    @property
    def picked(self) -> Decimal | None:
        if self.short is not None:
            return self.short.picked_qty
        return self.move.quantity if self.move.state == "done" else None


def pick_rows(session: Session, wave: Wave) -> list[PickRow]:
    """The wave's lines sorted by location path (the walk through the warehouse), then
    product and lot; picked and short lines stay on the list with what happened."""
    moves = wave_moves(session, wave)
    locations = {loc.id: loc for loc in session.scalars(select(Location).where(
        Location.id.in_({m.from_location_id for m in moves} or {0})))}
    lots = {lot.id: lot for lot in session.scalars(select(Lot).where(
        Lot.id.in_({m.lot_id for m in moves if m.lot_id} or {0})))}
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({m.product_id for m in moves} or {0})))}
    shorts = {s.move_id: s for s in session.scalars(select(ShortPick).where(
        ShortPick.wave_id == wave.id))}
    lines = {line_id: (name, gnum) for line_id, name, gnum in session.execute(
        select(OrderLine.id, SalesOrder.name, OrderLine.gnum).join(
            SalesOrder, SalesOrder.id == OrderLine.order_id).where(
            OrderLine.id.in_({m.order_line_id for m in moves if m.order_line_id} or {0})))}
    rows = []
    for move in moves:
        order_name, gnum = lines.get(move.order_line_id, ("", ""))
        rows.append(PickRow(move, products[move.product_id], locations[move.from_location_id],
                            lots.get(move.lot_id), order_name, str(gnum), shorts.get(move.id)))
    return sorted(rows, key=lambda r: (r.location.full_path, r.product.sku,
                                       r.lot.name if r.lot else "", r.move.id))


def wave_lines(session: Session, wave: Wave) -> list[dict]:
    """The pick lines in walking order, as the handheld page and the API show them."""
    lines = []
    for r in pick_rows(session, wave):
        product = r.product
        lines.append({
            "move": r.move.id, "location": r.location.full_path,
            "location_barcode": r.location.barcode or "", "sku": product.sku,
            "gtin": product.gtin or "", "name": product.name_zh,
            "lot": r.lot.name if r.lot else "",
            "expiry": r.lot.expiry_date.isoformat() if r.lot and r.lot.expiry_date else "",
            "qty": plain_number(r.expected), "state": r.move.state,
            "picked": plain_number(r.picked) if r.picked is not None else "",
            "short": bool(r.short), "reason": r.short.reason if r.short else "",
            "order": r.order_name,
        })
    return lines


# ---------------------------------------------------------------- the picking desk

def picking_warehouses(session: Session) -> list[Warehouse]:
    """Bonded warehouses first, then the others, by code."""
    rows = session.scalars(select(Warehouse).order_by(Warehouse.code)).all()
    return sorted(rows, key=lambda w: (w.kind != "bonded", w.code))


def released_orders(session: Session, warehouse: Warehouse) -> list[SalesOrder]:
    """Orders customs released that wait for a wave, oldest first."""
    return list(session.scalars(orders_query("released").order_by(None).where(
        SalesOrder.warehouse_id == warehouse.id).order_by(SalesOrder.ordered_at,
                                                          SalesOrder.id)))


def packable_orders(session: Session, warehouse: Warehouse) -> list[SalesOrder]:
    return list(session.scalars(orders_query().order_by(None).where(
        SalesOrder.state.in_(("picked", "packed")), SalesOrder.warehouse_id == warehouse.id)
        .order_by(SalesOrder.id)))


def recent_waves(session: Session, warehouse: Warehouse, limit: int = 20
                 ) -> tuple[list[Wave], dict[int, tuple[int, int]]]:
    """Waves with lines still to pick first, then the newest; with their progress."""
    waves = list(session.scalars(select(Wave).where(Wave.warehouse_id == warehouse.id)
                                 .order_by(Wave.state != "open", Wave.id.desc()).limit(limit)))
    progress = wave_progress(session, waves)
    waves.sort(key=lambda w: (progress[w.id][0] >= progress[w.id][1], -w.id))
    return waves, progress


def orders_by_numbers(session: Session, order_nos: set[str]) -> dict[str, SalesOrder]:
    """The actor's orders named by platform order numbers (the outbox page's links)."""
    if not order_nos:
        return {}
    return {o.order_no: o for o in session.scalars(scope_to_owner(
        select(SalesOrder).where(SalesOrder.order_no.in_(order_nos)), SalesOrder.owner_id))}

