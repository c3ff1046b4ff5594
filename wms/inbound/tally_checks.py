"""What a tally scan must be warned about, what a scanned lot barcode selects, and undoing
the last scan.

Bonded goods are at risk when more arrives than was advised, when a product was not advised
at all or when goods arrive too close to their expiry to be sold: the tally door
(``tally.scan_tally``) refuses such a scan with a structured list of warnings until the
operator confirms them (the same scan sent again with ``confirm`` naming the warnings).
Nothing is written before the confirmation. An undo never deletes: it inserts the reversing
scan, linked to the scan it undoes, and an audit event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, aliased

from wms.catalog.models import Lot, Product
from wms.core.audit import AuditEvent
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.messages import stored_message

from .models import Receipt, ReceiptLine, TallyScan

OVER_COUNT, UNADVISED, SHORT_SHELF_LIFE = "over_count", "unadvised", "short_shelf_life"
WARNING_CODES = (OVER_COUNT, UNADVISED, SHORT_SHELF_LIFE)


@dataclass
class TallyWarning:
    code: str
    template: str
    params: dict

    def as_dict(self, translate) -> dict:
        return {"code": self.code, "message": translate(self.template, **self.params)}


class ConfirmWarnings(Conflict):
    """The scan puts bonded goods at risk: nothing was written; send it again with
    ``confirm`` naming every warning to record it anyway."""
    code = "confirm"

    def __init__(self, warnings: list[TallyWarning]) -> None:
        super().__init__(N_("Check before counting: %(what)s"), field="confirm",
                         what=", ".join(w.code for w in warnings))
        self.warnings = warnings
        self.extra = {"warnings": [{"code": w.code, "template": w.template,
                                    "params": w.params} for w in warnings]}


class WrongOwner(ValidationError):
    """The product is another owner's: never counted on this receipt (no confirm lifts it)."""
    code = "wrong_owner"


def parse_confirm(value) -> frozenset[str]:
    """The warning codes the operator confirmed (a list, or one comma-separated string)."""
    if value in (None, "", False):
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValidationError(N_("List the warnings you confirm"), field="confirm")
    codes = {str(c).strip() for c in items if str(c).strip()}
    unknown = codes - set(WARNING_CODES)
    if unknown:
        raise ValidationError(N_("Unknown warning %(code)s"), field="confirm",
                              code=sorted(unknown)[0])
    return frozenset(codes)


def advised_and_counted(session: Session, receipt: Receipt, product_id: int
                        ) -> tuple[list[ReceiptLine], Decimal]:
    """The receipt's advised lines of the product and how much of it is counted so far,
    in one statement (the tally scan's reads stay fixed)."""
    counted = select(func.coalesce(func.sum(TallyScan.quantity), 0)).where(
        TallyScan.receipt_id == receipt.id, TallyScan.product_id == product_id
    ).scalar_subquery()
    rows = session.execute(
        select(ReceiptLine, counted).where(ReceiptLine.receipt_id == receipt.id,
                                           ReceiptLine.product_id == product_id)
        .order_by(ReceiptLine.line_no)).all()
    if rows:
        return [r[0] for r in rows], Decimal(rows[0][1])
    return [], Decimal(0)


def _expiry(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def warnings_for(product: Product, lines: list[ReceiptLine], counted: Decimal,
                 quantity: Decimal, lot_name: str | None, expiry,
                 today: date | None = None) -> list[TallyWarning]:
    """What a count of ``quantity`` more of ``product`` must be warned about."""
    found: list[TallyWarning] = []
    if not lines:
        found.append(TallyWarning(UNADVISED, N_("%(sku)s is not on the advice of this "
                                                "receipt"), {"sku": product.sku}))
    else:
        advised = sum((ln.expected_qty for ln in lines), Decimal(0))
        if counted + quantity > advised:
            found.append(TallyWarning(OVER_COUNT, N_(
                "More than advised: %(total)s × %(sku)s counted against %(advised)s advised"),
                {"sku": product.sku, "total": _plain(counted + quantity),
                 "advised": _plain(advised)}))
    when = _expiry(expiry)
    if when is None and lot_name:
        when = next((ln.expiry_date for ln in lines if ln.lot_name == lot_name), None)
    days = product.min_shelf_life_days
    if when is not None and days:
        today = today or date.today()
        if when < today + timedelta(days=days):
            found.append(TallyWarning(SHORT_SHELF_LIFE, N_(
                "Expires %(expiry)s: less than the %(days)s days of shelf life %(sku)s must "
                "still have"), {"expiry": when.isoformat(), "days": days, "sku": product.sku}))
    return found


def check_confirmed(warnings: Iterable[TallyWarning], confirmed: frozenset[str]
                    ) -> list[TallyWarning]:
    """The warnings, once every one is confirmed; else the refusal that lists them."""
    warnings = list(warnings)
    open_ = [w for w in warnings if w.code not in confirmed]
    if open_:
        raise ConfirmWarnings(warnings)
    return warnings


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


# -- a lot barcode -------------------------------------------------------------------------

@dataclass
class LotChoice:
    sku: str
    lot: str
    expiry: str | None


def lot_on_receipt(session: Session, receipt: Receipt, code: str) -> LotChoice | None:
    """A scanned code that is a lot of the receipt's owner (advised on this receipt first):
    it selects the lot for the next product scans. One statement."""
    name = code.strip()[:40]
    if not name:
        return None
    advised = select(ReceiptLine.product_id).where(ReceiptLine.receipt_id == receipt.id,
                                                   ReceiptLine.lot_name == name)
    row = session.execute(
        select(Product.sku, Lot.name, Lot.expiry_date, Product.id.in_(advised))
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.name == name, Product.owner_id == receipt.owner_id)
        .order_by(Product.id.in_(advised).desc(), Lot.id).limit(1)).first()
    if row is None:
        line = session.scalars(select(ReceiptLine).where(
            ReceiptLine.receipt_id == receipt.id, ReceiptLine.lot_name == name)
            .limit(1)).first()
        if line is None:
            return None
        return LotChoice(line.product.sku, name,
                         line.expiry_date.isoformat() if line.expiry_date else None)
    return LotChoice(row[0], row[1], row[2].isoformat() if row[2] else None)


# -- undo ----------------------------------------------------------------------------------

def undo_last_scan(session: Session, receipt: Receipt) -> list[TallyScan]:
    """Take back the acting operator's last scan on the receipt (all rows of it: a pallet
    scan writes one per product): reversing rows linked to it, and an audit event. A scan
    already undone, or an undo itself, is not undone again."""
    from .tally import lock_receipt, not_open
    from .queries import TALLY_OPEN
    lock_receipt(session, receipt, exclusive=False)
    if receipt.state not in TALLY_OPEN:
        raise not_open(receipt)
    actor = current_actor()
    reversal = aliased(TallyScan)
    mine = select(TallyScan).where(
        TallyScan.receipt_id == receipt.id, TallyScan.reverses_id.is_(None),
        TallyScan.scanned_by_id.is_(None) if actor.user_id is None
        else TallyScan.scanned_by_id == actor.user_id,
        ~select(reversal.id).where(reversal.reverses_id == TallyScan.id).exists())
    last = session.scalars(mine.order_by(TallyScan.id.desc()).limit(1)).first()
    if last is None:
        raise NotFound(N_("Nothing of yours to undo on %(name)s"), field="receipt",
                       name=receipt.name)
    same = [last] if last.package_id is None else list(session.scalars(mine.where(
        TallyScan.package_id == last.package_id, TallyScan.scanned_at == last.scanned_at)))
    now = utcnow()
    rows = [dict(receipt_id=receipt.id, product_id=s.product_id, lot_id=s.lot_id,
                 package_id=s.package_id, quantity=-s.quantity, condition=s.condition,
                 damage_reason=s.damage_reason, photo=None, scanned_by_id=actor.user_id,
                 scanned_at=now, reverses_id=s.id) for s in same]
    session.execute(insert(TallyScan.__table__), rows)
    session.execute(insert(AuditEvent.__table__), [dict(
        model="receipt", record_id=receipt.id, kind="write", field="tally",
        old_value=None, new_value=None,
        note=stored_message(N_("Scan undone: %(qty)s × %(sku)s"),
                            {"qty": _plain(s.quantity), "sku": s.product.sku}),
        user_id=actor.user_id, user_login=actor.login, at=now) for s in same])
    return same
