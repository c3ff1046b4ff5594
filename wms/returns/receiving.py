"""Bulk receiving at the returns centre (集中收货): parcels are scanned into the warehouse's
open consolidation batch, matched to their return by the code on them, or kept in the
unidentified queue with notes and a photo until someone matches them. The batch's arrival
moves every matched parcel's goods from the customer into the returns dock in one stock
document: ``held`` until customs approves the return declaration, ``released`` for a return
past its deadline (non-bonded handling).

Every door here resolves what its parcels name in a fixed number of queries, however many
parcels a batch holds.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from wms.core.audit import AuditEvent
from wms.core.context import current_actor
from wms.core.messages import stored_message
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.inventory.barcodes import classify
from wms.inventory.models import StockMove, Warehouse
from wms.accountbook.services import book_document
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location
from wms.outbound.models import OrderLine, Parcel, SalesOrder, Waybill

from .models import ConsolidationBatch, ReturnLine, ReturnParcel, ReturnRequest
from .places import return_locations
from .queries import find_order, find_request, get_parcel, normalise_code, num

MAX_PARCELS = 5000


def move_note(request: ReturnRequest, gnum: int) -> str:
    """What a person reads on the ledger line; the link itself is ``return_line_id``."""
    return f"RMA {request.name}#{gnum}"


# ------------------------------------------------------------------------------ matching

@dataclass(frozen=True)
class Match:
    request: ReturnRequest | None
    order: SalesOrder | None
    how: str | None


NO_MATCH = Match(None, None, None)


def match_codes(session: Session, codes: set[str]) -> dict[str, Match]:
    """The request each scanned code names: its return number, the platform's return number,
    the return waybill, else the original waybill, S10 parcel number or order number (then
    the order's open request). Seven queries whatever the number of codes."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    slashed = {c.replace("-", "/") for c in codes}
    requests = session.scalars(select(ReturnRequest).where(or_(
        ReturnRequest.name.in_(codes | slashed),
        func.upper(ReturnRequest.platform_return_no).in_(codes),
        ReturnRequest.return_waybill_no.in_(codes))).order_by(ReturnRequest.id)).all()
    found: dict[str, Match] = {}
    for request in requests:  # lowest id first, as a scan of one code would find
        names = (request.name, request.name.replace("/", "-"))
        for code, how in ((names[0], "return_number"), (names[1], "return_number"),
                          (request.return_waybill_no, "return_waybill"),
                          ((request.platform_return_no or "").upper(), "platform_return_no")):
            if code in codes and code not in found:
                found[code] = Match(request, request.order, how)
    left = codes - found.keys()
    order_of: dict[str, tuple[int, str]] = {}
    if left:
        for no, order_id in session.execute(select(func.upper(Waybill.logistics_no),
                                                   Waybill.order_id).where(
                func.upper(Waybill.logistics_no).in_(left))):
            order_of.setdefault(no, (order_id, "waybill"))
        rest = left - order_of.keys()
        if rest:
            for no, order_id in session.execute(select(Parcel.tracking_no, Parcel.order_id)
                                                .where(Parcel.tracking_no.in_(rest))):
                order_of.setdefault(no, (order_id, "parcel"))
        rest -= order_of.keys()
        if rest:
            for no, order_id in session.execute(select(func.upper(SalesOrder.order_no),
                                                       SalesOrder.id).where(
                    func.upper(SalesOrder.order_no).in_(rest)).order_by(SalesOrder.id)):
                order_of.setdefault(no, (order_id, "order"))
    if order_of:
        order_ids = {order_id for order_id, _how in order_of.values()}
        orders = {o.id: o for o in session.scalars(select(SalesOrder).where(
            SalesOrder.id.in_(order_ids)))}
        open_request: dict[int, ReturnRequest] = {}
        for request in session.scalars(select(ReturnRequest).where(
                ReturnRequest.order_id.in_(order_ids), ReturnRequest.state == "requested")
                .order_by(ReturnRequest.id)):
            open_request.setdefault(request.order_id, request)
        for code, (order_id, how) in order_of.items():
            found[code] = Match(open_request.get(order_id), orders[order_id], how)
    return found


def match_code(session: Session, code: str) -> Match:
    return match_codes(session, {code}).get(code, NO_MATCH) if code else NO_MATCH


# ------------------------------------------------------------------------------ batches

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


@dataclass(frozen=True)
class ParcelScan:
    """One parcel as the scanner or an integrator names it."""
    code: str | None = None
    notes: str | None = None
    photo: str | None = None


def receive_parcels(session: Session, scans: list[ParcelScan], *, warehouse: Warehouse,
                    field_prefix: str = "parcels") -> list[ScanResult]:
    """Receive parcels into the warehouse's open batch, each matched to its request when its
    code names one, else kept in the unidentified queue. A parcel scanned again (or another
    label of a parcel already in, or twice in this call) gives the parcel received before,
    never a second one. One answer per scan, in order; a bad scan refuses them all, naming
    ``parcels[i].code``."""
    if not scans:
        raise ValidationError(N_("Send at least one parcel"), field=field_prefix)
    if len(scans) > MAX_PARCELS:
        raise ValidationError(N_("At most %(n)s parcels at a time"), field=field_prefix,
                              n=MAX_PARCELS)
    clean: list[tuple[str, str | None, str | None]] = []
    for i, scan in enumerate(scans):
        where = f"{field_prefix}[{i}].code" if field_prefix != "code" else "code"
        code = normalise_code(scan.code)
        notes = (scan.notes or "").strip()[:2000] or None
        if not code and not notes:
            raise ValidationError(N_("Scan the parcel's waybill, S10 or return number, or "
                                     "describe an unlabelled parcel"), field=where)
        if len(code) > 60:
            raise ValidationError(N_("At most %(n)s characters"), field=where, n=60)
        verify_check_digit(code, where)
        clean.append((code, notes, scan.photo))
    codes = {code for code, _n, _p in clean if code}
    by_code = {p.code: p for p in session.scalars(select(ReturnParcel).where(
        ReturnParcel.code.in_(codes)))} if codes else {}
    matches = match_codes(session, codes - by_code.keys())
    request_ids = {m.request.id for m in matches.values() if m.request is not None}
    by_request: dict[int, ReturnParcel] = {}
    if request_ids:
        for parcel in session.scalars(select(ReturnParcel).where(
                ReturnParcel.request_id.in_(request_ids)).order_by(ReturnParcel.id)):
            by_request.setdefault(parcel.request_id, parcel)
    batch = open_batch(session, warehouse)
    now = utcnow()
    results: list[ScanResult] = []
    for code, notes, photo in clean:
        if code and code in by_code:
            results.append(ScanResult(by_code[code], created=False, duplicate=True))
            continue
        match = matches.get(code, NO_MATCH)
        request = match.request
        if request is not None and request.id in by_request:
            results.append(ScanResult(by_request[request.id], created=False, duplicate=True))
            continue
        if request is not None and request.state != "requested":
            request = None  # cancelled or closed: keep the parcel, let a person decide
        parcel = ReturnParcel(code=code or None, batch_id=batch.id, scanned_at=now, notes=notes,
                              photo=photo,
                              order_id=match.order.id if match.order is not None else None)
        if request is not None:
            parcel.request = request
            parcel.state = "matched"
            parcel.matched_by = match.how
            parcel.matched_at = now
            by_request[request.id] = parcel
        else:
            parcel.state = "unidentified"
        if code:
            by_code[code] = parcel
        session.add(parcel)
        results.append(ScanResult(parcel, created=True))
    session.flush()
    return results


CHECKED_KINDS = ("s10", "awb", "container")


def verify_check_digit(code: str, field_name: str = "code") -> None:
    """A code shaped like an S10 item, an air waybill or a container number must carry its
    right check digit: a misread is refused (scan again), never kept as an unidentified
    parcel that someone must later match by hand."""
    if not code:
        return
    scan = classify(code)
    if scan.kind in CHECKED_KINDS and not scan.valid:
        problem = scan.problems[0]
        raise ValidationError(problem.template, field=field_name, **problem.params)


def scan_parcel(session: Session, code: str | None, *, warehouse: Warehouse,
                notes: str | None = None, photo: str | None = None) -> ScanResult:
    """One parcel at the scanner: ``receive_parcels`` with one scan (errors name ``code``)."""
    return receive_parcels(session, [ParcelScan(code, notes, photo)], warehouse=warehouse,
                           field_prefix="code")[0]


# ------------------------------------------------------------------------------ corrections

REMOVED = N_("Parcel %(code)s removed from batch %(batch)s: %(reason)s")
UNDONE = N_("Scan of %(code)s undone in batch %(batch)s")


def remove_parcel(session: Session, parcel: ReturnParcel, reason: str | None, *,
                  undo: bool = False) -> ConsolidationBatch:
    """Take a mis-scanned parcel out of its open batch: its row goes (the code may be
    scanned again), and the audit trail keeps who removed which code and why. Only while
    its batch is open: once arrived, its goods are on the ledger. The batch is locked so a
    parcel is not removed while the batch arrives."""
    batch = _lock_batch(session, parcel.batch)
    parcel = session.scalars(select(ReturnParcel).where(ReturnParcel.id == parcel.id)
                             .execution_options(populate_existing=True)).one_or_none()
    if parcel is None:
        raise NotFound(N_("No such parcel"), field="parcel")
    if batch.state != "open" or parcel.state == "arrived":
        raise Conflict(N_("Parcel %(code)s arrived with batch %(name)s: it cannot be removed"),
                       field="parcel", code=parcel.code or parcel.id, name=batch.name)
    reason = (reason or "").strip()[:200]
    if not reason and not undo:
        raise ValidationError(N_("Say why the parcel is removed"), field="reason")
    params = {"code": parcel.code or parcel.id, "batch": batch.name}
    note = stored_message(UNDONE, params) if undo else \
        stored_message(REMOVED, {**params, "reason": reason})
    actor = current_actor()
    session.add(AuditEvent(
        model="return_parcel", record_id=parcel.id, kind="delete", field="code",
        old_value=parcel.code, new_value=None, note=note,
        user_id=actor.user_id, user_login=actor.login, at=utcnow()))
    session.flush()
    session.expunge(parcel)
    session.execute(delete(ReturnParcel).where(ReturnParcel.id == parcel.id))
    session.flush()
    return batch


def _last_scan(session: Session, warehouse: Warehouse) -> ReturnParcel | None:
    if current_actor().user_id is None:
        return None  # a scan is undone by the person who made it
    return session.scalars(select(ReturnParcel).join(ConsolidationBatch).where(
        ConsolidationBatch.warehouse_id == warehouse.id, ConsolidationBatch.state == "open",
        ReturnParcel.created_by_id == current_actor().user_id)
        .order_by(ReturnParcel.id.desc()).limit(1)).first()


def last_scan_id(session: Session, warehouse: Warehouse) -> int | None:
    """The id of the parcel ``undo_last_scan`` would take back."""
    parcel = _last_scan(session, warehouse)
    return parcel.id if parcel else None


def undo_last_scan(session: Session, warehouse: Warehouse) -> str | None:
    """The acting person's last scan into the warehouse's open batch is taken back (an
    audited removal); answers the code it had (None for an unlabelled parcel)."""
    parcel = _last_scan(session, warehouse)
    if parcel is None:
        raise NotFound(N_("You have no scan to undo in the open batch"), field="parcel")
    code = parcel.code
    remove_parcel(session, parcel, None, undo=True)
    return code


def remove_parcel_by_id(session: Session, parcel_id: Any, reason: str | None
                        ) -> ConsolidationBatch:
    return remove_parcel(session, get_parcel(session, parcel_id), reason)


# ------------------------------------------------------------------------------ goods in

def _lots_with_the_buyer(session: Session, order_ids: set[int]
                         ) -> dict[tuple[int, int], list[list]]:
    """What of each product went to the customer with each order, by lot, minus what earlier
    returns of the order took back: ``{(order_id, product_id): [[lot_id, qty], ...]}``."""
    customer = virtual_location(session, "customer")
    shipped = session.execute(
        select(OrderLine.order_id, StockMove.product_id, StockMove.lot_id,
               func.sum(StockMove.quantity))
        .join(OrderLine, OrderLine.id == StockMove.order_line_id)
        .where(StockMove.state == "done", StockMove.to_location_id == customer.id,
               OrderLine.order_id.in_(order_ids))
        .group_by(OrderLine.order_id, StockMove.product_id, StockMove.lot_id)
        .order_by(OrderLine.order_id, StockMove.product_id, StockMove.lot_id)).all()
    back = {(order_id, product_id, lot_id): Decimal(qty) for order_id, product_id, lot_id, qty
            in session.execute(
                select(ReturnRequest.order_id, StockMove.product_id, StockMove.lot_id,
                       func.sum(StockMove.quantity))
                .join(ReturnLine, ReturnLine.id == StockMove.return_line_id)
                .join(ReturnRequest, ReturnRequest.id == ReturnLine.request_id)
                .where(StockMove.state == "done", StockMove.from_location_id == customer.id,
                       ReturnRequest.order_id.in_(order_ids))
                .group_by(ReturnRequest.order_id, StockMove.product_id, StockMove.lot_id))}
    lots: dict[tuple[int, int], list[list]] = defaultdict(list)
    for order_id, product_id, lot_id, qty in shipped:
        left = Decimal(qty) - back.get((order_id, product_id, lot_id), Decimal(0))
        if left > 0:
            lots[(order_id, product_id)].append([lot_id, left])
    return lots


def _goods_in(session: Session, parcels: list[ReturnParcel], document, now) -> int:
    """The goods of matched parcels enter the returns dock; their requests are received.
    Parcels come with their requests and items loaded (``_with_requests``)."""
    customer = virtual_location(session, "customer")
    requests = [p.request for p in parcels]
    lots = _lots_with_the_buyer(session, {r.order_id for r in requests})
    order_lines = {ln.id: ln for ln in session.scalars(select(OrderLine).where(
        OrderLine.id.in_({line.order_line_id for r in requests for line in r.lines})))}
    docks = {}
    lines: list[MoveLine] = []
    for parcel in parcels:
        request = parcel.request
        if request.warehouse_id not in docks:
            docks[request.warehouse_id] = return_locations(session, request.warehouse)[0]
        dock = docks[request.warehouse_id]
        if request.arrive_by is not None and now > request.arrive_by and not request.late:
            request.late = True
            request.late_reason = "arrived_late"
        status = "released" if request.late else "held"
        for line in request.lines:
            left = line.qty
            for lot_qty in lots.get((request.order_id, line.product_id), []):
                if left <= 0:
                    break
                take = min(left, lot_qty[1])
                if take <= 0:
                    continue
                lines.append(MoveLine(line.product_id, take, customer.id, dock.id,
                                      request.owner_id, "released", lot_qty[0], None, None,
                                      status, move_note(request, line.gnum),
                                      return_line_id=line.id))
                lot_qty[1] -= take
                left -= take
            if left > 0:
                raise Conflict(N_("Item %(gnum)s of %(order)s: %(qty)s more come back than were "
                                  "shipped to the buyer"), field="parcel", gnum=line.gnum,
                               order=request.order.order_no, qty=num(left))
            order_lines[line.order_line_id].returned_qty += line.qty
        parcel.state = "arrived"
        parcel.arrived_at = now
        request.received_at = now
        request.transition("received", reason=parcel.batch.name)
    if lines:
        post_moves(session, lines, document)
    session.flush()
    return len(lines)


def _with_requests(session: Session, stmt) -> list[ReturnParcel]:
    return session.scalars(stmt.options(
        selectinload(ReturnParcel.request).selectinload(ReturnRequest.lines))
        .order_by(ReturnParcel.id)).all()


def _return_document(session: Session, batch: ConsolidationBatch):
    warehouse = batch.warehouse
    return new_document(session, "return", f"{warehouse.code}/RET",
                        warehouse_id=warehouse.id, origin=batch.name)


def _lock_batch(session: Session, batch: ConsolidationBatch) -> ConsolidationBatch:
    return session.scalars(select(ConsolidationBatch).where(
        ConsolidationBatch.id == batch.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def arrive_batch(session: Session, batch: ConsolidationBatch) -> ConsolidationBatch:
    """The batch re-enters the bonded zone: one stock document moves every matched parcel's
    goods from the customer into the returns dock. Unidentified parcels stay in their queue.
    The batch is locked, so two clerks pressing "arrives" move the goods once."""
    batch = _lock_batch(session, batch)
    if batch.state != "open":
        raise Conflict(N_("Batch %(name)s is %(state)s: only an open batch arrives"),
                       field="batch", name=batch.name, state=batch.state)
    parcels = _with_requests(session, select(ReturnParcel).where(
        ReturnParcel.batch_id == batch.id))
    if not parcels:
        raise ValidationError(N_("Batch %(name)s has no parcels"), field="batch",
                              name=batch.name)
    matched = [p for p in parcels if p.state == "matched"]
    now = utcnow()
    if matched:
        document = _return_document(session, batch)
        _goods_in(session, matched, document, now)
        document.transition("done")
        document.done_at = now
        batch.document_id = document.id
        book_document(session, document, "return", batch.name)
    batch.arrived_at = now
    batch.transition("arrived", reason=stored_message(N_("%(n)s parcels"), {"n": len(parcels)}))
    session.flush()
    return batch


def match_parcel(session: Session, parcel: ReturnParcel, ref: str) -> ReturnParcel:
    """Match an unidentified parcel to a return (number, platform number or order number);
    if its batch has arrived already, its goods enter the returns dock now."""
    parcel = session.scalars(select(ReturnParcel).where(ReturnParcel.id == parcel.id)
                             .with_for_update()
                             .execution_options(populate_existing=True)).one()
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
    now = utcnow()
    parcel.request = request
    parcel.matched_at = now
    parcel.matched_by = "by_hand"
    parcel.state = "matched"
    session.flush()
    if parcel.batch.state == "arrived":
        document = _return_document(session, parcel.batch)
        _goods_in(session, [parcel], document, now)
        document.transition("done")
        document.done_at = now
        book_document(session, document, "return", parcel.batch.name)
    return parcel


def match_parcel_by_id(session: Session, parcel_id: Any, ref: str) -> ReturnParcel:
    return match_parcel(session, get_parcel(session, parcel_id), ref)
