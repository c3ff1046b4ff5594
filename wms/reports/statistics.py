"""Aggregated statistics per period, trade mode, owner, country and HS chapter.

Counts orders and released lists, sums quantities, values (CNY) and net weights of the
orders that customs did not reject. One grouped query; owner users only see their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wms.catalog.models import Product
from wms.core.errors import N_, ValidationError
from wms.core.scoping import scope_to_owner
from wms.outbound.models import InventoryList, OrderLine, SalesOrder
from wms.partners.models import Enterprise

BEIJING = ZoneInfo("Asia/Shanghai")
DIMENSIONS = ("period", "trade_mode", "owner", "country", "hs_chapter")
PERIODS = ("day", "month", "year")
COUNTED = ("received", "declared", "released", "held", "picking", "picked", "packed",
           "shipped")


@dataclass(frozen=True)
class StatRow:
    key: dict
    orders: int
    lists: int
    quantity: Decimal
    value: Decimal
    net_weight_kg: Decimal


def _period_expr(session: Session, period: str):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        fmt = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}[period]
        return func.to_char(func.timezone("Asia/Shanghai", SalesOrder.ordered_at), fmt)
    fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[period]
    return func.strftime(fmt, SalesOrder.ordered_at, "+8 hours")


def aggregate(session: Session, *, group_by: tuple[str, ...] = ("period", "trade_mode"),
              period: str = "month", date_from: date | None = None,
              date_to: date | None = None, trade_mode: str | None = None,
              owner_id: int | None = None) -> list[StatRow]:
    if period not in PERIODS:
        raise ValidationError(N_("Period must be day, month or year"), field="period")
    for dim in group_by:
        if dim not in DIMENSIONS:
            raise ValidationError(N_("Cannot group by %(dim)s"), field="group_by", dim=dim)
    columns = {"period": _period_expr(session, period).label("period"),
               "trade_mode": SalesOrder.trade_mode.label("trade_mode"),
               "owner": Enterprise.customs_code.label("owner"),
               "country": SalesOrder.country.label("country"),
               "hs_chapter": func.substr(Product.hs_code, 1, 2).label("hs_chapter")}
    keys = [columns[d] for d in group_by]
    released = case((InventoryList.state == "released", InventoryList.id))
    stmt = (select(*keys, func.count(func.distinct(SalesOrder.id)),
                   func.count(func.distinct(released)),
                   func.coalesce(func.sum(OrderLine.qty), 0),
                   func.coalesce(func.sum(OrderLine.total_price), 0),
                   func.coalesce(func.sum(OrderLine.qty * Product.net_weight_kg), 0))
            .select_from(SalesOrder)
            .join(OrderLine, OrderLine.order_id == SalesOrder.id)
            .join(Product, Product.id == OrderLine.product_id)
            .join(Enterprise, Enterprise.id == SalesOrder.owner_id)
            .outerjoin(InventoryList, InventoryList.order_id == SalesOrder.id)
            .where(SalesOrder.state.in_(COUNTED))
            .group_by(*keys).order_by(*keys))
    if date_from:
        stmt = stmt.where(SalesOrder.ordered_at >= datetime.combine(
            date_from, time.min, BEIJING).astimezone(timezone.utc))
    if date_to:
        stmt = stmt.where(SalesOrder.ordered_at < datetime.combine(
            date_to, time.max, BEIJING).astimezone(timezone.utc))
    if trade_mode:
        stmt = stmt.where(SalesOrder.trade_mode == trade_mode)
    if owner_id:
        stmt = stmt.where(SalesOrder.owner_id == owner_id)
    stmt = scope_to_owner(stmt, SalesOrder.owner_id)
    rows = []
    for row in session.execute(stmt):
        values = list(row)
        key = dict(zip(group_by, values[:len(group_by)]))
        orders, lists, qty, value, weight = values[len(group_by):]
        rows.append(StatRow(key, int(orders), int(lists), Decimal(qty), Decimal(value),
                            Decimal(weight)))
    return rows
