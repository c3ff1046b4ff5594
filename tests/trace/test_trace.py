"""Trace from every kind of code, on both backends: the chain back to the receipt and its
declaration, the stock now, forward to orders, lists, parcels, buyers and returns; buyers
masked unless the role may see them; owner-scoped; a fixed number of statements."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from wms.catalog.models import Lot, Product
from wms.core.context import Actor, acting_as
from wms.outbound.models import Parcel, SalesOrder
from wms.partners.models import Enterprise
from wms.trace.queries import trace

pytestmark = pytest.mark.usefixtures("demo")
LOT = "L2026-0901"          # demo receipt R8: tallied, released, put away, sold, returned
CLERK = Actor(user_id=None, login="clerk", roles=frozenset({"customs_clerk"}))


def test_trace_of_a_lot_goes_back_to_the_receipt_and_forward_to_the_buyers(db):
    t = trace(db, LOT)
    assert t.kind == "lot" and [lot.name for lot in t.lots] == [LOT]
    [receipt] = t.receipts
    assert receipt.asn == "DEMO-R8" and "Danone" in receipt.supplier
    assert receipt.tallied[0].good == Decimal(200)
    assert receipt.declaration.state == "decided"
    assert receipt.declaration.items[0][2] == "released"
    kinds = [m.kind for m in t.moves]
    assert kinds[:3] == ["gate_in", "customs", "putaway"]
    assert "ship" in kinds and "return" in kinds
    assert sum(s.quantity for s in t.stock) == Decimal(195)  # 200 - 7 shipped/picked + 2 back
    shipped = [o for o in t.orders if o.state == "shipped"]
    assert len(shipped) == 5 and all(o.parcels for o in shipped)
    assert all(o.inventory_list and o.inventory_list[2] == "released" for o in t.orders)
    assert any(o.returns for o in t.orders)
    # The demo acts as admin: not a role that may read buyers' numbers in full.
    assert not t.personal
    assert all("*" in o.buyer_id and "*" in o.buyer_phone for o in t.orders)


def test_every_kind_of_code_finds_the_same_chain(db):
    order = db.scalar(select(SalesOrder).where(SalesOrder.order_no == "SLX2026112700101"))
    parcel = db.scalar(select(Parcel).where(Parcel.order_id == order.id))
    product = db.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
    starts = {"receipt": "DEMO-R8", "order": order.order_no, "parcel": parcel.tracking_no,
              "buyer": order.buyer_id_number}
    for kind, code in starts.items():
        t = trace(db, code)
        assert t.kind == kind, code
        assert LOT in {lot.name for lot in t.lots}, code
    by_order = trace(db, order.name)
    assert [o.name for o in by_order.orders] == [order.name] and by_order.other_orders > 0
    assert by_order.receipts and by_order.receipts[0].asn == "DEMO-R8"
    gtin = trace(db, product.gtin)
    assert gtin.kind == "gtin" and len(gtin.lots) > 1
    lot_label = f"(01){product.gtin.zfill(14)}(10){LOT}"
    assert [lot.name for lot in trace(db, lot_label).lots] == [LOT]


def test_an_sscc_finds_the_lots_on_the_pallet(db):
    from wms.inventory.models import Package, Quant
    quant = db.scalar(select(Quant).where(Quant.package_id.is_not(None),
                                          Quant.lot_id.is_not(None), Quant.quantity > 0))
    sscc = db.get(Package, quant.package_id).sscc
    t = trace(db, sscc)
    assert t.kind == "sscc" and quant.lot_id in {lot.id for lot in t.lots}
    assert any(s.sscc == sscc for s in t.stock)


def test_roles_that_may_see_personal_data_see_it_and_nothing_is_found_for_nonsense(db):
    with acting_as(CLERK):
        t = trace(db, LOT)
    assert t.personal and any(o.buyer_id == "620102199003071520" for o in t.orders)
    nothing = trace(db, "NO-SUCH-CODE-42")
    assert not nothing.found and nothing.kind is None


def test_trace_is_owner_scoped(db):
    herbs = db.scalar(select(Enterprise.id).where(Enterprise.customs_code == "6201960034"))
    with acting_as(Actor(user_id=None, login="herbs", roles=frozenset({"owner_viewer"}),
                         owner_ids=frozenset({herbs}))):
        t = trace(db, LOT)
    assert not t.lots and not t.orders and not t.moves and not t.receipts


def test_trace_takes_the_same_number_of_statements_for_few_and_many_orders(db, statements):
    few = db.scalar(select(Lot.name).where(Lot.name == "MJ260401"))   # 4 orders
    with statements() as small:
        a = trace(db, few)
    with statements() as large:
        b = trace(db, LOT)                                             # 7 orders, returns
    assert len(a.orders) < len(b.orders)
    assert len(small) == len(large) <= 16
