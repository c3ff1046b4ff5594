"""Returns centre use cases: requests, bulk receiving into consolidation batches, the return
declaration (CEB625 / CEB626), grading and dispositions.

Stock side: a shipped 1210 order's goods sit at the virtual customer location as
``released``. A batch's arrival moves the matched parcels' goods into the warehouse's returns
dock (``<WH>/Returns/Dock``) as ``held`` (waiting for the return declaration) or, for a return
past its deadline, ``released`` (non-bonded handling). Restock moves them into bonded stock as
``bonded`` once customs approved the return (CEB626 800); scrap goes to the scrap location
after a supervisor approved it; return to vendor goes to the supplier location; non-bonded
handling to ``<WH>/Returns/Non-bonded``. Every move names the request and item in its reason
(``RMA <name>#<gnum>``), so the ledger tells where each returned item went.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs import ceb, inbox
from wms.customs.models import CustomsMessage, CustomsReceipt
from wms.customs.outbox import queue_message
from wms.customs.rules import CENT, RetailLimits, line_tax
from wms.inventory.models import Location, StockMove, Warehouse
from wms.inventory.places import create_location
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location
from wms.outbound.models import InventoryList, OrderLine, Parcel, SalesOrder, Waybill
from wms.partners.models import Enterprise

from .models import (BUYER_CHOICES, DISPOSITIONS, GRADES, RESELLABLE, ConsolidationBatch,
                     ReturnDeclaration, ReturnLine, ReturnParcel, ReturnRequest)

CEB_NS = "{http://www.chinaport.gov.cn/ceb}"
OPEN_STATES = ("requested", "received", "inspected")


class RestockRefused(ValidationError):
    """The goods may not go back to bonded stock (not approved by customs, or rejected)."""
    code = "restock_refused"


class PastDeadline(RestockRefused):
    code = "past_deadline"


class DocumentsDisagree(ValidationError):
    """The return does not match the order, list or waybill; ``problems`` says which."""
    code = "documents_disagree"

    def __init__(self, problems: list[dict]) -> None:
        first = problems[0]
        super().__init__(N_("%(document)s disagrees: %(detail)s"), field=first["field"],
                         document=first["document"], detail=first["detail"])
        self.problems = problems
        self.extra = {"problems": problems}


class ListNotReleased(ValidationError):
    code = "list_not_released"


class TooManyReturned(ValidationError):
    code = "too_many_returned"


@dataclass(frozen=True)
class ReturnRules:
    """Deadlines counted from the list's release (DOMAIN.md section 4)."""
    apply_days: int = 30
    arrive_days: int = 45

    @classmethod
    def from_env(cls) -> ReturnRules:
        return cls(apply_days=int(os.environ.get("WMS_RETURN_APPLY_DAYS", "30")),
                   arrive_days=int(os.environ.get("WMS_RETURN_ARRIVE_DAYS", "45")))


# ------------------------------------------------------------------------------ places

def return_locations(session: Session, warehouse: Warehouse) -> tuple[Location, Location]:
    """The returns dock and the non-bonded area of a warehouse, made on first use."""
    def find(path: str) -> Location | None:
        return session.scalar(select(Location).where(Location.full_path == path))
    root = find(f"{warehouse.code}/Returns")
    if root is None:
        parent = find(warehouse.code)
        root = create_location(session, warehouse, parent, "Returns", "view",
                               barcode=f"{warehouse.code}-RET")
    dock = find(f"{warehouse.code}/Returns/Dock") or create_location(
        session, warehouse, root, "Dock", "internal", barcode=f"{warehouse.code}-RET-DOCK")
    free = find(f"{warehouse.code}/Returns/Non-bonded") or create_location(
        session, warehouse, root, "Non-bonded", "internal", barcode=f"{warehouse.code}-RET-NB")
    return dock, free


# ------------------------------------------------------------------------------ helpers

def _text(data: dict, name: str, max_len: int, required: bool = False,
          field_name: str | None = None) -> str | None:
    value = data.get(name)
    value = str(value).strip() if value is not None else ""
    if not value:
        if required:
            raise ValidationError(N_("This field is required"), field=field_name or name)
        return None
    if len(value) > max_len:
        raise ValidationError(N_("At most %(n)s characters"), field=field_name or name,
                              n=max_len)
    return value


def _qty(value: Any, field_name: str) -> Decimal:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Quantity must be a number"), field=field_name) from None
    if not qty.is_finite() or qty <= 0 or qty != qty.to_integral():
        raise ValidationError(N_("Quantity must be a whole number above zero"),
                              field=field_name)
    return qty


def num(value: Decimal | None) -> str:
    if value is None:
        return ""
    value = Decimal(value)
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def listing_of(session: Session, order: SalesOrder) -> InventoryList | None:
    return session.scalar(select(InventoryList).where(InventoryList.order_id == order.id))


def find_order(session: Session, ref: str, field_name: str = "order") -> SalesOrder:
    ref = (ref or "").strip()
    if not ref:
        raise ValidationError(N_("This field is required"), field=field_name)
    stmt = select(SalesOrder).where(or_(SalesOrder.order_no == ref, SalesOrder.name == ref))
    order = session.scalars(scope_to_owner(stmt, SalesOrder.owner_id)
                            .order_by(SalesOrder.id)).first()
    if order is None:
        raise NotFound(N_("No order %(ref)s"), field=field_name, ref=ref)
    return order


def claimed_elsewhere(session: Session, order_line_id: int, exclude_request_id: int | None
                      ) -> Decimal:
    """Quantity of the line on requests still waiting for their goods."""
    stmt = (select(func.coalesce(func.sum(ReturnLine.qty), 0))
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.request_id)
            .where(ReturnLine.order_line_id == order_line_id,
                   ReturnRequest.state == "requested"))
    if exclude_request_id:
        stmt = stmt.where(ReturnRequest.id != exclude_request_id)
    return Decimal(session.scalar(stmt))


def returnable(session: Session, line: OrderLine, exclude_request_id: int | None = None
               ) -> Decimal:
    """Sold and released, minus what came back and what other open requests claim."""
    return line.qty - line.returned_qty - claimed_elsewhere(session, line.id, exclude_request_id)


def deadlines(listing: InventoryList, rules: ReturnRules) -> tuple[datetime, datetime]:
    released = listing.released_at
    return (released + timedelta(days=rules.apply_days),
            released + timedelta(days=rules.arrive_days))


# ------------------------------------------------------------------------------ requests

@dataclass
class RequestResult:
    request: ReturnRequest
    created: bool
    warnings: list[str] = field(default_factory=list)


def create_request(session: Session, data: dict, *, rules: ReturnRules | None = None
                   ) -> RequestResult:
    """A return request from a platform or the desk: the order, the items (by list item
    number ``gnum`` or product code) and quantities, the reason and the buyer's choice.

    Refused with a clear message: an order whose list is not released, an order not shipped,
    more than was sold and not yet returned. Past the application deadline it is accepted but
    flagged ``late``: it goes to non-bonded handling and is never declared as bonded.
    """
    rules = rules or ReturnRules.from_env()
    platform_no = _text(data, "platform_return_no", 60)
    if platform_no:
        existing = session.scalar(select(ReturnRequest).where(
            ReturnRequest.platform_return_no == platform_no))
        if existing is not None:
            if not visible_owner(existing.owner_id):
                raise Conflict(N_("Return number %(no)s is used already"),
                               field="platform_return_no", no=platform_no)
            return RequestResult(existing, created=False)
    order = find_order(session, _text(data, "order", 60, True))
    if order.trade_mode != "1210":
        raise ValidationError(N_("Order %(name)s is a %(mode)s export: the returns centre takes "
                                 "back bonded imports (1210)"), field="order", name=order.name,
                              mode=order.trade_mode)
    listing = listing_of(session, order)
    if listing is None or listing.state != "released" or listing.released_at is None:
        raise ListNotReleased(N_("The inventory list of order %(order)s is not released "
                                 "(%(state)s): nothing was sold to return yet"), field="order",
                              order=order.order_no,
                              state=listing.state if listing else N_("not declared"))
    if order.state != "shipped":
        raise Conflict(N_("Order %(order)s is %(state)s: only shipped goods come back as a "
                          "return"), field="order", order=order.order_no, state=order.state)
    reason = _text(data, "reason", 200, True)
    choice = str(data.get("buyer_choice") or "refund")
    if choice not in BUYER_CHOICES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="buyer_choice",
                              values=", ".join(BUYER_CHOICES))
    raw_lines = data.get("lines")
    if raw_lines in (None, []):  # the whole order: what is left of it
        raw_lines = [{"gnum": ln.gnum, "qty": str(returnable(session, ln))}
                     for ln in order.lines if returnable(session, ln) > 0]
        if not raw_lines:
            raise TooManyReturned(N_("Everything of order %(order)s was returned or is on "
                                     "another return already"), field="lines",
                                  order=order.order_no)
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ValidationError(N_("A return needs at least one item"), field="lines")
    by_gnum = {ln.gnum: ln for ln in order.lines}
    lines, seen, refund = [], set(), Decimal(0)
    for i, item in enumerate(raw_lines):
        where = f"lines[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(N_("Expected a JSON object"), field=where)
        line = None
        if item.get("gnum") not in (None, ""):
            try:
                line = by_gnum.get(int(item["gnum"]))
            except (TypeError, ValueError):
                line = None
            if line is None:
                raise ValidationError(N_("Order %(order)s has no item %(gnum)s"),
                                      field=f"{where}.gnum", order=order.order_no,
                                      gnum=item.get("gnum"))
        else:
            code = _text(item, "product", 60, True, f"{where}.product")
            line = next((ln for ln in order.lines if code in (ln.product.sku,
                                                              ln.product.gtin)), None)
            if line is None:
                raise ValidationError(N_("Order %(order)s has no product %(code)s"),
                                      field=f"{where}.product", order=order.order_no,
                                      code=code)
        if line.gnum in seen:
            raise ValidationError(N_("Item %(gnum)s is listed twice"), field=f"{where}.gnum",
                                  gnum=line.gnum)
        seen.add(line.gnum)
        qty = _qty(item.get("qty"), f"{where}.qty")
        left = returnable(session, line)
        if qty > left:
            raise TooManyReturned(
                N_("Item %(gnum)s (%(sku)s): %(qty)s to return, but only %(left)s of %(sold)s "
                   "sold are not returned or claimed yet"), field=f"{where}.qty",
                gnum=line.gnum, sku=line.product.sku, qty=num(qty), left=num(max(left, 0)),
                sold=num(line.qty))
        refund += ((line.total_price + line.tax) * qty / line.qty).quantize(CENT)
        lines.append(ReturnLine(order_line_id=line.id, gnum=line.gnum,
                                product_id=line.product_id, qty=qty))
    requested_at = _time(data.get("requested_at"), "requested_at") or utcnow()
    apply_by, arrive_by = deadlines(listing, rules)
    request = ReturnRequest(
        order_id=order.id, owner_id=order.owner_id, warehouse_id=order.warehouse_id,
        platform_return_no=platform_no,
        return_waybill_no=(_text(data, "return_waybill_no", 60) or "").upper() or None,
        reason=reason, buyer_choice=choice, requested_at=requested_at, apply_by=apply_by,
        arrive_by=arrive_by, refund_amount=refund, note=_text(data, "note", 2000),
        lines=lines)
    warnings = []
    if requested_at > apply_by:
        request.late = True
        request.late_reason = N_("applied after the return deadline")
        warnings.append(request.late_reason)
    session.add(request)
    request.assign_name(session, f"{order.warehouse.code}/RMA")
    session.flush()
    return RequestResult(request, created=True, warnings=warnings)


def _time(value: Any, field_name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                                  field=field_name) from None
    if parsed.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"), field=field_name)
    return parsed


def requests_query(state: str | None = None):
    stmt = select(ReturnRequest).order_by(ReturnRequest.id.desc())
    if state:
        stmt = stmt.where(ReturnRequest.state == state)
    return scope_to_owner(stmt, ReturnRequest.owner_id)


def find_request(session: Session, ref: Any) -> ReturnRequest:
    """By id, name (slashes or hyphens) or the platform's return number; owner-scoped."""
    ref = str(ref or "").strip()
    request = None
    if ref.isdigit():
        request = session.get(ReturnRequest, int(ref))
    if request is None and ref:
        names = {ref, ref.upper()}
        if "/" not in ref:
            names.add(ref.replace("-", "/").upper())
        request = session.scalars(select(ReturnRequest).where(or_(
            ReturnRequest.name.in_(names), ReturnRequest.platform_return_no == ref))).first()
    if request is None or not visible_owner(request.owner_id):
        raise NotFound(N_("No return %(ref)s"), field="return", ref=ref)
    return request


def cancel_request(session: Session, request: ReturnRequest, reason: str | None) -> None:
    request.transition("cancelled", reason=reason or None)


def declaration_of(session: Session, request: ReturnRequest) -> ReturnDeclaration | None:
    return session.scalars(select(ReturnDeclaration).where(
        ReturnDeclaration.request_id == request.id).order_by(ReturnDeclaration.id.desc())
    ).first()


def is_late(request: ReturnRequest, now: datetime | None = None) -> bool:
    """Flagged late, or its goods are not back and the arrival deadline has passed."""
    now = now or utcnow()
    return request.late or (request.received_at is None and request.arrive_by is not None
                            and now > request.arrive_by and request.state == "requested")


# ------------------------------------------------------------------------------ matching

def normalise_code(code: str | None) -> str:
    return "".join((code or "").split()).upper()


def match_code(session: Session, code: str) -> tuple[ReturnRequest | None, SalesOrder | None,
                                                     str | None]:
    """The request a scanned code names: its return number, the platform's return number,
    the return waybill, the original waybill or S10 parcel number, or the order number."""
    if not code:
        return None, None, None
    request = session.scalars(select(ReturnRequest).where(or_(
        ReturnRequest.name == code, ReturnRequest.name == code.replace("-", "/"),
        func.upper(ReturnRequest.platform_return_no) == code,
        ReturnRequest.return_waybill_no == code)).order_by(ReturnRequest.id)).first()
    if request is not None:
        how = "return_number" if code in (request.name, request.name.replace("/", "-")) else (
            "return_waybill" if code == request.return_waybill_no else "platform_return_no")
        return request, request.order, how
    order, how = None, None
    order_id = session.scalar(select(Waybill.order_id).where(
        func.upper(Waybill.logistics_no) == code))
    if order_id:
        order, how = session.get(SalesOrder, order_id), "waybill"
    if order is None:
        order_id = session.scalar(select(Parcel.order_id).where(Parcel.tracking_no == code))
        if order_id:
            order, how = session.get(SalesOrder, order_id), "parcel"
    if order is None:
        order = session.scalar(select(SalesOrder).where(func.upper(SalesOrder.order_no) == code))
        how = "order" if order is not None else None
    if order is None:
        return None, None, None
    request = session.scalars(select(ReturnRequest).where(
        ReturnRequest.order_id == order.id, ReturnRequest.state == "requested")
        .order_by(ReturnRequest.id)).first()
    return request, order, how


def open_batch(session: Session, warehouse: Warehouse) -> ConsolidationBatch:
    """The warehouse's open consolidation batch, started when there is none."""
    batch = session.scalars(select(ConsolidationBatch).where(
        ConsolidationBatch.warehouse_id == warehouse.id, ConsolidationBatch.state == "open")
        .order_by(ConsolidationBatch.id)).first()
    if batch is None:
        batch = ConsolidationBatch(warehouse_id=warehouse.id)
        session.add(batch)
        batch.assign_name(session, f"{warehouse.code}/RCB")
        session.flush()
    return batch


@dataclass
class ScanResult:
    parcel: ReturnParcel
    created: bool
    duplicate: bool = False


def scan_parcel(session: Session, code: str | None, *, warehouse: Warehouse,
                notes: str | None = None, photo: str | None = None) -> ScanResult:
    """Receive one parcel into the open batch, matched to its request when the code names
    one; otherwise kept in the unidentified queue. The same parcel scanned again (or another
    label of a parcel already in) gives the parcel received before, never a second one."""
    code = normalise_code(code)
    notes = (notes or "").strip()[:2000] or None
    if not code and not notes:
        raise ValidationError(N_("Scan the parcel's waybill, S10 or return number, or describe "
                                 "an unlabelled parcel"), field="code")
    if len(code) > 60:
        raise ValidationError(N_("At most %(n)s characters"), field="code", n=60)
    if code:
        existing = session.scalar(select(ReturnParcel).where(ReturnParcel.code == code))
        if existing is not None:
            return ScanResult(existing, created=False, duplicate=True)
    request, order, how = match_code(session, code)
    if request is not None:
        existing = session.scalars(select(ReturnParcel).where(
            ReturnParcel.request_id == request.id)).first()
        if existing is not None:
            return ScanResult(existing, created=False, duplicate=True)
        if request.state != "requested":
            request = None  # cancelled or closed: keep the parcel, let a person decide
    batch = open_batch(session, warehouse)
    now = utcnow()
    parcel = ReturnParcel(code=code or None, batch_id=batch.id, scanned_at=now, notes=notes,
                          photo=photo, order_id=order.id if order is not None else None)
    if request is not None:
        parcel.request = request
        parcel.state = "matched"
        parcel.matched_by = how
        parcel.matched_at = now
    else:
        parcel.state = "unidentified"
    session.add(parcel)
    session.flush()
    return ScanResult(parcel, created=True)


def match_parcel(session: Session, parcel: ReturnParcel, ref: str) -> ReturnParcel:
    """Match an unidentified parcel to a return (number, platform number or order number);
    if its batch has arrived already, its goods enter the returns dock now."""
    if parcel.state != "unidentified":
        raise Conflict(N_("Parcel %(id)s is matched already"), field="parcel", id=parcel.id)
    try:
        request = find_request(session, ref)
    except NotFound:
        order = find_order(session, ref, "return")
        request = session.scalars(select(ReturnRequest).where(
            ReturnRequest.order_id == order.id, ReturnRequest.state == "requested")
            .order_by(ReturnRequest.id)).first()
        if request is None:
            raise NotFound(N_("Order %(order)s has no open return request: create one first"),
                           field="return", order=order.order_no) from None
    if request.state != "requested":
        raise Conflict(N_("Return %(name)s is %(state)s: its goods are in already"),
                       field="return", name=request.name, state=request.state)
    if session.scalar(select(ReturnParcel.id).where(ReturnParcel.request_id == request.id)):
        raise Conflict(N_("Return %(name)s has a parcel already"), field="return",
                       name=request.name)
    parcel.request = request
    parcel.matched_at = utcnow()
    parcel.matched_by = "by_hand"
    parcel.state = "matched"
    session.flush()
    if parcel.batch.state == "arrived":
        warehouse = parcel.batch.warehouse
        document = new_document(session, "return", f"{warehouse.code}/RET",
                                warehouse_id=warehouse.id, origin=parcel.batch.name)
        _receive(session, [parcel], document)
        document.transition("done")
        document.done_at = utcnow()
    return parcel


def parcels_query(state: str | None = None):
    stmt = select(ReturnParcel).order_by(ReturnParcel.id.desc())
    if state:
        stmt = stmt.where(ReturnParcel.state == state)
    owners = current_actor().owner_ids
    if owners is not None:  # owners see their own matched parcels, never unidentified ones
        stmt = stmt.join(ReturnRequest, ReturnRequest.id == ReturnParcel.request_id)
        stmt = scope_to_owner(stmt, ReturnRequest.owner_id)
    return stmt


def get_parcel(session: Session, parcel_id: int) -> ReturnParcel:
    parcel = session.get(ReturnParcel, parcel_id)
    if parcel is None or (parcel.request is None and current_actor().owner_ids is not None) \
            or (parcel.request is not None and not visible_owner(parcel.request.owner_id)):
        raise NotFound(N_("No parcel %(id)s"), field="parcel", id=parcel_id)
    return parcel


def _tag(request: ReturnRequest, gnum: int) -> str:
    return f"RMA {request.name}#{gnum}"


def _shipped_lots(session: Session, order: SalesOrder, product_id: int) -> list[list]:
    """What of the product went to the customer with the order, by lot, minus what earlier
    returns of the order took back: ``[[lot_id, qty], ...]``."""
    customer = virtual_location(session, "customer")
    shipped = session.execute(select(StockMove.lot_id, func.sum(StockMove.quantity)).where(
        StockMove.state == "done", StockMove.to_location_id == customer.id,
        StockMove.product_id == product_id,
        StockMove.order_line_id.in_(select(OrderLine.id).where(OrderLine.order_id == order.id)))
        .group_by(StockMove.lot_id).order_by(StockMove.lot_id)).all()
    back = dict(session.execute(select(StockMove.lot_id, func.sum(StockMove.quantity)).where(
        StockMove.state == "done", StockMove.from_location_id == customer.id,
        StockMove.product_id == product_id,
        StockMove.return_line_id.in_(select(ReturnLine.id).join(
            ReturnRequest, ReturnRequest.id == ReturnLine.request_id).where(
            ReturnRequest.order_id == order.id))).group_by(StockMove.lot_id)).all())
    return [[lot, Decimal(qty) - Decimal(back.get(lot, 0))] for lot, qty in shipped
            if Decimal(qty) - Decimal(back.get(lot, 0)) > 0]


def _receive(session: Session, parcels: list[ReturnParcel], document, now=None) -> int:
    """The goods of matched parcels enter the returns dock; their requests are received."""
    now = now or utcnow()
    customer = virtual_location(session, "customer")
    lines: list[MoveLine] = []
    for parcel in parcels:
        request = parcel.request
        dock, _free = return_locations(session, request.warehouse)
        if request.arrive_by is not None and now > request.arrive_by and not request.late:
            request.late = True
            request.late_reason = N_("goods arrived after the return deadline")
        status = "released" if request.late else "held"
        for line in request.lines:
            left = line.qty
            for lot_qty in _shipped_lots(session, request.order, line.product_id):
                if left <= 0:
                    break
                take = min(left, lot_qty[1])
                lines.append(MoveLine(line.product_id, take, customer.id, dock.id,
                                      request.owner_id, "released", lot_qty[0], None, None,
                                      status, _tag(request, line.gnum),
                                      return_line_id=line.id))
                left -= take
            if left > 0:
                raise Conflict(N_("Item %(gnum)s of %(order)s: %(qty)s more come back than were "
                                  "shipped to the buyer"), field="parcel", gnum=line.gnum,
                               order=request.order.order_no, qty=num(left))
            order_line = session.get(OrderLine, line.order_line_id)
            order_line.returned_qty += line.qty
        parcel.state = "arrived"
        parcel.arrived_at = now
        request.received_at = now
        request.transition("received", reason=parcel.batch.name)
    if lines:
        post_moves(session, lines, document)
    session.flush()
    return len(lines)


def arrive_batch(session: Session, batch: ConsolidationBatch) -> ConsolidationBatch:
    """The batch re-enters the bonded zone: one stock document moves every matched parcel's
    goods from the customer into the returns dock. Unidentified parcels stay in their queue."""
    if batch.state != "open":
        raise Conflict(N_("Batch %(name)s is %(state)s: only an open batch arrives"),
                       field="batch", name=batch.name, state=batch.state)
    matched = [p for p in batch.parcels if p.state == "matched"]
    if not batch.parcels:
        raise ValidationError(N_("Batch %(name)s has no parcels"), field="batch",
                              name=batch.name)
    warehouse = batch.warehouse
    now = utcnow()
    if matched:
        document = new_document(session, "return", f"{warehouse.code}/RET",
                                warehouse_id=warehouse.id, origin=batch.name)
        _receive(session, matched, document, now)
        document.transition("done")
        document.done_at = now
        batch.document_id = document.id
    batch.arrived_at = now
    batch.transition("arrived", reason=N_("%(n)s parcels") % {"n": len(batch.parcels)})
    session.flush()
    return batch


def find_batch(session: Session, ref: Any) -> ConsolidationBatch:
    ref = str(ref or "").strip()
    batch = session.get(ConsolidationBatch, int(ref)) if ref.isdigit() else session.scalar(
        select(ConsolidationBatch).where(ConsolidationBatch.name.in_(
            {ref, ref.replace("-", "/")})))
    if batch is None:
        raise NotFound(N_("No batch %(ref)s"), field="batch", ref=ref)
    return batch


# ------------------------------------------------------------------------------ declaration

def _agent(session: Session) -> Enterprise:
    code = os.environ.get("WMS_DECLARING_AGENT")
    stmt = select(Enterprise).where(Enterprise.role_rows.any(role="agent"))
    if code:
        stmt = select(Enterprise).where(Enterprise.customs_code == code)
    agent = session.scalars(stmt.order_by(Enterprise.id)).first()
    if agent is None:
        raise NotFound(N_("No customs agent enterprise is registered to declare"),
                       field="agent")
    return agent


def list_number(session: Session, listing: InventoryList) -> str | None:
    """Customs' list number (invtNo): from the list, else from the CEB622 that released it
    (the customs inbox does not copy it onto the list)."""
    if listing.invt_no:
        return listing.invt_no
    if listing.message_id is None:
        return None
    for raw in session.scalars(select(CustomsReceipt.raw).where(
            CustomsReceipt.message_id == listing.message_id).order_by(CustomsReceipt.id.desc())):
        try:
            for receipt in ceb.parse_receipts(raw.encode("utf-8")):
                if receipt.invt_no:
                    return receipt.invt_no
        except Exception:  # a receipt we cannot read names no number
            continue
    return None


def _list_items(session: Session, listing: InventoryList) -> tuple[dict, dict[int, dict]]:
    """The head and items of the list as it was sent to customs."""
    from lxml import etree
    message = session.get(CustomsMessage, listing.message_id)
    root = etree.fromstring(message.xml.encode("utf-8"))
    head = root.find(f".//{CEB_NS}InventoryHead")
    head_values = {el.tag.replace(CEB_NS, ""): (el.text or "") for el in head} \
        if head is not None else {}
    items = {}
    for el in root.iter(f"{CEB_NS}InventoryList"):
        values = {c.tag.replace(CEB_NS, ""): (c.text or "") for c in el}
        try:
            items[int(values.get("gnum", "0"))] = values
        except ValueError:
            continue
    return head_values, items


def check_documents(session: Session, request: ReturnRequest) -> list[dict]:
    """Everything the return application needs to agree on; each problem names the document
    that disagrees (order, inventory list, waybill, return) and the field."""
    problems: list[dict] = []

    def add(document: str, field_name: str, detail: str, **params) -> None:
        problems.append({"document": document, "field": field_name,
                         "detail": detail % params if params else detail,
                         "template": detail, "params": params})
    order = request.order
    listing = listing_of(session, order)
    if order.state != "shipped":
        add(N_("order"), "order", N_("order %(order)s is %(state)s, not shipped"),
            order=order.order_no, state=order.state)
    if listing is None or listing.state != "released":
        add(N_("inventory list"), "order", N_("the list of order %(order)s is not released"),
            order=order.order_no)
        return problems
    invt_no = list_number(session, listing)
    if not invt_no:
        add(N_("inventory list"), "invt_no", N_("customs gave no list number (invtNo) for "
                                                "%(name)s"), name=listing.name)
    head, items = _list_items(session, listing)
    if head.get("orderNo") != order.order_no:
        add(N_("inventory list"), "order_no", N_("the list names order %(listed)s, the order is "
                                                 "%(order)s"), listed=head.get("orderNo"),
            order=order.order_no)
    waybill = order.waybill
    if waybill is None:
        add(N_("waybill"), "waybill", N_("order %(order)s has no waybill"),
            order=order.order_no)
    elif head.get("logisticsNo") != waybill.logistics_no:
        add(N_("waybill"), "logistics_no", N_("waybill %(waybill)s is not the list's "
                                              "%(listed)s"), waybill=waybill.logistics_no,
            listed=head.get("logisticsNo"))
    by_gnum = {ln.gnum: ln for ln in order.lines}
    for i, line in enumerate(request.lines):
        where = f"lines[{i}]"
        order_line = by_gnum.get(line.gnum)
        item = items.get(line.gnum)
        if order_line is None or order_line.product_id != line.product_id:
            add(N_("order"), f"{where}.gnum", N_("item %(gnum)s of the return is not that "
                                                 "product on the order"), gnum=line.gnum)
            continue
        if item is None:
            add(N_("inventory list"), f"{where}.gnum", N_("the list has no item %(gnum)s"),
                gnum=line.gnum)
            continue
        if item.get("itemNo") and item.get("itemNo") != line.product.sku:
            add(N_("inventory list"), f"{where}.gnum", N_("item %(gnum)s is %(listed)s on the "
                                                          "list, %(sku)s on the return"),
                gnum=line.gnum, listed=item.get("itemNo"), sku=line.product.sku)
        released = Decimal(item.get("qty") or 0)
        already = order_line.returned_qty - (line.qty if request.state != "requested" else 0)
        if line.qty > released - already:
            add(N_("return"), f"{where}.qty", N_("item %(gnum)s: %(qty)s returned but "
                                                 "%(released)s released and %(already)s "
                                                 "returned already"), gnum=line.gnum,
                qty=num(line.qty), released=num(released), already=num(already))
    return problems


def declare_return(session: Session, request: ReturnRequest, *,
                   xsd_dir: str | None = None) -> ReturnDeclaration:
    """Generate the CEB625 return application into the customs outbox when order, list,
    waybill and items agree; its CEB626 receipt decides (``apply_return_receipts``)."""
    if request.late:
        raise PastDeadline(N_("Return %(name)s is past its deadline (%(reason)s): it cannot be "
                              "declared as a bonded return and goes to non-bonded handling"),
                           field="return", name=request.name, reason=request.late_reason)
    if request.state not in OPEN_STATES:
        raise Conflict(N_("Return %(name)s is %(state)s: it cannot be declared"),
                       field="return", name=request.name, state=request.state)
    current = declaration_of(session, request)
    if current is not None and current.state in ("sent", "approved"):
        raise Conflict(N_("Return %(name)s was declared already (%(state)s)"), field="return",
                       name=request.name, state=current.state)
    problems = check_documents(session, request)
    if problems:
        raise DocumentsDisagree(problems)
    order, now = request.order, utcnow()
    listing = listing_of(session, order)
    agent = _agent(session)
    from wms.outbound.declare import base_transfer
    doc = ceb.InvtRefund(
        app_time=now, customs_code=order.warehouse.customs_area_code or "",
        order_no=order.order_no, ebp_code=order.platform.customs_code,
        ebp_name=order.platform.name, ebc_code=order.owner.customs_code,
        ebc_name=order.owner.name, logistics_no=order.waybill.logistics_no,
        logistics_code=order.waybill.logistics_code,
        logistics_name=order.waybill.logistics_name, cop_no=request.name.replace("/", ""),
        invt_no=list_number(session, listing), buyer_id_type=order.buyer_id_type,
        buyer_id_number=order.buyer_id_number, buyer_name=order.buyer_name,
        buyer_telephone=order.buyer_phone, agent_code=agent.customs_code,
        agent_name=agent.name, reason=request.reason[:500],
        items=[ceb.InvtRefundItem(gnum=ln.gnum, gcode=ln.product.hs_code,
                                  gname=ln.product.gname, qty=ln.qty,
                                  unit=ln.product.customs_unit) for ln in request.lines])
    xml = ceb.build(doc, base_transfer(agent), xsd_dir=xsd_dir or ceb.xsd_dir_from_env())
    message = queue_message(session, "CEB625", xml.decode("utf-8"), guid=doc.guid,
                            business_key=request.name, owner_id=request.owner_id)
    declaration = ReturnDeclaration(request_id=request.id, message_id=message.id,
                                    invt_no=doc.invt_no, declared_at=now)
    session.add(declaration)
    session.flush()
    return declaration


def apply_return_receipts(session: Session, xml: bytes) -> list[CustomsMessage]:
    """Import a receipt file (any kind, through the customs inbox); CEB626 answers decide
    their return declarations: 800 approves, 100 rejects."""
    return inbox.apply_receipt_file(session, xml)


@inbox.handles("CEB625")
def _return_receipt(session: Session, message: CustomsMessage, receipt) -> None:
    catch_up(session)


def catch_up(session: Session) -> int:
    """Apply the receipts already recorded on CEB625 messages to their declarations (receipts
    imported elsewhere only update the message)."""
    rows = session.execute(select(ReturnDeclaration, CustomsMessage).join(
        CustomsMessage, CustomsMessage.id == ReturnDeclaration.message_id).where(
        ReturnDeclaration.state == "sent",
        CustomsMessage.return_status.in_(("800", "899", "100", "700")))).all()
    for declaration, message in rows:
        _decide(session, declaration, message.return_status, message.return_info)
    return len(rows)


def _decide(session: Session, declaration: ReturnDeclaration, status: str,
            info: str | None) -> None:
    declaration.decided_at = utcnow()
    declaration.return_info = (info or status)[:300]
    request = declaration.request
    if status in ("800", "899"):
        declaration.transition("approved", reason=info)
        # The returned purchase gives its amount back to the buyer's annual quota.
        request.order.refunded = min(request.order.actual_paid,
                                     request.order.refunded + request.refund_amount)
    else:
        declaration.transition("rejected", reason=info)
    session.flush()


# ------------------------------------------------------------------------------ inspection

def _line(request: ReturnRequest, gnum: Any) -> ReturnLine:
    try:
        gnum = int(gnum)
    except (TypeError, ValueError):
        gnum = None
    line = next((ln for ln in request.lines if ln.gnum == gnum), None)
    if line is None:
        raise NotFound(N_("Return %(name)s has no item %(gnum)s"), field="gnum",
                       name=request.name, gnum=gnum)
    return line


def grade_line(session: Session, request: ReturnRequest, gnum: Any, grade: str,
               reason: str | None = None, photo: str | None = None) -> ReturnLine:
    """Inspection: resell as new, resell as open box, damaged or scrap, with the reason
    (required unless new) and a photo. When every item is graded the return is inspected."""
    if request.state not in ("received", "inspected"):
        raise Conflict(N_("Return %(name)s is %(state)s: grade it once its goods are in"),
                       field="return", name=request.name, state=request.state)
    line = _line(request, gnum)
    if line.disposition_state in ("done", "to_approve"):
        raise Conflict(N_("Item %(gnum)s is disposed of already"), field="grade",
                       gnum=line.gnum)
    if grade not in GRADES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="grade",
                              values=", ".join(GRADES))
    reason = (reason or "").strip()[:200] or None
    if grade != "new" and not reason:
        raise ValidationError(N_("Say what is wrong with it"), field="reason")
    line.grade, line.grade_reason, line.graded_at = grade, reason, utcnow()
    if photo:
        line.photo = photo[:200]
    if request.state == "received" and all(ln.grade for ln in request.lines):
        request.transition("inspected")
    session.flush()
    return line


def _dock_parts(session: Session, request: ReturnRequest, line: ReturnLine) -> list[tuple]:
    """The line's goods in the dock: (location, lot, status, qty) as they arrived."""
    dock, _free = return_locations(session, request.warehouse)
    rows = session.execute(select(StockMove.lot_id, StockMove.to_customs_status,
                                  func.sum(StockMove.quantity)).where(
        StockMove.state == "done", StockMove.to_location_id == dock.id,
        StockMove.return_line_id == line.id)
        .group_by(StockMove.lot_id, StockMove.to_customs_status)).all()
    return [(dock, lot, status, Decimal(qty)) for lot, status, qty in rows]


def _move_out(session: Session, request: ReturnRequest, line: ReturnLine, target: Location,
              to_status: str | None, kind: str, reason: str | None = None) -> None:
    parts = _dock_parts(session, request, line)
    if not parts:
        raise Conflict(N_("Item %(gnum)s of %(name)s is not in the returns dock"),
                       field="gnum", gnum=line.gnum, name=request.name)
    warehouse = request.warehouse
    document = new_document(session, kind, f"{warehouse.code}/RET", warehouse_id=warehouse.id,
                            origin=request.name)
    note = _tag(request, line.gnum) + (f" {reason}" if reason else "")
    post_moves(session, [MoveLine(line.product_id, qty, dock.id, target.id, request.owner_id,
                                  status, lot, None, None, to_status or status, note[:200],
                                  return_line_id=line.id)
                         for dock, lot, status, qty in parts], document)
    document.transition("done")
    document.done_at = utcnow()
    line.document_id = document.id


def _finish(session: Session, request: ReturnRequest, line: ReturnLine, state: str = "done"
            ) -> None:
    line.disposition_state = state
    if state == "done":
        line.disposed_at = utcnow()
        if request.state == "inspected" and all(ln.disposition_state == "done"
                                                for ln in request.lines):
            request.closed_at = utcnow()
            request.transition("closed")
    session.flush()


def bonded_allowed(session: Session, request: ReturnRequest) -> tuple[bool, str | None]:
    """May the goods go back to bonded stock? Only in time and once customs approved."""
    if request.late:
        return False, N_("past its deadline: non-bonded handling only")
    declaration = declaration_of(session, request)
    if declaration is None or declaration.state == "sent":
        return False, N_("waiting for customs to approve the return declaration (CEB626)")
    if declaration.state == "rejected":
        return False, N_("customs rejected the return declaration: non-bonded handling only")
    return True, None


def dispose_line(session: Session, request: ReturnRequest, gnum: Any, disposition: str, *,
                 reason: str | None = None, product_code: str | None = None) -> ReturnLine:
    """Send a graded item where it belongs.

    restock: back to bonded stock as ``bonded`` (in time, customs approved, resellable).
    exchange: a replacement order for the same buyer through the normal outbound flow, and
    the returned item restocked like restock (or to the non-bonded area when it may not be);
    when the replacement cannot be ordered (no stock) the item stays pending with the reason.
    scrap: waits for a supervisor's approval (``approve_scrap``), reason kept.
    return_to_vendor: to the supplier location, abroad. non_bonded: the non-bonded area.
    """
    if request.state != "inspected":
        raise Conflict(N_("Return %(name)s is %(state)s: grade every item first"),
                       field="return", name=request.name, state=request.state)
    line = _line(request, gnum)
    if disposition not in DISPOSITIONS:
        raise ValidationError(N_("Must be one of: %(values)s"), field="disposition",
                              values=", ".join(DISPOSITIONS))
    if line.disposition_state in ("done", "to_approve"):
        raise Conflict(N_("Item %(gnum)s is disposed of already"), field="disposition",
                       gnum=line.gnum)
    if line.disposition_state == "pending" and line.disposition != disposition:
        line.disposition_reason = None
    reason = (reason or "").strip()[:300] or None
    warehouse = request.warehouse
    bonded, why_not = bonded_allowed(session, request)
    if disposition in ("restock", "exchange") and line.grade not in RESELLABLE:
        raise ValidationError(N_("Item %(gnum)s is graded %(grade)s: only goods fit to resell "
                                 "go back to stock; scrap it or return it to the vendor"),
                              field="disposition", gnum=line.gnum, grade=line.grade)
    if disposition == "restock":
        if not bonded:
            raise (PastDeadline if request.late else RestockRefused)(N_("Return %(name)s cannot be restocked as bonded: %(why)s"),
                               field="disposition", name=request.name, why=why_not)
        line.disposition, line.disposition_reason = "restock", reason
        _restock(session, request, line)
        _finish(session, request, line)
    elif disposition == "exchange":
        line.disposition = "exchange"
        if line.exchange_order_id is None:
            order, problem = _replacement_order(session, request, line, product_code)
            if order is None:
                line.disposition_reason = problem[:300]
                _finish(session, request, line, "pending")
                return line
            line.exchange_order_id = order.id
        line.disposition_reason = reason
        if bonded:
            _restock(session, request, line)
        else:
            _dock_free = return_locations(session, warehouse)[1]
            _move_out(session, request, line, _dock_free, "released", "return_nonbonded")
        _finish(session, request, line)
    elif disposition == "scrap":
        if not reason:
            raise ValidationError(N_("Say why it is scrapped"), field="reason")
        line.disposition, line.disposition_reason = "scrap", reason
        _finish(session, request, line, "to_approve")
    elif disposition == "return_to_vendor":
        if not reason:
            raise ValidationError(N_("Say where and why it goes back"), field="reason")
        line.disposition, line.disposition_reason = "return_to_vendor", reason
        _move_out(session, request, line, virtual_location(session, "supplier"), None,
                  "return_vendor", reason)
        _finish(session, request, line)
    else:  # non_bonded
        if bonded:
            raise ValidationError(N_("Return %(name)s is approved by customs: restock it as "
                                     "bonded instead"), field="disposition", name=request.name)
        line.disposition, line.disposition_reason = "non_bonded", reason or why_not
        _move_out(session, request, line, return_locations(session, warehouse)[1], "released",
                  "return_nonbonded", reason)
        _finish(session, request, line)
    return line


def _restock(session: Session, request: ReturnRequest, line: ReturnLine) -> None:
    from wms.inbound.putaway import suggest_location
    target = suggest_location(session, request.warehouse, line.product, line.qty)
    if target is None:
        raise NotFound(N_("No bonded stock location for %(sku)s: add a putaway rule"),
                       field="disposition", sku=line.product.sku)
    _move_out(session, request, line, target, "bonded", "return_restock")


def _replacement_order(session: Session, request: ReturnRequest, line: ReturnLine,
                       product_code: str | None) -> tuple[SalesOrder | None, str | None]:
    """The replacement order, through ``outbound.receive_order`` (limits, stock, amounts all
    checked as for any order); None and the reason when it cannot be taken now."""
    from wms.outbound.services import receive_order
    original = request.order
    order_line = session.get(OrderLine, line.order_line_id)
    product = line.product
    if product_code:
        product = session.scalar(select(Product).where(
            Product.owner_id == original.owner_id,
            or_(Product.sku == product_code, Product.gtin == product_code)))
        if product is None:
            raise ValidationError(N_("No product %(code)s of this owner"), field="product",
                                  code=product_code)
    limits = RetailLimits.from_env()
    price = order_line.price if product.id == order_line.product_id else \
        product.declared_price
    total = (price * line.qty).quantize(CENT)
    tax = line_tax(total, product.vat_rate, product.consumption_tax_rate, limits.tax_share)
    paid = total + tax
    waybill = original.waybill
    suffix = f"X{request.id}-{line.gnum}"
    data = {
        "platform": original.platform.customs_code, "owner": original.owner.customs_code,
        "warehouse": original.warehouse.code, "order_no": f"{original.order_no}-{suffix}"[:60],
        "trade_mode": "1210", "ordered_at": utcnow().isoformat(),
        "buyer_reg_no": original.buyer_reg_no, "buyer_name": original.buyer_name,
        "buyer_id_type": original.buyer_id_type, "buyer_id_number": original.buyer_id_number,
        "buyer_phone": original.buyer_phone, "consignee": original.consignee,
        "consignee_phone": original.consignee_phone,
        "consignee_address": original.consignee_address,
        "consignee_district": original.consignee_district, "goods_value": str(total),
        "freight": "0", "discount": "0", "tax_total": str(tax), "actual_paid": str(paid),
        "lines": [{"product": product.sku, "qty": str(line.qty), "price": str(price),
                   "total_price": str(total)}],
        "payment": {"pay_code": original.pay_code or "EXCHANGE",
                    "pay_name": original.pay_name or "exchange",
                    "pay_transaction_id": f"EXC-{request.name}-{line.gnum}"[:60],
                    "amount_paid": str(paid)},
        "waybill": {"logistics_code": waybill.logistics_code,
                    "logistics_no": f"{waybill.logistics_no}-{suffix}"[:60],
                    "consignee": original.consignee,
                    "consignee_phone": original.consignee_phone,
                    "consignee_address": original.consignee_address,
                    "weight_kg": str((product.gross_weight_kg * line.qty).quantize(CENT))},
    }
    savepoint = session.begin_nested()
    try:
        result = receive_order(session, data)
    except ValidationError as exc:  # no stock, over the buyer's limit...
        savepoint.rollback()
        return None, exc.message
    except Conflict as exc:
        savepoint.rollback()
        return None, exc.message
    savepoint.commit()
    result.order.note = f"{result.order.note or ''} exchange for {request.name}".strip()
    return result.order, None


def approve_scrap(session: Session, request: ReturnRequest, gnum: Any,
                  approve: bool = True, note: str | None = None) -> ReturnLine:
    """A supervisor approves (the goods go to the scrap location) or refuses a scrap."""
    if not current_actor().has_role("supervisor"):
        raise Forbidden(N_("Only a supervisor approves scrapping"), field="approve")
    line = _line(request, gnum)
    if line.disposition != "scrap" or line.disposition_state != "to_approve":
        raise Conflict(N_("Item %(gnum)s is not waiting for scrap approval"),
                       field="approve", gnum=line.gnum)
    if not approve:
        line.disposition = None
        line.disposition_reason = ((note or "").strip() or None)
        line.disposition_state = "none"
        session.flush()
        return line
    _move_out(session, request, line, virtual_location(session, "scrap"), None,
              "return_scrap", line.disposition_reason)
    line.approved_by_id = current_actor().user_id
    _finish(session, request, line)
    return line


# ------------------------------------------------------------------------------ desk figures

def parcel_age_days(parcel: ReturnParcel, now: datetime | None = None) -> int:
    return max(0, ((now or utcnow()) - parcel.scanned_at).days)


def daily_volumes(session: Session, days: int = 14, now: datetime | None = None
                  ) -> list[tuple[str, int]]:
    """Parcels received per day for the last ``days`` days (UTC+8 calendar days)."""
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Asia/Shanghai")
    now = (now or utcnow()).astimezone(zone)
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0,
                                                     microsecond=0)
    counts: dict[str, int] = {}
    stmt = parcels_query().where(ReturnParcel.scanned_at >= start).with_only_columns(
        ReturnParcel.scanned_at)
    for (at,) in session.execute(stmt.order_by(None)):
        key = at.astimezone(zone).date().isoformat()
        counts[key] = counts.get(key, 0) + 1
    return [((start + timedelta(days=i)).date().isoformat(),
             counts.get((start + timedelta(days=i)).date().isoformat(), 0))
            for i in range(days)]


def summary(session: Session) -> dict[str, Any]:
    """Counts for the desk: requests by state, reasons, dispositions, open parcels."""
    states = dict(session.execute(requests_query().order_by(None).with_only_columns(
        ReturnRequest.state, func.count()).group_by(ReturnRequest.state)).all())
    reasons = session.execute(requests_query().order_by(None).with_only_columns(
        ReturnRequest.reason, func.count()).group_by(ReturnRequest.reason)
        .order_by(func.count().desc(), ReturnRequest.reason).limit(8)).all()
    dispositions = session.execute(scope_to_owner(
        select(ReturnLine.disposition, ReturnLine.disposition_state, func.count())
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.request_id)
        .where(ReturnLine.disposition.is_not(None))
        .group_by(ReturnLine.disposition, ReturnLine.disposition_state),
        ReturnRequest.owner_id)).all()
    return {"states": states, "reasons": [tuple(r) for r in reasons],
            "dispositions": [tuple(d) for d in dispositions]}
