"""A 9810 export reaches its overseas warehouse.

Shipping put the goods in transit (the typed link ``order_line_id`` on each move says whose
they are); arrival takes exactly those moves' goods out of transit into the overseas
warehouse's input area, each new move pointing at the move it continues (``origin_move_id``).
An order arrives once.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound
from wms.inventory.models import Location, StockMove, Warehouse
from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location

from .models import OrderLine, SalesOrder
from .queries import find_order_to_pack


def arrive_overseas(session: Session, order: SalesOrder) -> Warehouse:
    """Stock appears in the destination's input area, released for sale there."""
    if order.trade_mode != "9810" or order.state != "shipped":
        raise Conflict(N_("Only a shipped 9810 export arrives at an overseas warehouse"),
                       field="order")
    destination = session.get(Warehouse, order.destination_warehouse_id)
    target = session.scalar(select(Location).where(
        Location.full_path == f"{destination.code}/Input"))
    if target is None:
        raise NotFound(N_("Warehouse %(code)s has no input area"), field="warehouse",
                       code=destination.code)
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
    session.flush()
    return destination


def arrive(session: Session, order_code: str | None) -> tuple[SalesOrder, Warehouse]:
    """The door: the export scanned (name, number, waybill or parcel), locked, arrived."""
    order = find_order_to_pack(session, order_code, lock=True)
    return order, arrive_overseas(session, order)
