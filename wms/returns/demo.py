"""Demo returns at every stage, with their CEB625 messages and CEB626 answers in the outbox.

Shipped orders for them go through the normal outbound flow first (order, three documents,
list released, wave, pick, pack, ship). Idempotent: every record is looked up by its natural
key (order number, platform return number) before it is made.
"""
from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.customs.inbox import apply_receipt_file
from wms.customs.models import CustomsMessage
from wms.customs.outbox import FileGateway, send_pending
from wms.customs.rules import line_tax
from wms.customs.simulator import receipt_for
from wms.inventory.models import Warehouse
from wms.outbound.models import SalesOrder

from .declaration import declare_return
from .dispositions import dispose_line
from .inspection import grade_line
from .models import ReturnParcel, ReturnRequest
from .places import return_locations
from .queries import declaration_of, listing_of
from .receiving import arrive_batch, open_batch, scan_parcel
from .requests import create_request

# The demo's platform and the owner whose milk powder is sold (see wms.demo).
PLATFORM, OWNER = "6201W60045", "6201W60012"

BUYER_A = ("王小兰", "620102199003071520")
BUYER_B = ("李娜", "620103198506123427")

# order no, buyer, sku, qty, price, days since the list's release
RETURN_ORDERS = [
    ("SLX2026112700101", BUYER_A, "APT-PRE-800", 2, "198.00", 3),
    ("SLX2026112700102", BUYER_B, "MEIJI-STEP-800", 2, "186.00", 5),
    ("SLX2026112700103", BUYER_A, "APT-PRE-800", 3, "198.00", 8),
    ("SLX2026112700104", BUYER_B, "APT-PRE-800", 1, "198.00", 10),
    ("SLX2026112700105", BUYER_A, "MEIJI-STEP-800", 2, "186.00", 12),
    ("SLX2026112700106", BUYER_B, "APT-PRE-800", 2, "198.00", 14),
    ("SLX2026112700107", BUYER_A, "MEIJI-STEP-800", 1, "186.00", 50),
    ("SLX2026112700108", BUYER_B, "APT-PRE-800", 1, "198.00", 6),
]
# platform return no, order no, qty, reason, choice, stage
RETURNS = [
    ("SLX-RT-0001", "SLX2026112700101", 1, "不想要了", "refund", "requested"),
    ("SLX-RT-0002", "SLX2026112700102", 2, "发错货", "exchange", "received"),
    ("SLX-RT-0003", "SLX2026112700103", 1, "外包装破损", "refund", "declared"),
    ("SLX-RT-0004", "SLX2026112700104", 1, "不想要了", "refund", "approved"),
    ("SLX-RT-0005", "SLX2026112700105", 2, "罐体凹陷 dented can", "refund", "scrap"),
    ("SLX-RT-0006", "SLX2026112700106", 2, "不想要了", "refund", "closed"),
    ("SLX-RT-0007", "SLX2026112700107", 1, "过期退货", "refund", "late"),
    ("SLX-RT-0008", "SLX2026112700108", 1, "段数买错", "exchange", "in_batch"),
]
UNIDENTIFIED = ("RR987654326CN", "无面单，内有奶粉一罐")


def customs_gateway() -> FileGateway:
    """The demo's file gateway to customs, in the instance folder."""
    base = Path(os.environ.get("WMS_INSTANCE_PATH", "instance")) / "customs"
    return FileGateway(base / "outbox", base / "inbox")


def order_data(order_no: str, buyer: tuple[str, str], sku: str, qty: int, price: str) -> dict:
    """A 1210 order of the demo platform, amounts reconciled, to a buyer in Lanzhou."""
    total = Decimal(price) * qty
    tax = line_tax(total, Decimal("0.13"), Decimal(0))
    freight = Decimal("12.00")
    paid = total + freight + tax
    address, phone = "甘肃省兰州市城关区庆阳路 88 号", "13909310" + order_no[-3:]
    return {
        "platform": PLATFORM, "owner": OWNER, "warehouse": "LZB", "order_no": order_no,
        "trade_mode": "1210", "ordered_at": "2026-11-27T09:30:00+08:00",
        "buyer_name": buyer[0], "buyer_id_type": "1", "buyer_id_number": buyer[1],
        "buyer_phone": phone, "consignee": buyer[0], "consignee_phone": phone,
        "consignee_address": address, "goods_value": str(total), "freight": str(freight),
        "discount": "0", "tax_total": str(tax), "actual_paid": str(paid), "country": "142",
        "lines": [{"product": sku, "qty": qty, "price": price, "total_price": str(total)}],
        "payment": {"pay_code": "6201960101", "pay_name": "兰州银行网上支付",
                    "pay_transaction_id": "PAY" + order_no, "amount_paid": str(paid)},
        "waybill": {"logistics_code": "6201980056", "logistics_no": "EMS" + order_no[-8:],
                    "consignee": buyer[0], "consignee_phone": phone,
                    "consignee_address": address, "weight_kg": str(qty * Decimal("1.1"))},
    }


def ship_order(session: Session, order_no: str, buyer: tuple[str, str], sku: str, qty: int,
               price: str) -> SalesOrder:
    """A 1210 order taken all the way to shipped through the outbound services."""
    from wms.logistics.identifiers import make_s10
    from wms.outbound import fulfilment, intake, queries as outbound_queries
    from wms.outbound.declare import declare_order
    order = intake.receive_order(session, order_data(order_no, buyer, sku, qty, price)).order
    listing = declare_order(session, order)
    send_pending(session, customs_gateway())
    for message in session.scalars(select(CustomsMessage).where(
            CustomsMessage.business_key == order.order_no)):
        status = "800" if message.id == listing.message_id else "120"
        apply_receipt_file(session, receipt_for(message, status, "放行" if status == "800" else
                                            "入库成功"))
    warehouse = order.warehouse
    wave = fulfilment.create_wave(session, warehouse, [order])
    for move in outbound_queries.wave_moves(session, wave):
        if move.state == "reserved":
            fulfilment.confirm_pick(session, wave, move.id, move.quantity)
    fulfilment.pack_order(session, order, tracking_no=make_s10("EB", int(order_no[-8:]), "CN"),
                        weight_kg=str(qty * Decimal("1.1")))
    fulfilment.ship_order(session, order)
    return order


def answer(session: Session, request: ReturnRequest, status: str, info: str) -> None:
    """Customs' CEB626 for the request's CEB625, as the simulator writes it."""
    declaration = declaration_of(session, request)
    message = session.get(CustomsMessage, declaration.message_id)
    apply_receipt_file(session, receipt_for(message, status, info))


def load_returns_demo(session: Session) -> int:
    """Returns at every stage; returns how many records were created."""
    created = 0
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    if warehouse is None:
        return 0
    return_locations(session, warehouse)
    for order_no, buyer, sku, qty, price, days in RETURN_ORDERS:
        if session.scalar(select(SalesOrder.id).where(SalesOrder.order_no == order_no)):
            continue
        order = ship_order(session, order_no, buyer, sku, qty, price)
        listing = listing_of(session, order)
        listing.released_at = utcnow() - timedelta(days=days)  # released some days ago
        created += 1
    session.flush()
    made: list[tuple[ReturnRequest, str]] = []
    for platform_no, order_no, qty, reason, choice, stage in RETURNS:
        if session.scalar(select(ReturnRequest.id).where(
                ReturnRequest.platform_return_no == platform_no)):
            continue
        result = create_request(session, {
            "platform_return_no": platform_no, "order": order_no, "reason": reason,
            "buyer_choice": choice, "return_waybill_no": f"YT{platform_no[-4:]}88{order_no[-3:]}",
            "lines": [{"gnum": 1, "qty": qty}]})
        made.append((result.request, stage))
        created += 1
    if not made:
        return created
    # One consolidation batch that has arrived, with an unidentified parcel in it...
    arrived = [r for r, stage in made if stage not in ("requested", "in_batch")]
    for age, request in enumerate(arrived):
        parcel = scan_parcel(session, request.return_waybill_no,
                                     warehouse=warehouse).parcel
        parcel.scanned_at = utcnow() - timedelta(days=age % 6, hours=age)  # a week's intake
    if not session.scalar(select(ReturnParcel.id).where(ReturnParcel.code == UNIDENTIFIED[0])):
        scan_parcel(session, UNIDENTIFIED[0], warehouse=warehouse,
                            notes=UNIDENTIFIED[1])
        created += 1
    batch = open_batch(session, warehouse)
    arrive_batch(session, batch)
    # ...and one still open at the centre.
    for request, stage in made:
        if stage == "in_batch":
            scan_parcel(session, request.name, warehouse=warehouse)
    gateway = customs_gateway()
    for request, stage in made:
        if stage in ("requested", "received", "in_batch", "late"):
            if stage == "late":
                grade_line(session, request, 1, "open_box", "外盒压痕 creased box")
                dispose_line(session, request, 1, "non_bonded",
                                     reason="逾期：超过 45 天退货期限")
            continue
        declare_return(session, request)
        send_pending(session, gateway)
        if stage == "declared":
            continue
        answer(session, request, "800", "退货放行")
        if stage == "approved":
            continue
        if stage == "scrap":
            grade_line(session, request, 1, "scrap", "罐体凹陷漏粉 dented, leaking")
            dispose_line(session, request, 1, "scrap", reason="漏粉不可再售 leaking")
        elif stage == "closed":
            grade_line(session, request, 1, "new")
            dispose_line(session, request, 1, "restock")
    session.flush()
    return created
