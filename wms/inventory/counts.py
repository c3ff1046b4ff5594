"""Cycle counts: scan a location, scan what is there, submit; big differences wait for a
supervisor. The adjustment is posted against the inventory-loss location with the reason."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.core.errors import N_, ValidationError

from .models import CountLine, CountSession, Location, Quant
from .services import adjust_count, new_document, parse_quantity

DEFAULT_APPROVAL_THRESHOLD = Decimal("5")


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
    if count.state != "counting":
        raise ValidationError(N_("Count %(name)s is closed"), field="count", name=count.name)
    qty = parse_quantity(quantity)
    if (product.track_lot or product.track_expiry) and lot_id is None:
        raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                              field="lot", sku=product.sku)
    existing = session.scalars(select(Quant).where(
        Quant.location_id == count.location_id, Quant.product_id == product.id,
        Quant.lot_id.is_(lot_id) if lot_id is None else Quant.lot_id == lot_id,
        Quant.package_id.is_(None) if package_id is None else Quant.package_id == package_id,
    ).order_by(Quant.id)).first()
    if existing is not None:
        owner_id, status = existing.owner_id, existing.customs_status
    else:
        owner_id = product.owner_id
        kind = count.location.warehouse.kind if count.location.warehouse else "general"
        status = "bonded" if kind == "bonded" else "released"
    key = _line_key(product.id, lot_id, package_id, owner_id, status)
    line = next((ln for ln in count.lines if ln.line_key == key), None)
    if line is None:
        line = CountLine(line_key=key, product_id=product.id, lot_id=lot_id,
                         package_id=package_id, owner_id=owner_id, customs_status=status,
                         counted=Decimal(0))
        count.lines.append(line)
    line.counted = (line.counted or Decimal(0)) + qty
    session.flush()
    return line


def submit_count(session: Session, count: CountSession,
                 threshold: Decimal = DEFAULT_APPROVAL_THRESHOLD) -> CountSession:
    """Compare with the books. Within the threshold the differences are posted at once;
    above it the count waits for a supervisor. What was on the books but not scanned was
    counted as zero."""
    if count.state != "counting":
        raise ValidationError(N_("Count %(name)s is closed"), field="count", name=count.name)
    quants = session.scalars(select(Quant).where(Quant.location_id == count.location_id,
                                                 Quant.quantity != 0)).all()
    lines = {ln.line_key: ln for ln in count.lines}
    for quant in quants:
        key = _line_key(quant.product_id, quant.lot_id, quant.package_id, quant.owner_id,
                        quant.customs_status)
        line = lines.get(key)
        if line is None:
            line = CountLine(line_key=key, product_id=quant.product_id, lot_id=quant.lot_id,
                             package_id=quant.package_id, owner_id=quant.owner_id,
                             customs_status=quant.customs_status, counted=Decimal(0))
            count.lines.append(line)
            lines[key] = line
        line.expected = quant.quantity
    for line in count.lines:
        if line.expected is None:
            line.expected = Decimal(0)
    count.submitted_at = utcnow()
    session.flush()
    if any(abs(ln.difference) > threshold for ln in count.lines):
        count.transition("to_approve", reason="differences above %s" % threshold)
    else:
        _post(session, count, "cycle count")
    return count


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
    """Post each line's difference as seen at submission."""
    changed = [ln for ln in count.lines if ln.difference != 0]
    if changed:
        warehouse = count.location.warehouse
        document = new_document(session, "count", f"{warehouse.code}/ADJ",
                                warehouse_id=warehouse.id, origin=count.name)
        products = {p.id: p for p in session.scalars(
            select(Product).where(Product.id.in_({ln.product_id for ln in changed})))}
        for line in changed:
            quant_now = session.scalar(select(Quant.quantity).where(
                Quant.location_id == count.location_id, Quant.product_id == line.product_id,
                Quant.owner_id == line.owner_id, Quant.customs_status == line.customs_status,
                Quant.lot_id.is_(None) if line.lot_id is None else Quant.lot_id == line.lot_id,
                Quant.package_id.is_(None) if line.package_id is None
                else Quant.package_id == line.package_id)) or Decimal(0)
            adjust_count(session, location=count.location, product=products[line.product_id],
                         counted=quant_now + line.difference, owner_id=line.owner_id,
                         customs_status=line.customs_status, lot_id=line.lot_id,
                         package_id=line.package_id, reason=reason, document=document)
        document.transition("done")
        document.done_at = utcnow()
        count.document_id = document.id
    count.transition("done", reason=reason)
