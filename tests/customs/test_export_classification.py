"""Simplified export classification: the order flow decides statisticsFlag and the HS code
length from the product and the order; the list still passes the rules and the XSD."""
from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from tests.customs.test_ceb import XSD_DIR
from wms.catalog.models import Product
from wms.catalog.services import update_product
from wms.customs import ceb
from wms.customs.ceb_rules import export_classification
from wms.customs.models import CustomsMessage
from wms.demo import demo_order
from wms.outbound import intake
from wms.outbound.declare import declare_order

NS = {"ceb": "http://www.chinaport.gov.cn/ceb"}


@pytest.mark.parametrize("mode,lines,flag,codes", [
    ("9610", [("1211903999", True, "192.00"), ("3304990029", True, "5000.00")],
     "A", ["1211", "3304"]),
    ("9610", [("1211903999", True, "192.00"), ("3304990029", False, "10.00")],
     "B", ["1211903999", "3304990029"]),
    ("9610", [("1211903999", True, "5000.01")], "B", ["1211903999"]),
    ("9710", [("1211903999", True, "192.00"), ("3304990029", False, "10.00")],
     "B", ["121190", "3304990029"]),
    ("9810", [("1211903999", True, "6000.00")], "B", ["1211903999"]),
])
def test_the_flag_and_code_length_follow_the_goods_and_their_value(mode, lines, flag, codes):
    assert export_classification(mode, [(c, e, Decimal(t)) for c, e, t in lines]) == (
        flag, codes)


def _declared_list(db, order_no: str, mode: str, sku: str, qty: int, price: str):
    order = intake.receive_order(db, demo_order(order_no, mode, "Anna Schmidt",
                                                "DE-P-88120031", sku, qty, price)).order
    declare_order(db, order)
    xml = db.scalar(select(CustomsMessage.xml).where(CustomsMessage.message_type == "CEB603",
                                                     CustomsMessage.business_key == order_no))
    return etree.fromstring(xml.encode("utf-8"))


def test_a_b2c_export_of_goods_without_licence_goes_simplified(demo):
    db = demo
    herb = db.scalar(select(Product).where(Product.sku == "MX-DANGGUI-1KG"))
    update_product(db, herb.id, {"simplified_export": True})
    root = _declared_list(db, "SLX-SIMPLE-0001", "9610", "MX-DANGGUI-1KG", 2, "96.00")
    assert root.findtext(".//ceb:statisticsFlag", namespaces=NS) == "A"
    assert root.findtext(".//ceb:InventoryList/ceb:gcode", namespaces=NS).startswith("1211")
    assert root.findtext(".//ceb:InventoryList/ceb:gcode", namespaces=NS) == "1211000000"
    if XSD_DIR.is_dir():
        ceb.validate_against_xsd(etree.tostring(root), XSD_DIR)   # raises when invalid


def test_without_the_product_flag_the_list_keeps_ten_digits_and_flag_b(demo):
    root = _declared_list(demo, "SLX-FULL-0001", "9610", "LX-HUANGQI-1KG", 1, "78.00")
    assert root.findtext(".//ceb:statisticsFlag", namespaces=NS) == "B"
    assert root.findtext(".//ceb:InventoryList/ceb:gcode", namespaces=NS) == "1211903999"
