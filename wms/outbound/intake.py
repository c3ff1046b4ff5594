"""Receiving platform orders: the order with its payment and waybill, checked on arrival.

Everything an order claims is checked before anything is written: the buyer's ID check
digit, amounts that reconcile (paid = goods + freight + tax - discount, equal to the
payment), consignee equal on order and waybill, products registered and in stock of the
owner with the right customs status, and the retail limits with the buyer's remaining annual
quota. A batch is all or nothing and set-based: whatever the number of orders, the
enterprises, warehouses, products, earlier orders, waybills, payments, quotas and stock it
names are read in a fixed number of queries, and the names come from one take of the
sequence.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from wms.catalog.models import Product
from wms.core.parsing import decode_text_upload as decode_upload  # noqa: F401 (pages, API)
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, DomainError, ValidationError
from wms.core.scoping import visible_owner
from wms.core.sequence import assign_names
from wms.customs.codes.resident_id import validate_resident_id
from wms.customs.models import CustomsCode
from wms.customs.rules import CENT
from wms.customs.tax import tax_line
from wms.inventory.models import Warehouse
from wms.inventory.services import InsufficientStock
from wms.partners.blacklist import order_parties, refuse_blacklisted
from wms.partners.models import Enterprise
from wms.settings import Settings

from .models import OrderLine, Payment, SalesOrder, Waybill
from .queries import BEIJING, buyer_year_totals, free_stock
from .rows import give_ids

# Customs status of the stock each trade mode sells from.
STOCK_STATUS = {"1210": "bonded", "9610": "export", "9710": "export", "9810": "export"}


class LimitExceeded(ValidationError):
    code = "limit_exceeded"


@dataclass
class OrderResult:
    order: SalesOrder
    created: bool
    remaining_quota: Decimal | None = None
    warnings: list[str] = field(default_factory=list)


def money(value: Any, field: str) -> Decimal:
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


def _code(value: Any) -> str:
    return str(value or "").strip().upper()


def validate_buyer_id(id_type: str, number: str, field: str) -> str:
    """Type 1 is the resident identity card: length, province, date of birth and check
    character must hold (``wms.customs.codes.resident_id``)."""
    if id_type != "1":
        raise ValidationError(N_("Only ID type 1 (resident identity card) is accepted"),
                              field=field.replace("number", "type"))
    return validate_resident_id(number, field)


def order_fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class _Known:
    """What a batch names, read once for all its orders."""
    enterprises: dict[str, Enterprise]
    warehouses: dict[str, Warehouse]
    products: dict[tuple[int, str], Product]
    existing: dict[tuple[int, str], SalesOrder]
    waybills: set[tuple[str, str]]
    payments: set[tuple[str, str]]
    countries: set[str]


def _load(session: Session, batch: list[dict]) -> _Known:
    dicts = [d for d in batch if isinstance(d, dict)]
    waybills = [d.get("waybill") for d in dicts if isinstance(d.get("waybill"), dict)]
    payments = [d.get("payment") for d in dicts if isinstance(d.get("payment"), dict)]
    codes = {_code(d.get(k)) for d in dicts for k in ("platform", "owner")} | {
        _code(w.get("logistics_code")) for w in waybills}
    enterprises = {e.customs_code: e for e in session.scalars(select(Enterprise).where(
        Enterprise.customs_code.in_(codes - {""} or {"-"})).options(
            selectinload(Enterprise.role_rows)))}
    warehouses = {w.code: w for w in session.scalars(select(Warehouse).where(
        Warehouse.code.in_({_code(d.get(k)) for d in dicts
                            for k in ("warehouse", "destination_warehouse")} or {"-"})))}
    owner_ids = {enterprises[_code(d.get("owner"))].id for d in dicts
                 if _code(d.get("owner")) in enterprises}
    product_codes = {str(item.get("product") or "").strip() for d in dicts
                     for item in (d.get("lines") if isinstance(d.get("lines"), list) else [])
                     if isinstance(item, dict)}
    products: dict[tuple[int, str], Product] = {}
    if owner_ids and product_codes:
        for p in session.scalars(select(Product).where(
                Product.owner_id.in_(owner_ids),
                Product.sku.in_(product_codes) | Product.gtin.in_(product_codes))
                .order_by(Product.id)):
            if p.sku in product_codes:
                products[(p.owner_id, p.sku)] = p
            if p.gtin in product_codes:
                products.setdefault((p.owner_id, p.gtin), p)
    platform_ids = {enterprises[_code(d.get("platform"))].id for d in dicts
                    if _code(d.get("platform")) in enterprises}
    order_nos = {str(d.get("order_no") or "").strip() for d in dicts}
    existing = {(o.platform_id, o.order_no): o for o in session.scalars(select(SalesOrder).where(
        SalesOrder.platform_id.in_(platform_ids or {0}), SalesOrder.order_no.in_(order_nos)))}
    numbers = {str(w.get("logistics_no") or "").strip() for w in waybills}
    known_waybills = set(session.execute(select(Waybill.logistics_code, Waybill.logistics_no)
                                         .where(Waybill.logistics_no.in_(numbers or {""}))))
    transactions = {str(p.get("pay_transaction_id") or "").strip() for p in payments}
    known_payments = set(session.execute(select(Payment.pay_code, Payment.pay_transaction_id)
                                         .where(Payment.pay_transaction_id.in_(
                                             transactions or {""}))))
    countries = set(session.scalars(select(CustomsCode.code).where(
        CustomsCode.code_table == "country",
        CustomsCode.code.in_({str(d.get("country") or "142") for d in dicts}))))
    return _Known(enterprises, warehouses, products, existing,
                  {tuple(r) for r in known_waybills}, {tuple(r) for r in known_payments},
                  countries)


def _enterprise(known: _Known, code: Any, role: str, field: str) -> Enterprise:
    enterprise = known.enterprises.get(_code(code))
    if enterprise is None or role not in enterprise.roles:
        raise ValidationError(N_("No %(role)s enterprise with customs code %(code)s"),
                              field=field, role=role, code=code)
    return enterprise


@dataclass
class _Checked:
    """One order that passed every check that needs no quota or stock figure."""
    order: SalesOrder
    where: str
    warehouse: Warehouse
    status: str
    wanted: dict[int, Decimal]
    year: int | None
    remaining: Decimal | None = None


def _check(known: _Known, data: dict, where: str, settings: Settings) -> _Checked:
    limits = settings.retail_limits
    platform = _enterprise(known, data.get("platform"), "platform", f"{where}platform")
    order_no = _text(data, "order_no", where, 60)
    owner = _enterprise(known, data.get("owner"), "owner", f"{where}owner")
    if not visible_owner(owner.id):
        raise ValidationError(N_("No owner enterprise with customs code %(code)s"),
                              field=f"{where}owner", code=data.get("owner"))
    trade_mode = str(data.get("trade_mode") or "1210")
    if trade_mode not in STOCK_STATUS:
        raise ValidationError(N_("Trade mode must be 1210, 9610, 9710 or 9810"),
                              field=f"{where}trade_mode")
    warehouse = known.warehouses.get(_code(data.get("warehouse")))
    if warehouse is None:
        raise ValidationError(N_("Unknown warehouse %(code)s"), field=f"{where}warehouse",
                              code=data.get("warehouse"))
    destination = None
    if trade_mode == "9810":
        destination = known.warehouses.get(_code(data.get("destination_warehouse")))
        if destination is None or destination.kind != "overseas":
            raise ValidationError(N_("A 9810 export names its overseas warehouse"),
                                  field=f"{where}destination_warehouse")
    country = str(data.get("country") or "142")
    if country not in known.countries:
        raise ValidationError(N_("%(code)s is not in the customs %(table)s table"),
                              field=f"{where}country", code=country, table="country")
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
    lines: list[OrderLine] = []
    goods = tax_total = Decimal(0)
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for i, item in enumerate(lines_data):
        lw = f"{where}lines[{i}]."
        if not isinstance(item, dict):
            raise ValidationError(N_("Expected a JSON object"), field=f"{where}lines[{i}]")
        code = _text(item, "product", lw, 60)
        product = known.products.get((owner.id, code))
        if product is None:
            raise ValidationError(N_("No product %(code)s of owner %(owner)s"),
                                  field=f"{lw}product", code=code, owner=owner.customs_code)
        if trade_mode == "1210" and not product.item_record_no:
            raise ValidationError(N_("Product %(sku)s is not registered with customs"),
                                  field=f"{lw}product", sku=product.sku)
        if trade_mode == "1210" and not product.positive_list:
            raise ValidationError(N_("Product %(sku)s is not on the retail import positive "
                                     "list"), field=f"{lw}product", sku=product.sku)
        try:
            qty = Decimal(str(item.get("qty")))
        except (InvalidOperation, ValueError):
            raise ValidationError(N_("Quantity must be a number"), field=f"{lw}qty") from None
        if not qty.is_finite() or qty <= 0 or qty != qty.to_integral():
            raise ValidationError(N_("Quantity must be a whole number above zero"),
                                  field=f"{lw}qty")
        price = money(item.get("price"), f"{lw}price")
        total = money(item.get("total_price", qty * price), f"{lw}total_price")
        if total != (qty * price).quantize(CENT):
            raise ValidationError(N_("Total %(total)s is not quantity x price (%(expected)s)"),
                                  field=f"{lw}total_price", total=total,
                                  expected=(qty * price).quantize(CENT))
        tax = tax_line(product, gnum=i + 1, price=price, total_price=total,
                       share=limits.tax_share).tax if trade_mode == "1210" else Decimal(0)
        goods += total
        tax_total += tax
        wanted[product.id] += qty
        lines.append(OrderLine(gnum=i + 1, product_id=product.id, product=product, qty=qty,
                               price=price, total_price=total, tax=tax))
    given_goods = money(data.get("goods_value", goods), f"{where}goods_value")
    if given_goods != goods:
        raise ValidationError(N_("Goods value %(given)s is not the sum of the lines "
                                 "(%(expected)s)"), field=f"{where}goods_value",
                              given=given_goods, expected=goods)
    freight = money(data.get("freight", 0), f"{where}freight")
    discount = money(data.get("discount", 0), f"{where}discount")
    given_tax = money(data.get("tax_total", tax_total), f"{where}tax_total")
    if given_tax != tax_total:
        raise ValidationError(N_("Tax %(given)s is not the comprehensive tax of the lines "
                                 "(%(expected)s)"), field=f"{where}tax_total", given=given_tax,
                              expected=tax_total)
    paid = money(data.get("actual_paid"), f"{where}actual_paid")
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
    amount = money(payment.get("amount_paid"), f"{pw}amount_paid")
    if amount != paid:
        raise ValidationError(N_("Payment %(amount)s differs from the order's paid amount "
                                 "%(paid)s"), field=f"{pw}amount_paid", amount=amount,
                              paid=paid)
    for name, value in (("consignee", consignee), ("consignee_phone", consignee_phone),
                        ("consignee_address", consignee_address)):
        if str(waybill.get(name) or "").strip() != value:
            raise ValidationError(N_("Differs from the order's %(name)s"), field=f"{ww}{name}",
                                  name=name)
    logistics = _enterprise(known, waybill.get("logistics_code"), "logistics",
                            f"{ww}logistics_code")
    logistics_no = _text(waybill, "logistics_no", ww, 60)
    if (logistics.customs_code, logistics_no) in known.waybills:
        raise Conflict(N_("Waybill %(no)s is already on another order"),
                       field=f"{ww}logistics_no", no=logistics_no)
    pay_code = _text(payment, "pay_code", pw, 18)
    pay_transaction_id = _text(payment, "pay_transaction_id", pw, 60)
    if (pay_code, pay_transaction_id) in known.payments:
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
    if trade_mode == "1210" and paid > limits.per_transaction:
        raise LimitExceeded(N_("%(paid)s is over the %(limit)s limit per transaction"),
                            field=f"{where}actual_paid", paid=paid,
                            limit=limits.per_transaction)
    order = SalesOrder(
        trade_mode=trade_mode, platform_id=platform.id, owner_id=owner.id,
        logistics_id=logistics.id, warehouse_id=warehouse.id, order_no=order_no,
        ordered_at=ordered_at, buyer_reg_no=_text(data, "buyer_reg_no", where, 60, False)
        or buyer_phone, buyer_name=buyer_name, buyer_id_type="1", buyer_id_number=buyer_id,
        buyer_phone=buyer_phone, consignee=consignee, consignee_phone=consignee_phone,
        consignee_address=consignee_address,
        consignee_district=_text(data, "consignee_district", where, 6, False),
        country=country, goods_value=goods, freight=freight,
        discount=discount, tax_total=tax_total, actual_paid=paid,
        pay_code=pay_code, pay_name=_text(payment, "pay_name", pw, 100),
        pay_transaction_id=pay_transaction_id,
        destination_warehouse_id=destination.id if destination else None, lines=lines)
    order.payment = Payment(pay_code=pay_code, pay_name=order.pay_name,
                            pay_transaction_id=pay_transaction_id, payer_id_number=buyer_id,
                            payer_name=buyer_name, telephone=buyer_phone, amount_paid=amount,
                            paid_at=ordered_at)
    order.waybill = Waybill(logistics_code=logistics.customs_code, logistics_name=logistics.name,
                            logistics_no=logistics_no, freight=freight,
                            weight_kg=money(waybill.get("weight_kg", 0), f"{ww}weight_kg"),
                            consignee=consignee, consignee_phone=consignee_phone,
                            consignee_address=consignee_address,
                            goods_info=_text(waybill, "goods_info", ww, 200, False))
    known.waybills.add((logistics.customs_code, logistics_no))
    known.payments.add((pay_code, pay_transaction_id))
    year = ordered_at.astimezone(BEIJING).year if trade_mode == "1210" else None
    return _Checked(order, where, warehouse, STOCK_STATUS[trade_mode], dict(wanted), year)


def receive_order(session: Session, data: dict, *, where: str = "",
                  settings: Settings | None = None) -> OrderResult:
    """Check and store one platform order with its payment and waybill (see
    ``receive_orders``)."""
    return _receive(session, [data], [where], settings or Settings.from_env())[0]


def receive_orders(session: Session, batch: list[dict], *,
                   settings: Settings | None = None) -> list[OrderResult]:
    """A batch from a platform, all or nothing: the first bad order names its index.

    Idempotent by platform + order number: the same order sent again returns the stored
    one (``created`` false); a different order under a number already used is refused.
    """
    if not isinstance(batch, list) or not batch:
        raise ValidationError(N_("Send a non-empty list of orders"), field="orders")
    return _receive(session, batch, [f"orders[{i}]." for i in range(len(batch))],
                    settings or Settings.from_env())


def _receive(session: Session, batch: list, wheres: list[str],
             settings: Settings) -> list[OrderResult]:
    known = _load(session, batch)
    refuse_blacklisted(session, order_parties(known.enterprises, batch, wheres), document="order")
    results: list[OrderResult | None] = []
    checked: list[_Checked] = []
    seen: dict[tuple[int, str], tuple[str, SalesOrder]] = {}
    refused: DomainError | None = None
    for data, where in zip(batch, wheres):
        try:
            results.append(_replayed(known, seen, data, where))
            if results[-1] is None:
                one = _check(known, data, where, settings)
                _taken_elsewhere(known, one.order, where)
                one.order.note = f"fingerprint:{order_fingerprint(data)}"
                seen[(one.order.platform_id, one.order.order_no)] = (one.order.note, one.order)
                checked.append(one)
        except DomainError as exc:
            refused = exc  # the orders before it may still fail on quota or stock first
            break
    _check_quota_and_stock(session, checked, settings)
    if refused is not None:
        raise refused
    pending = iter(checked)
    final = []
    for result in results:
        if result is None:
            one = next(pending)
            result = OrderResult(one.order, created=True, remaining_quota=one.remaining)
        final.append(result)
    if checked:
        orders = [c.order for c in checked]
        give_ids(session, [*orders, *(ln for o in orders for ln in o.lines),
                           *(o.payment for o in orders), *(o.waybill for o in orders)])
        session.add_all(orders)
        by_prefix: dict[str, list[SalesOrder]] = defaultdict(list)
        for c in checked:
            by_prefix[f"{c.warehouse.code}/OUT"].append(c.order)
        for prefix, named in by_prefix.items():
            assign_names(session, named, prefix)
        session.flush()
    return final


def _replayed(known: _Known, seen: dict, data: Any, where: str) -> OrderResult | None:
    """An order number received before (or earlier in the batch): the same content is a
    replay and answers with that order; other content is refused."""
    if not isinstance(data, dict):
        raise ValidationError(N_("Expected a JSON object"), field=where.rstrip(".") or None)
    platform = _enterprise(known, data.get("platform"), "platform", f"{where}platform")
    order_no = _text(data, "order_no", where, 60)
    earlier = seen.get((platform.id, order_no))
    existing = known.existing.get((platform.id, order_no))
    if existing is not None and not visible_owner(existing.owner_id):
        existing = None  # another enterprise's order: judged only once this one is valid
    if earlier is None and existing is None:
        return None
    note, order = earlier if earlier is not None else (existing.note or "", existing)
    if note.endswith(order_fingerprint(data)):
        return OrderResult(order, created=False)
    raise Conflict(N_("Order number %(no)s was already received from this platform"),
                   field=f"{where}order_no", no=order_no)


def _taken_elsewhere(known: _Known, order: SalesOrder, where: str) -> None:
    """A valid order whose number another enterprise's order already holds. Said only after
    every other check, so a caller cannot probe which numbers exist with half-made orders."""
    if (order.platform_id, order.order_no) in known.existing:
        raise Conflict(N_("Order number %(no)s was already received from this platform"),
                       field=f"{where}order_no", no=order.order_no)


def _check_quota_and_stock(session: Session, checked: list[_Checked],
                           settings: Settings) -> None:
    """The buyer's annual quota (orders of the batch count one after the other) and free
    stock for each order, in the order of the batch."""
    limits = settings.retail_limits
    used = buyer_year_totals(session, {(c.order.buyer_id_number, c.year) for c in checked
                                       if c.year is not None})
    free = free_stock(session, {(c.warehouse.id, product_id, c.order.owner_id, c.status)
                                for c in checked for product_id in c.wanted})
    for c in checked:
        order, where = c.order, c.where
        if c.year is not None:
            key = (order.buyer_id_number, c.year)
            remaining = limits.per_year - used[key]
            if order.actual_paid > remaining:
                raise LimitExceeded(N_("Over the buyer's annual limit: %(remaining)s of "
                                       "%(limit)s left this year"), field=f"{where}actual_paid",
                                    remaining=max(remaining, Decimal(0)), limit=limits.per_year)
            used[key] += order.actual_paid
            c.remaining = remaining - order.actual_paid
        products = {ln.product_id: ln.product for ln in order.lines}
        for product_id, qty in c.wanted.items():
            available = free.get((c.warehouse.id, product_id, order.owner_id, c.status),
                                 Decimal(0))
            if available < qty:
                raise InsufficientStock(N_("Not enough %(status)s stock of %(sku)s for this "
                                           "order: %(free)s free, %(qty)s ordered"),
                                        field=f"{where}lines", status=c.status,
                                        sku=products[product_id].sku,
                                        free=max(available, Decimal(0)), qty=qty)


def cancel_order(session: Session, order: SalesOrder, reason: str | None) -> None:
    """Only before picking: received, declared or released orders (the state machine says)."""
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ValidationError(N_("Give a reason"), field="reason")
    order.transition("cancelled", reason=reason)
    session.flush()
