"""Where graded goods go: back to bonded stock (restock), an exchange through the normal
outbound flow, scrap after a supervisor's approval, back to the vendor abroad, or the
non-bonded area for late or rejected returns.

``dispose_lines`` takes any number of items of any returns and resolves them in a fixed
number of queries (the returns, their declarations, the goods in the dock, one stock
document per kind of movement, one putaway suggestion per restocked product). An exchange
places one replacement order per item through ``outbound.receive_order``: that part grows
with the exchanges, as ordering does.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.settings import Settings
from wms.catalog.models import Product
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, DomainError, Forbidden, NotFound, ValidationError
from wms.customs.rules import CENT, line_tax
from wms.inventory.models import StockMove
from wms.accountbook.services import book_document
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location
from wms.outbound.models import OrderLine, SalesOrder

from .inspection import find_line
from .models import DISPOSITIONS, RESELLABLE, ReturnLine, ReturnRequest
from .places import return_locations
from .queries import declarations_of, find_requests
from .receiving import move_note
from .messages import BONDED_REFUSALS, stored_message
from .rules import PastDeadline, RestockRefused, bonded_refusal

MAX_LINES = 5000
KIND = {"restock": "return_restock", "non_bonded": "return_nonbonded",
        "return_to_vendor": "return_vendor", "scrap": "return_scrap"}
# How the account book names what each disposition did to bonded goods.
BOOK_KIND = {"return_restock": "return", "return_nonbonded": "write_off",
             "return_vendor": "write_off", "return_scrap": "scrap"}


@dataclass(frozen=True)
class Disposal:
    """One item and where it should go."""
    request: ReturnRequest
    gnum: Any
    disposition: str
    reason: str | None = None
    product_code: str | None = None


@dataclass
class _Move:
    line: ReturnLine
    request: ReturnRequest
    target: str          # "stock", "free", "supplier", "scrap"
    to_status: str | None
    kind: str
    note: str | None = None


def dispose_line(session: Session, request: ReturnRequest, gnum: Any, disposition: str, *,
                 reason: str | None = None, product_code: str | None = None) -> ReturnLine:
    """One item from the desk or a scanner: ``dispose_lines`` with one item (errors name
    the field itself, not ``lines[0]``)."""
    return _dispose(session, [Disposal(request, gnum, disposition, reason, product_code)],
                    single=True)[0]


def dispose_lines(session: Session, items: list[dict]) -> list[ReturnLine]:
    """Items of any returns, each ``{return, gnum, disposition, reason?, product?}``; all go
    or none (a bad one is refused naming ``lines[i].<field>``)."""
    if not items:
        raise ValidationError(N_("Send at least one item"), field="lines")
    if len(items) > MAX_LINES:
        raise ValidationError(N_("At most %(n)s items at a time"), field="lines", n=MAX_LINES)
    requests = find_requests(session, [item.get("return") for item in items])
    return _dispose(session, [
        Disposal(requests[str(item.get("return") or "").strip()], item.get("gnum"),
                 str(item.get("disposition") or ""), item.get("reason"), item.get("product"))
        for item in items])


def _dispose(session: Session, items: list[Disposal], single: bool = False
             ) -> list[ReturnLine]:
    def where(i: int, name: str) -> str:
        return name if single else f"lines[{i}].{name}"

    _lock_lines(session, {item.request.id for item in items})
    declarations = declarations_of(session, {item.request.id for item in items})
    refusal = {item.request.id: bonded_refusal(item.request,
                                               declarations.get(item.request.id))
               for item in items}
    moves: list[_Move] = []
    exchanges: list[tuple[int, ReturnLine, ReturnRequest, str | None, str | None]] = []
    seen: set[int] = set()
    lines: list[ReturnLine] = []
    for i, item in enumerate(items):
        request, disposition = item.request, item.disposition
        if request.state != "inspected":
            raise Conflict(N_("Return %(name)s is %(state)s: grade every item first"),
                           field=where(i, "return"), name=request.name, state=request.state)
        line = find_line(request, item.gnum, where(i, "gnum"))
        if line.id in seen:
            raise ValidationError(N_("Item %(gnum)s is listed twice"), field=where(i, "gnum"),
                                  gnum=line.gnum)
        seen.add(line.id)
        lines.append(line)
        if disposition not in DISPOSITIONS:
            raise ValidationError(N_("Must be one of: %(values)s"),
                                  field=where(i, "disposition"), values=", ".join(DISPOSITIONS))
        if line.disposition_state in ("done", "to_approve"):
            raise Conflict(N_("Item %(gnum)s is disposed of already"),
                           field=where(i, "disposition"), gnum=line.gnum)
        if line.disposition_state == "pending" and line.disposition != disposition:
            line.disposition_reason = None
        reason = (item.reason or "").strip()[:300] or None
        why_not = refusal[request.id]
        if disposition in ("restock", "exchange") and line.grade not in RESELLABLE:
            raise ValidationError(N_("Item %(gnum)s is graded %(grade)s: only goods fit to "
                                     "resell go back to stock; scrap it or return it to the "
                                     "vendor"), field=where(i, "disposition"), gnum=line.gnum,
                                  grade=line.grade)
        if disposition == "restock":
            if why_not is not None:
                raise _restock_refused(request, why_not, where(i, "disposition"))
            line.disposition, line.disposition_reason = "restock", reason
            moves.append(_Move(line, request, "stock", "bonded", KIND["restock"]))
        elif disposition == "exchange":
            if why_not == "awaiting_customs":
                raise _exchange_waits(request, declarations.get(request.id),
                                      where(i, "disposition"))
            line.disposition = "exchange"
            exchanges.append((i, line, request, reason, item.product_code))
        elif disposition == "scrap":
            if not reason:
                raise ValidationError(N_("Say why it is scrapped"), field=where(i, "reason"))
            line.disposition, line.disposition_reason = "scrap", reason
        elif disposition == "return_to_vendor":
            if not reason:
                raise ValidationError(N_("Say where and why it goes back"),
                                      field=where(i, "reason"))
            line.disposition, line.disposition_reason = "return_to_vendor", reason
            moves.append(_Move(line, request, "supplier", None, KIND["return_to_vendor"],
                               reason))
        else:  # non_bonded
            if why_not is None:
                raise ValidationError(N_("Return %(name)s is approved by customs: restock it "
                                         "as bonded instead"), field=where(i, "disposition"),
                                      name=request.name)
            line.disposition = "non_bonded"
            line.disposition_reason = reason or stored_message(BONDED_REFUSALS[why_not])
            moves.append(_Move(line, request, "free", "released", KIND["non_bonded"], reason))
    pending: set[int] = set()
    for i, line, request, reason, product_code in exchanges:
        if line.exchange_order_id is None:
            order, problem = _replacement_order(session, request, line, product_code,
                                                where(i, "product"))
            if order is None:
                line.disposition_reason = problem
                pending.add(line.id)
                continue
            line.exchange_order_id = order.id
        line.disposition_reason = reason
        if refusal[request.id] is None:
            moves.append(_Move(line, request, "stock", "bonded", KIND["restock"]))
        else:
            moves.append(_Move(line, request, "free", "released", KIND["non_bonded"]))
    _move_out(session, moves)
    for item, line in zip(items, lines):
        if line.id in pending:
            line.disposition_state = "pending"
        elif line.disposition == "scrap":
            line.disposition_state = "to_approve"
        else:
            _done(item.request, line)
    session.flush()
    return lines


def _lock_lines(session: Session, request_ids: set[int]) -> None:
    """Lock the returns' items and read them afresh: two clerks disposing of one item move
    its goods once, the second is told it is disposed of already."""
    session.execute(select(ReturnLine).where(ReturnLine.request_id.in_(request_ids))
                    .with_for_update(of=ReturnLine)
                    .execution_options(populate_existing=True)).all()


def _restock_refused(request: ReturnRequest, why_not: str, field_name: str) -> DomainError:
    if why_not == "late":
        return PastDeadline(N_("Return %(name)s cannot be restocked as bonded: it is past its "
                               "deadline, non-bonded handling only"), field=field_name,
                            name=request.name)
    if why_not == "rejected":
        return RestockRefused(N_("Return %(name)s cannot be restocked as bonded: customs "
                                 "rejected the return declaration"), field=field_name,
                              name=request.name)
    return RestockRefused(N_("Return %(name)s cannot be restocked as bonded: waiting for "
                             "customs to approve the return declaration (CEB626)"),
                          field=field_name, name=request.name)


def _exchange_waits(request: ReturnRequest, declared, field_name: str) -> DomainError:
    """A declared retail return is exchanged once customs answered: the goods it sends back
    to stock, bonded or not, depend on the CEB626."""
    if declared is None:
        return RestockRefused(N_("Return %(name)s cannot be exchanged yet: declare it to "
                                 "customs (CEB625) and wait for the answer (CEB626)"),
                              field=field_name, name=request.name)
    return RestockRefused(N_("Return %(name)s cannot be exchanged yet: waiting for customs to "
                             "approve the return declaration (CEB626)"), field=field_name,
                          name=request.name)


def _done(request: ReturnRequest, line: ReturnLine) -> None:
    line.disposition_state = "done"
    line.disposed_at = utcnow()
    if request.state == "inspected" and all(ln.disposition_state == "done"
                                            for ln in request.lines):
        request.closed_at = utcnow()
        request.transition("closed")


def _move_out(session: Session, moves: list[_Move]) -> None:
    """Post every item's goods out of the returns dock, one stock document per kind."""
    if not moves:
        return
    warehouses = {m.request.warehouse_id: m.request.warehouse for m in moves}
    places = {wh_id: return_locations(session, wh) for wh_id, wh in warehouses.items()}
    docks = {dock.id for dock, _free in places.values()}
    parts: dict[int, list[tuple]] = defaultdict(list)
    for line_id, location_id, lot_id, status, qty in session.execute(
            select(StockMove.return_line_id, StockMove.to_location_id, StockMove.lot_id,
                   StockMove.to_customs_status, func.sum(StockMove.quantity))
            .where(StockMove.state == "done", StockMove.to_location_id.in_(docks),
                   StockMove.return_line_id.in_([m.line.id for m in moves]))
            .group_by(StockMove.return_line_id, StockMove.to_location_id, StockMove.lot_id,
                      StockMove.to_customs_status)
            .order_by(StockMove.return_line_id, StockMove.lot_id)):
        parts[line_id].append((location_id, lot_id, status, Decimal(qty)))
    for m in moves:
        if not parts.get(m.line.id):
            raise Conflict(N_("Item %(gnum)s of %(name)s is not in the returns dock"),
                           field="gnum", gnum=m.line.gnum, name=m.request.name)
    targets = _targets(session, moves, places)
    by_kind: dict[str, list[_Move]] = defaultdict(list)
    for m in moves:
        by_kind[m.kind].append(m)
    now = utcnow()
    for kind, group in by_kind.items():
        first = group[0].request
        names = sorted({m.request.name for m in group})
        origin = names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1}"
        document = new_document(session, kind, f"{first.warehouse.code}/RET",
                                warehouse_id=first.warehouse_id, origin=origin)
        post_moves(session, [
            MoveLine(m.line.product_id, qty, dock_id, targets[(m.target, m.request.warehouse_id,
                                                               m.line.product_id)],
                     m.request.owner_id, status, lot, None, None, m.to_status or status,
                     (move_note(m.request, m.line.gnum) + (f" {m.note}" if m.note else ""))[:200],
                     return_line_id=m.line.id)
            for m in group for dock_id, lot, status, qty in parts[m.line.id]], document)
        document.transition("done")
        document.done_at = now
        book_document(session, document, BOOK_KIND[kind], origin)
        for m in group:
            m.line.document_id = document.id


def _targets(session: Session, moves: list[_Move], places: dict) -> dict[tuple, int]:
    """Where each movement goes, keyed (target, warehouse, product): one putaway suggestion
    per restocked product and warehouse."""
    from wms.inbound.putaway import suggest_location
    targets: dict[tuple, int] = {}
    restock: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    virtual = {kind: virtual_location(session, kind).id
               for kind in {m.target for m in moves} & {"supplier", "scrap"}}
    for m in moves:
        key = (m.request.warehouse_id, m.line.product_id)
        if m.target == "stock":
            restock[key] += m.line.qty
        elif m.target == "free":
            targets[("free", *key)] = places[m.request.warehouse_id][1].id
        else:
            targets[(m.target, *key)] = virtual[m.target]
    for (warehouse_id, product_id), qty in restock.items():
        m = next(m for m in moves if m.target == "stock" and
                 (m.request.warehouse_id, m.line.product_id) == (warehouse_id, product_id))
        target = suggest_location(session, m.request.warehouse, m.line.product, qty)
        if target is None:
            raise NotFound(N_("No bonded stock location for %(sku)s: add a putaway rule"),
                           field="disposition", sku=m.line.product.sku)
        targets[("stock", warehouse_id, product_id)] = target.id
    return targets


def _replacement_order(session: Session, request: ReturnRequest, line: ReturnLine,
                       product_code: str | None, field_name: str
                       ) -> tuple[SalesOrder | None, str | None]:
    """The replacement order, through ``outbound.receive_order`` (limits, stock, amounts all
    checked as for any order); None and why (a stored message) when it cannot be taken."""
    from wms.outbound.intake import receive_order
    original = request.order
    order_line = session.get(OrderLine, line.order_line_id)
    product = line.product
    if product_code:
        product = session.scalar(select(Product).where(
            Product.owner_id == original.owner_id,
            or_(Product.sku == product_code, Product.gtin == product_code)))
        if product is None:
            raise ValidationError(N_("No product %(code)s of this owner"), field=field_name,
                                  code=product_code)
    limits = Settings.from_env().retail_limits
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
    except (ValidationError, Conflict) as exc:  # no stock, over the buyer's limit...
        savepoint.rollback()
        return None, stored_message(exc.template, exc.params)
    savepoint.commit()
    result.order.note = f"{result.order.note or ''} exchange for {request.name}".strip()
    return result.order, None


def approve_scrap(session: Session, request: ReturnRequest, gnum: Any,
                  approve: bool = True, note: str | None = None) -> ReturnLine:
    """A supervisor approves (the goods go to the scrap location) or refuses a scrap."""
    if not current_actor().has_role("supervisor"):
        raise Forbidden(N_("Only a supervisor approves scrapping"), field="approve")
    _lock_lines(session, {request.id})
    line = find_line(request, gnum)
    if line.disposition != "scrap" or line.disposition_state != "to_approve":
        raise Conflict(N_("Item %(gnum)s is not waiting for scrap approval"),
                       field="approve", gnum=line.gnum)
    if not approve:
        line.disposition = None
        line.disposition_reason = (note or "").strip()[:300] or None
        line.disposition_state = "none"
        session.flush()
        return line
    _move_out(session, [_Move(line, request, "scrap", None, KIND["scrap"],
                              line.disposition_reason)])
    line.approved_by_id = current_actor().user_id
    _done(request, line)
    session.flush()
    return line

