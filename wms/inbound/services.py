"""Bonded inbound use cases: tally first, then declare what was counted.

ASN -> gate-in (goods as advised move from the supplier into the warehouse's input area
with customs status ``arrived``) -> tally scans (insert-only, several operators at once)
-> close tally (discrepancies frozen; correction moves make the input area hold exactly what
was counted) -> entry declaration built from the tally -> customs decision per line
(release: ``bonded``; inspection: to the customs hold area, ``held``; rejection: out of the
zone) -> putaway.
"""
from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.catalog.services import find_products_by_code, lot_for
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs.codes import check_code
from wms.inventory.models import Location, Quant, Warehouse
from wms.inventory.packages import create_package, get_package_by_sscc
from wms.inventory.services import (MoveLine, new_document, parse_quantity, post_moves,
                                    transfer, virtual_location)
from wms.logistics.identifiers import validate_awb, validate_container, validate_sscc
from wms.partners.models import Enterprise

from .models import (DeclarationLine, Discrepancy, EntryDeclaration, PutawayRule, Receipt,
                     ReceiptLine, TallyScan)

DEFAULT_DECLARATION_DEADLINE = timedelta(hours=72)


# -- receipts -------------------------------------------------------------------------------

@dataclass
class LineInput:
    """One advised line as given (desk form, CSV row or API), before it is checked."""

    product: str
    quantity: Any
    lot: str | None = None
    expiry_date: Any = None
    sscc: str | None = None
    where: str | None = None  # how errors name this line, e.g. "line 37: " in a CSV


def _parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(N_("Date must be YYYY-MM-DD"), field=field) from None


def _parse_datetime(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                                  field=field) from None
    if parsed.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"), field=field)
    return parsed


def _product_for(session: Session, owner: Enterprise, code: str, field: str) -> Product:
    code = (code or "").strip()
    matches = [p for p in find_products_by_code(session, code) if p.owner_id == owner.id] \
        if code else []
    if not matches:
        raise ValidationError(N_("No product %(code)s of owner %(owner)s"), field=field,
                              code=code, owner=owner.customs_code)
    return matches[0]


def create_receipt(session: Session, *, owner_code: str, warehouse_code: str, supplier: str,
                   lines: Iterable[LineInput], trade_mode: str = "1210",
                   transport_mode: str | None = None, supplier_ref: str | None = None,
                   bill_of_lading: str | None = None, air_waybill: str | None = None,
                   train_no: str | None = None, container_no: str | None = None,
                   rail_note_no: str | None = None, mail_dispatch_no: str | None = None,
                   expected_arrival: Any = None, note: str | None = None,
                   field_prefix: str = "") -> Receipt:
    """A checked ASN in state ``expected`` with its gapless name (e.g. LZB/IN/2026/00007)."""
    def f(name: str) -> str:
        return f"{field_prefix}{name}"
    owner = session.scalar(select(Enterprise).where(Enterprise.customs_code ==
                                                    (owner_code or "").strip().upper()))
    if owner is None or not visible_owner(owner.id) or "owner" not in owner.roles:
        raise ValidationError(N_("Unknown owner %(code)s"), field=f("owner"), code=owner_code)
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == (warehouse_code or "")
                                                       .strip().upper()))
    if warehouse is None:
        raise ValidationError(N_("Unknown warehouse %(code)s"), field=f("warehouse"),
                              code=warehouse_code)
    if not (supplier or "").strip():
        raise ValidationError(N_("Supplier is required"), field=f("supplier"))
    if supplier_ref and session.scalar(select(Receipt.id).where(
            Receipt.owner_id == owner.id, Receipt.supplier_ref == supplier_ref,
            Receipt.state != "cancelled")):
        raise Conflict(N_("Receipt %(ref)s of this owner exists already"),
                       field=f("receipt") if field_prefix else "supplier_ref", ref=supplier_ref)
    check_code(session, "trade_mode", trade_mode, f("trade_mode"))
    if warehouse.kind == "bonded" and trade_mode not in ("1210", "9610", "9710", "9810", "0110"):
        raise ValidationError(N_("Trade mode %(mode)s cannot enter a bonded warehouse"),
                              field=f("trade_mode"), mode=trade_mode)
    check_code(session, "transport_mode", transport_mode, f("transport_mode"))
    if container_no:
        container_no = validate_container(container_no, f("container_no"))
    if air_waybill:
        air_waybill = validate_awb(air_waybill, f("air_waybill"))
    receipt = Receipt(owner_id=owner.id, warehouse_id=warehouse.id, supplier=supplier.strip(),
                      supplier_ref=supplier_ref, trade_mode=trade_mode,
                      transport_mode=transport_mode or None, bill_of_lading=bill_of_lading,
                      air_waybill=air_waybill, train_no=train_no, container_no=container_no,
                      rail_note_no=rail_note_no, mail_dispatch_no=mail_dispatch_no,
                      expected_arrival=_parse_datetime(expected_arrival, f("expected_arrival")),
                      note=note)
    lines = list(lines)
    if not lines:
        raise ValidationError(N_("A receipt needs at least one line"), field=f("lines"))
    seen_sscc: set[str] = set()
    for i, given in enumerate(lines, start=1):
        where = given.where or f"lines[{i - 1}]."
        product = _product_for(session, owner, given.product, f"{where}product")
        qty = parse_quantity(given.quantity, f"{where}quantity")
        expiry = _parse_date(given.expiry_date, f"{where}expiry_date")
        lot = (given.lot or "").strip() or None
        if product.track_lot and not lot:
            raise ValidationError(N_("Product %(sku)s is tracked by lot: give the lot"),
                                  field=f"{where}lot", sku=product.sku)
        if product.track_expiry and lot and expiry is None:
            raise ValidationError(N_("Product %(sku)s needs an expiry date for each lot"),
                                  field=f"{where}expiry_date", sku=product.sku)
        sscc = validate_sscc(given.sscc, f"{where}sscc") if given.sscc else None
        if sscc:
            if sscc in seen_sscc or get_package_by_sscc(session, sscc):
                raise ValidationError(N_("SSCC %(sscc)s is already in use"),
                                      field=f"{where}sscc", sscc=sscc)
            seen_sscc.add(sscc)
        receipt.lines.append(ReceiptLine(line_no=i, product_id=product.id, expected_qty=qty,
                                         lot_name=lot, expiry_date=expiry, sscc=sscc))
    session.add(receipt)
    receipt.assign_name(session, f"{warehouse.code}/IN")
    receipt.transition("expected", reason="advance shipping notice")
    session.flush()
    return receipt


CSV_COLUMNS = ("receipt", "owner", "warehouse", "supplier", "trade_mode", "transport_mode",
               "bill_of_lading", "air_waybill", "train_no", "container_no", "rail_note_no",
               "mail_dispatch_no", "expected_arrival", "product", "quantity", "lot",
               "expiry_date", "sscc")
REQUIRED_CSV = ("receipt", "owner", "warehouse", "supplier", "product", "quantity")


def import_receipts_csv(session: Session, text: str) -> list[Receipt]:
    """All or nothing: rows with the same ``receipt`` column form one ASN; the first bad row
    stops the import with an error naming its line and field, and nothing is written (the
    caller's transaction rolls back)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_CSV if c not in header]
    if missing:
        raise ValidationError(N_("CSV header lacks column(s): %(columns)s"), field="line 1",
                              columns=", ".join(missing))
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise ValidationError(N_("Unknown CSV column(s): %(columns)s"), field="line 1",
                              columns=", ".join(unknown))
    groups: dict[str, list[tuple[int, dict]]] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            raise ValidationError(N_("Too many values"), field=f"line {line}")
        ref = (row.get("receipt") or "").strip()
        if not ref:
            raise ValidationError(N_("This field is required"), field=f"line {line}: receipt")
        groups.setdefault(ref, []).append((line, row))
    if not groups:
        raise ValidationError(N_("The file has no rows"), field="line 2")
    receipts = []
    for ref, rows in groups.items():
        first_line, head = rows[0]
        for line, row in rows[1:]:
            for column in ("owner", "warehouse", "supplier"):
                if (row.get(column) or "").strip() != (head.get(column) or "").strip():
                    raise ValidationError(N_("Differs from line %(first)s of the same receipt"),
                                          field=f"line {line}: {column}", first=first_line)
        lines = []
        for line, row in rows:
            prefix = f"line {line}: "
            for column in ("product", "quantity"):
                if not (row.get(column) or "").strip():
                    raise ValidationError(N_("This field is required"),
                                          field=f"{prefix}{column}")
            lines.append(LineInput(product=row["product"], quantity=row["quantity"],
                                   lot=row.get("lot"), expiry_date=row.get("expiry_date"),
                                   sscc=row.get("sscc") or None, where=prefix))
        receipt = create_receipt(
            session, owner_code=head["owner"], warehouse_code=head["warehouse"],
            supplier=head["supplier"], supplier_ref=ref,
            trade_mode=(head.get("trade_mode") or "1210").strip(),
            transport_mode=(head.get("transport_mode") or "").strip() or None,
            bill_of_lading=head.get("bill_of_lading") or None,
            air_waybill=head.get("air_waybill") or None, train_no=head.get("train_no") or None,
            container_no=head.get("container_no") or None,
            rail_note_no=head.get("rail_note_no") or None,
            mail_dispatch_no=head.get("mail_dispatch_no") or None,
            expected_arrival=head.get("expected_arrival") or None,
            lines=lines, field_prefix=f"line {first_line}: ")
        receipts.append(receipt)
    return receipts


def receipts_query(state: str | None = None):
    stmt = select(Receipt).order_by(Receipt.id.desc())
    if state:
        stmt = stmt.where(Receipt.state == state)
    return scope_to_owner(stmt, Receipt.owner_id)


def get_receipt(session: Session, receipt_id: int) -> Receipt:
    receipt = session.get(Receipt, receipt_id)
    if receipt is None or not visible_owner(receipt.owner_id):
        raise NotFound(N_("Receipt %(id)s not found"), field="receipt", id=receipt_id)
    return receipt


def find_receipt(session: Session, name: str) -> Receipt:
    receipt = session.scalar(scope_to_owner(select(Receipt).where(Receipt.name == name.strip()),
                                            Receipt.owner_id))
    if receipt is None:
        raise NotFound(N_("Receipt %(name)s not found"), field="receipt", name=name)
    return receipt


def cancel_receipt(session: Session, receipt: Receipt, reason: str) -> None:
    receipt.transition("cancelled", reason=reason or None)


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


def gate_in(session: Session, receipt: Receipt, *, vehicle_no: str | None = None,
            container_no: str | None = None, seal_no: str | None = None,
            arrived_at: datetime | None = None) -> Receipt:
    """The goods cross the first line: the advised quantities move from the supplier into the
    input area as ``arrived`` (undeclared: never reservable for a sale)."""
    if receipt.state != "expected":
        raise Conflict(N_("Receipt %(name)s is %(state)s: only an expected receipt can gate in"),
                       field="receipt", name=receipt.name, state=receipt.state)
    if container_no:
        receipt.container_no = validate_container(container_no, "container_no")
    receipt.vehicle_no = (vehicle_no or "").strip() or receipt.vehicle_no
    receipt.seal_no = (seal_no or "").strip() or receipt.seal_no
    if arrived_at is not None and arrived_at > utcnow() + timedelta(minutes=10):
        raise ValidationError(N_("The arrival time is in the future"), field="arrived_at")
    receipt.arrived_at = arrived_at or utcnow()
    supplier = virtual_location(session, "supplier")
    target = input_area(session, receipt.warehouse)
    document = new_document(session, "gate_in", f"{receipt.warehouse.code}/GATE",
                            warehouse_id=receipt.warehouse_id, origin=receipt.name)
    lines = []
    for line in receipt.lines:
        lot = lot_for(session, line.product, line.lot_name, line.expiry_date) \
            if line.lot_name else None
        package = None
        if line.sscc:
            package = get_package_by_sscc(session, line.sscc) or create_package(
                session, receipt.warehouse, sscc=line.sscc, location=target,
                owner_id=receipt.owner_id)
        lines.append(MoveLine(line.product_id, line.expected_qty, supplier.id, target.id,
                              receipt.owner_id, "arrived", lot.id if lot else None, None,
                              package.id if package else None,
                              reason=f"gate-in {receipt.name}"))
    post_moves(session, lines, document)
    document.transition("done")
    document.done_at = utcnow()
    receipt.transition("arrived", reason=" ".join(filter(None, [
        receipt.vehicle_no, receipt.container_no, receipt.seal_no])) or None)
    session.flush()
    return receipt


def record_tally(session: Session, receipt: Receipt, *, product: Product, quantity: Any,
                 lot_name: str | None = None, expiry_date: Any = None,
                 sscc: str | None = None, damaged: bool = False,
                 damage_reason: str | None = None, photo: str | None = None) -> TallyScan:
    """One counted quantity. Items not on the advice are recorded too (they show as
    unexpected when the tally closes); a negative quantity corrects an earlier scan."""
    if receipt.state not in ("arrived", "tallying"):
        raise Conflict(N_("Receipt %(name)s is %(state)s: it cannot be tallied"),
                       field="receipt", name=receipt.name, state=receipt.state)
    if product.owner_id != receipt.owner_id:
        raise ValidationError(N_("Product %(sku)s belongs to another owner than this receipt"),
                              field="product", sku=product.sku)
    qty = Decimal(str(quantity)) if quantity not in (None, "") else None
    if qty is None or qty == 0:
        raise ValidationError(N_("Quantity must not be zero"), field="quantity")
    if qty > 0:
        qty = parse_quantity(qty)
    if damaged and not (damage_reason or "").strip():
        raise ValidationError(N_("Say what is damaged"), field="damage_reason")
    lot = None
    if lot_name:
        lot = lot_for(session, product, lot_name, _parse_date(expiry_date, "expiry_date"))
    elif product.track_lot:
        raise ValidationError(N_("Product %(sku)s is tracked by lot: scan or enter the lot"),
                              field="lot", sku=product.sku)
    package = None
    if sscc:
        sscc = validate_sscc(sscc)
        package = get_package_by_sscc(session, sscc)
        if package is None:
            package = create_package(session, receipt.warehouse, sscc=sscc,
                                     location=input_area(session, receipt.warehouse),
                                     owner_id=receipt.owner_id)
    if qty < 0:
        counted = session.scalar(select(func.coalesce(func.sum(TallyScan.quantity), 0)).where(
            TallyScan.receipt_id == receipt.id, TallyScan.product_id == product.id,
            TallyScan.lot_id.is_(None) if lot is None else TallyScan.lot_id == lot.id))
        if counted + qty < 0:
            raise ValidationError(N_("Cannot take back more than was counted (%(counted)s)"),
                                  field="quantity", counted=counted)
    if receipt.state == "arrived":
        # The first scans of several operators race to start the tally: lock and look again
        # so that the transition is recorded once.
        session.refresh(receipt, ["state"], with_for_update=True)
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


@dataclass
class ProgressRow:
    product: Product
    lot_name: str | None
    expected: Decimal
    tallied: Decimal
    damaged: Decimal

    @property
    def difference(self) -> Decimal:
        return self.tallied - self.expected


def tally_progress(session: Session, receipt: Receipt) -> list[ProgressRow]:
    """Expected against counted per product and lot, as the tally goes."""
    rows: dict[tuple[int, str | None], ProgressRow] = {}
    for line in receipt.lines:
        key = (line.product_id, line.lot_name)
        row = rows.setdefault(key, ProgressRow(line.product, line.lot_name, Decimal(0),
                                               Decimal(0), Decimal(0)))
        row.expected += line.expected_qty
    scans = session.execute(
        select(TallyScan.product_id, Lot.name, TallyScan.condition, func.sum(TallyScan.quantity))
        .outerjoin(Lot, Lot.id == TallyScan.lot_id)
        .where(TallyScan.receipt_id == receipt.id)
        .group_by(TallyScan.product_id, Lot.name, TallyScan.condition)).all()
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({s[0] for s in scans} or {0})))}
    for product_id, lot_name, condition, qty in scans:
        row = rows.setdefault((product_id, lot_name), ProgressRow(
            products[product_id], lot_name, Decimal(0), Decimal(0), Decimal(0)))
        row.tallied += qty
        if condition == "damaged":
            row.damaged += qty
    return sorted(rows.values(), key=lambda r: (r.product.sku, r.lot_name or ""))


def close_tally(session: Session, receipt: Receipt) -> list[Discrepancy]:
    """Freeze the counts: record every difference and post corrections so that the input
    area holds exactly what was counted."""
    if receipt.state != "tallying":
        raise Conflict(N_("Receipt %(name)s is %(state)s: only a receipt being tallied can be "
                          "closed"), field="receipt", name=receipt.name, state=receipt.state)
    progress = tally_progress(session, receipt)
    advised_products = {line.product_id for line in receipt.lines}
    advised_lots = defaultdict(set)
    for line in receipt.lines:
        advised_lots[line.product_id].add(line.lot_name)
    found: list[Discrepancy] = []

    def note(kind, row, text=None):
        found.append(Discrepancy(receipt_id=receipt.id, kind=kind, product_id=row.product.id,
                                 lot_name=row.lot_name, expected_qty=row.expected,
                                 tallied_qty=row.tallied, note=text))
    for row in progress:
        pid = row.product.id
        if pid not in advised_products:
            note("unexpected", row, "not on the advice")
        elif row.lot_name not in advised_lots[pid]:
            note("wrong_lot", row, "advised lot(s): " + ", ".join(
                sorted(x or "-" for x in advised_lots[pid])))
        elif row.tallied < row.expected:
            note("short", row)
        elif row.tallied > row.expected:
            note("over", row)
        if row.damaged > 0:
            found.append(Discrepancy(receipt_id=receipt.id, kind="damaged", product_id=pid,
                                     lot_name=row.lot_name, expected_qty=row.expected,
                                     tallied_qty=row.damaged, note="damaged on arrival"))
    session.add_all(found)
    _post_tally_corrections(session, receipt, progress)
    receipt.tally_closed_at = utcnow()
    receipt.transition("tallied", reason=f"{len(found)} discrepancies" if found else
                       "no discrepancies")
    session.flush()
    return found


def _post_tally_corrections(session: Session, receipt: Receipt,
                            progress: list[ProgressRow]) -> None:
    supplier = virtual_location(session, "supplier")
    target = input_area(session, receipt.warehouse)
    lots = {(lot.product_id, lot.name): lot.id for lot in session.scalars(
        select(Lot).where(Lot.product_id.in_({r.product.id for r in progress} or {0})))}
    packages = {line.sscc for line in receipt.lines if line.sscc}
    moves = []
    for row in progress:
        lot_id = lots.get((row.product.id, row.lot_name))
        if row.difference == 0:
            continue
        if row.difference > 0:
            moves.append(MoveLine(row.product.id, row.difference, supplier.id, target.id,
                                  receipt.owner_id, "arrived", lot_id,
                                  reason=f"tally {receipt.name}: over or unexpected"))
        else:
            moves.extend(_take_back(session, receipt, row, -row.difference, lot_id, target,
                                    supplier, packages))
    if moves:
        document = new_document(session, "tally", f"{receipt.warehouse.code}/TALLY",
                                warehouse_id=receipt.warehouse_id, origin=receipt.name)
        post_moves(session, moves, document)
        document.transition("done")
        document.done_at = utcnow()


def _take_back(session, receipt, row, quantity, lot_id, target, supplier, packages):
    """Short goods never arrived: take them back out of the input area, loose stock first,
    then from the receipt's packages."""
    quants = session.scalars(select(Quant).where(
        Quant.location_id == target.id, Quant.product_id == row.product.id,
        Quant.owner_id == receipt.owner_id, Quant.customs_status == "arrived",
        Quant.lot_id.is_(None) if lot_id is None else Quant.lot_id == lot_id,
        Quant.quantity > 0).order_by(Quant.package_id.is_not(None), Quant.id)).all()
    moves, left = [], quantity
    for quant in quants:
        take = min(quant.quantity, left)
        moves.append(MoveLine(row.product.id, take, target.id, supplier.id, receipt.owner_id,
                              "arrived", lot_id, quant.package_id,
                              reason=f"tally {receipt.name}: short, not delivered"))
        left -= take
        if left == 0:
            break
    return moves


# -- entry declaration ---------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A reason a declaration cannot be filed, pointing at the product to fix."""

    sku: str
    field: str
    message: str  # an N_-marked English sentence: the web layer translates it


class DeclarationNotReady(ValidationError):
    code = "declaration_not_ready"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        super().__init__(N_("%(count)s problem(s) before filing; first: product %(sku)s: "
                            "%(problem)s"), field=f"product {first.sku}: {first.field}",
                         count=len(problems), sku=first.sku, problem=first.message)


def _declared_goods(session: Session, receipt: Receipt) -> list[tuple[Product, Decimal]]:
    """What was counted, per product: the declaration's quantities come from here."""
    rows = session.execute(select(TallyScan.product_id, func.sum(TallyScan.quantity))
                           .where(TallyScan.receipt_id == receipt.id)
                           .group_by(TallyScan.product_id)).all()
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({r[0] for r in rows} or {0})))}
    return [(products[pid], Decimal(qty)) for pid, qty in rows if qty > 0]


def check_declaration(session: Session, receipt: Receipt) -> list[Problem]:
    """Everything customs would reject, found before filing."""
    problems: list[Problem] = []
    goods = _declared_goods(session, receipt)
    if not goods:
        problems.append(Problem("-", "tally", N_("nothing was counted")))
    for product, _qty in goods:
        def add(field: str, message: str) -> None:
            problems.append(Problem(product.sku, field, message))
        if product.owner_id != receipt.owner_id:
            add("owner", N_("belongs to another owner"))
        if not product.item_record_no:
            add("item_record_no", N_("not registered with customs for this owner "
                "(no product registration number)"))
        if not (product.hs_code or "").isdigit() or len(product.hs_code) != 10:
            add("hs_code", N_("HS code must have 10 digits"))
        if not product.legal_unit1 or not product.legal_factor1:
            add("legal_factor1", N_("no conversion to the first legal unit"))
        if product.legal_unit2 and not product.legal_factor2:
            add("legal_factor2", N_("no conversion to the second legal unit"))
        if not product.declared_price or product.declared_price <= 0:
            add("declared_price", N_("no declared price"))
        if not product.net_weight_kg or product.net_weight_kg <= 0:
            add("net_weight_kg", N_("no net weight"))
        if not product.origin_country:
            add("origin_country", N_("no origin country"))
    return problems


def build_declaration(session: Session, receipt: Receipt) -> EntryDeclaration:
    """Group the tallied goods by registration number, HS code and origin, with quantities in
    the declared and legal units, weights and values in CNY."""
    if receipt.state != "tallied":
        raise Conflict(N_("Receipt %(name)s is %(state)s: close the tally before declaring"),
                       field="receipt", name=receipt.name, state=receipt.state)
    existing = session.scalar(select(EntryDeclaration).where(
        EntryDeclaration.receipt_id == receipt.id))
    if existing is not None:
        return existing
    problems = check_declaration(session, receipt)
    if problems:
        raise DeclarationNotReady(problems)
    groups: dict[tuple, list[tuple[Product, Decimal]]] = defaultdict(list)
    for product, qty in sorted(_declared_goods(session, receipt), key=lambda g: g[0].sku):
        groups[(product.item_record_no, product.hs_code, product.origin_country,
                product.customs_unit, product.legal_unit1, product.legal_unit2)].append(
            (product, qty))
    declaration = EntryDeclaration(receipt_id=receipt.id,
                                   guid=str(uuid.uuid4()).upper(), total_value=Decimal(0),
                                   total_net_kg=Decimal(0), total_gross_kg=Decimal(0))
    cents = Decimal("0.01")
    for gnum, (key, items) in enumerate(groups.items(), start=1):
        first = items[0][0]
        qty = sum((q for _, q in items), Decimal(0))
        qty1 = sum((q * p.legal_factor1 for p, q in items), Decimal(0))
        qty2 = sum((q * p.legal_factor2 for p, q in items), Decimal(0)) \
            if first.legal_unit2 else None
        total = sum((q * p.declared_price for p, q in items), Decimal(0)).quantize(cents)
        net = sum((q * p.net_weight_kg for p, q in items), Decimal(0))
        gross = sum((q * p.gross_weight_kg for p, q in items), Decimal(0))
        declaration.lines.append(DeclarationLine(
            gnum=gnum, product_id=first.id, item_record_no=first.item_record_no,
            hs_code=first.hs_code, gname=first.gname, gmodel=first.gmodel,
            origin_country=first.origin_country, qty=qty, unit=first.customs_unit,
            qty1=qty1.quantize(Decimal("0.001")), unit1=first.legal_unit1,
            qty2=qty2.quantize(Decimal("0.001")) if qty2 is not None else None,
            unit2=first.legal_unit2, price=(total / qty).quantize(Decimal("0.0001")),
            total_price=total, net_kg=net, gross_kg=gross))
        declaration.total_value += total
        declaration.total_net_kg += net
        declaration.total_gross_kg += gross
    if sum((ln.total_price for ln in declaration.lines), Decimal(0)) != declaration.total_value:
        raise ValidationError(N_("Declaration totals do not add up"), field="total_value")
    session.add(declaration)
    declaration.assign_name(session, f"{receipt.warehouse.code}/ENT")
    session.flush()
    return declaration


def file_declaration(session: Session, declaration: EntryDeclaration, *,
                     xsd_dir: str | None = None) -> EntryDeclaration:
    """Put the declaration's XML into the customs outbox; the receipt is now declared."""
    from wms.customs.outbox import queue_message
    from .declaration_xml import entry_record_list_xml
    receipt = declaration.receipt
    if receipt.state != "tallied":
        raise Conflict(N_("Receipt %(name)s is %(state)s: it cannot be declared now"),
                       field="receipt", name=receipt.name, state=receipt.state)
    xml = entry_record_list_xml(declaration)
    message = queue_message(session, "ENTRY", xml, guid=declaration.guid,
                            business_key=receipt.name, owner_id=receipt.owner_id)
    declaration.message_id = message.id
    declaration.filed_at = utcnow()
    declaration.transition("filed")
    receipt.declared_at = declaration.filed_at
    receipt.transition("declared", reason=declaration.name)
    session.flush()
    return declaration


def overdue_receipts(session: Session, deadline: timedelta = DEFAULT_DECLARATION_DEADLINE,
                     now: datetime | None = None) -> list[Receipt]:
    """Arrived but not declared within the deadline from gate-in."""
    limit = (now or utcnow()) - deadline
    stmt = receipts_query().where(Receipt.state.in_(("arrived", "tallying", "tallied")),
                                  Receipt.arrived_at < limit)
    return list(session.scalars(stmt.order_by(None).order_by(Receipt.arrived_at)))


# -- customs decision ----------------------------------------------------------------------

DECISION_BY_STATUS = {"800": "released", "500": "held", "100": "rejected"}


def decide(session: Session, declaration: EntryDeclaration, decisions: dict[int, str],
           note: str | None = None) -> Receipt:
    """Apply customs' decision to declaration lines (by gnum): release makes the counted goods
    ``bonded``; inspection moves them to the customs hold area as ``held``; rejection sends
    them out of the zone. A held line can be released or rejected later."""
    receipt = declaration.receipt
    if declaration.state == "draft":
        raise Conflict(N_("Declaration %(name)s has not been filed"), field="declaration",
                       name=declaration.name)
    lines = {ln.gnum: ln for ln in declaration.lines}
    for gnum, decision in decisions.items():
        if gnum not in lines:
            raise ValidationError(N_("Declaration has no item %(gnum)s"), field="gnum",
                                  gnum=gnum)
        if decision not in ("released", "held", "rejected"):
            raise ValidationError(N_("Unknown decision %(decision)s"), field="decision",
                                  decision=decision)
        current = lines[gnum].decision
        allowed = {"pending": {"released", "held", "rejected"}, "held": {"released", "rejected"}}
        if decision not in allowed.get(current, set()):
            raise Conflict(N_("Item %(gnum)s is %(current)s: it cannot become %(decision)s"),
                           field="decision", gnum=gnum, current=current, decision=decision)
    warehouse = receipt.warehouse
    entry, hold = input_area(session, warehouse), hold_area(session, warehouse)
    out = virtual_location(session, "supplier")
    document = new_document(session, "customs", f"{warehouse.code}/CUS",
                            warehouse_id=warehouse.id, origin=declaration.name)
    moves: list[MoveLine] = []
    for gnum, decision in sorted(decisions.items()):
        line = lines[gnum]
        source, status = (hold, "held") if line.decision == "held" else (entry, "arrived")
        target, new_status = {"released": (entry, "bonded"), "held": (hold, "held"),
                              "rejected": (out, status)}[decision]
        reason = {"released": f"released by customs {declaration.name}",
                  "held": f"held for inspection {declaration.name}",
                  "rejected": f"rejected by customs, returned abroad {declaration.name}"}[decision]
        moves += _goods_of_line(session, receipt, line, source, status, target, new_status,
                                reason)
        line.decision = decision
        line.decided_at = utcnow()
        line.decision_note = note
    if moves:
        post_moves(session, moves, document)
    document.transition("done")
    document.done_at = utcnow()
    _settle_receipt_state(receipt, declaration, note)
    session.flush()
    return receipt


def _goods_of_line(session, receipt, line, source, status, target, new_status, reason):
    """The counted goods a declaration line stands for, where they are now."""
    product_ids = [pid for pid in session.scalars(select(Product.id).where(
        Product.owner_id == receipt.owner_id, Product.item_record_no == line.item_record_no,
        Product.hs_code == line.hs_code, Product.origin_country == line.origin_country))]
    tallied = session.execute(select(TallyScan.product_id, TallyScan.lot_id,
                                     func.sum(TallyScan.quantity))
                              .where(TallyScan.receipt_id == receipt.id,
                                     TallyScan.product_id.in_(product_ids))
                              .group_by(TallyScan.product_id, TallyScan.lot_id)).all()
    moves = []
    for product_id, lot_id, qty in tallied:
        left = Decimal(qty)
        quants = session.scalars(select(Quant).where(
            Quant.location_id == source.id, Quant.product_id == product_id,
            Quant.owner_id == receipt.owner_id, Quant.customs_status == status,
            Quant.lot_id.is_(None) if lot_id is None else Quant.lot_id == lot_id,
            Quant.quantity > 0).order_by(Quant.id)).all()
        for quant in quants:
            if left <= 0:
                break
            take = min(quant.quantity, left)
            moves.append(MoveLine(product_id, take, source.id, target.id, receipt.owner_id,
                                  status, lot_id, quant.package_id, quant.package_id
                                  if target.usage != "supplier" else None, new_status, reason))
            left -= take
        if left > 0:
            raise Conflict(N_("Item %(gnum)s: %(left)s of the counted goods are no longer in "
                              "%(place)s"), field="decision", gnum=line.gnum, left=left,
                           place=source.full_path)
    return moves


def _settle_receipt_state(receipt: Receipt, declaration: EntryDeclaration,
                          note: str | None) -> None:
    decisions = {ln.decision for ln in declaration.lines}
    if "pending" in decisions:
        target = "held" if "held" in decisions else None
    elif "held" in decisions:
        target = "held"
    else:
        target = "released" if "released" in decisions else "rejected"
        declaration.transition("decided")
    if target and target != receipt.state:
        receipt.transition(target, reason=note)


# -- putaway -------------------------------------------------------------------------------

def suggest_location(session: Session, warehouse: Warehouse, product: Product,
                     quantity: Decimal) -> Location | None:
    """The most specific rule's place (product, category, owner, any), then the internal
    location under it that already holds the product and has room, else the emptiest."""
    rules = session.scalars(select(PutawayRule).where(PutawayRule.warehouse_id == warehouse.id)
                            .order_by(PutawayRule.sequence, PutawayRule.id)).all()

    def rank(rule: PutawayRule) -> int | None:
        if rule.product_id is not None:
            return 0 if rule.product_id == product.id else None
        if rule.category is not None:
            return 1 if rule.category == product.category else None
        if rule.owner_id is not None:
            return 2 if rule.owner_id == product.owner_id else None
        return 3
    ranked = sorted((r for r in rules if rank(r) is not None), key=lambda r: (rank(r),
                                                                            r.sequence))
    roots = [r.location for r in ranked] or [session.scalar(select(Location).where(
        Location.full_path == f"{warehouse.code}/Stock"))]
    for root in roots:
        if root is None:
            continue
        candidates = session.execute(
            select(Location, func.coalesce(func.sum(Quant.quantity), 0),
                   func.sum(case((Quant.product_id == product.id, 1), else_=0)))
            .outerjoin(Quant, Quant.location_id == Location.id)
            .where(Location.usage == "internal", Location.active,
                   (Location.id == root.id) | Location.full_path.startswith(root.full_path + "/"))
            .group_by(Location.id).order_by(Location.full_path)).all()
        fitting = [(loc, used, bool(has)) for loc, used, has in candidates
                   if loc.capacity is None or loc.capacity - Decimal(used) >= quantity]
        fitting.sort(key=lambda c: (not c[2], Decimal(c[1]), c[0].full_path))
        if fitting:
            return fitting[0][0]
    return None


def putaway(session: Session, receipt: Receipt, *, product: Product, quantity: Any,
            to_location: Location, lot_id: int | None = None) -> Receipt:
    """Move released goods of the receipt from the input area to their place; the receipt is
    stored once none of its released goods is left in the input area."""
    if receipt.state not in ("released", "held"):
        raise Conflict(N_("Receipt %(name)s is %(state)s: only released goods are put away"),
                       field="receipt", name=receipt.name, state=receipt.state)
    qty = parse_quantity(quantity)
    source = input_area(session, receipt.warehouse)
    transfer(session, [MoveLine(product.id, qty, source.id, to_location.id, receipt.owner_id,
                                "bonded", lot_id, reason=f"putaway {receipt.name}")],
             prefix=f"{receipt.warehouse.code}/PUT", warehouse_id=receipt.warehouse_id,
             origin=receipt.name, kind="putaway")
    mark_stored_if_done(session, receipt)
    return receipt


def mark_stored_if_done(session: Session, receipt: Receipt) -> bool:
    if receipt.state != "released":
        return False
    source = input_area(session, receipt.warehouse)
    keys = session.execute(select(TallyScan.product_id, TallyScan.lot_id).where(
        TallyScan.receipt_id == receipt.id).distinct()).all()
    for product_id, lot_id in keys:
        left = session.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
            Quant.location_id == source.id, Quant.product_id == product_id,
            Quant.owner_id == receipt.owner_id, Quant.customs_status == "bonded",
            Quant.lot_id.is_(None) if lot_id is None else Quant.lot_id == lot_id))
        if left > 0:
            return False
    receipt.transition("stored", reason="all released goods put away")
    return True
