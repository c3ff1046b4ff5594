"""Demonstration data that looks like Lanzhou: a bonded warehouse in Lanzhou New Area, the
enterprises that store goods there, and one user per role.

Each capability adds its records here. Loading is idempotent: every record is looked up by
its natural key first, so running ``wms demo load`` again only adds what is missing.
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

from wms.accounts.models import User
from wms.accounts.services import create_user
from wms.catalog.models import Product
from wms.catalog.services import lot_for, register_product
from wms.inventory.models import Location, StockDocument, Warehouse
from wms.inventory.packages import create_package, nest_package
from wms.inventory.places import create_location, create_warehouse, location_by_path
from wms.inventory.services import MoveLine, post_moves, new_document, virtual_location
from wms.partners.models import Enterprise
from wms.partners.services import register_enterprise

DEMO_PASSWORD = "Lanzhou-2026"


def demo_uscc(body17: str) -> str:
    """A well-formed USCC for demo enterprises: the check character is computed."""
    return body17 + uscc.calc_check_digit(body17)


# customs code, USCC body (17 chars: 9 1 + Lanzhou 620100 + 9-char org code), name, English
# name, roles, credit class
ENTERPRISES = [
    ("6201W60001", "91620100MA71LXB01", "兰州新区综保区仓储物流有限公司",
     "Lanzhou New Area Bonded Logistics Co., Ltd.", ["logistics"], "advanced"),
    ("6201W60012", "91620100MA71LY002", "甘肃陇原跨境电子商务有限公司",
     "Gansu Longyuan Cross-border E-commerce Co., Ltd.", ["owner"], "advanced"),
    ("6201W60023", "91620100MA71LR003", "兰州丝路美妆贸易有限公司",
     "Lanzhou Silk Road Cosmetics Trading Co., Ltd.", ["owner"], "regular"),
    ("6201960034", "91620100MA71QH004", "甘肃岐黄本草药材出口有限公司",
     "Gansu Qihuang Herbal Export Co., Ltd.", ["owner"], "general"),
    ("6201W60045", "91620100MA71DP005", "丝路优选跨境电商平台有限公司",
     "Silk Road Select E-commerce Platform Co., Ltd.", ["platform"], "regular"),
    ("6201980056", "91620100MA71YX006", "中国邮政速递物流股份有限公司甘肃省分公司",
     "China Post EMS Gansu Branch", ["logistics", "carrier"], "advanced"),
    ("6201980067", "91620100MA71LG007", "兰州陆港国际报关有限公司",
     "Lanzhou Land Port Customs Brokerage Co., Ltd.", ["agent"], "general"),
    ("6201980078", "91620100MA71CT008", "中铁集装箱运输兰州分公司",
     "China Railway Container Transport Lanzhou", ["carrier"], "advanced"),
]

OWNER_MILK = "6201W60012"
OWNER_COSMETICS = "6201W60023"
OWNER_HERBS = "6201960034"

WAREHOUSES = [
    dict(code="LZB", name="兰州新区综合保税区跨境电商保税仓", kind="bonded",
         address="甘肃省兰州市兰州新区综合保税区北区 3 号库", latitude=36.5152,
         longitude=103.6205, customs_area_code="9602", ems_no="T9602W000018",
         gs1_company_prefix="6906123"),
    dict(code="ALA", name="阿拉木图海外仓 Almaty overseas warehouse", kind="overseas",
         address="Almaty, Kazakhstan, Ryskulov Ave 103", latitude=43.2389,
         longitude=76.8897, gs1_company_prefix="6906124"),
]
# warehouse, parent path, name, usage, barcode, capacity
LOCATIONS = [
    ("LZB", "LZB/Stock", "A", "view", "LZB-A", None),
    ("LZB", "LZB/Stock/A", "A-01-01", "internal", "LZB-A-01-01", 400),
    ("LZB", "LZB/Stock/A", "A-01-02", "internal", "LZB-A-01-02", 400),
    ("LZB", "LZB/Stock/A", "A-02-01", "internal", "LZB-A-02-01", 400),
    ("LZB", "LZB/Stock/A", "A-02-02", "internal", "LZB-A-02-02", 400),
    ("LZB", "LZB/Stock", "B", "view", "LZB-B", None),
    ("LZB", "LZB/Stock/B", "B-01-01", "internal", "LZB-B-01-01", 1200),
    ("LZB", "LZB/Stock/B", "B-01-02", "internal", "LZB-B-01-02", 1200),
    ("LZB", "LZB/Stock", "C", "view", "LZB-C", None),
    ("LZB", "LZB/Stock/C", "C-01-01", "internal", "LZB-C-01-01", 2000),
    ("ALA", "ALA/Stock", "R-01", "internal", "ALA-R-01", 800),
    ("ALA", "ALA/Stock", "R-02", "internal", "ALA-R-02", 800),
]
# owner, sku, gtin, name zh, name en, HS, gname, gmodel, unit, legal unit, factor, origin,
# price, net kg, gross kg, lot/expiry tracked, registration number, category
PRODUCTS = [
    (OWNER_MILK, "APT-PRE-800", "4008746009123", "爱他美婴儿配方奶粉 Pre段 800g",
     "Aptamil Pre infant formula 800 g", "1901101010", "婴儿配方奶粉",
     "0-6月龄|800g/罐|爱他美牌", "122", "035", "0.8", "304", "198.00", "0.8", "1.05", True,
     "LZB2026IR000101", "milk powder"),
    (OWNER_MILK, "MEIJI-STEP-800", "4902000001703", "明治婴儿配方奶粉 1段 800g",
     "Meiji Step infant formula 800 g", "1901101010", "婴儿配方奶粉",
     "0-12月龄|800g/罐|明治牌", "122", "035", "0.8", "116", "186.00", "0.8", "1.02", True,
     "LZB2026IR000102", "milk powder"),
    (OWNER_COSMETICS, "SWS-ESSENCE-150", "8806400012344", "雪花秀滋盈肌本润颜水 150ml",
     "Sulwhasoo Essential Balancing Water 150 ml", "3304990029", "护肤品",
     "化妆水|150ml/瓶|雪花秀牌", "142", "035", "0.15", "133", "320.00", "0.15", "0.42",
     True, "LZB2026IR000201", "cosmetics"),
    (OWNER_COSMETICS, "SHI-ULT-50", "4901872000012", "资生堂红妍肌活精华露 50ml",
     "Shiseido Ultimune Power Infusing Concentrate 50 ml", "3304990029", "护肤品",
     "精华|50ml/瓶|资生堂牌", "142", "035", "0.05", "116", "590.00", "0.05", "0.21", True,
     "LZB2026IR000202", "cosmetics"),
    (OWNER_HERBS, "MX-DANGGUI-1KG", "6906123000016", "岷县当归 一级 1kg",
     "Minxian Angelica sinensis root, grade 1, 1 kg", "1211903999", "当归",
     "干燥根|1kg/袋|岷归牌", "035", "035", "1", "142", "96.00", "1", "1.05", True, None,
     "herbs"),
    (OWNER_HERBS, "LX-HUANGQI-1KG", "6906123000023", "陇西黄芪 切片 1kg",
     "Longxi Astragalus root slices, 1 kg", "1211903999", "黄芪", "切片|1kg/袋|陇芪牌",
     "035", "035", "1", "142", "78.00", "1", "1.04", True, None, "herbs"),
]
# High-end cosmetics pay consumption tax (15 %); everything else only VAT (13 %).
CONSUMPTION_TAX = {"SHI-ULT-50": "0.15"}
# sku, lot, expiry, location, quantity, customs status, on a pallet
OPENING_STOCK = [
    ("APT-PRE-800", "L2026-0312", date(2027, 9, 11), "LZB/Stock/A/A-01-01", 240, "bonded", False),
    ("APT-PRE-800", "L2026-0518", date(2027, 11, 17), "LZB/Stock/B/B-01-01", 480, "bonded", True),
    ("MEIJI-STEP-800", "MJ260401", date(2027, 4, 1), "LZB/Stock/A/A-01-02", 180, "bonded", False),
    ("SWS-ESSENCE-150", "SW6A21", date(2029, 1, 20), "LZB/Stock/A/A-02-01", 300, "bonded", False),
    ("SHI-ULT-50", "SH3Q08", date(2028, 8, 30), "LZB/Stock/A/A-02-02", 150, "bonded", False),
    ("MX-DANGGUI-1KG", "MX2026-10", date(2028, 10, 31), "LZB/Stock/C/C-01-01", 600, "export", False),
    ("LX-HUANGQI-1KG", "LX2026-09", date(2028, 9, 30), "LZB/Stock/C/C-01-01", 400, "export", False),
    ("MX-DANGGUI-1KG", "MX2026-08", date(2028, 8, 31), "ALA/Stock/R-01", 120, "released", False),
]
OPENING_ORIGIN = "DEMO opening balance"

# Receipts at every stage: (supplier ref, stage, owner, supplier, transport, lines as
# (sku, advised qty, lot, expiry, tallied qty or None for as advised, damaged qty))
RAIL = dict(transport_mode="3", train_no="X8024", container_no="CSQU3054383",
            rail_note_no="SMGS 24-0091")
AIR = dict(transport_mode="5", air_waybill="112-12345675")
RECEIPTS = [
    ("DEMO-R1", "expected", OWNER_MILK, "Danone Nutricia GmbH, Fulda", RAIL,
     [("APT-PRE-800", 600, "L2026-1102", date(2027, 11, 2), None, 0)]),
    ("DEMO-R2", "arrived", OWNER_COSMETICS, "Amorepacific Corp., Seoul", AIR,
     [("SWS-ESSENCE-150", 120, "SW6B02", date(2029, 2, 1), None, 0)]),
    ("DEMO-R3", "tallying", OWNER_MILK, "Meiji Co., Ltd., Tokyo", AIR,
     [("MEIJI-STEP-800", 240, "MJ261020", date(2027, 10, 20), 180, 0)]),
    ("DEMO-R4", "tallied", OWNER_MILK, "Danone Nutricia GmbH, Fulda", RAIL,
     [("APT-PRE-800", 300, "L2026-1015", date(2027, 10, 15), 288, 4),
      ("MEIJI-STEP-800", 60, "MJ261001", date(2027, 10, 1), None, 0)]),
    ("DEMO-R5", "declared", OWNER_COSMETICS, "Shiseido Co., Ltd., Tokyo", AIR,
     [("SHI-ULT-50", 200, "SH4A11", date(2029, 4, 11), None, 0)]),
    ("DEMO-R6", "held", OWNER_COSMETICS, "Amorepacific Corp., Seoul", AIR,
     [("SWS-ESSENCE-150", 90, "SW6A30", date(2029, 1, 30), None, 0),
      ("SHI-ULT-50", 40, "SH3Z01", date(2028, 12, 1), None, 0)]),
    ("DEMO-R7", "released", OWNER_MILK, "Meiji Co., Ltd., Tokyo", AIR,
     [("MEIJI-STEP-800", 120, "MJ260915", date(2027, 9, 15), None, 0)]),
    ("DEMO-R8", "stored", OWNER_MILK, "Danone Nutricia GmbH, Fulda", RAIL,
     [("APT-PRE-800", 200, "L2026-0901", date(2027, 9, 1), None, 0)]),
]
# Orders at every stage: (order no, stage, trade mode, buyer name, buyer ID, sku, qty, price)
ORDER_STAGES = ("received", "declared", "released", "held", "rejected", "picking", "picked",
                "packed", "shipped")
ORDERS = [
    ("SLX2026112700001", "received", "1210", "王小兰", "620102199003071520", "APT-PRE-800", 2,
     "198.00"),
    ("SLX2026112700002", "declared", "1210", "李娜", "620103198506123427", "MEIJI-STEP-800", 3,
     "186.00"),
    ("SLX2026112700003", "released", "1210", "王小兰", "620102199003071520", "APT-PRE-800", 1,
     "198.00"),
    ("SLX2026112700004", "held", "1210", "李娜", "620103198506123427", "APT-PRE-800", 2,
     "198.00"),
    ("SLX2026112700005", "rejected", "1210", "王小兰", "620102199003071520", "MEIJI-STEP-800", 1,
     "186.00"),
    ("SLX2026112700006", "picking", "1210", "李娜", "620103198506123427", "MEIJI-STEP-800", 2,
     "186.00"),
    ("SLX2026112700007", "picked", "1210", "王小兰", "620102199003071520", "APT-PRE-800", 2,
     "198.00"),
    ("SLX2026112700008", "packed", "1210", "李娜", "620103198506123427", "APT-PRE-800", 1,
     "198.00"),
    ("SLX2026112700009", "shipped", "1210", "王小兰", "620102199003071520", "MEIJI-STEP-800", 2,
     "186.00"),
    ("SLX2026112700010", "released", "9610", "Anna Schmidt", "DE-P-88120031",
     "MX-DANGGUI-1KG", 4, "96.00"),
    ("SLX2026112700011", "shipped", "9810", "Almaty overseas warehouse", "KZ-BIN-120640021",
     "LX-HUANGQI-1KG", 40, "78.00"),
]
STAGES = ("expected", "arrived", "tallying", "tallied", "declared", "held", "released",
          "stored")

# login, display name, roles, owners
USERS = [
    ("admin", "系统管理员 Admin", ["admin"], []),
    ("supervisor", "仓库主管 王建国", ["supervisor"], []),
    ("operator", "理货员 李明", ["operator"], []),
    ("dispatcher", "调度员 张晓燕", ["dispatcher"], []),
    ("returns", "退货专员 马丽", ["returns_clerk"], []),
    ("customs", "关务专员 赵刚", ["customs_clerk"], []),
    ("owner", "陇原跨境 客户", ["owner_viewer"], [OWNER_MILK]),
]


Progress = Callable[[Iterable, str], object]


def _no_progress(items, _label):
    class _Bar:
        def __enter__(self):
            return items

        def __exit__(self, *exc):
            return False
    return _Bar()


def load_demo(session: Session, progress: Progress = _no_progress) -> int:
    """Load every demo record that is not there yet; returns how many were created."""
    created = 0
    with progress(ENTERPRISES, "enterprises") as rows:
        for code, body, name, name_en, roles, credit in rows:
            if session.scalar(select(Enterprise.id).where(Enterprise.customs_code == code)):
                continue
            register_enterprise(session, customs_code=code, uscc=demo_uscc(body), name=name,
                                name_en=name_en, roles=roles, credit_class=credit,
                                address="甘肃省兰州市兰州新区综合保税区")
            created += 1
    with progress(USERS, "users") as rows:
        for login, display, roles, owners in rows:
            if session.scalar(select(User.id).where(User.login == login)):
                continue
            create_user(session, login=login, password=DEMO_PASSWORD, roles=roles,
                        owner_codes=owners, display_name=display,
                        locale="en" if login == "admin" else "zh_CN")
            created += 1
    created += _load_inventory(session, progress)
    created += _load_receipts(session, progress)
    created += _load_orders(session, progress)
    from wms.logistics.corridor_demo import load_corridor_demo
    from wms.logistics.demo import load_logistics_demo
    from wms.returns.demo import load_returns_demo
    created += load_logistics_demo(session)
    created += load_corridor_demo(session)
    created += load_returns_demo(session)
    from wms.accountbook.demo import load_accountbook_demo
    from wms.trace.demo import load_trace_demo
    created += load_accountbook_demo(session) + load_trace_demo(session)
    from wms.risk.demo import load_risk_demo  # last: its rules run over all of the above
    created += load_risk_demo(session)
    return created


def _load_inventory(session: Session, progress: Progress) -> int:
    created = 0
    warehouses = {}
    for spec in WAREHOUSES:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == spec["code"]))
        if warehouse is None:
            warehouse = create_warehouse(session, **spec)
            created += 1
        warehouses[spec["code"]] = warehouse
    for code, parent_path, name, usage, barcode, capacity in LOCATIONS:
        if session.scalar(select(Location.id).where(Location.barcode == barcode)):
            continue
        create_location(session, warehouses[code], location_by_path(session, parent_path),
                        name, usage, barcode=barcode,
                        capacity=Decimal(capacity) if capacity else None)
        created += 1
    owners = {e.customs_code: e for e in session.scalars(select(Enterprise))}
    with progress(PRODUCTS, "products") as rows:
        for (owner, sku, gtin, zh, en, hs, gname, gmodel, unit, legal, factor, origin, price,
             net, gross, tracked, record_no, category) in rows:
            if session.scalar(select(Product.id).where(Product.owner_id == owners[owner].id,
                                                       Product.sku == sku)):
                continue
            register_product(session, owner_code=owner, sku=sku, gtin=gtin, name_zh=zh,
                             name_en=en, hs_code=hs, gname=gname, gmodel=gmodel,
                             customs_unit=unit, legal_unit1=legal, legal_factor1=factor,
                             origin_country=origin, declared_price=price, net_weight_kg=net,
                             gross_weight_kg=gross, track_lot=tracked, track_expiry=tracked,
                             item_record_no=record_no, category=category,
                             consumption_tax_rate=CONSUMPTION_TAX.get(sku, "0"))
            created += 1
    if session.scalar(select(StockDocument.id).where(StockDocument.origin == OPENING_ORIGIN)):
        return created
    supplier = virtual_location(session, "supplier")
    document = new_document(session, "opening", "LZB/OPEN", warehouse_id=warehouses["LZB"].id,
                            origin=OPENING_ORIGIN)
    lines = []
    for sku, lot_name, expiry, path, qty, status, on_pallet in OPENING_STOCK:
        product = session.scalar(select(Product).where(Product.sku == sku))
        location = location_by_path(session, path)
        lot = lot_for(session, product, lot_name, expiry)
        package = None
        if on_pallet:
            package = create_package(session, location.warehouse, kind="pallet",
                                     location=location, owner_id=product.owner_id)
            created += 1
        lines.append(MoveLine(product.id, Decimal(qty), supplier.id, location.id,
                              product.owner_id, status, lot.id, None,
                              package.id if package else None,
                              reason="opening balance (demo)"))
    post_moves(session, lines, document)
    document.transition("done")
    # Two cartons of cosmetics samples nested on a pallet in the input area.
    input_area = location_by_path(session, "LZB/Input")
    pallet = create_package(session, warehouses["LZB"], kind="pallet", location=input_area)
    for _ in range(2):
        carton = create_package(session, warehouses["LZB"], kind="carton", location=input_area)
        nest_package(session, carton, pallet)
    return created + len(lines) + 3


def _load_receipts(session: Session, progress: Progress) -> int:
    """Receipts at every stage, one with differences (R4) and one under inspection (R6)."""
    from wms.inbound.models import PutawayRule, Receipt
    from wms.inbound.receipts import LineInput, create_receipt
    created = 0
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    if not session.scalar(select(PutawayRule.id).where(PutawayRule.warehouse_id ==
                                                       warehouse.id)):
        for category, path in (("milk powder", "LZB/Stock/A"), ("cosmetics", "LZB/Stock/A"),
                               ("herbs", "LZB/Stock/C")):
            session.add(PutawayRule(warehouse_id=warehouse.id, category=category,
                                    location_id=location_by_path(session, path).id))
        session.add(PutawayRule(warehouse_id=warehouse.id, sequence=99,
                                location_id=location_by_path(session, "LZB/Stock/B").id))
        # New lots of Aptamil go to their own shelf, apart from the opening stock.
        aptamil = session.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
        session.add(PutawayRule(warehouse_id=warehouse.id, product_id=aptamil.id,
                                location_id=location_by_path(session,
                                                             "LZB/Stock/A/A-02-02").id))
        created += 5
    with progress(RECEIPTS, "receipts") as rows:
        for ref, stage, owner, supplier, transport, lines in rows:
            if session.scalar(select(Receipt.id).where(Receipt.supplier_ref == ref)):
                continue
            receipt = create_receipt(
                session, owner_code=owner, warehouse_code="LZB", supplier=supplier,
                supplier_ref=ref, lines=[LineInput(sku, qty, lot, expiry)
                                         for sku, qty, lot, expiry, *_ in lines],
                **{k: v for k, v in transport.items() if k != "container_no"},
                container_no=transport.get("container_no"))
            created += 1
            _advance(session, receipt, STAGES.index(stage), lines)
    return created


def _advance(session, receipt, stage: int, lines) -> None:
    from wms.inbound import declaration as inbound_declaration
    from wms.inbound import decisions, putaway, receipts, tally
    if stage < 1:
        return
    receipts.gate_in(session, receipt, vehicle_no="甘A·D2741",
                     seal_no="CN" + receipt.name[-5:], container_no=receipt.container_no)
    if stage < 2:
        return
    for sku, qty, lot, expiry, tallied, damaged in lines:
        product = session.scalar(select(Product).where(Product.sku == sku))
        good = (qty if tallied is None else tallied) - damaged
        tally.record_tally(session, receipt, product=product, quantity=good, lot_name=lot)
        if damaged:
            tally.record_tally(session, receipt, product=product, quantity=damaged,
                               lot_name=lot, damaged=True, damage_reason="外箱破损 crushed carton")
    if stage < 3:
        return
    tally.close_tally(session, receipt)
    if stage < 4:
        return
    declaration = inbound_declaration.build_declaration(session, receipt)
    inbound_declaration.file_declaration(session, declaration)
    if stage < 5:
        return
    gnums = [ln.gnum for ln in declaration.lines]
    if stage == 5:  # held: the first item released, the rest held for inspection
        decisions.decide(session, declaration, {g: "released" if g == gnums[0] else "held"
                                                for g in gnums}, note="random inspection")
        return
    decisions.decide(session, declaration, {g: "released" for g in gnums}, note="800 released")
    if stage < 7:
        return
    for line in receipt.lines:
        product = line.product
        target = putaway.suggest_location(session, receipt.warehouse, product,
                                          line.expected_qty)
        lot = lot_for(session, product, line.lot_name) if line.lot_name else None
        putaway.putaway(session, receipt, product=product, quantity=line.expected_qty,
                        to_location=target, lot_id=lot.id if lot else None)


def demo_customs_folders() -> tuple[Path, Path]:
    """Where the demo's file gateway puts messages for customs and finds their receipts."""
    base = Path(os.environ.get("WMS_INSTANCE_PATH", "instance")) / "customs"
    return base / "outbox", base / "inbox"


def demo_order(order_no: str, trade_mode: str, buyer: str, buyer_id: str, sku: str, qty: int,
               price: str) -> dict:
    """A platform order as the demo platform would send it, amounts reconciled."""
    from wms.customs.rules import line_tax
    owner = OWNER_HERBS if trade_mode != "1210" else OWNER_MILK
    total = Decimal(price) * qty
    tax = line_tax(total, Decimal("0.13"), Decimal(0)) if trade_mode == "1210" else Decimal(0)
    freight = Decimal("12.00")
    paid = total + freight + tax
    abroad = trade_mode != "1210"
    consignee = buyer
    address = ("Königstraße 20, 47051 Duisburg, Germany" if trade_mode == "9610" else
               "Ryskulov Ave 103, Almaty, Kazakhstan" if abroad else
               "甘肃省兰州市城关区庆阳路 88 号")
    phone = "+49 203 55501" if trade_mode == "9610" else "+7 727 3900" if abroad \
        else "13909310" + order_no[-3:]
    return {
        "platform": "6201W60045", "owner": owner, "warehouse": "LZB", "order_no": order_no,
        "trade_mode": trade_mode, "ordered_at": "2026-11-27T09:30:00+08:00",
        "buyer_name": buyer, "buyer_id_type": "1", "buyer_id_number": buyer_id,
        "buyer_phone": phone, "consignee": consignee, "consignee_phone": phone,
        "consignee_address": address, "goods_value": str(total), "freight": str(freight),
        "discount": "0", "tax_total": str(tax), "actual_paid": str(paid),
        "country": "304" if trade_mode == "9610" else "145" if abroad else "142",
        "destination_warehouse": "ALA" if trade_mode == "9810" else None,
        "lines": [{"product": sku, "qty": qty, "price": price, "total_price": str(total)}],
        "payment": {"pay_code": "6201960101", "pay_name": "兰州银行网上支付",
                    "pay_transaction_id": "PAY" + order_no, "amount_paid": str(paid)},
        "waybill": {"logistics_code": "6201980056", "logistics_no": "EMS" + order_no[-8:],
                    "consignee": consignee, "consignee_phone": phone,
                    "consignee_address": address, "weight_kg": str(qty * Decimal("1.1"))},
    }


def _load_orders(session: Session, progress: Progress) -> int:
    """Orders at every stage with their messages and customs receipts in the outbox."""
    from wms.customs.models import CustomsMessage
    from wms.customs.outbox import FileGateway, send_pending
    from wms.customs.simulator import receipt_for
    from wms.logistics.identifiers import make_s10
    from wms.outbound import fulfilment, intake, overseas, queries as outbound_queries
    from wms.customs.inbox import apply_receipt_file
    from wms.outbound.declare import declare_order
    from wms.outbound.models import SalesOrder
    created = 0
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    gateway = FileGateway(*demo_customs_folders())
    with progress(ORDERS, "orders") as rows:
        for order_no, stage, mode, buyer, buyer_id, sku, qty, price in rows:
            if session.scalar(select(SalesOrder.id).where(SalesOrder.order_no == order_no)):
                continue
            order = intake.receive_order(session, demo_order(order_no, mode, buyer, buyer_id,
                                                               sku, qty, price)).order
            created += 1
            step = ORDER_STAGES.index(stage)
            if step < 1:
                continue
            listing = declare_order(session, order)
            send_pending(session, gateway)
            for message in session.scalars(select(CustomsMessage).where(
                    CustomsMessage.business_key == order.order_no,
                    CustomsMessage.id != listing.message_id)):
                apply_receipt_file(session, receipt_for(message, "120", "入库成功"))
            if step < 2:
                continue
            answer = {"held": ("500", "查验 inspection"), "rejected": (
                "100", "订购人身份信息不符 buyer identity does not match")}.get(
                stage, ("800", "放行 released"))
            apply_receipt_file(session, receipt_for(session.get(CustomsMessage, listing.message_id),
                                                    *answer))
            if step < 5:
                continue
            wave = fulfilment.create_wave(session, warehouse, [order])
            if step < 6:
                continue
            for move in outbound_queries.wave_moves(session, wave):
                if move.state == "reserved":
                    fulfilment.confirm_pick(session, wave, move.id, move.quantity)
            if step < 7:
                continue
            fulfilment.pack_order(session, order, tracking_no=make_s10(
                "EB", int(order_no[-8:]), "CN"), weight_kg=str(qty * Decimal("1.1")))
            if step < 8:
                continue
            fulfilment.ship_order(session, order)
            if mode == "9810":
                overseas.arrive_overseas(session, order)
    return created
