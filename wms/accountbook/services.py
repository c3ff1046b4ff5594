"""Writing the account book: one call from each door whose moves change bonded stock.

``book_document`` reads what a posted document did to bonded stock (goods that became or
stopped being ``bonded`` in a stocked location of a warehouse with an account book) and
writes one row per warehouse and product: "in" when bonded stock grew, "out" when it fell.
Three statements whatever the document's length.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session, aliased

from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.inventory.models import STOCKED_USAGES, Location, StockDocument, StockMove, Warehouse

from .models import KINDS, AccountBookEntry


TO_LOC, FROM_LOC = aliased(Location, name="to_loc"), aliased(Location, name="from_loc")


def bonded_sides():
    """(into, out of) bonded stock for one move, as SQL over ``StockMove`` joined to its two
    locations (``to_loc``, ``from_loc``): what the account book must answer for."""
    to_loc, from_loc = TO_LOC, FROM_LOC
    into = case((StockMove.to_customs_status == "bonded", StockMove.quantity), else_=0)
    out_of = case((StockMove.customs_status == "bonded", StockMove.quantity), else_=0)
    return to_loc, from_loc, into, out_of


def bonded_changes(session: Session, where, *columns) -> dict[tuple, Decimal]:
    """Net change of bonded stock per (warehouse id, product id, *columns) for the done moves
    ``where`` selects: two grouped queries, one per side of the moves."""
    to_loc, from_loc, into, out_of = bonded_sides()
    net: dict[tuple, Decimal] = defaultdict(Decimal)
    for place, side, sign in ((to_loc, into, 1), (from_loc, out_of, -1)):
        joined = StockMove.to_location_id if place is to_loc else StockMove.from_location_id
        rows = session.execute(
            select(place.warehouse_id, StockMove.product_id, *columns, func.sum(side))
            .join(place, place.id == joined)
            .where(StockMove.state == "done", place.usage.in_(STOCKED_USAGES),
                   place.warehouse_id.is_not(None), *where)
            .group_by(place.warehouse_id, StockMove.product_id, *columns))
        for warehouse_id, product_id, *rest in rows:
            qty = Decimal(rest.pop() or 0)
            if qty:
                net[(warehouse_id, product_id, *rest)] += sign * qty
    return {key: qty for key, qty in net.items() if qty}


def book_document(session: Session, document: StockDocument, kind: str,
                  reference: str) -> list[dict]:
    """Write the book rows for a posted document; ``kind`` names the door (receipt,
    shipment, write_off, scrap, destruction, return, opening)."""
    if kind not in KINDS:
        raise ValueError(f"unknown account-book kind {kind}")
    session.flush()
    changes = bonded_changes(session, (StockMove.document_id == document.id,))
    if not changes:
        return []
    found = session.execute(
        select(Warehouse.id, Warehouse.ems_no, Product.id, Product.item_record_no,
               Product.legal_factor1, Product.legal_unit1)
        .select_from(Warehouse).join(Product, Product.id.in_({pid for _w, pid in changes}))
        .where(Warehouse.id.in_({wid for wid, _p in changes}),
               Warehouse.ems_no.is_not(None))).all()
    now = document.done_at or utcnow()
    rows = []
    for warehouse_id, ems_no, product_id, record_no, factor, legal_unit in found:
        qty = changes.get((warehouse_id, product_id))
        if not qty:
            continue
        direction = "in" if qty > 0 else "out"
        # A door whose moves went the other way than its kind says books what they did.
        kind_here = kind if KINDS[kind] == direction else \
            ("receipt" if direction == "in" else "write_off")
        qty = abs(qty)
        rows.append(dict(ems_no=ems_no, product_id=product_id, item_record_no=record_no,
                         direction=direction, kind=kind_here, qty=qty,
                         legal_qty=(qty * Decimal(factor or 1)).quantize(Decimal("0.001")),
                         legal_unit=legal_unit, reference=reference[:60],
                         document_id=document.id, booked_at=now))
    if rows:
        session.execute(insert(AccountBookEntry.__table__), rows)
    return rows
