"""``wms check-ledger``: recompute every quant from the done moves and check the invariants.

1. Each quant equals the sum of done moves into its key minus those out of it.
2. No quantity below zero in a stocked (internal or customs) location.
3. Each product sums to zero over all locations, virtual ones included (double entry).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import STOCKED_USAGES, Location, Quant, StockMove
from .services import quant_key


def check_ledger(session: Session) -> list[str]:
    """Every problem found, as a sentence; an empty list means the ledger is clean."""
    problems: list[str] = []
    expected: dict[str, Decimal] = defaultdict(Decimal)
    inbound = (select(StockMove.product_id, StockMove.to_location_id, StockMove.lot_id,
                      StockMove.to_package_id, StockMove.owner_id,
                      StockMove.to_customs_status, func.sum(StockMove.quantity))
               .where(StockMove.state == "done")
               .group_by(StockMove.product_id, StockMove.to_location_id, StockMove.lot_id,
                         StockMove.to_package_id, StockMove.owner_id,
                         StockMove.to_customs_status))
    outbound = (select(StockMove.product_id, StockMove.from_location_id, StockMove.lot_id,
                       StockMove.package_id, StockMove.owner_id, StockMove.customs_status,
                       func.sum(StockMove.quantity))
                .where(StockMove.state == "done")
                .group_by(StockMove.product_id, StockMove.from_location_id, StockMove.lot_id,
                          StockMove.package_id, StockMove.owner_id, StockMove.customs_status))
    for *dims, qty in session.execute(inbound):
        expected[quant_key(*dims)] += Decimal(qty)
    for *dims, qty in session.execute(outbound):
        expected[quant_key(*dims)] -= Decimal(qty)
    actual = {key: Decimal(qty) for key, qty in session.execute(
        select(Quant.quant_key, Quant.quantity))}
    for key in sorted(set(expected) | set(actual)):
        want, have = expected.get(key, Decimal(0)), actual.get(key, Decimal(0))
        if want != have:
            problems.append(f"quant {key}: books say {have}, moves say {want}")
    stocked = select(Quant.quant_key, Quant.quantity, Location.full_path).join(
        Location, Location.id == Quant.location_id).where(
        Location.usage.in_(STOCKED_USAGES), Quant.quantity < 0)
    for key, qty, path in session.execute(stocked):
        problems.append(f"negative stock {qty} at {path} (quant {key})")
    for product_id, total in session.execute(
            select(Quant.product_id, func.sum(Quant.quantity)).group_by(Quant.product_id)):
        if Decimal(total) != 0:
            problems.append(f"product {product_id} sums to {total} over all locations, not 0")
    return problems
