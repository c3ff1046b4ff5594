"""The fulfilment doors' rules at service depth: which orders a wave takes, what a pick scan
must name, how the packing and shipping doors find the order, and owner scoping."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from wms.core.context import Actor, acting_as
from wms.core.errors import Conflict, NotFound, ValidationError
from wms.inventory.models import Location
from wms.outbound.fulfilment import PickScan, pack, pick, ship, start_wave
from wms.outbound.models import SalesOrder, ShortPick
from wms.outbound.overseas import arrive
from wms.outbound.queries import find_order_to_pack, has_arrived, resolve_order, wave_lines
from wms.partners.models import Enterprise

from .conftest import make_order
from .test_set_based import OPEN_LIMITS

pytestmark = pytest.mark.usefixtures("demo")


def released(db, order_no: str, qty: int = 2) -> SalesOrder:
    from wms.outbound.intake import receive_order
    order = receive_order(db, make_order(order_no, qty=qty, buyer_id_number="620105199212240019"),
                          settings=OPEN_LIMITS).order
    order.state = "released"  # customs' release has its own tests
    db.flush()
    return order


def test_a_wave_takes_released_orders_by_any_name_and_refuses_the_rest(db):
    order = released(db, "FUL-W-1")
    with pytest.raises(ValidationError) as err:
        start_wave(db, "NOPE", [order.id])
    assert err.value.field == "warehouse"
    with pytest.raises(NotFound) as err:
        start_wave(db, "LZB", [order.order_no, "NO-SUCH-ORDER"])
    assert err.value.field == "orders[1]"
    held = db.scalar(select(SalesOrder).where(SalesOrder.order_no == "SLX2026112700004"))
    with pytest.raises(Conflict):
        start_wave(db, "LZB", [held.order_no])
    started = start_wave(db, "lzb", [order.name.replace("/", "-")])
    assert started.joined == [order] and order.state == "picking"
    assert {ln["order"] for ln in wave_lines(db, started.wave)} == {order.name}


def test_a_wave_no_stock_can_cover_is_refused_and_leaves_nothing(db):
    order = released(db, "FUL-W-2", qty=2)
    order.lines[0].qty = 100000  # more than the warehouse holds
    db.flush()
    with pytest.raises(Conflict) as err:
        start_wave(db, "LZB", [order.id])
    assert "FUL-W-2" in err.value.message and order.hold_reason


def test_a_pick_must_name_the_reserved_location_product_and_lot(db):
    order = released(db, "FUL-P-1", qty=1)
    wave = start_wave(db, "LZB", [order.id]).wave
    line = wave_lines(db, wave)[0]
    other = db.scalar(select(Location.barcode).where(
        Location.barcode.is_not(None), Location.barcode != line["location_barcode"],
        Location.usage == "internal"))
    cases = [
        (dict(location="NOWHERE-1"), NotFound, "location"),
        (dict(location=other), ValidationError, "location"),
        (dict(product="NO-SUCH-CODE"), NotFound, "product"),
        (dict(product="MEIJI-STEP-800"), ValidationError, "product"),
        (dict(product=f"(01)0{line['gtin']}(10)OTHERLOT"), ValidationError, "product"),
        (dict(quantity="2"), ValidationError, "quantity"),
        (dict(quantity="x"), ValidationError, "quantity"),
        (dict(quantity="0"), ValidationError, "reason"),
    ]
    for changes, error, field in cases:
        scan = dict(move_id=line["move"], quantity=line["qty"],
                    location=line["location_barcode"], product=line["sku"]) | changes
        with pytest.raises(error) as err:
            pick(db, wave.id, PickScan(**scan))
        assert err.value.field == field, changes
    result, wave, left = pick(db, wave.id, PickScan(
        line["move"], "1", location=line["location_barcode"].lower(),
        product=f"(01)0{line['gtin']}(10){line['lot']}"))
    assert not result.short and left == 0 and wave.state == "done"
    assert order.state == "picked"
    with pytest.raises(NotFound) as err:  # picked already
        pick(db, wave.id, PickScan(line["move"], "1"))
    assert err.value.field == "move"
    assert not db.scalar(select(ShortPick).where(ShortPick.wave_id == wave.id))


def test_pack_and_ship_find_the_order_by_waybill_and_parcel(db):
    order = released(db, "FUL-S-1", qty=1)
    wave = start_wave(db, "LZB", [order.id]).wave
    line = wave_lines(db, wave)[0]
    pick(db, wave.id, PickScan(line["move"], line["qty"]))
    with pytest.raises(ValidationError) as err:
        pack(db, "", "RR123456785CN", "1.0")
    assert err.value.field == "order"
    with pytest.raises(ValidationError) as err:
        pack(db, order.waybill.logistics_no, "RR123456785CN", "")
    assert err.value.field == "weight_kg"
    packed, parcel = pack(db, order.waybill.logistics_no, "rr123456785cn", "1.0")
    assert packed is order and parcel.tracking_no == "RR123456785CN"
    assert ship(db, "RR123456785CN") is order and order.state == "shipped"
    with pytest.raises(Conflict):
        ship(db, order.order_no)
    with pytest.raises(Conflict):  # not a 9810 export
        arrive(db, order.order_no)
    assert not has_arrived(db, order)


def test_an_owner_finds_only_their_own_orders_whatever_the_name(db):
    herbs = db.scalar(select(SalesOrder).where(SalesOrder.order_no == "SLX2026112700010"))
    milk = db.scalar(select(Enterprise.id).where(Enterprise.customs_code == "6201W60012"))
    viewer = Actor(user_id=None, login="owner", roles=frozenset({"owner_viewer"}),
                   owner_ids=frozenset({milk}))
    with acting_as(viewer):
        for ref in (herbs.order_no, herbs.name, str(herbs.id), herbs.waybill.logistics_no):
            with pytest.raises(NotFound):
                find_order_to_pack(db, ref)
        with pytest.raises(NotFound):
            resolve_order(db, herbs.order_no)
        with pytest.raises(NotFound) as err:
            start_wave(db, "LZB", [herbs.order_no])
        assert err.value.field == "orders[0]"
    assert find_order_to_pack(db, herbs.waybill.logistics_no) is herbs

