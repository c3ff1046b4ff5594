"""What the desk, the handheld and the API read about receipts: one query each, owner-scoped.

Pages and API answer from these functions, so a receipt another owner's user may not see is
"not found" everywhere, and the declaration deadline is computed in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.accounts.models import User
from wms.catalog.models import Lot, Product
from wms.core.db import utcnow
from wms.core.errors import N_, NotFound
from wms.core.parsing import ascii_id
from wms.core.scoping import get_scoped, scope_to_owner
from wms.inventory.models import Location, Package, Quant, Warehouse

from .models import Discrepancy, EntryDeclaration, Receipt, ReceiptLine, TallyScan

DEFAULT_DECLARATION_DEADLINE = timedelta(hours=72)
# States in which the gate-in deadline for the declaration runs.
DEADLINE_STATES = ("arrived", "tallying", "tallied")
TALLY_OPEN = ("arrived", "tallying")


# -- receipts ------------------------------------------------------------------------------

def receipts_query(state: str | None = None):
    stmt = select(Receipt).order_by(Receipt.id.desc())
    if state:
        stmt = stmt.where(Receipt.state == state)
    return scope_to_owner(stmt, Receipt.owner_id)


def state_counts(session: Session) -> dict[str, int]:
    stmt = scope_to_owner(select(Receipt.state, func.count()).group_by(Receipt.state),
                          Receipt.owner_id)
    return {state: count for state, count in session.execute(stmt)}


def get_receipt(session: Session, receipt_id: int) -> Receipt:
    try:
        return get_scoped(session, Receipt, receipt_id)
    except NotFound:
        raise NotFound(N_("Receipt %(id)s not found"), field="receipt", id=receipt_id) from None


def find_receipt(session: Session, name: str) -> Receipt:
    receipt = session.scalar(scope_to_owner(select(Receipt).where(Receipt.name == name.strip()),
                                            Receipt.owner_id))
    if receipt is None:
        raise NotFound(N_("Receipt %(name)s not found"), field="receipt", name=name)
    return receipt


def resolve_receipt(session: Session, ref: str) -> Receipt:
    """A receipt by id or name; in a URL the name's slashes may be written as hyphens."""
    ref = (ref or "").strip()
    if (number := ascii_id(ref)) is not None:
        try:
            return get_receipt(session, number)
        except NotFound:
            # named as the caller wrote it (a number past the id column reads as 0)
            raise NotFound(N_("Receipt %(id)s not found"), field="receipt", id=ref) from None
    try:
        return find_receipt(session, ref.upper())
    except NotFound:
        if "-" in ref and "/" not in ref:
            return find_receipt(session, ref.replace("-", "/").upper())
        raise


def declaration_of(session: Session, receipt: Receipt) -> EntryDeclaration | None:
    return session.scalar(select(EntryDeclaration).where(EntryDeclaration.receipt_id ==
                                                         receipt.id))


def discrepancies_of(session: Session, receipt: Receipt) -> list[Discrepancy]:
    return list(session.scalars(select(Discrepancy).where(Discrepancy.receipt_id == receipt.id)
                                .order_by(Discrepancy.id)))


# -- the declaration deadline -------------------------------------------------------------

def is_overdue(receipt: Receipt, limit: timedelta, now: datetime | None = None) -> bool:
    return (receipt.state in DEADLINE_STATES and receipt.arrived_at is not None
            and receipt.arrived_at < (now or utcnow()) - limit)


def due_at(receipt: Receipt, limit: timedelta) -> datetime | None:
    if receipt.state in DEADLINE_STATES and receipt.arrived_at is not None:
        return receipt.arrived_at + limit
    return None


def overdue_receipts(session: Session, deadline: timedelta = DEFAULT_DECLARATION_DEADLINE,
                     now: datetime | None = None) -> list[Receipt]:
    """Arrived but not declared within the deadline from gate-in."""
    limit = (now or utcnow()) - deadline
    stmt = receipts_query().where(Receipt.state.in_(DEADLINE_STATES),
                                  Receipt.arrived_at < limit)
    return list(session.scalars(stmt.order_by(None).order_by(Receipt.arrived_at)))


# -- areas of a bonded warehouse ------------------------------------------------------------

def _area(session: Session, warehouse: Warehouse, usage: str, name: str) -> Location:
    location = session.scalar(select(Location).where(
        Location.warehouse_id == warehouse.id, Location.usage == usage,
        Location.full_path == f"{warehouse.code}/{name}"))
    if location is None:
        raise NotFound(N_("Warehouse %(code)s has no %(area)s area"), field="warehouse",
                       code=warehouse.code, area=name)
    return location


def input_area(session: Session, warehouse: Warehouse) -> Location:
    return _area(session, warehouse, "internal", "Input")


def hold_area(session: Session, warehouse: Warehouse) -> Location:
    return _area(session, warehouse, "customs", "Customs hold")


# -- tally ---------------------------------------------------------------------------------

@dataclass
class ProgressRow:
    product: Product
    lot_name: str | None
    expected: Decimal
    tallied: Decimal
    damaged: Decimal
    status: str = "ok"  # ok, short, over, unexpected, wrong_lot
    ssccs: tuple[str, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.tallied - self.expected


def tally_progress(session: Session, receipt: Receipt) -> list[ProgressRow]:
    """Expected against counted per product and lot, as the tally goes, each row with what
    it would be as a discrepancy if the tally closed now."""
    rows: dict[tuple[int, str | None], ProgressRow] = {}
    advised: dict[int, set] = {}
    ssccs: dict[tuple, list[str]] = {}
    for line in receipt.lines:
        key = (line.product_id, line.lot_name)
        row = rows.setdefault(key, ProgressRow(line.product, line.lot_name, Decimal(0),
                                               Decimal(0), Decimal(0)))
        row.expected += line.expected_qty
        advised.setdefault(line.product_id, set()).add(line.lot_name)
        if line.sscc:
            ssccs.setdefault(key, []).append(line.sscc)
    scans = session.execute(
        select(TallyScan.product_id, Lot.name, TallyScan.condition, func.sum(TallyScan.quantity))
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .where(TallyScan.receipt_id == receipt.id)
        .group_by(TallyScan.product_id, Lot.name, TallyScan.condition)).all()
    missing = {s[0] for s in scans} - {key[0] for key in rows}
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_(missing)))} if missing else {}
    for product_id, lot_name, condition, qty in scans:
        key = (product_id, lot_name)
        if key not in rows:
            product = products.get(product_id) or next(
                r.product for k, r in rows.items() if k[0] == product_id)
            rows[key] = ProgressRow(product, lot_name, Decimal(0), Decimal(0), Decimal(0))
        row = rows[key]
        row.tallied += qty
        if condition == "damaged":
            row.damaged += qty
    for (product_id, lot_name), row in rows.items():
        if product_id not in advised:
            row.status = "unexpected"
        elif lot_name not in advised[product_id]:
            row.status = "wrong_lot"
        else:
            row.status = "short" if row.difference < 0 else "over" if row.difference > 0 \
                else "ok"
        row.ssccs = tuple(ssccs.get((product_id, lot_name), ()))
    return sorted(rows.values(), key=lambda r: (r.product.sku, r.lot_name or ""))


@dataclass
class RecentScan:
    scan: TallyScan
    lot_name: str | None
    by: str


def recent_scans(session: Session, receipt: Receipt, limit: int = 8) -> list[RecentScan]:
    """The latest scans of every operator on this receipt, newest first."""
    rows = session.execute(
        select(TallyScan, Lot.name, User.login, User.display_name)
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .outerjoin(User, User.id == TallyScan.scanned_by_id)
        .where(TallyScan.receipt_id == receipt.id)
        .order_by(TallyScan.id.desc()).limit(limit)).all()
    return [RecentScan(scan, lot, display or login or "—") for scan, lot, login, display in rows]


# -- putaway -------------------------------------------------------------------------------

@dataclass
class WaitingGoods:
    """Released goods of a receipt in the input area (loose, or on one pallet)."""

    product: Product
    lot_id: int | None
    lot_name: str | None
    quantity: Decimal
    package_id: int | None = None
    package_sscc: str | None = None
    location: Location | None = None  # the suggested place


def released_in_input(session: Session, receipt: Receipt) -> list[WaitingGoods]:
    """Released (bonded) goods the receipt's tally counted that are still in the input area,
    with a suggested place for each (a pallet's goods share one, the place of its first
    product): a fixed number of queries whatever the receipt's size."""
    from .putaway import suggest_locations
    if receipt.state not in ("released", "held"):
        return []
    try:
        source = input_area(session, receipt.warehouse)
    except NotFound:
        return []
    counted = select(TallyScan.product_id, TallyScan.lot_id).where(
        TallyScan.receipt_id == receipt.id).distinct().subquery()
    rows = session.execute(
        select(Quant.product_id, Quant.lot_id, Quant.package_id, Package.sscc,
               func.sum(Quant.quantity))
        .join(counted, (counted.c.product_id == Quant.product_id)
              & ((counted.c.lot_id == Quant.lot_id)
                 | (counted.c.lot_id.is_(None) & Quant.lot_id.is_(None))))
        .outerjoin(Package, Package.id == Quant.package_id)
        .where(Quant.location_id == source.id, Quant.owner_id == receipt.owner_id,
               Quant.customs_status == "bonded")
        .group_by(Quant.product_id, Quant.lot_id, Quant.package_id, Package.sscc)).all()
    rows = [(pid, lot_id, pkg, sscc, Decimal(qty)) for pid, lot_id, pkg, sscc, qty in rows
            if qty > 0]
    if not rows:
        return []
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({r[0] for r in rows})))}
    lot_ids = {r[1] for r in rows if r[1]}
    lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
        Lot.id.in_(lot_ids)))} if lot_ids else {}
    goods = [WaitingGoods(products[pid], lot_id, lots.get(lot_id), qty, pkg, sscc)
             for pid, lot_id, pkg, sscc, qty in rows]
    goods.sort(key=lambda g: (g.product.sku, g.lot_name or "", g.package_sscc or ""))
    pallets: dict[int, Decimal] = {}
    for item in goods:
        if item.package_id:
            pallets[item.package_id] = pallets.get(item.package_id, Decimal(0)) + item.quantity
    firsts: dict[int, WaitingGoods] = {}
    asked = []
    for item in goods:
        if item.package_id is None:
            asked.append((item, item.quantity))
        elif item.package_id not in firsts:
            firsts[item.package_id] = item
            asked.append((item, pallets[item.package_id]))
    places = suggest_locations(session, receipt.warehouse, [(g.product, q) for g, q in asked])
    for (item, _qty), place in zip(asked, places):
        item.location = place
    for item in goods:
        if item.package_id is not None:
            item.location = firsts[item.package_id].location
    return goods


def lines_with_sscc(session: Session, receipt: Receipt, sscc: str) -> list[ReceiptLine]:
    return list(session.scalars(select(ReceiptLine).where(
        ReceiptLine.receipt_id == receipt.id, ReceiptLine.sscc == sscc)
        .order_by(ReceiptLine.line_no)))


def lines_of_product(session: Session, receipt: Receipt, product_id: int) -> list[ReceiptLine]:
    return list(session.scalars(select(ReceiptLine).where(
        ReceiptLine.receipt_id == receipt.id, ReceiptLine.product_id == product_id)
        .order_by(ReceiptLine.line_no)))
