"""Cycle counts: scan a location, scan what is there, submit; big differences wait for a
supervisor. The adjustment is posted against the inventory-loss location with the reason.

The doors the handheld, the desk approval pages and the API share: ``count_scans`` (a whole
count in one write), ``approve`` and ``reject`` (by id, the count row locked, so two
supervisors deciding at once post it once)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.messages import stored_message
from wms.core.db import utcnow
from wms.core.errors import N_, DomainError, NotFound, ValidationError

from .models import CountLine, CountSession, Location, Quant
from .resolve import Item, find_location, lots_named, resolve_items, scanned_quantity
from .services import (MAX_QUANTITY, MoveLine, format_quantity, new_document, parse_quantity,
                       post_moves, virtual_location)

DEFAULT_APPROVAL_THRESHOLD = Decimal("5")
MAX_COUNT_LINES = 500


def _line_key(product_id, lot_id, package_id, owner_id, status) -> str:
    return f"{product_id}:{lot_id or 0}:{package_id or 0}:{owner_id}:{status}"


def start_count(session: Session, location: Location) -> CountSession:
    if location.usage != "internal":
        raise ValidationError(N_("Only internal locations are counted"), field="location")
    count = CountSession(location_id=location.id)
    session.add(count)
    prefix = f"{location.warehouse.code}/CNT" if location.warehouse else "CNT"
    count.assign_name(session, prefix)
    session.flush()
    return count


def record_count(session: Session, count: CountSession, product: Product, quantity,
                 *, lot_id: int | None = None, package_id: int | None = None) -> CountLine:
    """Add one scan's quantity to the count. The owner and customs status are those of the
    stock already there; a product not expected there takes its owner and the status that
    goods in this kind of warehouse have."""
    here = session.scalars(select(Quant).where(
        Quant.location_id == count.location_id, Quant.product_id == product.id)).all()
    line = _add_scan(count, product, parse_quantity(quantity), lot_id, package_id, here)
    session.flush()
    return line


def _owner_and_status(count: CountSession, product: Product, lot_id: int | None,
                      package_id: int | None, quants_here) -> tuple[int, str]:
    """Of the stock already there; else the product's owner and the status goods in this
    kind of warehouse have. Lot-tracked goods need their lot."""
    if count.state != "counting":
        raise ValidationError(N_("Count %(name)s is closed"), field="count", name=count.name)
    if (product.track_lot or product.track_expiry) and lot_id is None:
        raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                              field="lot", sku=product.sku)
    existing = min((q for q in quants_here if q.product_id == product.id
                    and q.lot_id == lot_id and q.package_id == package_id),
                   key=lambda q: q.id, default=None)
    if existing is not None:
        return existing.owner_id, existing.customs_status
    kind = count.location.warehouse.kind if count.location.warehouse else "general"
    return product.owner_id, "bonded" if kind == "bonded" else "released"


def _add_scan(count: CountSession, product: Product, qty: Decimal, lot_id: int | None,
              package_id: int | None, quants_here) -> CountLine:
    owner_id, status = _owner_and_status(count, product, lot_id, package_id, quants_here)
    key = _line_key(product.id, lot_id, package_id, owner_id, status)
    line = next((ln for ln in count.lines if ln.line_key == key), None)
    if line is None:
        line = CountLine(line_key=key, product_id=product.id, lot_id=lot_id,
                         package_id=package_id, owner_id=owner_id, customs_status=status,
                         counted=Decimal(0))
        count.lines.append(line)
    line.counted = (line.counted or Decimal(0)) + qty
    return line


def submit_count(session: Session, count: CountSession,
                 threshold: Decimal = DEFAULT_APPROVAL_THRESHOLD) -> CountSession:
    """Compare with the books. Within the threshold the differences are posted at once;
    above it the count waits for a supervisor. What was on the books but not scanned was
    counted as zero."""
    if count.state != "counting":
        raise ValidationError(N_("Count %(name)s is closed"), field="count", name=count.name)
    session.flush()
    quants = session.scalars(select(Quant).where(Quant.location_id == count.location_id,
                                                 Quant.quantity != 0)).all()
    lines = {ln.line_key: ln for ln in count.lines}
    unscanned: dict[str, dict] = {}
    for quant in quants:
        key = _line_key(quant.product_id, quant.lot_id, quant.package_id, quant.owner_id,
                        quant.customs_status)
        if key in lines:
            lines[key].expected = quant.quantity
        else:
            unscanned[key] = dict(session_id=count.id, line_key=key,
                                  product_id=quant.product_id, lot_id=quant.lot_id,
                                  package_id=quant.package_id, owner_id=quant.owner_id,
                                  customs_status=quant.customs_status, counted=Decimal(0),
                                  expected=quant.quantity)
    for line in count.lines:
        if line.expected is None:
            line.expected = Decimal(0)
    _insert_lines(session, count, list(unscanned.values()))
    count.submitted_at = utcnow()
    session.flush()
    if any(abs(ln.difference) > threshold for ln in count.lines):
        count.transition("to_approve", reason=stored_message(
            N_("differences above %(threshold)s"), {"threshold": str(threshold)}))
    else:
        _post(session, count, "cycle count")
    return count


def _insert_lines(session: Session, count: CountSession, rows: list[dict]) -> None:
    """Count lines in one statement (the ORM would insert them one by one on SQLite)."""
    if rows:
        session.flush()
        session.execute(insert(CountLine), rows)
        session.expire(count, ["lines"])


def approve_count(session: Session, count: CountSession, reason: str) -> CountSession:
    if count.state != "to_approve":
        raise ValidationError(N_("Count %(name)s is not waiting for approval"), field="count",
                              name=count.name)
    if not (reason or "").strip():
        raise ValidationError(N_("A count adjustment needs a reason"), field="reason")
    _post(session, count, reason)
    return count


def reject_count(session: Session, count: CountSession, reason: str) -> CountSession:
    count.transition("cancelled", reason=reason or None)
    return count


def _post(session: Session, count: CountSession, reason: str) -> None:
    """Post each line's difference as seen at submission against the inventory-loss
    location: one document, one ``post_moves`` for all lines."""
    changed = [ln for ln in count.lines if ln.difference != 0]
    if changed:
        warehouse = count.location.warehouse
        document = new_document(session, "count", f"{warehouse.code}/ADJ",
                                warehouse_id=warehouse.id, origin=count.name)
        loss = virtual_location(session, "inventory")
        moves = []
        for line in changed:
            here, there = (loss.id, count.location_id) if line.difference > 0 else \
                (count.location_id, loss.id)
            moves.append(MoveLine(line.product_id, abs(line.difference), here, there,
                                  line.owner_id, line.customs_status, line.lot_id,
                                  line.package_id if here == count.location_id else None,
                                  line.package_id if there == count.location_id else None,
                                  reason=reason))
        post_moves(session, moves, document)
        document.transition("done")
        document.done_at = utcnow()
        count.document_id = document.id
    count.transition("done", reason=reason)


# ---------------------------------------------------------------- the doors

def _text(raw: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValidationError(N_("This field is required"), field=name)
    return str(value).strip(" \t\r\n")[:limit] or None


def count_scans(session: Session, *, location: str | None, lines: Sequence[Any],
                threshold: Decimal = DEFAULT_APPROVAL_THRESHOLD) -> CountSession:
    """A whole cycle count in one write: the location's barcode, each scan (a product by
    GTIN, SKU or GS1 label, with quantity and lot), then submit against the threshold.
    Errors name ``lines[i].field``; nothing is written unless every scan is good. The
    codes, lots and the stock at the location are loaded once for all scans."""
    place = find_location(session, location, "location")
    if not isinstance(lines, list):
        raise ValidationError(N_("Send a JSON object"), field="lines")
    if len(lines) > MAX_COUNT_LINES:
        raise ValidationError(N_("At most %(n)s scans in one count"), field="lines",
                              n=MAX_COUNT_LINES)
    for i, raw in enumerate(lines):
        if not isinstance(raw, Mapping):
            raise ValidationError(N_("Send a JSON object"), field=f"lines[{i}]")
    count = start_count(session, place)
    codes, typed_lots = [], []
    for i, raw in enumerate(lines):
        try:
            codes.append(_text(raw, "code", 200))
            typed_lots.append(_text(raw, "lot", 40))
        except DomainError as exc:
            raise _at(exc, i)
    items = resolve_items(session, codes, [f"lines[{i}].code" for i in range(len(codes))])
    quants_here = session.scalars(select(Quant).where(Quant.location_id == place.id)).all()
    lot_names = {typed or item.lot for typed, item in zip(typed_lots, items)} - {None}
    lots = {(lot.product_id, lot.name): lot for lot in session.scalars(select(Lot).where(
        Lot.name.in_(lot_names), Lot.product_id.in_(
            {p.id for item in items for p in item.products or []})))} if lot_names else {}
    pending: dict[str, dict] = {}
    for i, (raw, typed_lot, item) in enumerate(zip(lines, typed_lots, items)):
        try:
            if item.package is not None:
                raise ValidationError(N_("Count the goods, not the package: scan the "
                                         "products"), field="code")
            product = _count_product(item, quants_here)
            lot_name = typed_lot or item.lot
            lot_id = None
            if lot_name:  # not loaded: lots_named says whose lot it is, or that none is
                lot = lots.get((product.id, lot_name)) or \
                    lots_named(session, [product], lot_name)[product.id]
                lot_id = lot.id
            elif product.track_lot or product.track_expiry:
                lot_id = _only_lot_at(product, quants_here)
            qty = scanned_quantity(raw.get("quantity"), item)
            owner_id, status = _owner_and_status(count, product, lot_id, None, quants_here)
        except DomainError as exc:
            raise _at(exc, i)
        key = _line_key(product.id, lot_id, None, owner_id, status)
        row = pending.setdefault(key, dict(
            session_id=count.id, line_key=key, product_id=product.id, lot_id=lot_id,
            package_id=None, owner_id=owner_id, customs_status=status, counted=Decimal(0)))
        row["counted"] += qty
        if row["counted"] > MAX_QUANTITY:
            raise ValidationError(N_("Quantity must be at most %(max)s"),
                                  field=f"lines[{i}].quantity",
                                  max=format_quantity(MAX_QUANTITY))
    _insert_lines(session, count, list(pending.values()))
    session.flush()
    submit_count(session, count, threshold)
    session.flush()
    return count


def _at(exc: DomainError, i: int) -> DomainError:
    exc.field = f"lines[{i}].{exc.field}" if exc.field else f"lines[{i}]"
    return exc


def _count_product(item: Item, quants_here) -> Product:
    """A GTIN two owners store counts for the one whose stock is here."""
    products = item.products or []
    if len(products) == 1:
        return products[0]
    here = {q.product_id for q in quants_here}
    fitting = [p for p in products if p.id in here]
    if len(fitting) == 1:
        return fitting[0]
    raise ValidationError(N_("Several owners have product %(sku)s: scan its SKU instead"),
                          field="code", sku=products[0].sku)


def _only_lot_at(product: Product, quants_here) -> int:
    """A lot-tracked product scanned without its lot counts for the one lot on the books
    there; with none or several, the operator must scan the lot."""
    lots = {q.lot_id for q in quants_here if q.product_id == product.id and q.quantity != 0}
    if len(lots) == 1 and None not in lots:
        return lots.pop()
    raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                          field="lot", sku=product.sku)


def get_count(session: Session, count_id: int, *, lock: bool = False) -> CountSession:
    stmt = select(CountSession).where(CountSession.id == count_id)
    count = session.scalar(stmt.with_for_update() if lock else stmt)
    if count is None:
        raise NotFound(N_("Count %(id)s not found"), field="count", id=count_id)
    return count


def approve(session: Session, count_id: int, reason: str | None) -> CountSession:
    """A supervisor posts a count that waits for approval, giving the reason."""
    return approve_count(session, get_count(session, count_id, lock=True), reason or "")


def reject(session: Session, count_id: int, reason: str | None) -> CountSession:
    """A supervisor throws a count away, saying why; stock stays as it was."""
    if not (reason or "").strip():
        raise ValidationError(N_("Give a reason"), field="reason")
    return reject_count(session, get_count(session, count_id, lock=True), reason.strip())
