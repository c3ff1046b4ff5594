"""The recall doors: start one (the lots are blocked at once), close it (the block lifts),
and the notice list of everyone the recalled goods reached.

Starting takes the product (SKU or GTIN) and either one lot or an expiry range of its lots;
the lots are frozen into ``recall_lot`` with one insert, so the block is one index probe in
the reservation and pick queries. Who started and closed the recall, and why, is on the
recall and in the audit trail.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import parse_id, parse_text
from wms.core.privacy import can_see_personal_data, mask_id_number, mask_phone
from wms.core.scoping import scope_to_owner, visible_owner
from wms.inventory.models import STOCKED_USAGES, Location, Quant, StockDocument, StockMove
from wms.outbound.models import OrderLine, Parcel, SalesOrder
from wms.outbound.summary import parse_day

from .models import Recall, RecallLot


def _product(session: Session, code: str | None) -> Product:
    code = parse_text(code, "product", max_length=40, required=True)
    found = list(session.scalars(scope_to_owner(
        select(Product).where(or_(Product.sku == code, Product.gtin == code,
                                  Product.gtin == code.zfill(14))), Product.owner_id)))
    if not found:
        raise NotFound(N_("Unknown product %(code)s"), field="product", code=code)
    if len(found) > 1:
        raise ValidationError(N_("%(code)s names several products: use the SKU"),
                              field="product", code=code)
    return found[0]


def start_recall(session: Session, *, product: str | None, lot: str | None = None,
                 expiry_from=None, expiry_to=None, reason: str | None,
                 authority: str | None = None) -> Recall:
    """The door: block a lot, or every lot of the product expiring in the range, now."""
    item = _product(session, product)
    lot_name = parse_text(lot, "lot", max_length=40)
    reason = parse_text(reason, "reason", max_length=300, required=True)
    authority = parse_text(authority, "authority", max_length=200)
    first = expiry_from if isinstance(expiry_from, date) else parse_day(expiry_from,
                                                                           "expiry_from")
    last = expiry_to if isinstance(expiry_to, date) else parse_day(expiry_to, "expiry_to")
    if not lot_name and first is None and last is None:
        raise ValidationError(N_("Name the lot, or an expiry range of the product's lots"),
                              field="lot")
    if first and last and first > last:
        raise ValidationError(N_("The range ends before it starts"), field="expiry_to")
    stmt = select(Lot).where(Lot.product_id == item.id)
    if lot_name:
        stmt = stmt.where(Lot.name == lot_name)
    if first:
        stmt = stmt.where(Lot.expiry_date >= first)
    if last:
        stmt = stmt.where(Lot.expiry_date <= last)
    lots = list(session.scalars(stmt.order_by(Lot.id)))
    if not lots:
        raise NotFound(N_("No lot of %(sku)s matches"), field="lot" if lot_name else
                       "expiry_from", sku=item.sku)
    now = utcnow()
    recall = Recall(product_id=item.id, lot_id=lots[0].id if lot_name else None,
                    expiry_from=first, expiry_to=last, reason=reason, authority=authority,
                    started_by_id=current_actor().user_id, started_at=now)
    session.add(recall)
    recall.assign_name(session, "RECALL")
    session.flush()
    session.execute(insert(RecallLot.__table__),
                    [dict(recall_id=recall.id, lot_id=lt.id, blocking=True) for lt in lots])
    session.flush()
    return recall


def get_recall(session: Session, recall_id) -> Recall:
    recall = session.get(Recall, parse_id(recall_id, "recall"))
    if recall is None or not visible_owner(recall.product.owner_id):
        raise NotFound(N_("Recall %(id)s not found"), field="recall", id=recall_id)
    return recall


def close_recall(session: Session, recall_id, note: str | None) -> Recall:
    """The door: the recall is over; its lots are no longer blocked (unless another open
    recall still blocks them)."""
    recall = get_recall(session, recall_id)
    # Lock the recall row alone (its product is joined, and PostgreSQL refuses to lock the
    # nullable side of an outer join), then read it as it is now.
    session.scalar(select(Recall.id).where(Recall.id == recall.id).with_for_update())
    session.refresh(recall)
    note = parse_text(note, "note", max_length=2000, required=True)
    if recall.state != "open":
        raise Conflict(N_("Recall %(name)s is already closed"), field="recall",
                       name=recall.name)
    recall.transition("closed", reason=note[:200])
    recall.close_note = note
    recall.closed_at = utcnow()
    recall.closed_by_id = current_actor().user_id
    session.execute(update(RecallLot.__table__).where(
        RecallLot.__table__.c.recall_id == recall.id).values(blocking=False))
    session.flush()
    return recall


def list_recalls(session: Session, limit: int = 200) -> list[Recall]:
    return list(session.scalars(scope_to_owner(
        select(Recall).join(Product, Product.id == Recall.product_id), Product.owner_id)
        .order_by(Recall.id.desc()).limit(limit)))


@dataclass
class NoticeLine:
    """One order that took recalled goods (or holds them reserved): whom to tell."""
    order: str
    order_no: str
    state: str
    trade_mode: str
    buyer_name: str
    buyer_id: str
    buyer_phone: str
    consignee: str
    address: str
    lot: str
    quantity: Decimal
    stage: str        # reserved (stopped in the warehouse), picked, shipped
    parcels: str
    shipped_at: datetime | None


@dataclass
class BlockedStock:
    location: str
    lot: str
    status: str
    quantity: Decimal


def notice_list(session: Session, recall: Recall) -> tuple[list[NoticeLine], list[BlockedStock]]:
    """Every order and buyer the recall reaches, and the stock it blocks: three queries."""
    personal = can_see_personal_data(current_actor().roles)
    lots = select(RecallLot.lot_id).where(RecallLot.recall_id == recall.id)
    rows = session.execute(
        select(SalesOrder, Lot.name, StockMove.state, func.sum(StockMove.quantity))
        .join(OrderLine, OrderLine.order_id == SalesOrder.id)
        .join(StockMove, StockMove.order_line_id == OrderLine.id)
        .join(Lot, Lot.id == StockMove.lot_id)
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        # The pick says what left stock for the order (or is still reserved for it).
        .where(StockMove.lot_id.in_(lots), StockMove.state.in_(("reserved", "done")),
               StockDocument.kind == "pick")
        .group_by(SalesOrder.id, Lot.name, StockMove.state)
        .order_by(SalesOrder.id, Lot.name)).all()
    parcels: dict[int, list[Parcel]] = {}
    for parcel in session.scalars(select(Parcel).where(Parcel.order_id.in_(
            {r[0].id for r in rows} or {0})).order_by(Parcel.id)):
        parcels.setdefault(parcel.order_id, []).append(parcel)
    notices = []
    for order, lot, move_state, qty in rows:
        stage = "reserved" if move_state == "reserved" else \
            "shipped" if order.state == "shipped" else "picked"
        mine = parcels.get(order.id, [])
        notices.append(NoticeLine(
            order.name, order.order_no, order.state, order.trade_mode, order.buyer_name,
            order.buyer_id_number if personal else mask_id_number(order.buyer_id_number),
            order.buyer_phone if personal else mask_phone(order.buyer_phone),
            order.consignee, order.consignee_address, lot, Decimal(qty), stage,
            " ".join(p.tracking_no for p in mine),
            max((p.shipped_at for p in mine if p.shipped_at), default=None)))
    stock = [BlockedStock(*r) for r in session.execute(
        select(Location.full_path, Lot.name, Quant.customs_status, Quant.quantity)
        .join(Location, Location.id == Quant.location_id)
        .join(Lot, Lot.id == Quant.lot_id)
        .where(Quant.lot_id.in_(lots), Quant.quantity > 0, Location.usage.in_(STOCKED_USAGES))
        .order_by(Location.full_path, Lot.name))]
    return notices, stock
