"""Receipts before the tally: the advance shipping notice (desk, CSV, API), gate-in, cancel.

ASN -> gate-in (goods as advised move from the supplier into the warehouse's input area
with customs status ``arrived``) -> tally (``tally.py``) -> declaration -> customs decisions
-> putaway. Every door resolves what its lines name in a fixed number of queries.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from wms.catalog.models import Lot, Product
from wms.catalog.services import gtin_forms
from wms.core.messages import stored_message
from wms.core.parsing import parse_aware_datetime
from wms.core.audit import AuditEvent
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, ValidationError
from wms.core.scoping import visible_owner
from wms.customs.codes import check_code
from wms.inventory.models import Package, Quant, Warehouse
from wms.inventory.services import (MoveLine, new_document, parse_quantity, post_moves,
                                    virtual_location)
from wms.logistics.identifiers import validate_awb, validate_container, validate_sscc
from wms.partners.blacklist import refuse_blacklisted, refuse_held
from wms.partners.models import Enterprise

from .models import Receipt, ReceiptLine, TallyScan
from .queries import input_area

BONDED_TRADE_MODES = ("1210", "9610", "9710", "9810", "0110")


@dataclass
class LineInput:
    """One advised line as given (desk form, CSV row or API), before it is checked."""

    product: str
    quantity: Any
    lot: str | None = None
    expiry_date: Any = None
    sscc: str | None = None
    where: str | None = None  # how errors name this line, e.g. "line 37: " in a CSV


def parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(N_("Date must be YYYY-MM-DD"), field=field) from None


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """One multi-row insert (the ORM would send one statement per row on SQLite, where it
    needs each new id back); callers read the rows back or expire what holds them."""
    if rows:
        session.execute(insert(model.__table__), rows)


def products_by_code(session: Session, owner_id: int, codes: Iterable[str]) -> dict[str,
                                                                                     Product]:
    """The owner's active product for each SKU or GTIN, in one query."""
    codes = {c.strip() for c in codes if c and c.strip()}
    if not codes:
        return {}
    gtins = set().union(*(gtin_forms(c) for c in codes))
    products = list(session.scalars(select(Product).where(
        Product.owner_id == owner_id, Product.active,
        Product.gtin.in_(gtins) | Product.sku.in_(codes)).order_by(Product.id)))
    found = {}
    for code in codes:
        candidates = gtin_forms(code)
        match = next((p for p in products if p.sku == code or p.gtin in candidates), None)
        if match is not None:
            found[code] = match
    return found


def lots_for(session: Session, wanted: Iterable[tuple[Product, str, date | None, str]]
             ) -> dict[tuple[int, str], Lot]:
    """The lots named by (product, lot name, expiry, where), created on first sight, in one
    query and one insert; an expiry that contradicts the recorded one is an error. ``where``
    prefixes the field an error names, e.g. ``lines[3].``."""
    wanted = [(p, (name or "").strip(), expiry, where) for p, name, expiry, where in wanted]
    if not wanted:
        return {}
    for product, name, _expiry, where in wanted:
        if not name or len(name) > 40:
            raise ValidationError(N_("Lot must be 1-40 characters"), field=f"{where}lot")
    lots = {(lot.product_id, lot.name): lot for lot in session.scalars(select(Lot).where(
        Lot.product_id.in_({p.id for p, *_ in wanted}), Lot.name.in_({n for _, n, *_ in wanted})))}
    new: dict[tuple[int, str], dict] = {}
    for product, name, expiry, where in wanted:
        lot = lots.get((product.id, name))
        if lot is None:
            if (product.id, name) in new:
                continue
            if product.track_expiry and expiry is None:
                raise ValidationError(N_("Product %(sku)s needs an expiry date for each lot"),
                                      field=f"{where}expiry_date", sku=product.sku)
            new[(product.id, name)] = dict(product_id=product.id, name=name,
                                           expiry_date=expiry)
        elif expiry is not None and lot.expiry_date not in (None, expiry):
            raise ValidationError(N_("Lot %(lot)s expires on %(recorded)s, not %(given)s"),
                                  field=f"{where}expiry_date", lot=name,
                                  recorded=lot.expiry_date,
                                  given=expiry)
    if new:
        insert_rows(session, Lot, list(new.values()))
        lots.update({(lot.product_id, lot.name): lot for lot in session.scalars(
            select(Lot).where(Lot.product_id.in_({k[0] for k in new}),
                              Lot.name.in_({k[1] for k in new})))})
    return lots


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
    refuse_blacklisted(session, [(owner, f("owner"), supplier_ref)], document="receipt")
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
    if warehouse.kind == "bonded" and trade_mode not in BONDED_TRADE_MODES:
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
                      expected_arrival=parse_aware_datetime(expected_arrival, f("expected_arrival")),
                      note=note)
    lines = list(lines)
    if not lines:
        raise ValidationError(N_("A receipt needs at least one line"), field=f("lines"))
    products = products_by_code(session, owner.id, (given.product for given in lines))
    ssccs = [validate_sscc(given.sscc, f"{given.where or f'lines[{i}].'}sscc")
             if given.sscc else None for i, given in enumerate(lines)]
    in_use = set(session.scalars(select(Package.sscc).where(
        Package.sscc.in_({s for s in ssccs if s})))) if any(ssccs) else set()
    seen_sscc: set[str] = set()
    rows = []
    for i, (given, sscc) in enumerate(zip(lines, ssccs), start=1):
        where = given.where or f"lines[{i - 1}]."
        product = products.get((given.product or "").strip())
        if product is None:
            raise ValidationError(N_("No product %(code)s of owner %(owner)s"),
                                  field=f"{where}product", code=(given.product or "").strip(),
                                  owner=owner.customs_code)
        qty = parse_quantity(given.quantity, f"{where}quantity")
        expiry = parse_date(given.expiry_date, f"{where}expiry_date")
        lot = (given.lot or "").strip() or None
        if product.track_lot and not lot:
            raise ValidationError(N_("Product %(sku)s is tracked by lot: give the lot"),
                                  field=f"{where}lot", sku=product.sku)
        if product.track_expiry and lot and expiry is None:
            raise ValidationError(N_("Product %(sku)s needs an expiry date for each lot"),
                                  field=f"{where}expiry_date", sku=product.sku)
        if sscc:
            if sscc in seen_sscc or sscc in in_use:
                raise ValidationError(N_("SSCC %(sscc)s is already in use"),
                                      field=f"{where}sscc", sscc=sscc)
            seen_sscc.add(sscc)
        rows.append(dict(line_no=i, product_id=product.id, expected_qty=qty, lot_name=lot,
                         expiry_date=expiry, sscc=sscc))
    session.add(receipt)
    receipt.assign_name(session, f"{warehouse.code}/IN")
    receipt.transition("expected", reason=stored_message(N_("advance shipping notice")))
    session.flush()
    insert_rows(session, ReceiptLine, [{**row, "receipt_id": receipt.id} for row in rows])
    session.expire(receipt, ["lines"])
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


def gate_in(session: Session, receipt: Receipt, *, vehicle_no: str | None = None,
            container_no: str | None = None, seal_no: str | None = None,
            arrived_at: datetime | None = None) -> Receipt:
    """The goods cross the first line: the advised quantities move from the supplier into the
    input area as ``arrived`` (undeclared: never reservable for a sale)."""
    if receipt.state != "expected":
        raise Conflict(N_("Receipt %(name)s is %(state)s: only an expected receipt can gate in"),
                       field="receipt", name=receipt.name, state=receipt.state)
    refuse_held(session, "receipt", [receipt], "receipt")
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
    lots = lots_for(session, [(line.product, line.lot_name, line.expiry_date,
                               f"lines[{line.line_no - 1}].")
                              for line in receipt.lines if line.lot_name])
    packages = _packages_for(session, receipt, target.id)
    lines = []
    for line in receipt.lines:
        lot = lots[(line.product_id, line.lot_name.strip())] if line.lot_name else None
        package = packages.get(line.sscc) if line.sscc else None
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


def _packages_for(session: Session, receipt: Receipt, location_id: int) -> dict[str, Package]:
    """The advised pallets by SSCC, registered on arrival with one insert (and one for their
    audit trail), read back in one query."""
    ssccs = {line.sscc for line in receipt.lines if line.sscc}
    if not ssccs:
        return {}
    existing = set(session.scalars(select(Package.sscc).where(Package.sscc.in_(ssccs))))
    new = sorted(ssccs - existing)
    if new:
        actor, now = current_actor(), utcnow()
        insert_rows(session, Package, [dict(
            sscc=sscc, kind="pallet", location_id=location_id, owner_id=receipt.owner_id,
            created_at=now, created_by_id=actor.user_id, updated_at=now,
            updated_by_id=actor.user_id) for sscc in new])
    packages = {p.sscc: p for p in session.scalars(select(Package).where(
        Package.sscc.in_(ssccs)))}
    if new:
        insert_rows(session, AuditEvent, [dict(
            model="package", record_id=packages[sscc].id, kind="create",
            note=f"gate-in {receipt.name}", user_id=actor.user_id, user_login=actor.login,
            at=now) for sscc in new])
    return packages


# -- the way back --------------------------------------------------------------------------

GOODS_IN_INPUT = ("arrived", "tallying", "tallied")


def cancel_receipt(session: Session, receipt: Receipt, reason: str | None) -> Receipt:
    """Cancel a receipt that customs has not been told about. Before gate-in nothing moved;
    after it the goods are turned back: what the receipt brought into the input area goes
    back to the supplier (a reason is then required)."""
    from .tally import lock_receipt
    if receipt.state in GOODS_IN_INPUT:
        lock_receipt(session, receipt, exclusive=True)
    if not receipt.can_transition("cancelled"):
        raise Conflict(N_("Receipt %(name)s is %(state)s: it cannot be cancelled"),
                       field="receipt", name=receipt.name, state=receipt.state)
    reason = (reason or "").strip() or None
    if receipt.state in GOODS_IN_INPUT:
        if not reason:
            raise ValidationError(N_("Say why the goods are turned back"), field="reason")
        if receipt.state == "tallied":
            held = _counted_by_key(session, receipt)
        else:
            held = defaultdict(Decimal)
            lot_ids = _lot_ids(session, receipt)
            for line in receipt.lines:
                held[(line.product_id, lot_ids.get((line.product_id, line.lot_name)))] += \
                    line.expected_qty
        moves = take_out_of_input(session, receipt, held, strict=True,
                                  reason=f"cancelled {receipt.name}: turned back")
        if moves:
            document = new_document(session, "gate_in", f"{receipt.warehouse.code}/GATE",
                                    warehouse_id=receipt.warehouse_id, origin=receipt.name,
                                    note=reason)
            post_moves(session, moves, document)
            document.transition("done")
            document.done_at = utcnow()
    receipt.transition("cancelled", reason=reason)
    session.flush()
    return receipt


def _lot_ids(session: Session, receipt: Receipt) -> dict[tuple[int, str], int]:
    names = {line.lot_name for line in receipt.lines if line.lot_name}
    if not names:
        return {}
    return {(lot.product_id, lot.name): lot.id for lot in session.scalars(select(Lot).where(
        Lot.product_id.in_({line.product_id for line in receipt.lines}), Lot.name.in_(names)))}


def _counted_by_key(session: Session, receipt: Receipt) -> dict[tuple[int, int | None], Decimal]:
    return {(pid, lot_id): Decimal(qty) for pid, lot_id, qty in session.execute(
        select(TallyScan.product_id, TallyScan.lot_id, func.sum(TallyScan.quantity))
        .where(TallyScan.receipt_id == receipt.id)
        .group_by(TallyScan.product_id, TallyScan.lot_id)) if qty > 0}


def take_out_of_input(session: Session, receipt: Receipt,
                      wanted: dict[tuple[int, int | None], Decimal], *, reason: str,
                      strict: bool = False) -> list[MoveLine]:
    """Moves that take these (product, lot) quantities of the receipt's owner out of the
    input area back to the supplier, loose stock first, then from packages; one query.
    ``strict``: all of it must still be there, else nothing is taken."""
    wanted = {key: qty for key, qty in wanted.items() if qty > 0}
    if not wanted:
        return []
    supplier = virtual_location(session, "supplier")
    source = input_area(session, receipt.warehouse)
    quants = session.scalars(select(Quant).where(
        Quant.location_id == source.id, Quant.owner_id == receipt.owner_id,
        Quant.customs_status == "arrived", Quant.quantity > 0,
        Quant.product_id.in_({pid for pid, _ in wanted}))
        .order_by(Quant.package_id.is_not(None), Quant.id)).all()
    left = dict(wanted)
    moves = []
    for quant in quants:
        key = (quant.product_id, quant.lot_id)
        if left.get(key, 0) <= 0:
            continue
        take = min(quant.quantity, left[key])
        moves.append(MoveLine(quant.product_id, take, source.id, supplier.id, receipt.owner_id,
                              "arrived", quant.lot_id, quant.package_id, reason=reason))
        left[key] -= take
    missing = next(((pid, qty) for (pid, _lot), qty in left.items() if qty > 0), None)
    if strict and missing:
        sku = session.scalar(select(Product.sku).where(Product.id == missing[0]))
        raise Conflict(N_("%(qty)s × %(sku)s of receipt %(name)s are no longer in the input "
                          "area: bring them back first"), field="receipt",
                       qty=format(missing[1].normalize(), "f"), sku=sku, name=receipt.name)
    return moves
