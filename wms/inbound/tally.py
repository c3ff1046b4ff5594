"""The tally: counting what really arrived, by several operators at once, then closing it.

Tally scans are insert-only rows. The receipt row is the lock: every scan takes it shared,
closing takes it alone, so a scan either lands before the close (and is in the
discrepancies) or is refused after it; nothing is lost in between. The handheld, the desk
and the API all come through ``scan_tally`` and ``close_tally``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.core.messages import stored_message
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.inventory.barcodes import Scan, classify
from wms.inventory.models import Location, Package
from wms.inventory.services import (MoveLine, new_document, parse_quantity, post_moves,
                                    virtual_location)
from wms.logistics.identifiers import validate_sscc
from wms.partners.credit import require_item_count

from .models import Discrepancy, Receipt, ReceiptLine, TallyScan
from .queries import (TALLY_OPEN, ProgressRow, discrepancies_of, input_area, lines_with_sscc,
                      tally_progress)
from .receipts import insert_rows, lots_for, parse_date, products_by_code, take_out_of_input
from .tally_checks import (LotChoice, TallyWarning, WrongOwner, advised_and_counted,
                           check_confirmed, lot_on_receipt, warnings_for)

# What a scan's kind is called when it is not goods (the message names it).
NOT_GOODS = {"s10": N_("UPU S10 postal item number"), "awb": N_("IATA air waybill number"),
             "container": N_("ISO 6346 container number")}
KIND_NAMES = {"sscc": N_("Package (SSCC)"), "gtin": N_("Product number (GTIN)"),
              "gs1": N_("GS1-128 element string"), **NOT_GOODS,
              "text": N_("Location, SKU or other text")}


class TallyNotOpen(Conflict):
    """The receipt is not (or no longer) being tallied; ``state`` names its state."""


class ChooseLot(ValidationError):
    """A lot-tracked product scanned without its lot: the advised lots to pick from."""
    code = "choose_lot"

    def __init__(self, message: str, choices: list[dict], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.extra = {"choices": choices}


def lock_receipt(session: Session, receipt: Receipt, *, exclusive: bool) -> None:
    """Scans share the receipt row, closing (and cancelling) takes it alone. The first scan
    of an arrived receipt changes its state, so it takes the row alone too (no share lock to
    upgrade, no deadlock). SQLite has no row locks and serialises writers anyway."""
    exclusive = exclusive or receipt.state == "arrived"
    session.refresh(receipt, ["state"], with_for_update=True if exclusive else {"read": True})


def not_open(receipt: Receipt) -> TallyNotOpen:
    return TallyNotOpen(N_("Receipt %(name)s is %(state)s: it cannot be tallied"),
                        field="receipt", name=receipt.name, state=receipt.state)


# -- one counted quantity ------------------------------------------------------------------

def _counted(session: Session, receipt: Receipt, product_id: int, lot_id: int | None,
             condition: str | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(TallyScan.quantity), 0)).where(
        TallyScan.receipt_id == receipt.id, TallyScan.product_id == product_id,
        TallyScan.lot_id.is_(None) if lot_id is None else TallyScan.lot_id == lot_id)
    if condition:
        stmt = stmt.where(TallyScan.condition == condition)
    return Decimal(session.scalar(stmt))


def record_tally(session: Session, receipt: Receipt, *, product: Product, quantity: Any,
                 lot_name: str | None = None, expiry_date: Any = None,
                 sscc: str | None = None, damaged: bool = False,
                 damage_reason: str | None = None, photo: str | None = None,
                 locked: bool = False) -> TallyScan:
    """One counted quantity. Items not on the advice are recorded too (they show as
    unexpected when the tally closes); a negative quantity corrects an earlier scan, never
    below zero, and a damaged correction never below what was counted damaged."""
    if not locked:
        lock_receipt(session, receipt, exclusive=False)
    if receipt.state not in TALLY_OPEN:
        raise not_open(receipt)
    if product.owner_id != receipt.owner_id:
        raise ValidationError(N_("Product %(sku)s belongs to another owner than this receipt"),
                              field="product", sku=product.sku)
    try:
        qty = Decimal(str(quantity)) if quantity not in (None, "") else None
    except InvalidOperation:
        raise ValidationError(N_("Quantity must be a number"), field="quantity") from None
    if qty is None or qty == 0:
        raise ValidationError(N_("Quantity must not be zero"), field="quantity")
    qty = parse_quantity(qty) if qty > 0 else -parse_quantity(-qty)
    if damaged and not (damage_reason or "").strip():
        raise ValidationError(N_("Say what is damaged"), field="damage_reason")
    if photo and not damaged:
        raise ValidationError(N_("A photo goes with a damaged scan: switch on 'Damaged'"),
                              field="photo")
    lot = None
    if lot_name:
        lot = lots_for(session, [(product, lot_name, parse_date(expiry_date, "expiry_date"),
                                  "")])[(product.id, lot_name.strip())]
    elif product.track_lot:
        raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                              field="lot", sku=product.sku)
    package = None
    if sscc:
        sscc = validate_sscc(sscc)
        package = session.scalar(select(Package).where(Package.sscc == sscc))
        if package is None:
            package = Package(sscc=sscc, kind="pallet", owner_id=receipt.owner_id,
                              location_id=input_area(session, receipt.warehouse).id)
            session.add(package)
            session.flush()
    if qty < 0:
        lot_id = lot.id if lot else None
        counted = _counted(session, receipt, product.id, lot_id,
                           "damaged" if damaged else None)
        if counted + qty < 0:
            raise ValidationError(N_("Cannot take back more than was counted (%(counted)s)"),
                                  field="quantity", counted=_num(counted))
    if receipt.state == "arrived":
        receipt.transition("tallying")
    scan = TallyScan(receipt_id=receipt.id, product_id=product.id,
                     lot_id=lot.id if lot else None, package_id=package.id if package else None,
                     quantity=qty, condition="damaged" if damaged else "good",
                     damage_reason=(damage_reason or "").strip() or None, photo=photo,
                     scanned_by_id=current_actor().user_id, scanned_at=utcnow())
    session.add(scan)
    session.flush()
    return scan


# -- the tally scan door -------------------------------------------------------------------

@dataclass
class TallyInput:
    """A scan as the operator (or an integrator) sent it."""

    item: str | None
    quantity: Any = None
    lot: str | None = None
    expiry_date: str | None = None
    correction: bool = False
    damaged: bool = False
    damage_reason: str | None = None
    photo: str | None = None  # a stored photo's reference; the caller checked it exists
    confirm: frozenset[str] = frozenset()  # warnings the operator confirmed (tally_checks)
    lot_product: str | None = None  # the SKU a kept ("sticky") lot was chosen for


@dataclass
class Counted:
    sku: str
    lot: str | None
    quantity: Decimal  # negative for a correction
    condition: str


@dataclass
class TallyResult:
    receipt: Receipt
    scans: list[Counted] = field(default_factory=list)
    package: str | None = None
    correction: bool = False
    damaged: bool = False
    reason: str | None = None
    unexpected: bool = False
    wrong_lot: bool = False
    warnings: list[TallyWarning] = field(default_factory=list)  # confirmed by the operator
    selected: LotChoice | None = None  # a lot barcode was scanned: nothing counted


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _scan_sscc(scan: Scan) -> str | None:
    if scan.kind == "sscc":
        return scan.value
    return scan.parts.get("sscc") if scan.kind == "gs1" else None


def _tally_quantity(raw: Any, count: int | None) -> Decimal:
    """What the operator typed, else the label's count, else 1; never zero or negative
    (a count is taken back with the correction switch, not with a minus sign)."""
    if raw in (None, ""):
        raw = count if count else 1
    try:
        negative = Decimal(str(raw).strip()) < 0
    except (InvalidOperation, ValueError):
        negative = False
    if negative:
        raise ValidationError(N_("A quantity below zero is not a count: to take back an "
                                 "earlier count, switch on 'Correct a previous count' and "
                                 "enter how many"), field="quantity")
    return parse_quantity(raw)


def scan_tally(session: Session, receipt: Receipt, given: TallyInput) -> TallyResult:
    """One tally scan: an advised package (its advised contents), or a product by GTIN, SKU
    or GS1 label with quantity, lot and expiry; good or damaged; or a correction. Reads only
    the receipt lines the scan touches."""
    lock_receipt(session, receipt, exclusive=False)
    if receipt.state not in TALLY_OPEN:
        raise not_open(receipt)
    code = (given.item or "").strip(" \t\r\n")
    scan = classify(code)
    if not code or not scan.value:
        raise ValidationError(N_("Scan a package or a product"), field="item")
    if not scan.valid:
        raise ValidationError(N_("%(code)s looks like a %(kind)s but does not check: misread? "
                                 "Scan again."), field="item", code=code,
                              kind=KIND_NAMES.get(scan.kind, scan.kind))
    reason = (given.damage_reason or "").strip() or None
    if given.damaged and not reason:
        raise ValidationError(N_("Say what is damaged"), field="damage_reason")
    if given.photo and not given.damaged:
        raise ValidationError(N_("A photo goes with a damaged scan: switch on 'Damaged'"),
                              field="photo")
    result = TallyResult(receipt, correction=given.correction, damaged=given.damaged,
                         reason=reason)
    sscc = _scan_sscc(scan)
    advised = lines_with_sscc(session, receipt, sscc) if sscc else []
    if advised:
        return _tally_package(session, receipt, sscc, advised, given, result)
    gtin = scan.parts.get("gtin") or scan.parts.get("content_gtin") \
        if scan.kind == "gs1" else None
    if sscc and not gtin:
        raise ValidationError(N_("SSCC %(sscc)s is not on receipt %(name)s: scan the products "
                                 "on it one by one"), field="item", sscc=sscc,
                              name=receipt.name)
    if scan.kind in NOT_GOODS:
        raise ValidationError(N_("%(code)s is a %(kind)s, not a package or a product"),
                              field="item", code=code, kind=NOT_GOODS[scan.kind])
    label_lot = label_expiry = count = None
    if scan.kind == "gs1":
        if not gtin:
            raise ValidationError(N_("The label names no product (GTIN) and no package "
                                     "(SSCC)"), field="item")
        lookup = gtin
        label_lot, label_expiry = scan.parts.get("lot"), scan.parts.get("expiry")
        count = scan.parts.get("count")
    else:
        lookup = scan.value if scan.kind == "gtin" else code
    product = products_by_code(session, receipt.owner_id, [lookup]).get(lookup.strip())
    if product is None:
        result.selected = lot_on_receipt(session, receipt, code) \
            if scan.kind == "text" else None
        if result.selected is not None:
            return result
        _unknown_goods(session, scan, code, lookup)
    typed_lot = (given.lot or "").strip()[:40] or None
    if given.lot_product and (label_lot or given.lot_product != product.sku):
        typed_lot = None  # a kept lot: the label's own lot wins, another product has its own
    typed_expiry = (given.expiry_date or "").strip()[:10] or None
    if label_lot and typed_lot and typed_lot != label_lot:
        raise ValidationError(N_("The label says lot %(label)s, the lot field says %(typed)s"),
                              field="lot", label=label_lot, typed=typed_lot)
    if label_expiry and typed_expiry and typed_expiry != label_expiry:
        raise ValidationError(N_("The label says expiry %(label)s, the field says %(typed)s"),
                              field="expiry_date", label=label_expiry, typed=typed_expiry)
    lot_name, expiry = label_lot or typed_lot, label_expiry or typed_expiry
    advised_lines, counted = advised_and_counted(session, receipt, product.id)
    if product.track_lot and not lot_name:
        choices = [{"lot": line.lot_name, "sku": product.sku,
                    "expiry": line.expiry_date.isoformat()
                    if line.expiry_date else None} for line in advised_lines if line.lot_name]
        raise ChooseLot(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                        choices, field="lot", sku=product.sku)
    quantity = _tally_quantity(given.quantity, count)
    if not given.correction:
        result.warnings = check_confirmed(warnings_for(
            product, advised_lines, counted, quantity, lot_name, expiry), given.confirm)
    signed = -quantity if given.correction else quantity
    record_tally(session, receipt, product=product, quantity=signed, lot_name=lot_name,
                 expiry_date=expiry, damaged=given.damaged, damage_reason=reason,
                 photo=given.photo, locked=True)
    result.scans.append(Counted(product.sku, lot_name, signed,
                                "damaged" if given.damaged else "good"))
    result.unexpected = not advised_lines
    result.wrong_lot = bool(advised_lines) and lot_name not in {
        ln.lot_name for ln in advised_lines}
    return result


def _unknown_goods(session: Session, scan: Scan, code: str, lookup: str) -> None:
    """Why the scan names none of the receipt owner's products."""
    if scan.kind == "text" and session.scalar(select(Location.id).where(
            func.upper(Location.barcode) == code.strip().upper())):
        raise ValidationError(N_("%(code)s is a location, not a package or a product"),
                              field="item", code=code)
    from wms.catalog.services import find_products_by_code
    others = find_products_by_code(session, lookup)
    if others:
        raise WrongOwner(N_("Product %(sku)s belongs to another owner than this receipt"),
                         field="item", sku=others[0].sku)
    raise NotFound(N_("Unknown barcode %(code)s"), field="item", code=code)


def _tally_package(session: Session, receipt: Receipt, sscc: str, lines: list[ReceiptLine],
                   given: TallyInput, result: TallyResult) -> TallyResult:
    """An advised pallet counts its advised contents at once; scanned twice it is refused
    (take it back with the correction switch first)."""
    result.package = sscc
    package = session.scalar(select(Package).where(Package.sscc == sscc))
    done = session.execute(
        select(TallyScan.product_id, Lot.name, TallyScan.condition,
               func.max(TallyScan.damage_reason), func.sum(TallyScan.quantity))
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .where(TallyScan.receipt_id == receipt.id,
               TallyScan.package_id == (package.id if package else -1))
        .group_by(TallyScan.product_id, Lot.name, TallyScan.condition)).all()
    counted = [row for row in done if row[4] > 0]
    if given.correction:
        if not counted:
            raise ValidationError(N_("Package %(sscc)s has not been counted on %(receipt)s: "
                                     "nothing to take back"), field="item", sscc=sscc,
                                  receipt=receipt.name)
        products = {p.id: p for p in session.scalars(select(Product).where(
            Product.id.in_({row[0] for row in counted})))}
        for product_id, lot_name, condition, old_reason, qty in counted:
            record_tally(session, receipt, product=products[product_id], quantity=-qty,
                         lot_name=lot_name, sscc=sscc, damaged=condition == "damaged",
                         damage_reason=result.reason or old_reason, locked=True)
            result.scans.append(Counted(products[product_id].sku, lot_name, -qty, condition))
        return result
    if counted:
        raise Conflict(N_("Package %(sscc)s was already counted on %(receipt)s"),
                       field="item", sscc=sscc, receipt=receipt.name)
    require_item_count(receipt, sscc)
    for line in lines:
        record_tally(session, receipt, product=line.product, quantity=line.expected_qty,
                     lot_name=line.lot_name, expiry_date=line.expiry_date, sscc=sscc,
                     damaged=given.damaged, damage_reason=result.reason, photo=given.photo,
                     locked=True)
        result.scans.append(Counted(line.product.sku, line.lot_name, line.expected_qty,
                                    "damaged" if given.damaged else "good"))
    return result


# -- closing -------------------------------------------------------------------------------

def _advised_lots(receipt: Receipt) -> dict[int, set]:
    lots: dict[int, set] = defaultdict(set)
    for line in receipt.lines:
        lots[line.product_id].add(line.lot_name)
    return lots


def close_tally(session: Session, receipt: Receipt) -> list[Discrepancy]:
    """Freeze the counts: take the receipt alone (no scan commits after the progress is
    read), record every difference and post corrections so that the input area holds
    exactly what was counted. A gated-in receipt with no scans closes with everything
    short: nothing of it was found."""
    lock_receipt(session, receipt, exclusive=True)
    if receipt.state not in TALLY_OPEN:
        raise Conflict(N_("Receipt %(name)s is %(state)s: only a receipt being tallied can be "
                          "closed"), field="receipt", name=receipt.name, state=receipt.state)
    progress = tally_progress(session, receipt)
    advised_lots = _advised_lots(receipt)
    found: list[dict] = []

    def note(kind: str, row: ProgressRow, code: str | None = None, tallied=None, **params):
        found.append(dict(
            receipt_id=receipt.id, kind=kind, product_id=row.product.id, lot_name=row.lot_name,
            expected_qty=row.expected, tallied_qty=row.tallied if tallied is None else tallied,
            note_code=code, note_params=params or None))
    for row in progress:
        if row.status == "unexpected":
            note("unexpected", row, "not_advised")
        elif row.status == "wrong_lot":
            note("wrong_lot", row, "advised_lots", lots=", ".join(
                sorted(x or "-" for x in advised_lots[row.product.id])))
        elif row.status in ("short", "over"):
            note(row.status, row)
        if row.damaged > 0:
            note("damaged", row, "damaged_on_arrival", tallied=row.damaged)
    insert_rows(session, Discrepancy, found)
    _post_tally_corrections(session, receipt, progress)
    receipt.tally_closed_at = utcnow()
    if receipt.state == "arrived":
        receipt.transition("tallying", reason=stored_message(N_("closed without scans")))
    receipt.transition("tallied", reason=stored_message(
        N_("%(n)s discrepancies"), {"n": len(found)}) if found
        else stored_message(N_("no discrepancies")))
    session.flush()
    return discrepancies_of(session, receipt)


def _post_tally_corrections(session: Session, receipt: Receipt,
                            progress: list[ProgressRow]) -> None:
    """Over and unexpected goods come in from the supplier; short goods never arrived and
    go back out (loose stock first, then the receipt's packages). Set-based."""
    if all(row.difference == 0 for row in progress):
        return
    supplier = virtual_location(session, "supplier")
    target = input_area(session, receipt.warehouse)
    names = {r.lot_name for r in progress if r.lot_name}
    lots = {(lot.product_id, lot.name): lot.id for lot in session.scalars(
        select(Lot).where(Lot.product_id.in_({r.product.id for r in progress}),
                          Lot.name.in_(names)))} if names else {}
    moves, short = [], {}
    for row in progress:
        lot_id = lots.get((row.product.id, row.lot_name))
        if row.difference > 0:
            moves.append(MoveLine(row.product.id, row.difference, supplier.id, target.id,
                                  receipt.owner_id, "arrived", lot_id,
                                  reason=f"tally {receipt.name}: over or unexpected"))
        elif row.difference < 0:
            short[(row.product.id, lot_id)] = -row.difference
    moves += take_out_of_input(session, receipt, short,
                               reason=f"tally {receipt.name}: short, not delivered")
    if moves:
        document = new_document(session, "tally", f"{receipt.warehouse.code}/TALLY",
                                warehouse_id=receipt.warehouse_id, origin=receipt.name)
        post_moves(session, moves, document)
        document.transition("done")
        document.done_at = utcnow()


# -- what a scan says ----------------------------------------------------------------------

def scan_message(result: TallyResult) -> list[tuple[str, dict]]:
    """The answer to a scan as message templates with their parameters (translated and
    joined by the edge), the same for the handheld and the API."""
    name = result.receipt.name
    if result.selected:
        return [(N_("Lot %(lot)s of %(sku)s chosen: it stays until another lot is scanned."),
                 dict(lot=result.selected.lot, sku=result.selected.sku))]
    if result.package:
        contents = ", ".join(f"{_num(abs(c.quantity))} × {_what(c.sku, c.lot)}"
                             for c in result.scans)
        if result.correction:
            return [(N_("Package %(sscc)s: %(contents)s taken back from the count of "
                        "%(receipt)s"), dict(sscc=result.package, contents=contents,
                                             receipt=name))]
        if result.damaged:
            return [(N_("Package %(sscc)s: %(contents)s counted as damaged on %(receipt)s: "
                        "%(reason)s"), dict(sscc=result.package, contents=contents,
                                            receipt=name, reason=result.reason))]
        return [(N_("Package %(sscc)s: %(contents)s counted on %(receipt)s"),
                 dict(sscc=result.package, contents=contents, receipt=name))]
    scan = result.scans[0]
    qty, what = _num(abs(scan.quantity)), _what(scan.sku, scan.lot)
    if result.correction:
        parts = [(N_("%(qty)s × %(what)s taken back from the count of %(receipt)s"),
                  dict(qty=qty, what=what, receipt=name))]
    elif result.damaged:
        parts = [(N_("%(qty)s × %(what)s counted as damaged on %(receipt)s: %(reason)s"),
                  dict(qty=qty, what=what, receipt=name, reason=result.reason))]
    else:
        parts = [(N_("%(qty)s × %(what)s counted on %(receipt)s"),
                  dict(qty=qty, what=what, receipt=name))]
    if result.unexpected:
        parts.append((N_("Not on the advice: recorded as unexpected."), {}))
    elif result.wrong_lot:
        parts.append((N_("Lot %(lot)s was not advised for this product."), dict(lot=scan.lot)))
    parts += [(w.template, w.params) for w in result.warnings
              if w.code != "unadvised" or not result.unexpected]
    return parts


def scan_answer(result: TallyResult, translate) -> dict:
    """The JSON answer to a scan; ``translate(template, **params)`` is the edge's gettext."""
    selected = result.selected
    return {"ok": True,
            "message": " ".join(translate(t, **p) for t, p in scan_message(result)),
            "receipt": result.receipt.name, **({"package": result.package}
                                                if result.package else {}),
            **({"selected": {"sku": selected.sku, "lot": selected.lot,
                             "expiry": selected.expiry}} if selected else {}),
            "warnings": [w.as_dict(translate) for w in result.warnings],
            "unexpected": result.unexpected, "wrong_lot": result.wrong_lot,
            "scans": [{"sku": c.sku, "lot": c.lot, "quantity": _num(c.quantity),
                       "condition": c.condition} for c in result.scans]}


def _what(sku: str, lot: str | None) -> str:
    return f"{sku} ({lot})" if lot else sku
