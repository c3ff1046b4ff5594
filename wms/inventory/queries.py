"""Reads of stock that the desk pages, the handheld and the API share.

Stock lists stay fast on 100,000 quants: the filters are conditions on the quant table
alone (joined tables are reached through ``IN (subquery)``), so counting and totals never
join; a page first picks its quant ids in the requested order, then loads the details and
the reservations of those ids only. Every owner-scoped read goes through ``scope_to_owner``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from wms.accounts.models import User
from wms.catalog.models import Lot, Product
from wms.core.scoping import scope_to_owner

from .models import (STOCKED_USAGES, CountSession, Location, Package, Quant, StockDocument,
                     StockMove)
from .services import format_quantity
from wms.partners.models import Enterprise


# ---------------------------------------------------------------- counts

def count_lines(session: Session, count: CountSession) -> list[dict]:
    """Each line of a count with what the books said, as the scanner and the desk show it."""
    products = {p.id: p for p in session.scalars(select(Product).where(
        Product.id.in_({ln.product_id for ln in count.lines})))} if count.lines else {}
    lots = {lot.id: lot.name for lot in session.scalars(select(Lot).where(
        Lot.id.in_({ln.lot_id for ln in count.lines if ln.lot_id})))}
    return [{"sku": products[ln.product_id].sku, "name": products[ln.product_id].name_zh,
             "lot": lots.get(ln.lot_id), "customs_status": ln.customs_status,
             "expected": format_quantity(ln.expected or Decimal(0)),
             "counted": format_quantity(ln.counted),
             "difference": format_quantity(ln.difference)} for ln in count.lines]


def counts_waiting(session: Session) -> list[CountSession]:
    """Counts whose differences wait for a supervisor, oldest first."""
    return list(session.scalars(select(CountSession).where(CountSession.state == "to_approve")
                                .order_by(CountSession.submitted_at, CountSession.id)))
