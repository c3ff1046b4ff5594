"""Return requests -> bulk receiving -> CEB625/626 -> grading -> dispositions, and the bad
input a returns clerk meets; the ledger stays clean on both databases."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from wms.core.context import Actor, acting_as
from wms.core.errors import Conflict, Forbidden, ValidationError
from wms.customs.inbox import apply_receipt_file
from wms.customs.models import CustomsMessage
from wms.customs.simulator import receipt_for
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Location, Quant, Warehouse
from wms.outbound.models import SalesOrder
from wms.returns import (declaration, dispositions, inspection, places, queries, receiving,
                         requests, rules)
from wms.returns.demo import RETURNS, load_returns_demo
from wms.returns.models import ReturnParcel, ReturnRequest

CEB = "{http://www.chinaport.gov.cn/ceb}"


def lzb(db):
    return db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))


def stock(db, product_id, status, path_prefix="LZB/Stock/"):
    return db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).join(
        Location, Location.id == Quant.location_id).where(
        Quant.product_id == product_id, Quant.customs_status == status,
        Location.full_path.startswith(path_prefix))) or Decimal(0)


def approve(db, request, status="800"):
    declared = queries.declaration_of(db, request)
    message = db.get(CustomsMessage, declared.message_id)
    apply_receipt_file(db, receipt_for(message, status, "退货 " + status))
    return declared


def test_full_flow_three_returns_unidentified_exchange_scrap(demo, shipped):
    db = demo
    from wms.returns.models import ConsolidationBatch
    for cage in db.scalars(select(ConsolidationBatch).where(ConsolidationBatch.state == "open")):
        receiving.arrive_batch(db, cage)  # the demo's open cage goes in first: this test's is its own
    # Meiji is not used: the demo recalls its only released lot (MJ260401)
    a, b, c = shipped(qty=2), shipped("APT-PRE-800", 2, "198.00"), shipped(qty=1)
    ra = requests.create_request(db, {"order": a.order_no, "reason": "不想要了", "lines": [
        {"gnum": 1, "qty": 2}]}).request
    rb = requests.create_request(db, {"order": b.order_no, "reason": "发错货",
                                "buyer_choice": "exchange"}).request
    rc = requests.create_request(db, {"order": c.order_no, "reason": "罐体凹陷",
                                "platform_return_no": "RT-TEST-C"}).request
    assert [r.state for r in (ra, rb, rc)] == ["requested"] * 3
    assert ra.arrive_by - ra.apply_by == timedelta(days=15)
    wh = lzb(db)
    unknown = receiving.scan_parcel(db, "rr000000005cn", warehouse=wh, notes="no label")
    assert unknown.created and unknown.parcel.state == "unidentified"
    pb = receiving.scan_parcel(db, b.waybill.logistics_no, warehouse=wh)
    assert pb.parcel.request_id == rb.id and pb.parcel.matched_by == "waybill"
    pc = receiving.scan_parcel(db, "RT-TEST-C", warehouse=wh)
    assert pc.parcel.request_id == rc.id
    again = receiving.scan_parcel(db, " rt-test-c ", warehouse=wh)
    assert again.duplicate and again.parcel.id == pc.parcel.id
    other_label = receiving.scan_parcel(db, rc.name, warehouse=wh)
    assert other_label.duplicate and other_label.parcel.id == pc.parcel.id
    dock, _ = places.return_locations(db, wh)
    dock_a_before = db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.location_id == dock.id, Quant.product_id == ra.lines[0].product_id))
    held_before = db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.location_id == dock.id, Quant.customs_status == "held"))
    batch = pb.parcel.batch
    in_batch = set(db.scalars(select(ReturnParcel.id).where(ReturnParcel.batch_id == batch.id)))
    assert {unknown.parcel.id, pb.parcel.id, pc.parcel.id} <= in_batch  # one cage, one batch
    receiving.arrive_batch(db, batch)
    assert batch.state == "arrived" and batch.document_id
    assert (rb.state, rc.state, ra.state) == ("received", "received", "requested")
    held = db.scalar(select(func.sum(Quant.quantity)).where(
        Quant.location_id == dock.id, Quant.customs_status == "held"))
    assert held == held_before + 3
    receiving.match_parcel(db, unknown.parcel, ra.name)
    assert unknown.parcel.state == "arrived" and ra.state == "received"
    assert a.lines[0].returned_qty == 2
    refunded_before = a.refunded
    for r in (ra, rb, rc):
        declared = declaration.declare_return(db, r)
        message = db.get(CustomsMessage, declared.message_id)
        root = etree.fromstring(message.xml.encode())
        assert root.tag == f"{CEB}CEB625Message"
        assert root.findtext(f".//{CEB}orderNo") == r.order.order_no
        assert root.findtext(f".//{CEB}invtNo")
        with pytest.raises(Conflict):
            declaration.declare_return(db, r)
        approve(db, r)
        assert declared.state == "approved"
    assert a.refunded == refunded_before + ra.refund_amount > 0
    # grading
    inspection.grade_line(db, ra, 1, "new")
    inspection.grade_line(db, rb, 1, "open_box", "外盒拆封")
    inspection.grade_line(db, rc, 1, "scrap", "漏粉")
    assert {r.state for r in (ra, rb, rc)} == {"inspected"}
    product_a = ra.lines[0].product_id
    bonded_before = stock(db, product_a, "bonded")
    dispositions.dispose_line(db, ra, 1, "restock")
    assert stock(db, product_a, "bonded") == bonded_before + 2 and ra.state == "closed"
    line_b = dispositions.dispose_line(db, rb, 1, "exchange")
    replacement = line_b.exchange_order
    assert line_b.disposition_state == "done" and replacement.state == "received"
    assert replacement.buyer_id_number == b.buyer_id_number and replacement.lines[0].qty == 2
    with pytest.raises(ValidationError):
        dispositions.dispose_line(db, rc, 1, "scrap")  # no reason
    dispositions.dispose_line(db, rc, 1, "scrap", reason="漏粉不可再售")
    assert rc.lines[0].disposition_state == "to_approve"
    with acting_as(Actor(user_id=None, login="clerk", roles=frozenset({"returns_clerk"}))):
        with pytest.raises(Forbidden):
            dispositions.approve_scrap(db, rc, 1)
    dispositions.approve_scrap(db, rc, 1)
    assert rc.state == "closed" and rc.lines[0].disposition_reason == "漏粉不可再售"
    scrap = db.scalar(select(Location).where(Location.usage == "scrap",
                                             Location.warehouse_id.is_(None)))
    assert db.scalar(select(func.sum(Quant.quantity)).where(
        Quant.location_id == scrap.id, Quant.product_id == rc.lines[0].product_id)) >= 1
    assert db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.location_id == dock.id, Quant.product_id.in_([product_a]))) == dock_a_before
    assert check_ledger(db) == []


def test_more_than_sold_partial_returns_and_list_not_released(demo, shipped):
    db = demo
    order = shipped(qty=2)
    with pytest.raises(requests.TooManyReturned) as exc:
        requests.create_request(db, {"order": order.order_no, "reason": "x",
                               "lines": [{"gnum": 1, "qty": 3}]})
    assert exc.value.field == "lines[0].qty"
    first = requests.create_request(db, {"order": order.order_no, "reason": "x",
                                   "lines": [{"gnum": 1, "qty": 1}]}).request
    with pytest.raises(requests.TooManyReturned):  # the other open request claims one
        requests.create_request(db, {"order": order.order_no, "reason": "x",
                               "lines": [{"gnum": 1, "qty": 2}]})
    second = requests.create_request(db, {"order": order.order_no, "reason": "y",
                                    "lines": [{"product": "APT-PRE-800", "qty": 1}]}).request
    for r in (first, second):
        receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    receiving.arrive_batch(db, receiving.open_batch(db, lzb(db)))
    for r in (first, second):
        declaration.declare_return(db, r)  # partial returns, one CEB625 each
    with pytest.raises(requests.TooManyReturned):
        requests.create_request(db, {"order": order.order_no, "reason": "z"})
    declared = db.scalar(select(SalesOrder).where(SalesOrder.order_no == "SLX2026112700002"))
    with pytest.raises(requests.ListNotReleased) as exc:
        requests.create_request(db, {"order": declared.order_no, "reason": "x"})
    assert exc.value.code == "list_not_released"
    assert check_ledger(db) == []


def test_late_return_goes_non_bonded_and_cannot_be_declared(demo, shipped):
    db = demo
    order = shipped(qty=1)
    listing = queries.listing_of(db, order)
    listing.released_at -= timedelta(days=40)
    r = requests.create_request(db, {"order": order.order_no, "reason": "late"}).request
    assert r.late
    receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    receiving.arrive_batch(db, db.scalar(select(ReturnParcel).where(
        ReturnParcel.request_id == r.id)).batch)
    dock, free = places.return_locations(db, lzb(db))
    assert "released" in set(db.scalars(select(Quant.customs_status).where(
        Quant.location_id == dock.id, Quant.product_id == r.lines[0].product_id)))
    with pytest.raises(rules.PastDeadline) as exc:
        declaration.declare_return(db, r)
    assert "deadline" in exc.value.message
    inspection.grade_line(db, r, 1, "new")
    with pytest.raises(rules.PastDeadline):
        dispositions.dispose_line(db, r, 1, "restock")
    dispositions.dispose_line(db, r, 1, "non_bonded")
    assert r.state == "closed"
    assert db.scalar(select(func.sum(Quant.quantity)).where(Quant.location_id == free.id)) >= 1
    assert check_ledger(db) == []


def test_exchange_for_a_product_out_of_stock_stays_pending(demo, shipped):
    from wms.catalog.services import register_product
    from wms.demo import OWNER_MILK
    db = demo
    register_product(db, owner_code=OWNER_MILK, sku="NO-STOCK-1", gtin=None,
                     name_zh="无库存奶粉", name_en="out of stock", hs_code="1901101010",
                     gname="婴儿配方奶粉", gmodel="800g", customs_unit="122",
                     legal_unit1="035", legal_factor1="0.8", origin_country="304",
                     declared_price="198.00", net_weight_kg="0.8", gross_weight_kg="1",
                     track_lot=True, track_expiry=True, item_record_no="LZB2026IR009999",
                     category="milk powder")
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "swap",
                               "buyer_choice": "exchange"}).request
    receiving.scan_parcel(db, order.waybill.logistics_no, warehouse=lzb(db))
    receiving.arrive_batch(db, db.scalar(select(ReturnParcel).where(
        ReturnParcel.request_id == r.id)).batch)
    declaration.declare_return(db, r)
    approve(db, r)
    inspection.grade_line(db, r, 1, "new")
    line = dispositions.dispose_line(db, r, 1, "exchange", product_code="NO-STOCK-1")
    assert line.disposition_state == "pending" and "NO-STOCK-1" in line.disposition_reason
    from wms.returns.messages import read_message
    template, params = read_message(line.disposition_reason)  # kept as template + params
    assert "%(" in template and "NO-STOCK-1" in params.values()
    assert line.exchange_order_id is None and r.state == "inspected"
    line = dispositions.dispose_line(db, r, 1, "exchange")  # the same product is in stock
    assert line.disposition_state == "done" and line.exchange_order is not None
    assert check_ledger(db) == []


def test_documents_that_disagree_are_named(demo, shipped):
    db = demo
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    order.waybill.logistics_no = "EMS-CHANGED"
    with pytest.raises(declaration.DocumentsDisagree) as exc:
        declaration.declare_return(db, r)
    assert exc.value.problems[0]["document"] == "waybill"
    assert "EMS-CHANGED" in exc.value.message
    assert queries.declaration_of(db, r) is None


def test_customs_rejection_routes_to_non_bonded(demo, shipped):
    db = demo
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    receiving.arrive_batch(db, db.scalar(select(ReturnParcel).where(
        ReturnParcel.request_id == r.id)).batch)
    declaration.declare_return(db, r)
    approve(db, r, "100")
    assert queries.declaration_of(db, r).state == "rejected"
    inspection.grade_line(db, r, 1, "new")
    with pytest.raises(rules.RestockRefused):
        dispositions.dispose_line(db, r, 1, "restock")
    dispositions.dispose_line(db, r, 1, "non_bonded")
    assert check_ledger(db) == []


def test_demo_returns_at_every_stage(demo):
    db = demo
    load_returns_demo(db)
    assert load_returns_demo(db) == 0
    by_no = {r.platform_return_no: r for r in db.scalars(select(ReturnRequest).where(
        ReturnRequest.platform_return_no.in_([x[0] for x in RETURNS])))}
    assert len(by_no) == len(RETURNS)
    states = {r.state for r in by_no.values()}
    assert {"requested", "received", "inspected", "closed"} <= states
    assert by_no["SLX-RT-0007"].late
    assert db.scalar(select(func.count()).select_from(ReturnParcel).where(
        ReturnParcel.state == "unidentified")) >= 1
    assert db.scalar(select(func.count()).select_from(CustomsMessage).where(
        CustomsMessage.message_type == "CEB625")) >= 4
    assert by_no["SLX-RT-0005"].lines[0].disposition_state == "to_approve"
    assert check_ledger(db) == []


def test_bulk_receiving_refuses_all_for_one_bad_parcel_and_dedups_within_the_call(demo,
                                                                                   shipped):
    db = demo
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    before = db.scalar(select(func.count()).select_from(ReturnParcel))
    with pytest.raises(ValidationError) as exc:
        receiving.receive_parcels(db, [receiving.ParcelScan(r.name), receiving.ParcelScan("")],
                                  warehouse=lzb(db))
    assert exc.value.field == "parcels[1].code"
    assert db.scalar(select(func.count()).select_from(ReturnParcel)) == before
    results = receiving.receive_parcels(db, [
        receiving.ParcelScan(r.name), receiving.ParcelScan(order.waybill.logistics_no),
        receiving.ParcelScan(r.name.lower()), receiving.ParcelScan(None, "无面单 no label")],
        warehouse=lzb(db))
    assert [x.created for x in results] == [True, False, False, True]
    assert results[1].parcel is results[0].parcel and results[2].duplicate
    assert results[0].parcel.matched_by == "return_number"
    assert results[3].parcel.state == "unidentified" and results[3].parcel.code is None


def test_reasons_are_stored_as_codes_and_templates(demo, shipped):
    from wms.returns.messages import in_english, read_message
    db = demo
    order = shipped(qty=1)
    queries.listing_of(db, order).released_at -= timedelta(days=40)
    r = requests.create_request(db, {"order": order.order_no, "reason": "late"}).request
    assert r.late_reason == "applied_late"
    assert read_message(r.late_reason) == ("applied after the return deadline", {})
    receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    receiving.arrive_batch(db, receiving.open_batch(db, lzb(db)))
    inspection.grade_line(db, r, 1, "new")
    line = dispositions.dispose_line(db, r, 1, "non_bonded")
    template, params = read_message(line.disposition_reason)
    assert template == "past its deadline: non-bonded handling only" and params == {}
    assert in_english(line.disposition_reason) == template
    assert rules.bonded_allowed(db, r) == (False, "late")


def test_cancelled_return_frees_its_claim_and_received_one_cannot_be_cancelled(demo, shipped):
    from wms.core.errors import IllegalTransition
    db = demo
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "x"}).request
    with pytest.raises(requests.TooManyReturned):
        requests.create_request(db, {"order": order.order_no, "reason": "again"})
    in_cage = receiving.scan_parcel(db, order.waybill.logistics_no, warehouse=lzb(db)).parcel
    assert in_cage.request_id == r.id
    requests.cancel_request(db, r, "  买家撤回 buyer withdrew ")
    assert r.state == "cancelled"
    assert in_cage.state == "unidentified" and in_cage.request_id is None  # batch may arrive
    again = requests.create_request(db, {"order": order.order_no, "reason": "again"}).request
    late_scan = receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    assert late_scan.created and late_scan.parcel.state == "unidentified"  # takes no parcel
    receiving.scan_parcel(db, again.name, warehouse=lzb(db))
    receiving.arrive_batch(db, receiving.open_batch(db, lzb(db)))
    with pytest.raises(IllegalTransition):
        requests.cancel_request(db, again, None)
    assert again.state == "received" and check_ledger(db) == []
