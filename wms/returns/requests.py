"""Return requests: a platform or the desk names the order, the items and why they come back.

A request is matched to the original 1210 order and its released inventory list; it may
claim only what was sold and is neither back nor claimed by another open request. Its
deadlines are counted from the list's release (``rules.ReturnRules``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.settings import Settings
from wms.core.parsing import parse_aware_datetime
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, ValidationError
from wms.core.scoping import visible_owner
from wms.customs.rules import CENT
from wms.outbound.models import OrderLine

from .models import BUYER_CHOICES, ReturnLine, ReturnParcel, ReturnRequest
from .queries import find_order, listing_of, num
from .rules import ReturnRules, deadlines


class ListNotReleased(ValidationError):
    code = "list_not_released"


class TooManyReturned(ValidationError):
    code = "too_many_returned"


# ------------------------------------------------------------------------------ input

def text_field(data: dict, name: str, max_len: int, required: bool = False,
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


def whole_qty(value: Any, field_name: str) -> Decimal:
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Quantity must be a number"), field=field_name) from None
    if not qty.is_finite() or qty <= 0 or qty != qty.to_integral():
        raise ValidationError(N_("Quantity must be a whole number above zero"),
                              field=field_name)
    return qty


# ------------------------------------------------------------------------------ what is left

def claimed_elsewhere(session: Session, order_line_ids, exclude_request_id: int | None = None
                      ) -> dict[int, Decimal]:
    """Quantity of each order line on requests still waiting for their goods, in one query."""
    stmt = (select(ReturnLine.order_line_id, func.sum(ReturnLine.qty))
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.request_id)
            .where(ReturnLine.order_line_id.in_(list(order_line_ids)),
                   ReturnRequest.state == "requested")
            .group_by(ReturnLine.order_line_id))
    if exclude_request_id:
        stmt = stmt.where(ReturnRequest.id != exclude_request_id)
    return {line_id: Decimal(qty) for line_id, qty in session.execute(stmt)}


def returnable(session: Session, lines: list[OrderLine], exclude_request_id: int | None = None
               ) -> dict[int, Decimal]:
    """Per order line: sold and released, minus what came back and what other open
    requests claim."""
    claimed = claimed_elsewhere(session, [ln.id for ln in lines], exclude_request_id)
    return {ln.id: ln.qty - ln.returned_qty - claimed.get(ln.id, Decimal(0)) for ln in lines}


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
    ``warnings`` holds codes of ``messages.LATE_REASONS``.
    """
    rules = rules or ReturnRules.of(Settings.from_env())
    platform_no = text_field(data, "platform_return_no", 60)
    if platform_no:
        existing = session.scalar(select(ReturnRequest).where(
            ReturnRequest.platform_return_no == platform_no))
        if existing is not None:
            if not visible_owner(existing.owner_id):
                raise Conflict(N_("Return number %(no)s is used already"),
                               field="platform_return_no", no=platform_no)
            return RequestResult(existing, created=False)
    order = find_order(session, text_field(data, "order", 60, True))
    if order.trade_mode != "1210":
        raise ValidationError(N_("Order %(name)s is a %(mode)s export: the returns centre takes "
                                 "back bonded imports (1210)"), field="order", name=order.name,
                              mode=order.trade_mode)
    listing = listing_of(session, order)
    if listing is None or listing.state != "released" or listing.released_at is None:
        if listing is None:
            raise ListNotReleased(N_("The inventory list of order %(order)s is not declared: "
                                     "nothing was sold to return yet"), field="order",
                                  order=order.order_no)
        raise ListNotReleased(N_("The inventory list of order %(order)s is not released "
                                 "(%(state)s): nothing was sold to return yet"), field="order",
                              order=order.order_no, state=listing.state)
    if order.state != "shipped":
        raise Conflict(N_("Order %(order)s is %(state)s: only shipped goods come back as a "
                          "return"), field="order", order=order.order_no, state=order.state)
    reason = text_field(data, "reason", 200, True)
    choice = str(data.get("buyer_choice") or "refund")
    if choice not in BUYER_CHOICES:
        raise ValidationError(N_("Must be one of: %(values)s"), field="buyer_choice",
                              values=", ".join(BUYER_CHOICES))
    left = returnable(session, list(order.lines))
    raw_lines = data.get("lines")
    if raw_lines in (None, []):  # the whole order: what is left of it
        raw_lines = [{"gnum": ln.gnum, "qty": str(left[ln.id])}
                     for ln in order.lines if left[ln.id] > 0]
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
            code = text_field(item, "product", 60, True, f"{where}.product")
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
        qty = whole_qty(item.get("qty"), f"{where}.qty")
        if qty > left[line.id]:
            raise TooManyReturned(
                N_("Item %(gnum)s (%(sku)s): %(qty)s to return, but only %(left)s of %(sold)s "
                   "sold are not returned or claimed yet"), field=f"{where}.qty",
                gnum=line.gnum, sku=line.product.sku, qty=num(qty),
                left=num(max(left[line.id], 0)), sold=num(line.qty))
        refund += ((line.total_price + line.tax) * qty / line.qty).quantize(CENT)
        lines.append(ReturnLine(order_line_id=line.id, gnum=line.gnum,
                                product_id=line.product_id, qty=qty))
    requested_at = parse_aware_datetime(data.get("requested_at"), "requested_at") or utcnow()
    apply_by, arrive_by = deadlines(listing, rules)
    request = ReturnRequest(
        order_id=order.id, owner_id=order.owner_id, warehouse_id=order.warehouse_id,
        platform_return_no=platform_no,
        return_waybill_no=(text_field(data, "return_waybill_no", 60) or "").upper() or None,
        reason=reason, buyer_choice=choice, requested_at=requested_at, apply_by=apply_by,
        arrive_by=arrive_by, refund_amount=refund, note=text_field(data, "note", 2000),
        lines=lines)
    warnings = []
    if requested_at > apply_by:
        request.late = True
        request.late_reason = "applied_late"
        warnings.append("applied_late")
    session.add(request)
    request.assign_name(session, f"{order.warehouse.code}/RMA")
    session.flush()
    return RequestResult(request, created=True, warnings=warnings)


def cancel_request(session: Session, request: ReturnRequest, reason: str | None) -> None:
    """A return whose goods are not back yet is called off; its claim on the order ends.
    A parcel already matched to it in an open batch goes back to the unidentified queue
    (kept, for a person to decide), so the batch can still arrive."""
    request.transition("cancelled", reason=(reason or "").strip()[:200] or None)
    for parcel in session.scalars(select(ReturnParcel).where(
            ReturnParcel.request_id == request.id, ReturnParcel.state == "matched")):
        parcel.request = None
        parcel.state, parcel.matched_by, parcel.matched_at = "unidentified", None, None
    session.flush()
