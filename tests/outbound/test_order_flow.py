"""Order -> three documents -> list -> 800 release -> wave -> pick -> pack -> ship."""
from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from wms.catalog.models import Product
from wms.core.errors import Conflict, NotFound, ValidationError
from wms.customs.models import CustomsMessage
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant, Warehouse
from wms.customs.inbox import apply_receipt_file
from wms.outbound.declare import declare_order
from wms.outbound.models import AccountBookEntry, SalesOrder
from wms.outbound.fulfilment import confirm_pick, create_wave, pack_order, ship_order
from wms.outbound.intake import LimitExceeded, receive_order, receive_orders
from wms.outbound.queries import buyer_year_total, wave_moves

from .conftest import BUYER_ID, make_order

NEW_BUYER = "620105199212240019"

CEB = "http://www.chinaport.gov.cn/ceb"


def receipt_622(guid: str, status: str, info: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><CEB622Message version="1.0" '
            f'xmlns="{CEB}" guid="{guid}"><InventoryReturn><guid>{guid}</guid>'
            f'<customsCode>9602</customsCode><ebpCode>6201W60045</ebpCode>'
            f'<ebcCode>6201W60012</ebcCode><agentCode>6201980067</agentCode>'
            f'<copNo>X</copNo><preNo>B20261127000000001</preNo>'
            f'<invtNo>96022026I000000001</invtNo><returnStatus>{status}</returnStatus>'
            f'<returnTime>20261127103000000</returnTime><returnInfo>{info}</returnInfo>'
            f'</InventoryReturn></CEB622Message>').encode()


def count_orders(db):
    return db.scalar(select(func.count()).select_from(SalesOrder))


def test_full_outbound_flow(demo):
    db = demo
    spent = buyer_year_total(db, BUYER_ID, 2026)
    released_before = db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.customs_status == "released", Quant.product_id == db.scalar(
            select(Product.id).where(Product.sku == "APT-PRE-800"))))
    result = receive_order(db, make_order(qty=2))
    order = result.order
    assert result.created and order.state == "received"
    assert order.tax_total == Decimal("36.04")
    assert result.remaining_quota == Decimal("26000") - spent - order.actual_paid
    again = receive_order(db, make_order(qty=2))
    assert not again.created and again.order.id == order.id
    listing = declare_order(db, order)
    assert order.state == "declared" and listing.state == "sent"
    types = sorted(m.message_type for m in db.scalars(select(CustomsMessage).where(
        CustomsMessage.business_key == order.order_no)))
    assert types == ["CEB311", "CEB411", "CEB511", "CEB621"]
    message = db.get(CustomsMessage, listing.message_id)
    root = etree.fromstring(message.xml.encode())
    assert root.tag == f"{{{CEB}}}CEB621Message"
    assert root.findtext(f".//{{{CEB}}}emsNo") == "T9602W000018"
    apply_receipt_file(db, receipt_622(message.guid, "120", "入库"))
    assert order.state == "declared" and message.state == "accepted"
    apply_receipt_file(db, receipt_622(message.guid, "800", "放行"))
    assert order.state == "released" and listing.state == "released"
    warehouse = db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    wave = create_wave(db, warehouse, [order])
    assert order.state == "picking"
    moves = wave_moves(db, wave)
    assert sum(m.quantity for m in moves) == 2
    with pytest.raises(ValidationError):
        confirm_pick(db, wave, moves[0].id, 3)
    for move in moves:
        confirm_pick(db, wave, move.id, move.quantity)
    assert order.state == "picked"
    with pytest.raises(ValidationError):
        pack_order(db, order, tracking_no="RR123456784CN", weight_kg="2.1")
    pack_order(db, order, tracking_no="RR123456785CN", weight_kg="2.1")
    ship_order(db, order)
    assert order.state == "shipped"
    entry = db.scalar(select(AccountBookEntry).where(AccountBookEntry.reference == order.name))
    assert entry.qty == 2 and entry.direction == "out" and entry.ems_no == "T9602W000018"
    customer = db.scalar(select(func.sum(Quant.quantity)).where(
        Quant.customs_status == "released", Quant.product_id == order.lines[0].product_id))
    assert customer == released_before + 2
    assert check_ledger(db) == []


def test_inspection_and_rejection(demo):
    db = demo
    held = receive_order(db, make_order("SLX-HOLD-0001")).order
    rejected = receive_order(db, make_order("SLX-REJ-0001")).order
    for order, status in ((held, "500"), (rejected, "100")):
        listing = declare_order(db, order)
        guid = db.get(CustomsMessage, listing.message_id).guid
        apply_receipt_file(db, receipt_622(guid, status, "单证不符 papers differ"))
    assert held.state == "held" and held.hold_reason == "单证不符 papers differ"
    assert rejected.state == "rejected"
    spent = buyer_year_total(db, BUYER_ID, 2026)
    held.transition("rejected")
    db.flush()
    assert buyer_year_total(db, BUYER_ID, 2026) == spent - held.actual_paid


@pytest.mark.parametrize("changes, field", [
    (dict(buyer_id_number="620102199003071521"), "buyer_id_number"),
    (dict(actual_paid="400.00"), "actual_paid"),
    (dict(goods_value="1.00"), "goods_value"),
    (dict(tax_total="0.00"), "tax_total"),
    (dict(payment={"pay_code": "6201960101", "pay_name": "x", "pay_transaction_id": "P1",
                   "amount_paid": "1.00"}), "payment.amount_paid"),
])
def test_bad_orders_name_the_field_and_write_nothing(demo, changes, field):
    db = demo
    before = count_orders(db)
    with pytest.raises(ValidationError) as err:
        receive_order(db, make_order(**changes))
    assert err.value.field == field
    assert count_orders(db) == before


def test_waybill_must_match_the_order(demo):
    data = make_order()
    data["waybill"]["consignee_phone"] = "13900000000"
    with pytest.raises(ValidationError) as err:
        receive_order(demo, data)
    assert err.value.field == "waybill.consignee_phone"


def test_limits_per_transaction_and_per_year(demo):
    db = demo
    with pytest.raises(LimitExceeded) as err:
        receive_order(db, make_order(qty=1, price="5000.00"))
    assert err.value.field == "actual_paid"
    other = {"buyer_id_number": NEW_BUYER}
    for i in range(5):
        receive_order(db, make_order(f"SLX-Q-{i}", qty=2, price="2200.00", **other))
    with pytest.raises(LimitExceeded) as err:
        receive_order(db, make_order("SLX-Q-9", qty=2, price="2200.00", **other))
    assert "left this year" in err.value.message
    assert buyer_year_total(db, NEW_BUYER, 2026) == 5 * (Decimal("4400") + Decimal("400.40")
                                                         + Decimal("10"))


def test_duplicate_order_number_with_other_content_and_unbonded_stock(demo):
    db = demo
    receive_order(db, make_order("SLX-DUP-1"))
    with pytest.raises(Conflict):
        receive_order(db, make_order("SLX-DUP-1", qty=1))
    with pytest.raises(ValidationError):  # SWS products are the cosmetics owner's
        data = make_order("SLX-X")
        data["lines"][0]["product"] = "SWS-ESSENCE-150"
        receive_order(db, data)
    big = make_order("SLX-BIG", qty=2000, price="1.00")
    with pytest.raises(Conflict) as err:  # more than the owner's bonded stock
        receive_order(db, big)
    assert err.value.code == "insufficient_stock"


def test_batch_is_all_or_nothing_and_unknown_receipt_guid(demo):
    db = demo
    before = count_orders(db)
    with pytest.raises(ValidationError) as err:
        receive_orders(db, [make_order("B-1"), make_order("B-2", actual_paid="1.00")])
    assert err.value.field == "orders[1].actual_paid"
    db.rollback()
    assert count_orders(db) == before
    with pytest.raises(NotFound):
        apply_receipt_file(db, receipt_622("00000000-0000-0000-0000-000000000000", "800"))


def test_comprehensive_tax_with_consumption_tax():
    from wms.customs.rules import comprehensive_rate, line_tax
    assert comprehensive_rate(Decimal("0.13"), Decimal("0")) == Decimal("0.091")
    # (0.15 + 0.13) / (1 - 0.15) x 0.7 = 0.230588...
    assert line_tax(Decimal("590.00"), Decimal("0.13"), Decimal("0.15")) == Decimal("136.05")


def test_short_pick_goes_back_to_the_queue_and_the_next_wave_takes_the_rest(demo):
    db = demo
    order = receive_order(db, make_order("SLX-SHORT-1", qty=3)).order
    listing = declare_order(db, order)
    apply_receipt_file(db, receipt_622(db.get(CustomsMessage, listing.message_id).guid, "800"))
    warehouse = db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    wave = create_wave(db, warehouse, [order])
    moves = wave_moves(db, wave)
    with pytest.raises(ValidationError):
        confirm_pick(db, wave, moves[0].id, 1)  # short without a reason
    confirm_pick(db, wave, moves[0].id, 1, "only one can on the shelf")
    for move in moves[1:]:
        confirm_pick(db, wave, move.id, move.quantity)
    assert wave.state == "done"
    if order.lines[0].picked_qty < 3:
        assert order.state == "released" and "short pick" in order.hold_reason
        second = create_wave(db, warehouse, [order])
        assert sum(m.quantity for m in wave_moves(db, second)) == 3 - order.lines[0].picked_qty
        for move in wave_moves(db, second):
            confirm_pick(db, wave=second, move_id=move.id, picked=move.quantity)
    assert order.state == "picked" and order.lines[0].picked_qty == 3
    assert check_ledger(db) == []
