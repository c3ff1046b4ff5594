"""The whole chain of a code, forward and back, in a fixed number of queries.

The ledger is the backbone: every done ``stock_move`` of the traced lots, with its typed
links (``order_line_id``, ``return_line_id``), says where the goods came from and went.
Around it: the receipts that tallied the lots (supplier, ASN, transport, entry declaration
and customs' decisions), the stock per location now, the orders and inventory lists the
goods left on, their parcels with tracking events, the buyers (masked unless the reader's
role may see personal data) and the returns. About fifteen statements, whatever the size.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from wms.catalog.models import Lot, Product
from wms.core.context import current_actor
from wms.core.privacy import can_see_personal_data, mask_id_number, mask_phone
from wms.core.scoping import scope_to_owner
from wms.inbound.models import DeclarationLine, EntryDeclaration, Receipt, TallyScan
from wms.inventory.models import STOCKED_USAGES, Location, Package, Quant, StockDocument, StockMove
from wms.logistics.models import TrackingEvent, TrackingEventUnit, TransportUnit
from wms.outbound.models import InventoryList, OrderLine, Parcel, SalesOrder
from wms.partners.models import Enterprise
from wms.returns.models import ReturnLine, ReturnRequest

from .models import Recall, RecallLot
from .start import Start, resolve_start

MAX_MOVES = 2000
MAX_STOCK = 1000
MAX_ORDERS = 500
MAX_EVENTS = 2000
# Built once: a fresh alias per call would be adapted (and cached) anew each time.
SOURCE, TARGET = aliased(Location, name="source"), aliased(Location, name="target")


@dataclass
class LotNode:
    id: int
    name: str
    expiry: date | None
    product_id: int
    sku: str
    product: str
    owner: str
    recalls: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.recalls)


@dataclass
class TallyNode:
    lot: str | None
    sku: str
    good: Decimal
    damaged: Decimal


@dataclass
class DeclarationNode:
    name: str
    state: str
    filed_at: datetime | None
    items: list[tuple[int, str, str, Decimal, str]]  # gnum, item no, decision, qty, unit


@dataclass
class ReceiptNode:
    id: int
    name: str
    state: str
    owner: str
    supplier: str
    asn: str | None
    transport: str
    arrived_at: datetime | None
    tallied: list[TallyNode] = field(default_factory=list)
    declaration: DeclarationNode | None = None


@dataclass
class MoveNode:
    id: int
    done_at: datetime | None
    document: str | None
    kind: str | None
    sku: str
    lot: str | None
    quantity: Decimal
    source: str
    target: str
    status: str
    to_status: str
    order_id: int | None
    return_request_id: int | None
    reason: str | None


@dataclass
class StockNode:
    location: str
    status: str
    sku: str
    lot: str | None
    sscc: str | None
    quantity: Decimal


@dataclass
class EventNode:
    time: datetime
    milestone: str
    place: str | None


@dataclass
class ParcelNode:
    tracking_no: str
    weight_kg: Decimal
    shipped_at: datetime | None
    events: list[EventNode] = field(default_factory=list)


@dataclass
class ReturnNode:
    name: str
    state: str
    reason: str
    received_at: datetime | None
    lines: list[tuple[str, Decimal, str | None, str | None]]  # sku, qty, grade, disposition


@dataclass
class OrderNode:
    id: int
    name: str
    order_no: str
    state: str
    trade_mode: str
    owner: str
    buyer_name: str
    buyer_id: str
    buyer_phone: str
    consignee: str
    address: str
    goods: list[tuple[str, str | None, Decimal]] = field(default_factory=list)  # sku, lot, qty
    inventory_list: tuple[str, str | None, str, datetime | None] | None = None
    parcels: list[ParcelNode] = field(default_factory=list)
    returns: list[ReturnNode] = field(default_factory=list)


@dataclass
class Trace:
    code: str
    kind: str | None
    lots: list[LotNode] = field(default_factory=list)
    receipts: list[ReceiptNode] = field(default_factory=list)
    moves: list[MoveNode] = field(default_factory=list)
    stock: list[StockNode] = field(default_factory=list)
    orders: list[OrderNode] = field(default_factory=list)
    other_orders: int = 0
    truncated: bool = False
    personal: bool = False

    @property
    def found(self) -> bool:
        return bool(self.lots or self.receipts or self.orders or self.moves)


def trace(session: Session, code: str) -> Trace:
    """Everything the warehouse knows about the goods a code names, owner-scoped."""
    start = resolve_start(session, code)
    result = Trace(start.code, start.kind, truncated=start.truncated,
                   personal=can_see_personal_data(current_actor().roles))
    if not start.found:
        return result
    lot_ids = _seed_lots(session, start)
    result.lots = _lots(session, lot_ids)
    lot_ids = {lot.id for lot in result.lots}
    moves, order_ids, truncated = _moves(session, lot_ids, start)
    result.truncated |= truncated
    result.moves = moves
    result.receipts = _receipts(session, lot_ids, start.receipt_ids)
    result.stock = _stock(session, lot_ids)
    if len(result.stock) > MAX_STOCK:
        result.stock, result.truncated = result.stock[:MAX_STOCK], True
    shown = set(start.order_ids) if start.order_ids else order_ids
    result.other_orders = len(order_ids - shown)
    if len(shown) > MAX_ORDERS:
        shown, result.truncated = set(sorted(shown)[:MAX_ORDERS]), True
    result.orders = _orders(session, shown, moves, result.personal)
    return result


def _seed_lots(session: Session, start: Start) -> set[int]:
    """The lots behind the seeds: the start's own, those its receipts tallied and those its
    orders' lines took (two queries at most)."""
    lots = set(start.lot_ids)
    if start.receipt_ids:
        lots |= {i for i in session.scalars(select(TallyScan.lot_id).where(
            TallyScan.receipt_id.in_(start.receipt_ids)).distinct()) if i}
    if start.order_ids:
        lots |= {i for i in session.scalars(
            select(StockMove.lot_id).where(StockMove.order_line_id.in_(
                select(OrderLine.id).where(OrderLine.order_id.in_(start.order_ids))))) if i}
    return lots


def _lots(session: Session, lot_ids: set[int]) -> list[LotNode]:
    if not lot_ids:
        return []
    rows = session.execute(scope_to_owner(
        select(Lot.id, Lot.name, Lot.expiry_date, Product.id, Product.sku, Product.name_zh,
               Enterprise.customs_code)
        .join(Product, Product.id == Lot.product_id)
        .join(Enterprise, Enterprise.id == Product.owner_id)
        .where(Lot.id.in_(lot_ids)), Product.owner_id).order_by(Product.sku, Lot.name)).all()
    lots = {r[0]: LotNode(*r) for r in rows}
    for lot_id, name in session.execute(
            select(RecallLot.lot_id, Recall.name).join(Recall, Recall.id == RecallLot.recall_id)
            .where(RecallLot.lot_id.in_(lots or [0]), RecallLot.blocking.is_(True))):
        lots[lot_id].recalls.append(name)
    return list(lots.values())


def _moves(session: Session, lot_ids: set[int], start: Start
           ) -> tuple[list[MoveNode], set[int], bool]:
    """The done moves of the lots (or, for lotless goods, of the start's orders' lines),
    oldest first, with the order and return each belongs to: one query."""
    source, target = SOURCE, TARGET
    conditions = []
    if lot_ids:
        conditions.append(StockMove.lot_id.in_(lot_ids))
    if start.order_ids:
        # On the move's own indexed column, so the OR is two index probes, not a scan.
        conditions.append(StockMove.order_line_id.in_(select(OrderLine.id).where(
            OrderLine.order_id.in_(start.order_ids))))
    if not conditions:
        return [], set(), False
    stmt = scope_to_owner(
        select(StockMove.id, StockMove.done_at, StockDocument.name, StockDocument.kind,
               Product.sku, Lot.name, StockMove.quantity, source.full_path, target.full_path,
               StockMove.customs_status, StockMove.to_customs_status, OrderLine.order_id,
               ReturnLine.request_id, StockMove.reason)
        .join(Product, Product.id == StockMove.product_id)
        .join(source, source.id == StockMove.from_location_id)
        .join(target, target.id == StockMove.to_location_id)
        .outerjoin(Lot, Lot.id == StockMove.lot_id)
        .outerjoin(StockDocument, StockDocument.id == StockMove.document_id)
        .outerjoin(OrderLine, OrderLine.id == StockMove.order_line_id)
        .outerjoin(ReturnLine, ReturnLine.id == StockMove.return_line_id)
        .where(StockMove.state == "done", or_(*conditions)), StockMove.owner_id)
    # In time order; ordering by the primary key would tempt the planner to walk the
    # whole ledger in id order instead of probing the lot index.
    rows = session.execute(stmt.order_by(StockMove.done_at, StockMove.id)
                           .limit(MAX_MOVES + 1)).all()
    moves = [MoveNode(*r) for r in rows[:MAX_MOVES]]
    return moves, {m.order_id for m in moves if m.order_id}, len(rows) > MAX_MOVES


def _receipts(session: Session, lot_ids: set[int], receipt_ids: set[int]) -> list[ReceiptNode]:
    """The receipts that tallied the lots (or the start's receipts), with what was counted
    of the traced lots and the entry declaration with customs' decisions: three queries."""
    conditions = []
    if lot_ids:
        conditions.append(TallyScan.lot_id.in_(lot_ids))
    if receipt_ids:
        conditions.append(TallyScan.receipt_id.in_(receipt_ids))
    if not conditions:
        return []
    counted = session.execute(
        select(TallyScan.receipt_id, Lot.name, Product.sku, TallyScan.condition,
               func.sum(TallyScan.quantity))
        .join(Product, Product.id == TallyScan.product_id)
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .where(or_(*conditions))
        .group_by(TallyScan.receipt_id, Lot.name, Product.sku, TallyScan.condition)).all()
    ids = {r[0] for r in counted} | set(receipt_ids)
    receipts = {}
    for r in session.execute(scope_to_owner(
            select(Receipt.id, Receipt.name, Receipt.state, Enterprise.customs_code,
                   Receipt.supplier, Receipt.supplier_ref, Receipt.train_no,
                   Receipt.rail_note_no, Receipt.air_waybill, Receipt.bill_of_lading,
                   Receipt.mail_dispatch_no, Receipt.container_no, Receipt.arrived_at)
            .join(Enterprise, Enterprise.id == Receipt.owner_id)
            .where(Receipt.id.in_(ids or [0])), Receipt.owner_id).order_by(Receipt.id)):
        transport = " · ".join(p for p in (r.train_no, r.rail_note_no, r.air_waybill,
                                           r.bill_of_lading, r.mail_dispatch_no,
                                           r.container_no) if p)
        receipts[r.id] = ReceiptNode(r.id, r.name, r.state, r.customs_code, r.supplier,
                                     r.supplier_ref, transport, r.arrived_at)
    tallied: dict[tuple, TallyNode] = {}
    for receipt_id, lot, sku, condition, qty in counted:
        if receipt_id not in receipts:
            continue
        node = tallied.get((receipt_id, lot, sku))
        if node is None:
            node = tallied[(receipt_id, lot, sku)] = TallyNode(lot, sku, Decimal(0),
                                                               Decimal(0))
            receipts[receipt_id].tallied.append(node)
        if condition == "damaged":
            node.damaged += Decimal(qty)
        else:
            node.good += Decimal(qty)
    for d in session.execute(
            select(EntryDeclaration.receipt_id, EntryDeclaration.name, EntryDeclaration.state,
                   EntryDeclaration.filed_at, DeclarationLine.gnum,
                   DeclarationLine.item_record_no, DeclarationLine.decision,
                   DeclarationLine.qty, DeclarationLine.unit)
            .join(DeclarationLine, DeclarationLine.declaration_id == EntryDeclaration.id)
            .where(EntryDeclaration.receipt_id.in_(receipts or [0]))
            .order_by(EntryDeclaration.id, DeclarationLine.gnum)):
        node = receipts[d.receipt_id]
        if node.declaration is None:
            node.declaration = DeclarationNode(d.name, d.state, d.filed_at, [])
        node.declaration.items.append((d.gnum, d.item_record_no, d.decision, d.qty, d.unit))
    return list(receipts.values())


def _stock(session: Session, lot_ids: set[int]) -> list[StockNode]:
    """Where the lots are now: every stocked quant, one query."""
    if not lot_ids:
        return []
    rows = session.execute(scope_to_owner(
        select(Location.full_path, Quant.customs_status, Product.sku, Lot.name, Package.sscc,
               Quant.quantity)
        .join(Location, Location.id == Quant.location_id)
        .join(Product, Product.id == Quant.product_id)
        .join(Lot, Lot.id == Quant.lot_id)
        .outerjoin(Package, Package.id == Quant.package_id)
        .where(Quant.lot_id.in_(lot_ids), Quant.quantity != 0,
               Location.usage.in_(STOCKED_USAGES)), Quant.owner_id)
        .order_by(Location.full_path, Product.sku, Lot.name).limit(MAX_STOCK + 1)).all()
    return [StockNode(*r) for r in rows]


def _orders(session: Session, order_ids: set[int], moves: list[MoveNode],
            personal: bool) -> list[OrderNode]:
    """The orders with their list, parcels and tracking, and returns: five queries."""
    if not order_ids:
        return []
    orders = {}
    for o in session.execute(scope_to_owner(
            select(SalesOrder.id, SalesOrder.name, SalesOrder.order_no, SalesOrder.state,
                   SalesOrder.trade_mode, Enterprise.customs_code, SalesOrder.buyer_name,
                   SalesOrder.buyer_id_number, SalesOrder.buyer_phone, SalesOrder.consignee,
                   SalesOrder.consignee_address)
            .join(Enterprise, Enterprise.id == SalesOrder.owner_id)
            .where(SalesOrder.id.in_(order_ids)), SalesOrder.owner_id).order_by(SalesOrder.id)):
        orders[o.id] = OrderNode(
            o.id, o.name, o.order_no, o.state, o.trade_mode, o.customs_code, o.buyer_name,
            o.buyer_id_number if personal else mask_id_number(o.buyer_id_number),
            o.buyer_phone if personal else mask_phone(o.buyer_phone), o.consignee,
            o.consignee_address)
    goods: dict[tuple, Decimal] = defaultdict(Decimal)
    for m in moves:
        # What the order took: its picks out of stock (a short pick counts what it found).
        if m.order_id in orders and m.kind == "pick":
            goods[(m.order_id, m.sku, m.lot)] += m.quantity
    for (order_id, sku, lot), qty in goods.items():
        orders[order_id].goods.append((sku, lot, qty))
    for listing in session.scalars(select(InventoryList).where(
            InventoryList.order_id.in_(orders or [0]))):
        orders[listing.order_id].inventory_list = (listing.name, listing.invt_no,
                                                   listing.state, listing.released_at)
    parcels: dict[str, ParcelNode] = {}
    for parcel in session.scalars(select(Parcel).where(Parcel.order_id.in_(orders or [0]))
                                  .order_by(Parcel.id)):
        node = parcels[parcel.tracking_no] = ParcelNode(parcel.tracking_no, parcel.weight_kg,
                                                        parcel.shipped_at)
        orders[parcel.order_id].parcels.append(node)
    if parcels:
        for number, time, milestone, place in session.execute(
                select(TransportUnit.identifier, TrackingEvent.event_time,
                       TrackingEvent.milestone, TrackingEvent.unlocode)
                .join(TrackingEventUnit, TrackingEventUnit.unit_id == TransportUnit.id)
                .join(TrackingEvent, TrackingEvent.id == TrackingEventUnit.event_id)
                .where(TransportUnit.identifier.in_(parcels))
                .order_by(TrackingEvent.event_time).limit(MAX_EVENTS)):
            parcels[number].events.append(EventNode(time, milestone, place))
    returns: dict[int, ReturnNode] = {}
    for r in session.execute(
            select(ReturnRequest.id, ReturnRequest.order_id, ReturnRequest.name,
                   ReturnRequest.state, ReturnRequest.reason, ReturnRequest.received_at,
                   Product.sku, ReturnLine.qty, ReturnLine.grade, ReturnLine.disposition)
            .outerjoin(ReturnLine, ReturnLine.request_id == ReturnRequest.id)
            .outerjoin(Product, Product.id == ReturnLine.product_id)
            .where(ReturnRequest.order_id.in_(orders or [0]))
            .order_by(ReturnRequest.id, ReturnLine.gnum)):
        node = returns.get(r.id)
        if node is None:
            node = returns[r.id] = ReturnNode(r.name, r.state, r.reason, r.received_at, [])
            orders[r.order_id].returns.append(node)
        if r.sku:
            node.lines.append((r.sku, r.qty, r.grade, r.disposition))
    return list(orders.values())
