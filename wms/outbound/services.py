"""Outbound use cases: receive an order, declare its documents, follow customs, then wave,
pick, pack and ship.

Everything an order claims is checked when it arrives, before anything is written: the buyer's
ID check digit, amounts that reconcile (paid = goods + freight + tax - discount, equal to the
payment), consignee equal on order and waybill, products registered and in bonded stock of the
owner, and the retail limits with the buyer's remaining annual quota.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import scope_to_owner, visible_owner
from wms.customs.rules import CENT, RetailLimits, line_tax
from wms.inventory.models import Location, Quant, StockMove, Warehouse
from wms.inventory.services import (InsufficientStock, MoveLine, new_document, post_moves,
                                    reserve_fefo, virtual_location)
from wms.logistics.identifiers import validate_s10
from wms.partners.models import Enterprise

from .models import (AccountBookEntry, InventoryList, OrderLine, Parcel, Payment, SalesOrder,
                     ShortPick, Wave, WaveOrder, Waybill)

BEIJING = ZoneInfo("Asia/Shanghai")  # the buyer's calendar year is China's
# Customs status of the stock each trade mode sells from.
STOCK_STATUS = {"1210": "bonded", "9610": "export", "9710": "export", "9810": "export"}
COUNTED_STATES = ("received", "declared", "released", "held", "picking", "picked", "packed",
                  "shipped")


class LimitExceeded(ValidationError):
    code = "limit_exceeded"


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Must be an amount"), field=field) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(N_("Must be an amount of zero or more"), field=field)
    if amount != amount.quantize(CENT):
        raise ValidationError(N_("At most two decimals"), field=field)
    return amount


def _text(data: dict, name: str, where: str, max_len: int, required: bool = True) -> str | None:
    value = data.get(name)
    value = str(value).strip() if value is not None else ""
    if not value:
        if required:
            raise ValidationError(N_("This field is required"), field=f"{where}{name}")
        return None
    if len(value) > max_len:
        raise ValidationError(N_("At most %(n)s characters"), field=f"{where}{name}", n=max_len)
    return value


def _enterprise(session: Session, code: str | None, role: str, field: str) -> Enterprise:
    enterprise = session.scalar(select(Enterprise).where(
        Enterprise.customs_code == (code or "").strip().upper()))
    if enterprise is None or role not in enterprise.roles:
        raise ValidationError(N_("No %(role)s enterprise with customs code %(code)s"),
                              field=field, role=role, code=code)
    return enterprise


def validate_buyer_id(id_type: str, number: str, field: str) -> str:
    """Type 1 is the resident identity card: its check character must hold."""
    if id_type != "1":
        raise ValidationError(N_("Only ID type 1 (resident identity card) is accepted"),
                              field=field.replace("number", "type"))
    try:
        return ric.validate(number)
    except StdnumError as exc:
        raise ValidationError(N_("Resident ID number is not valid: %(reason)s"), field=field,
                              reason=str(exc)) from exc


def buyer_year_total(session: Session, id_number: str, year: int,
                     exclude_order_id: int | None = None) -> Decimal:
    """What the buyer spent on retail imports this calendar year, returns given back."""
    start = datetime(year, 1, 1, tzinfo=BEIJING)
    end = datetime(year + 1, 1, 1, tzinfo=BEIJING)
    stmt = select(func.coalesce(func.sum(SalesOrder.actual_paid - SalesOrder.refunded), 0)) \
        .where(SalesOrder.buyer_id_number == id_number, SalesOrder.trade_mode == "1210",
               SalesOrder.state.in_(COUNTED_STATES),
               SalesOrder.ordered_at >= start, SalesOrder.ordered_at < end)
    if exclude_order_id:
        stmt = stmt.where(SalesOrder.id != exclude_order_id)
    return Decimal(session.scalar(stmt))


def available_bonded(session: Session, warehouse: Warehouse, product: Product, owner_id: int,
                     status: str) -> Decimal:
    """Free stock of the owner in the warehouse's internal locations with that status."""
    stock = session.scalar(select(func.coalesce(func.sum(Quant.quantity), 0))
                           .join(Location, Location.id == Quant.location_id)
                           .where(Quant.product_id == product.id, Quant.owner_id == owner_id,
                                  Quant.customs_status == status, Location.usage == "internal",
                                  Location.warehouse_id == warehouse.id))
    reserved = session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0))
                              .join(Location, Location.id == StockMove.from_location_id)
                              .where(StockMove.state == "reserved",
                                     StockMove.product_id == product.id,
                                     StockMove.owner_id == owner_id,
                                     StockMove.customs_status == status,
                                     Location.warehouse_id == warehouse.id))
    return Decimal(stock) - Decimal(reserved)


def order_fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class OrderResult:
    order: SalesOrder
    created: bool
    remaining_quota: Decimal | None = None
    warnings: list[str] = field(default_factory=list)


def receive_order(session: Session, data: dict, *, where: str = "",
                  limits: RetailLimits | None = None) -> OrderResult:
    """Check and store one platform order with its payment and waybill.

    Idempotent by platform + order number: the same order sent again returns the stored
    one; a different order under a number already used is refused.
    """
    limits = limits or RetailLimits.from_env()
    platform = _enterprise(session, data.get("platform"), "platform", f"{where}platform")
    order_no = _text(data, "order_no", where, 60)
    existing = session.scalar(select(SalesOrder).where(SalesOrder.platform_id == platform.id,
                                                       SalesOrder.order_no == order_no))
    fingerprint = order_fingerprint(data)
    if existing is not None:
        if existing.note == f"fingerprint:{fingerprint}" or \
                (existing.note or "").endswith(fingerprint):
            return OrderResult(existing, created=False)
        raise Conflict(N_("Order number %(no)s was already received from this platform"),
                       field=f"{where}order_no", no=order_no)
    owner = _enterprise(session, data.get("owner"), "owner", f"{where}owner")
    if not visible_owner(owner.id):
        raise ValidationError(N_("No owner enterprise with customs code %(code)s"),
                              field=f"{where}owner", code=data.get("owner"))
    trade_mode = str(data.get("trade_mode") or "1210")
    if trade_mode not in STOCK_STATUS:
        raise ValidationError(N_("Trade mode must be 1210, 9610, 9710 or 9810"),
                              field=f"{where}trade_mode")
    warehouse = session.scalar(select(Warehouse).where(
        Warehouse.code == str(data.get("warehouse") or "").upper()))
    if warehouse is None:
        raise ValidationError(N_("Unknown warehouse %(code)s"), field=f"{where}warehouse",
                              code=data.get("warehouse"))
    destination = None
    if trade_mode == "9810":
        destination = session.scalar(select(Warehouse).where(
            Warehouse.code == str(data.get("destination_warehouse") or "").upper(),
            Warehouse.kind == "overseas"))
        if destination is None:
            raise ValidationError(N_("A 9810 export names its overseas warehouse"),
                                  field=f"{where}destination_warehouse")
    buyer_name = _text(data, "buyer_name", where, 60)
    buyer_id = validate_buyer_id(str(data.get("buyer_id_type") or "1"),
                                 str(data.get("buyer_id_number") or ""),
                                 f"{where}buyer_id_number") if trade_mode == "1210" else \
        _text(data, "buyer_id_number", where, 60)
    buyer_phone = _text(data, "buyer_phone", where, 30)
    consignee = _text(data, "consignee", where, 100)
    consignee_phone = _text(data, "consignee_phone", where, 50)
    consignee_address = _text(data, "consignee_address", where, 200)
    lines_data = data.get("lines")
    if not isinstance(lines_data, list) or not lines_data:
        raise ValidationError(N_("An order needs at least one line"), field=f"{where}lines")
    status = STOCK_STATUS[trade_mode]
    lines: list[OrderLine] = []
    goods = Decimal(0)
    tax_total = Decimal(0)
    wanted: dict[int, Decimal] = {}
    for i, item in enumerate(lines_data):
        lw = f"{where}lines[{i}]."
        if not isinstance(item, dict):
            raise ValidationError(N_("Expected a JSON object"), field=f"{where}lines[{i}]")
        code = _text(item, "product", lw, 60)
        product = session.scalar(select(Product).where(
            Product.owner_id == owner.id, (Product.sku == code) | (Product.gtin == code)))
        if product is None:
            raise ValidationError(N_("No product %(code)s of owner %(owner)s"),
                                  field=f"{lw}product", code=code, owner=owner.customs_code)
        if trade_mode == "1210" and not product.item_record_no:
            raise ValidationError(N_("Product %(sku)s is not registered with customs"),
                                  field=f"{lw}product", sku=product.sku)
        try:
            qty = Decimal(str(item.get("qty")))
        except (InvalidOperation, ValueError):
            raise ValidationError(N_("Quantity must be a number"), field=f"{lw}qty") from None
        if not qty.is_finite() or qty <= 0 or qty != qty.to_integral():
            raise ValidationError(N_("Quantity must be a whole number above zero"),
                                  field=f"{lw}qty")
        price = _money(item.get("price"), f"{lw}price")
        total = _money(item.get("total_price", qty * price), f"{lw}total_price")
        if total != (qty * price).quantize(CENT):
            raise ValidationError(N_("Total %(total)s is not quantity x price (%(expected)s)"),
                                  field=f"{lw}total_price", total=total,
                                  expected=(qty * price).quantize(CENT))
        tax = line_tax(total, product.vat_rate, product.consumption_tax_rate,
                       limits.tax_share) if trade_mode == "1210" else Decimal(0)
        goods += total
        tax_total += tax
        wanted[product.id] = wanted.get(product.id, Decimal(0)) + qty
        lines.append(OrderLine(gnum=i + 1, product_id=product.id, qty=qty, price=price,
                               total_price=total, tax=tax))
    given_goods = _money(data.get("goods_value", goods), f"{where}goods_value")
    if given_goods != goods:
        raise ValidationError(N_("Goods value %(given)s is not the sum of the lines "
                                 "(%(expected)s)"), field=f"{where}goods_value",
                              given=given_goods, expected=goods)
    freight = _money(data.get("freight", 0), f"{where}freight")
    discount = _money(data.get("discount", 0), f"{where}discount")
    given_tax = _money(data.get("tax_total", tax_total), f"{where}tax_total")
    if given_tax != tax_total:
        raise ValidationError(N_("Tax %(given)s is not the comprehensive tax of the lines "
                                 "(%(expected)s)"), field=f"{where}tax_total", given=given_tax,
                              expected=tax_total)
    paid = _money(data.get("actual_paid"), f"{where}actual_paid")
    if paid != goods + freight + tax_total - discount:
        raise ValidationError(N_("Paid %(paid)s is not goods + freight + tax - discount "
                                 "(%(expected)s)"), field=f"{where}actual_paid", paid=paid,
                              expected=goods + freight + tax_total - discount)
    payment = data.get("payment") or {}
    waybill = data.get("waybill") or {}
    if not isinstance(payment, dict) or not payment:
        raise ValidationError(N_("The payment voucher is required"), field=f"{where}payment")
    if not isinstance(waybill, dict) or not waybill:
        raise ValidationError(N_("The waybill is required"), field=f"{where}waybill")
    pw, ww = f"{where}payment.", f"{where}waybill."
    amount = _money(payment.get("amount_paid"), f"{pw}amount_paid")
    if amount != paid:
        raise ValidationError(N_("Payment %(amount)s differs from the order's paid amount "
                                 "%(paid)s"), field=f"{pw}amount_paid", amount=amount,
                              paid=paid)
    for name, value in (("consignee", consignee), ("consignee_phone", consignee_phone),
                        ("consignee_address", consignee_address)):
        if str(waybill.get(name) or "").strip() != value:
            raise ValidationError(N_("Differs from the order's %(name)s"), field=f"{ww}{name}",
                                  name=name)
    logistics = _enterprise(session, waybill.get("logistics_code"), "logistics",
                            f"{ww}logistics_code")
    logistics_no = _text(waybill, "logistics_no", ww, 60)
    if session.scalar(select(Waybill.id).where(Waybill.logistics_code == logistics.customs_code,
                                               Waybill.logistics_no == logistics_no)):
        raise Conflict(N_("Waybill %(no)s is already on another order"),
                       field=f"{ww}logistics_no", no=logistics_no)
    pay_code = _text(payment, "pay_code", pw, 18)
    pay_transaction_id = _text(payment, "pay_transaction_id", pw, 60)
    if session.scalar(select(Payment.id).where(Payment.pay_code == pay_code,
                                               Payment.pay_transaction_id == pay_transaction_id)):
        raise Conflict(N_("Payment %(no)s is already on another order"),
                       field=f"{pw}pay_transaction_id", no=pay_transaction_id)
    ordered_at = data.get("ordered_at")
    try:
        ordered_at = datetime.fromisoformat(ordered_at) if isinstance(ordered_at, str) \
            else ordered_at or utcnow()
    except ValueError:
        raise ValidationError(N_("Time must be ISO 8601, e.g. 2026-11-27T09:30:00+08:00"),
                              field=f"{where}ordered_at") from None
    if ordered_at.tzinfo is None:
        raise ValidationError(N_("Time needs a time zone, e.g. +08:00"),
                              field=f"{where}ordered_at")
    remaining = None
    if trade_mode == "1210":
        if paid > limits.per_transaction:
            raise LimitExceeded(N_("%(paid)s is over the %(limit)s limit per transaction"),
                                field=f"{where}actual_paid", paid=paid,
                                limit=limits.per_transaction)
        used = buyer_year_total(session, buyer_id, ordered_at.astimezone(BEIJING).year)
        remaining = limits.per_year - used
        if paid > remaining:
            raise LimitExceeded(N_("Over the buyer's annual limit: %(remaining)s of %(limit)s "
                                   "left this year"), field=f"{where}actual_paid",
                                remaining=max(remaining, Decimal(0)), limit=limits.per_year)
        remaining -= paid
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_(wanted)))}
    for product_id, qty in wanted.items():
        free = available_bonded(session, warehouse, products[product_id], owner.id, status)
        if free < qty:
            raise InsufficientStock(N_("Not enough %(status)s stock of %(sku)s for this order: "
                                       "%(free)s free, %(qty)s ordered"), field=f"{where}lines",
                                    status=status, sku=products[product_id].sku,
                                    free=max(free, Decimal(0)), qty=qty)
    order = SalesOrder(
        trade_mode=trade_mode, platform_id=platform.id, owner_id=owner.id,
        logistics_id=logistics.id, warehouse_id=warehouse.id, order_no=order_no,
        ordered_at=ordered_at, buyer_reg_no=_text(data, "buyer_reg_no", where, 60, False)
        or buyer_phone, buyer_name=buyer_name, buyer_id_type="1", buyer_id_number=buyer_id,
        buyer_phone=buyer_phone, consignee=consignee, consignee_phone=consignee_phone,
        consignee_address=consignee_address,
        consignee_district=_text(data, "consignee_district", where, 6, False),
        country=str(data.get("country") or "142"), goods_value=goods, freight=freight,
        discount=discount, tax_total=tax_total, actual_paid=paid,
        pay_code=pay_code, pay_name=_text(payment, "pay_name", pw, 100),
        pay_transaction_id=pay_transaction_id,
        note=f"fingerprint:{fingerprint}",
        destination_warehouse_id=destination.id if destination else None, lines=lines)
    order.payment = Payment(pay_code=order.pay_code, pay_name=order.pay_name,
                            pay_transaction_id=order.pay_transaction_id,
                            payer_id_number=buyer_id, payer_name=buyer_name,
                            telephone=buyer_phone, amount_paid=amount,
                            paid_at=ordered_at)
    order.waybill = Waybill(logistics_code=logistics.customs_code, logistics_name=logistics.name,
                            logistics_no=logistics_no,
                            freight=freight,
                            weight_kg=_money(waybill.get("weight_kg", 0), f"{ww}weight_kg"),
                            consignee=consignee, consignee_phone=consignee_phone,
                            consignee_address=consignee_address,
                            goods_info=_text(waybill, "goods_info", ww, 200, False))
    session.add(order)
    order.assign_name(session, f"{warehouse.code}/OUT")
    session.flush()
    return OrderResult(order, created=True, remaining_quota=remaining)


def receive_orders(session: Session, batch: list[dict]) -> list[OrderResult]:
    """A batch from a platform, all or nothing: the first bad order names its index."""
    if not isinstance(batch, list) or not batch:
        raise ValidationError(N_("Send a non-empty list of orders"), field="orders")
    return [receive_order(session, data, where=f"orders[{i}].") for i, data in enumerate(batch)]


def orders_query(state: str | None = None, trade_mode: str | None = None):
    stmt = select(SalesOrder).order_by(SalesOrder.id.desc())
    if state:
        stmt = stmt.where(SalesOrder.state == state)
    if trade_mode:
        stmt = stmt.where(SalesOrder.trade_mode == trade_mode)
    return scope_to_owner(stmt, SalesOrder.owner_id)


def get_order(session: Session, order_id: int) -> SalesOrder:
    order = session.get(SalesOrder, order_id)
    if order is None or not visible_owner(order.owner_id):
        raise NotFound(N_("Order %(id)s not found"), field="order", id=order_id)
    return order


def cancel_order(session: Session, order: SalesOrder, reason: str) -> None:
    order.transition("cancelled", reason=reason or None)


# -- customs decision on the list ---------------------------------------------------------

def list_released(session: Session, order: SalesOrder, listing: InventoryList,
                  info: str | None = None) -> None:
    """800: customs released the list; the order may be picked."""
    listing.transition("released", reason=info)
    listing.released_at = utcnow()
    order.hold_reason = None
    order.transition("released", reason=info)


def list_held(session: Session, order: SalesOrder, listing: InventoryList,
              info: str | None = None) -> None:
    """500: held for inspection; nothing leaves until released."""
    listing.transition("held", reason=info)
    order.hold_reason = info
    order.transition("held", reason=info)


def list_rejected(session: Session, order: SalesOrder, listing: InventoryList,
                  info: str | None = None) -> None:
    """100: rejected with the reason shown; the buyer's quota is not used."""
    listing.transition("rejected", reason=info)
    order.hold_reason = info
    order.transition("rejected", reason=info)


# -- waves, picking, packing, shipping ----------------------------------------------------

def _output(session: Session, warehouse: Warehouse) -> Location:
    location = session.scalar(select(Location).where(
        Location.full_path == f"{warehouse.code}/Output"))
    if location is None:
        raise NotFound(N_("Warehouse %(code)s has no output area"), field="warehouse",
                       code=warehouse.code)
    return location


def create_wave(session: Session, warehouse: Warehouse, orders: list[SalesOrder]) -> Wave:
    """Reserve the released orders' goods first expiry first out, from the owner's stock of
    the right customs status only; orders without stock stay released, with the reason."""
    if not orders:
        raise ValidationError(N_("Choose at least one released order"), field="orders")
    stock_root = session.scalar(select(Location).where(
        Location.full_path == f"{warehouse.code}/Stock"))
    output = _output(session, warehouse)
    document = new_document(session, "pick", f"{warehouse.code}/PICK",
                            warehouse_id=warehouse.id)
    wave = Wave(warehouse_id=warehouse.id, document_id=document.id)
    session.add(wave)
    wave.assign_name(session, f"{warehouse.code}/WAVE")
    session.flush()
    for order in orders:
        if order.state != "released" or order.warehouse_id != warehouse.id:
            raise Conflict(N_("Order %(name)s is %(state)s: only released orders of this "
                              "warehouse join a wave"), field="orders", name=order.name,
                           state=order.state)
        savepoint = session.begin_nested()
        try:
            for line in order.lines:
                if line.picked_qty >= line.qty:
                    continue  # picked in an earlier wave
                moves = reserve_fefo(session, document, product=line.product,
                                     quantity=line.qty - line.picked_qty,
                                     owner_id=order.owner_id,
                                     from_root=stock_root, to_location=output,
                                     customs_status=STOCK_STATUS[order.trade_mode],
                                     order_line_id=line.id, reason=f"{order.name}#{line.gnum}")
        except InsufficientStock as exc:
            savepoint.rollback()
            order.hold_reason = exc.message
            continue
        savepoint.commit()
        session.add(WaveOrder(wave_id=wave.id, order_id=order.id))
        order.transition("picking", reason=wave.name)
    session.flush()
    return wave


def wave_moves(session: Session, wave: Wave) -> list[StockMove]:
    return list(session.scalars(select(StockMove).where(
        StockMove.document_id == wave.document_id).order_by(StockMove.from_location_id,
                                                             StockMove.id)))


def confirm_pick(session: Session, wave: Wave, move_id: int, picked: Any,
                 reason: str | None = None) -> StockMove:
    """The picker took ``picked`` of a reserved line: that much moves to the output area; a
    short pick is recorded and its remainder released back to stock."""
    move = session.get(StockMove, move_id)
    if move is None or move.document_id != wave.document_id or move.state != "reserved":
        raise NotFound(N_("No open pick %(id)s in this wave"), field="move", id=move_id)
    try:
        qty = Decimal(str(picked))
    except (InvalidOperation, ValueError):
        raise ValidationError(N_("Quantity must be a number"), field="quantity") from None
    if qty < 0 or qty > move.quantity:
        raise ValidationError(N_("Picked quantity must be between 0 and %(max)s"),
                              field="quantity", max=move.quantity)
    if qty < move.quantity:
        if not (reason or "").strip():
            raise ValidationError(N_("Say why less was picked"), field="reason")
        session.add(ShortPick(wave_id=wave.id, move_id=move.id, expected_qty=move.quantity,
                              picked_qty=qty, reason=reason, recorded_at=utcnow()))
    if qty > 0:
        # The reserved move becomes the done move with what was picked; the rest of its
        # reservation goes with it.
        post_moves(session, [MoveLine(move.product_id, qty, move.from_location_id,
                                      move.to_location_id, move.owner_id, move.customs_status,
                                      move.lot_id, move.package_id, None,
                                      move.to_customs_status, move.reason)],
                   move.document, consuming=[move.id])
    else:
        move.state = "cancelled"
    session.flush()
    order_line = session.get(OrderLine, move.order_line_id) if move.order_line_id else None
    if order_line is not None:
        order = order_line.order
        order_line.picked_qty += qty
        open_picks = session.scalar(select(func.count()).select_from(StockMove).join(
            OrderLine, OrderLine.id == StockMove.order_line_id).where(
            StockMove.document_id == wave.document_id, StockMove.state == "reserved",
            OrderLine.order_id == order.id))
        if all(ln.picked_qty >= ln.qty for ln in order.lines):
            order.transition("picked", reason=wave.name)
        elif not open_picks:
            # Picked short and nothing left to pick in this wave: back to the queue for the
            # next wave, which reserves only what is still missing.
            order.hold_reason = f"short pick in {wave.name}"
            order.transition("released", reason=order.hold_reason)
    if not session.scalar(select(func.count()).select_from(StockMove).where(
            StockMove.document_id == wave.document_id, StockMove.state == "reserved")):
        if wave.state == "open":
            wave.transition("done")
    session.flush()
    return move


def pack_order(session: Session, order: SalesOrder, *, tracking_no: str,
               weight_kg: Any) -> Parcel:
    """A parcel for a picked order; the parcel gets its waybill or S10 number."""
    if order.state != "picked":
        raise Conflict(N_("Order %(name)s is %(state)s: only a picked order is packed"),
                       field="order", name=order.name, state=order.state)
    tracking_no = (tracking_no or "").strip().upper()
    if len(tracking_no) == 13 and tracking_no[:2].isalpha() and tracking_no[-2:].isalpha():
        tracking_no = validate_s10(tracking_no, "tracking_no")
    elif not tracking_no:
        raise ValidationError(N_("Scan the waybill or S10 number"), field="tracking_no")
    weight = _money(weight_kg, "weight_kg") if weight_kg not in (None, "") else None
    if not weight or weight <= 0:
        raise ValidationError(N_("Weigh the parcel"), field="weight_kg")
    if session.scalar(select(Parcel.id).where(Parcel.tracking_no == tracking_no)):
        raise Conflict(N_("%(no)s is already on another parcel"), field="tracking_no",
                       no=tracking_no)
    parcel = Parcel(order_id=order.id, tracking_no=tracking_no, weight_kg=weight)
    session.add(parcel)
    order.transition("packed", reason=tracking_no)
    session.flush()
    return parcel


def ship_order(session: Session, order: SalesOrder) -> None:
    """The parcel leaves through the second line: the goods go to the customer and are
    written off the account book; a 9810 export goes in transit to its overseas warehouse."""
    if order.state != "packed":
        raise Conflict(N_("Order %(name)s is %(state)s: only a packed order ships"),
                       field="order", name=order.name, state=order.state)
    warehouse = order.warehouse
    output = _output(session, warehouse)
    status = STOCK_STATUS[order.trade_mode]
    if order.trade_mode == "9810":
        target, to_status = virtual_location(session, "transit"), "export"
    else:
        target = virtual_location(session, "customer")
        to_status = "released" if order.trade_mode == "1210" else "export"
    document = new_document(session, "ship", f"{warehouse.code}/SHIP",
                            warehouse_id=warehouse.id, origin=order.name)
    lines, now = [], utcnow()
    for line in order.lines:
        quants = session.scalars(select(Quant).where(
            Quant.location_id == output.id, Quant.product_id == line.product_id,
            Quant.owner_id == order.owner_id, Quant.customs_status == status,
            Quant.quantity > 0).order_by(Quant.id)).all()
        left = line.picked_qty
        for quant in quants:
            if left <= 0:
                break
            take = min(left, quant.quantity)
            lines.append(MoveLine(line.product_id, take, output.id, target.id, order.owner_id,
                                  status, quant.lot_id, quant.package_id, None, to_status,
                                  f"ship {order.name}", order_line_id=line.id))
            left -= take
        if left > 0:
            raise InsufficientStock(N_("%(qty)s of %(sku)s are missing in the output area"),
                                    field="order", qty=left, sku=line.product.sku)
        if warehouse.ems_no and status == "bonded":
            session.add(AccountBookEntry(ems_no=warehouse.ems_no, product_id=line.product_id,
                                         item_record_no=line.product.item_record_no,
                                         direction="out", qty=line.picked_qty,
                                         reference=order.name, booked_at=now))
    post_moves(session, lines, document)
    document.transition("done")
    document.done_at = now
    for parcel in session.scalars(select(Parcel).where(Parcel.order_id == order.id)):
        parcel.shipped_at = now
    order.transition("shipped", reason=document.name)
    session.flush()


def arrive_overseas(session: Session, order: SalesOrder) -> None:
    """A 9810 export reaches its overseas warehouse: stock appears there."""
    if order.trade_mode != "9810" or order.state != "shipped":
        raise Conflict(N_("Only a shipped 9810 export arrives at an overseas warehouse"),
                       field="order")
    destination = session.get(Warehouse, order.destination_warehouse_id)
    target = session.scalar(select(Location).where(
        Location.full_path == f"{destination.code}/Input"))
    transit = virtual_location(session, "transit")
    of_order = StockMove.order_line_id.in_(select(OrderLine.id).where(
        OrderLine.order_id == order.id))
    moves = session.scalars(select(StockMove).where(
        StockMove.to_location_id == transit.id, of_order, StockMove.state == "done")).all()
    if not moves:
        raise Conflict(N_("Nothing of %(name)s is in transit"), field="order", name=order.name)
    if session.scalar(select(StockMove.id).where(StockMove.from_location_id == transit.id,
                                                 of_order, StockMove.state == "done").limit(1)):
        raise Conflict(N_("%(name)s has already arrived at its overseas warehouse"),
                       field="order", name=order.name)
    document = new_document(session, "arrival", f"{destination.code}/IN",
                            warehouse_id=destination.id, origin=order.name)
    post_moves(session, [MoveLine(m.product_id, m.quantity, transit.id, target.id, m.owner_id,
                                  "export", m.lot_id, None, None, "released",
                                  f"arrived {order.name}", order_line_id=m.order_line_id,
                                  origin_move_id=m.id) for m in moves], document)
    document.transition("done")
    document.done_at = utcnow()
