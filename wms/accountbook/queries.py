"""Reading the account book: balances per item and the reconciliation with bonded stock.

An account-book item is a product of a warehouse's book (emsNo), shown with its item
registration number. The balance is the sum of "in" rows minus "out" rows; physical bonded
stock is the sum of ``bonded`` quants in the stocked locations of the warehouses that keep
that book. Where the two differ, the moves behind the difference are the done moves that
changed that item's bonded stock under a document with no book row for it: a count that
wrote stock off, a restock no door booked. Four queries whatever the size of the book.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.inventory.models import (STOCKED_USAGES, Location, Quant, StockDocument, StockMove,
                                  Warehouse)

from .models import AccountBookEntry
from .services import bonded_sides

MOVES_SHOWN = 200


@dataclass
class UnbookedMove:
    move_id: int
    document: str | None
    document_kind: str | None
    done_at: datetime | None
    change: Decimal          # + into bonded stock, - out of it
    reason: str | None


@dataclass
class ReconciliationLine:
    ems_no: str
    product_id: int
    sku: str
    name: str
    item_record_no: str | None
    legal_unit: str | None
    booked_in: Decimal
    booked_out: Decimal
    physical: Decimal
    moves: list[UnbookedMove] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return self.booked_in - self.booked_out

    @property
    def difference(self) -> Decimal:
        """Physical minus book: positive when the warehouse holds more than the book says."""
        return self.physical - self.balance

    @property
    def explained(self) -> Decimal:
        return sum((m.change for m in self.moves), Decimal(0))

    @property
    def unexplained(self) -> Decimal:
        return self.difference - self.explained


def reconcile(session: Session, ems_no: str | None = None,
              owner_ids: set[int] | None = None) -> list[ReconciliationLine]:
    """Every item of the books (or of one book) with its balance, its physical bonded stock
    and, where they differ, the unbooked moves that explain it. ``owner_ids`` limits the
    items to those owners' products (owner-scoped readers)."""
    book = (select(AccountBookEntry.ems_no, AccountBookEntry.product_id,
                   func.sum(case((AccountBookEntry.direction == "in", AccountBookEntry.qty),
                                 else_=0)),
                   func.sum(case((AccountBookEntry.direction == "out", AccountBookEntry.qty),
                                 else_=0)))
            .group_by(AccountBookEntry.ems_no, AccountBookEntry.product_id))
    stock = (select(Warehouse.ems_no, Quant.product_id, func.sum(Quant.quantity))
             .join(Location, Location.id == Quant.location_id)
             .join(Warehouse, Warehouse.id == Location.warehouse_id)
             .where(Quant.customs_status == "bonded", Location.usage.in_(STOCKED_USAGES),
                    Warehouse.ems_no.is_not(None))
             .group_by(Warehouse.ems_no, Quant.product_id))
    if ems_no:
        book = book.where(AccountBookEntry.ems_no == ems_no)
        stock = stock.where(Warehouse.ems_no == ems_no)
    if owner_ids is not None:
        mine = select(Product.id).where(Product.owner_id.in_(owner_ids or {0}))
        book = book.where(AccountBookEntry.product_id.in_(mine))
        stock = stock.where(Quant.product_id.in_(mine))
    items: dict[tuple[str, int], list[Decimal]] = {}
    for ems, product_id, booked_in, booked_out in session.execute(book):
        items[(ems, product_id)] = [Decimal(booked_in or 0), Decimal(booked_out or 0),
                                    Decimal(0)]
    for ems, product_id, qty in session.execute(stock):
        items.setdefault((ems, product_id), [Decimal(0)] * 3)[2] = Decimal(qty or 0)
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({pid for _e, pid in items} or {0})))}
    lines = [ReconciliationLine(ems, pid, products[pid].sku, products[pid].name_zh,
                                products[pid].item_record_no, products[pid].legal_unit1,
                                booked_in, booked_out, physical)
             for (ems, pid), (booked_in, booked_out, physical) in items.items()]
    lines.sort(key=lambda ln: (ln.ems_no, ln.sku))
    differing = {(ln.ems_no, ln.product_id): ln for ln in lines if ln.difference}
    if differing:
        for (ems, pid), move in _unbooked_moves(session, differing):
            differing[(ems, pid)].moves.append(move)
    return lines


def _unbooked_moves(session: Session, differing: dict[tuple[str, int], ReconciliationLine]):
    """The done moves in or out of bonded stock of the differing items whose document has no
    book row for the product, newest first: one query."""
    to_loc, from_loc, _into, _out = bonded_sides()
    to_wh = select(Warehouse.ems_no).where(Warehouse.id == to_loc.warehouse_id) \
        .scalar_subquery()
    from_wh = select(Warehouse.ems_no).where(Warehouse.id == from_loc.warehouse_id) \
        .scalar_subquery()
    stocked_in = to_loc.usage.in_(STOCKED_USAGES) & to_loc.warehouse_id.is_not(None)
    stocked_out = from_loc.usage.in_(STOCKED_USAGES) & from_loc.warehouse_id.is_not(None)
    booked = exists(select(AccountBookEntry.id).where(
        AccountBookEntry.document_id == StockMove.document_id,
        AccountBookEntry.product_id == StockMove.product_id))
    rows = session.execute(
        select(StockMove.id, StockMove.product_id, StockMove.quantity, StockMove.reason,
               StockMove.done_at, StockMove.customs_status, StockMove.to_customs_status,
               stocked_in.label("stocked_in"), stocked_out.label("stocked_out"),
               to_wh.label("to_ems"), from_wh.label("from_ems"),
               StockDocument.name, StockDocument.kind)
        .join(to_loc, to_loc.id == StockMove.to_location_id)
        .join(from_loc, from_loc.id == StockMove.from_location_id)
        .outerjoin(StockDocument, StockDocument.id == StockMove.document_id)
        .where(StockMove.state == "done",
               StockMove.product_id.in_({pid for _e, pid in differing}),
               ((StockMove.to_customs_status == "bonded") & stocked_in) |
               ((StockMove.customs_status == "bonded") & stocked_out),
               ~((StockMove.to_customs_status == "bonded") & stocked_in &
                 (StockMove.customs_status == "bonded") & stocked_out &
                 (to_loc.warehouse_id == from_loc.warehouse_id)),
               (StockMove.document_id.is_(None)) | ~booked)
        .order_by(StockMove.id.desc()).limit(MOVES_SHOWN * max(len(differing), 1)))
    for r in rows:
        change = Decimal(0)
        if r.to_customs_status == "bonded" and r.stocked_in:
            change += r.quantity
        if r.customs_status == "bonded" and r.stocked_out:
            change -= r.quantity
        ems = r.to_ems if r.to_customs_status == "bonded" and r.stocked_in else r.from_ems
        if not change or (ems, r.product_id) not in differing:
            continue
        yield (ems, r.product_id), UnbookedMove(r.id, r.name, r.kind, r.done_at, change,
                                                r.reason)


def book_rows(session: Session, ems_no: str, product_id: int, limit: int = 200
              ) -> list[AccountBookEntry]:
    """An item's book rows, newest first."""
    return list(session.scalars(select(AccountBookEntry).where(
        AccountBookEntry.ems_no == ems_no, AccountBookEntry.product_id == product_id)
        .order_by(AccountBookEntry.booked_at.desc(), AccountBookEntry.id.desc()).limit(limit)))
