"""CEB messages (rev. 202205): built from realistic Lanzhou values, checked against the
official XSD (when its folder is there), business rules, escaping, receipts.

The XSD folder: ``WMS_CEB_XSD_DIR`` or ../shared/reference/ceb-202205/xsd; the tests that
need it are skipped without it. Element order is derived from the XSD itself.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest
from lxml import etree
from stdnum.cn import ric

from wms.core.errors import ValidationError
from wms.customs import ceb
from wms.customs.ceb_base import fmt_decimal, fmt_time
from wms.customs.ceb_model import BASE_TRANSFER_SPEC

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ceb-202205"
XSD_DIR = Path(os.environ.get("WMS_CEB_XSD_DIR") or REFERENCE / "xsd")
if (XSD_DIR / "xsd").is_dir():  # the reference folder itself was named: its schemas are in xsd/
    XSD_DIR = XSD_DIR / "xsd"
SAMPLES = XSD_DIR.parent / "samples"
needs_xsd = pytest.mark.skipif(not XSD_DIR.is_dir(), reason="CEB XSD folder not available")
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="CEB samples not available")

NS = "http://www.chinaport.gov.cn/ceb"
XS = "{http://www.w3.org/2001/XMLSchema}"
DS = "http://www.w3.org/2000/09/xmldsig#"
UTC = timezone.utc
# 2024-05-06 02:30 UTC = 10:30 in Beijing
T = datetime(2024, 5, 6, 2, 30, tzinfo=UTC)


def resident_id(body17: str) -> str:
    """A resident ID with its check digit (stdnum wants a placeholder check digit)."""
    return body17 + ric.calc_check_digit(body17 + "0")


BUYER_ID = resident_id("62010219900307123")   # Chengguan district, Lanzhou, born 1990-03-07
EBP = ("6201W60045", "兰州新区跨境电商平台有限公司")
EBC = ("6201W60012", "甘肃陇上优品电子商务有限公司")
LOGISTICS = ("6201980088", "兰州中川国际物流有限公司")
WAREHOUSE = ("6201W60099", "兰州新区综保区跨境仓储有限公司")
PAY = ("6201W60077", "兰州新区跨境支付有限公司")
TRANSFER = ceb.BaseTransfer(cop_code=EBC[0], cop_name=EBC[1], dxp_id="DXPENT0000458721")


def order(**kw) -> ceb.Order:
    items = [
        ceb.OrderItem(item_no="SKU-JP-0001", item_name="保湿面霜", gmodel="50ml/瓶 资生堂",
                      bar_code="4901872012345", unit="142", qty=D("2"), price=D("99.00"),
                      total_price=D("198.00"), country="116"),
        ceb.OrderItem(item_no="SKU-DE-0002", item_name="复合维生素片", gmodel="60片/盒",
                      unit="140", qty=1, price=D("19.90"), total_price=D("19.9"),
                      country="304"),
    ]
    values = dict(
        app_time=T, order_no="LZ202405060001", ebp_code=EBP[0], ebp_name=EBP[1],
        ebc_code=EBC[0], ebc_name=EBC[1], goods_value=D("217.90"), freight=D("0"),
        discount=D("10"), tax_total=D("19.83"), actural_paid=D("227.73"),
        buyer_reg_no="lz_buyer_8812", buyer_name="张晓兰", buyer_telephone="13919000001",
        buyer_id_number=BUYER_ID, pay_code=PAY[0], pay_name=PAY[1],
        pay_transaction_id="PAY2024050610300001", consignee="张晓兰",
        consignee_telephone="13919000001", consignee_address="甘肃省兰州市城关区东岗西路1号",
        consignee_district="620102", items=items)
    values.update(kw)
    return ceb.Order(**values)


def payment(**kw) -> ceb.Payment:
    values = dict(app_time=T, pay_code=PAY[0], pay_name=PAY[1],
                  pay_transaction_id="PAY2024050610300001", order_no="LZ202405060001",
                  ebp_code=EBP[0], ebp_name=EBP[1], payer_id_number=BUYER_ID,
                  payer_name="张晓兰", telephone="13919000001", amount_paid=D("227.73"),
                  pay_time=T - timedelta(minutes=5))
    values.update(kw)
    return ceb.Payment(**values)


def logistics(**kw) -> ceb.Logistics:
    values = dict(app_time=T, logistics_code=LOGISTICS[0], logistics_name=LOGISTICS[1],
                  logistics_no="ZC6201000000001", order_no="LZ202405060001", freight=0,
                  insured_fee=0, weight=D("0.450"), goods_info="保湿面霜2瓶;维生素1盒",
                  consignee="张晓兰", consignee_address="甘肃省兰州市城关区东岗西路1号",
                  consignee_telephone="13919000001")
    values.update(kw)
    return ceb.Logistics(**values)


def inventory_item(**kw) -> ceb.InventoryItem:
    values = dict(item_record_no="LZ-R-000123", item_no="SKU-JP-0001", item_name="保湿面霜",
                  gcode="3304990099", gname="保湿面霜", gmodel="50ml/瓶 资生堂",
                  bar_code="4901872012345", country="116", qty=2, unit="142",
                  qty1=D("0.100"), unit1="035", price=D("99"), total_price=D("198"))
    values.update(kw)
    return ceb.InventoryItem(**values)


def inventory(**kw) -> ceb.Inventory:
    values = dict(
        app_time=T, order_no="LZ202405060001", ebp_code=EBP[0], ebp_name=EBP[1],
        ebc_code=EBC[0], ebc_name=EBC[1], logistics_no="ZC6201000000001",
        logistics_code=LOGISTICS[0], logistics_name=LOGISTICS[1], cop_no="LZINV20240506001",
        assure_code=EBC[0], ems_no="T9602W000018", decl_time=T, customs_code="9602",
        port_code="9602", buyer_id_number=BUYER_ID, buyer_name="张晓兰",
        buyer_telephone="13919000001", consignee_address="甘肃省兰州市城关区东岗西路1号",
        agent_code=EBC[0], agent_name=EBC[1], area_code=WAREHOUSE[0],
        area_name=WAREHOUSE[1], trade_mode="1210", traf_mode="4", country="142",
        freight=0, insured_fee=0, wrap_type="2", gross_weight=D("0.45"),
        net_weight=D("0.30"),
        items=[inventory_item(),
               inventory_item(item_record_no="LZ-R-000124", item_no="SKU-DE-0002",
                              item_name="复合维生素片", gcode="2106909090", gname="复合维生素片",
                              gmodel="60片/盒", bar_code=None, country="304", qty=1,
                              unit="140", qty1=D("0.08"), price=D("19.9"),
                              total_price=D("19.9"))])
    values.update(kw)
    return ceb.Inventory(**values)


def refund(**kw) -> ceb.InvtRefund:
    values = dict(app_time=T, customs_code="9602", order_no="LZ202405060001",
                  ebp_code=EBP[0], ebp_name=EBP[1], ebc_code=EBC[0], ebc_name=EBC[1],
                  logistics_no="ZC6201000000009", logistics_code=LOGISTICS[0],
                  logistics_name=LOGISTICS[1], cop_no="LZRET20240510001",
                  invt_no="96022024I000000456", buyer_id_number=BUYER_ID, buyer_name="张晓兰",
                  buyer_telephone="13919000001", agent_code=EBC[0], agent_name=EBC[1],
                  reason="商品破损，消费者申请退货",
                  items=[ceb.InvtRefundItem(gnum=1, gcode="3304990099", gname="保湿面霜",
                                            qty=1, unit="142")])
    values.update(kw)
    return ceb.InvtRefund(**values)


def export_order(**kw) -> ceb.ExportOrder:
    values = dict(app_time=T, order_no="EX202405060001", ebp_code=EBP[0], ebp_name=EBP[1],
                  ebc_code=EBC[0], ebc_name=EBC[1], goods_value=D("237"), freight=D("35.5"),
                  items=[ceb.ExportOrderItem(item_no="LZ-T-01", item_name="棉质T恤",
                                             unit="011", qty=3, price=D("59"),
                                             total_price=D("177")),
                         ceb.ExportOrderItem(item_no="LZ-TEA-02", item_name="甘肃黄河蜜茶",
                                             unit="140", qty=2, price=D("30.00"),
                                             total_price=D("60"))])
    values.update(kw)
    return ceb.ExportOrder(**values)


def export_logistics(**kw) -> ceb.ExportLogistics:
    values = dict(app_time=T, logistics_code=LOGISTICS[0], logistics_name=LOGISTICS[1],
                  logistics_no="ZCEX62010000001", freight=D("35.5"), insured_fee=0,
                  gross_weight=D("1.6"), goods_info="T恤3件;茶叶2盒", ebc_code=EBC[0],
                  ebc_name=EBC[1], ebc_telephone="0931-8888888")
    values.update(kw)
    return ceb.ExportLogistics(**values)


def export_item(**kw) -> ceb.ExportInventoryItem:
    values = dict(item_no="LZ-T-01", item_name="棉质T恤", gcode="6109", gname="棉制针织T恤",
                  gmodel="100%棉 M码", country="304", qty=3, qty1=D("0.6"), unit="011",
                  unit1="035", price=D("59"), total_price=D("177"), simplified_eligible=True)
    values.update(kw)
    return ceb.ExportInventoryItem(**values)


def export_inventory(**kw) -> ceb.ExportInventory:
    values = dict(
        app_time=T, customs_code="9602", ebp_code=EBP[0], ebp_name=EBP[1],
        order_no="EX202405060001", logistics_code=LOGISTICS[0], logistics_name=LOGISTICS[1],
        logistics_no="ZCEX62010000001", cop_no="LZEXINV20240506001", port_code="9602",
        ie_date=date(2024, 5, 6), statistics_flag="A", agent_code=EBC[0], agent_name=EBC[1],
        ebc_code=EBC[0], ebc_name=EBC[1], owner_code=EBC[0], owner_name=EBC[1],
        trade_mode="9610", traf_mode="3", traf_name="中欧班列(兰州-汉堡)", country="304",
        pod="304", freight=D("35.5"), insured_fee=0, wrap_type="2", gross_weight=D("1.6"),
        net_weight=D("1.2"),
        items=[export_item(),
               export_item(item_no="LZ-TEA-02", item_name="甘肃黄河蜜茶", gcode="0902",
                           gname="绿茶", gmodel="250g/盒", qty=2, qty1=D("0.5"), unit="140",
                           price=D("30"), total_price=D("60"))])
    values.update(kw)
    return ceb.ExportInventory(**values)


def summary_apply(**kw) -> ceb.SummaryApply:
    values = dict(app_time=T, customs_code="9602", cop_no="LZSUM20240531001",
                  agent_code=EBC[0], agent_name=EBC[1], ebc_code=EBC[0], ebc_name=EBC[1],
                  decl_agent_code="6201980123", decl_agent_name="兰州新区报关行有限公司",
                  invt_nos=["96022024E000000123", "96022024E000000124"])
    values.update(kw)
    return ceb.SummaryApply(**values)


FACTORIES = {"CEB311": order, "CEB411": payment, "CEB511": logistics, "CEB621": inventory,
             "CEB625": refund, "CEB303": export_order, "CEB505": export_logistics,
             "CEB603": export_inventory, "CEB701": summary_apply}


def fields_of(problems) -> list[str]:
    return [p.field for p in problems]


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


# --- the XSD, read by the tests themselves ----------------------------------------------------

def xsd_root(side: str) -> etree._Element:
    return etree.parse(str(XSD_DIR / f"{side}-202205.xsd")).getroot()


def xsd_sequence(schema: etree._Element, name: str) -> list[etree._Element]:
    """The xs:element children of the global element's sequence."""
    [element] = [e for e in schema.findall(f"{XS}element") if e.get("name") == name]
    sequence = element.find(f"{XS}complexType/{XS}sequence")
    return [e for e in sequence if e.tag == f"{XS}element"]


def xsd_name(element: etree._Element) -> str:
    return element.get("name") or element.get("ref").split(":")[-1]


def facet(element: etree._Element, name: str) -> int | None:
    found = element.find(f".//{XS}{name}")
    return int(found.get("value")) if found is not None else None


# --- every message builds and validates -------------------------------------------------------

def test_message_types_cover_every_document():
    assert set(ceb.MESSAGE_TYPES) == set(FACTORIES)
    for code, mtype in ceb.MESSAGE_TYPES.items():
        doc = FACTORIES[code]()
        assert ceb.message_type_of(doc) is mtype
        assert ceb.check_business_rules(doc) == [], code


@pytest.mark.parametrize("code", sorted(FACTORIES))
def test_dataclass_fields_match_the_element_specs(code):
    mtype = ceb.MESSAGE_TYPES[code]
    specs = {f.attr for f in mtype.head_spec}
    assert set(ceb.doc_fields(mtype.doc_class)) == specs
    if mtype.list and code != "CEB701":
        item_class = type(FACTORIES[code]().items[0])
        assert set(ceb.doc_fields(item_class)) == {f.attr for f in mtype.list_spec}


@needs_xsd
@pytest.mark.parametrize("code", sorted(FACTORIES))
def test_built_message_validates_against_the_xsd(code):
    doc = FACTORIES[code]()
    xml = ceb.build(doc, TRANSFER, xsd_dir=XSD_DIR)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(xml)
    assert root.tag == q(f"{code}Message")
    assert root.prefix == "ceb"
    assert root.get("version") == "1.0"
    assert root.get("guid") == doc.guid and len(doc.guid) == 36 and doc.guid == doc.guid.upper()
    assert root[-1].tag == q("BaseTransfer")
    assert root[-1].findtext(q("dxpMode")) == "DXP"
    ceb.validate_against_xsd(xml, XSD_DIR)  # again, on its own


@needs_xsd
@pytest.mark.parametrize("code", sorted(FACTORIES))
def test_element_order_lengths_and_required_follow_the_xsd(code):
    mtype = ceb.MESSAGE_TYPES[code]
    schema = xsd_root(mtype.side)
    blocks = [(mtype.head, mtype.head_spec), ("BaseTransfer", BASE_TRANSFER_SPEC)]
    if mtype.list:
        blocks.append((mtype.list, mtype.list_spec))
    xml = ceb.build(FACTORIES[code](), TRANSFER)
    root = etree.fromstring(xml)
    for block, specs in blocks:
        declared = xsd_sequence(schema, block)
        names = [xsd_name(e) for e in declared]
        assert [s.elem for s in specs] == names, block
        for spec, element in zip(specs, declared):
            assert spec.required == (element.get("minOccurs", "1") != "0"), spec.elem
            if spec.kind in ("str", "hs"):
                assert spec.length == facet(element, "length"), spec.elem
                if spec.length is None:
                    assert spec.max_len == facet(element, "maxLength"), spec.elem
        built = root.find(f".//{q(block)}")
        written = [etree.QName(c).localname for c in built]
        assert written == [n for n in names if n in written], block
    # the message level: records, then BaseTransfer, as the root's sequence says
    root_seq = [xsd_name(e) for e in xsd_sequence(schema, mtype.root)]
    written = [etree.QName(c).localname for c in root]
    assert [n for n in root_seq if n in written] == list(dict.fromkeys(written))
    if mtype.list:
        record = root.find(q(mtype.record))
        inner = [etree.QName(c).localname for c in record]
        assert inner == [mtype.head] + [mtype.list] * len(FACTORIES[code]().items)


def test_xml_declaration_and_values_as_written():
    root = etree.fromstring(ceb.build(order(), TRANSFER))
    head = root.find(f"{q('Order')}/{q('OrderHead')}")
    assert head.findtext(q("appTime")) == "20240506103000"       # Beijing time
    assert head.findtext(q("goodsValue")) == "217.9"
    assert head.findtext(q("freight")) == "0"
    assert head.findtext(q("acturalPaid")) == "227.73"
    assert head.find(q("batchNumbers")) is None                  # optional, empty: left out
    first, second = root.iter(q("OrderList"))
    assert first.findtext(q("gnum")) == "1" and second.findtext(q("gnum")) == "2"
    assert first.findtext(q("price")) == "99" and first.findtext(q("totalPrice")) == "198"
    assert second.findtext(q("price")) == "19.9"


@pytest.mark.parametrize("value, text", [
    (D("198.00"), "198"), (D("19.90"), "19.9"), (D("100"), "100"), (D("1E+2"), "100"),
    (D("0.000"), "0"), (D("0.00001"), "0.00001"), (7, "7"), ("12.50", "12.5"),
    (D("1234567.8900"), "1234567.89")])
def test_decimals_without_trailing_zeros(value, text):
    assert fmt_decimal(value) == text


def test_times_in_beijing_from_aware_datetimes():
    late = datetime(2024, 5, 6, 18, 30, 15, tzinfo=UTC)   # next day in Beijing
    assert fmt_time(late) == "20240507023015"
    xml = ceb.build(inventory(app_time=late, decl_time=late, ie_date=late), TRANSFER)
    head = etree.fromstring(xml).find(f".//{q('InventoryHead')}")
    assert head.findtext(q("declTime")) == "20240507"
    assert head.findtext(q("ieDate")) == "20240507"
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.build(order(app_time=datetime(2024, 5, 6, 10, 30)), TRANSFER)
    assert caught.value.field == "OrderHead.appTime"


def test_special_characters_are_escaped():
    name = 'Tom & Jerry <兰州> "quoted" \'single\''
    xml = ceb.build(order(buyer_name=name, consignee=name, note="a < b && c > d"),
                    dataclasses.replace(TRANSFER, cop_name=name))
    assert b"Tom &amp; Jerry &lt;" in xml and b"&gt;" in xml
    assert b"<\xe5\x85\xb0" not in xml   # no raw "<兰"
    root = etree.fromstring(xml)
    assert root.find(f".//{q('OrderHead')}/{q('buyerName')}").text == name
    assert root.find(f".//{q('BaseTransfer')}/{q('copName')}").text == name
    assert root.find(f".//{q('OrderHead')}/{q('note')}").text == "a < b && c > d"


@needs_xsd
def test_several_records_in_one_message():
    second = order(order_no="LZ202405060002")
    xml = ceb.build([order(), second], TRANSFER, xsd_dir=XSD_DIR)
    root = etree.fromstring(xml)
    assert len(root.findall(q("Order"))) == 2
    assert root.get("guid") not in (second.guid,)
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.build([order(), order(actural_paid=D("1"))], TRANSFER)
    assert caught.value.field == "Order[2].OrderHead.acturalPaid"


# --- business rules ---------------------------------------------------------------------------

def test_amounts_must_reconcile():
    problems = ceb.check_business_rules(order(actural_paid=D("237.73")))
    assert fields_of(problems) == ["OrderHead.acturalPaid"]
    assert "227.73" in problems[0].message
    items = list(order().items)
    items[1] = dataclasses.replace(items[1], total_price=D("29.9"))
    problems = ceb.check_business_rules(order(items=items))
    assert fields_of(problems) == ["OrderList[2].totalPrice", "OrderHead.goodsValue"]
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.build(order(items=items), TRANSFER)
    assert caught.value.field == "OrderList[2].totalPrice"
    assert [f for f, _ in caught.value.errors] == fields_of(problems)
    assert isinstance(caught.value, ValidationError) and caught.value.status == 422


def test_export_goods_value_is_the_sum_of_the_items():
    assert fields_of(ceb.check_business_rules(export_order(goods_value=D("230")))) == [
        "OrderHead.goodsValue"]


def test_three_documents_must_agree():
    assert ceb.check_three_documents(order(), payment(), logistics()) == []
    problems = ceb.check_three_documents(order(), payment(amount_paid=D("200")),
                                         logistics(consignee_telephone="13900000000"))
    assert fields_of(problems) == ["PaymentHead.amountPaid", "LogisticsHead.consigneeTelephone"]


def test_buyer_resident_id_check_digit():
    good = BUYER_ID
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert ric.is_valid(good) and not ric.is_valid(bad)
    problems = ceb.check_business_rules(order(buyer_id_number=bad))
    assert fields_of(problems) == ["OrderHead.buyerIdNumber"]
    assert problems[0].code == "resident_id_check_digit"
    assert problems[0].message.endswith(f"should be {good[-1]}")
    assert fields_of(ceb.check_business_rules(order(buyer_id_number="62010219901307123X"))) == [
        "OrderHead.buyerIdNumber"]                                   # month 13
    assert fields_of(ceb.check_business_rules(payment(payer_id_number=bad))) == [
        "PaymentHead.payerIdNumber"]
    assert fields_of(ceb.check_business_rules(inventory(buyer_id_number=bad))) == [
        "InventoryHead.buyerIdNumber"]
    assert fields_of(ceb.check_business_rules(refund(buyer_id_number=bad))) == [
        "InvtRefundHead.buyerIdNumber"]
    # another kind of ID is not checked as a resident ID
    assert ceb.check_business_rules(order(buyer_id_type="2", buyer_id_number="E12345678")) == []


def test_bonded_1210_list_rules():
    problems = ceb.check_business_rules(inventory(bill_no="784-12345675"))
    assert fields_of(problems) == ["InventoryHead.billNo"]
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.build(inventory(bill_no="784-12345675"), TRANSFER)
    assert caught.value.field == "InventoryHead.billNo"
    problems = ceb.check_business_rules(inventory(ems_no=None, area_name="", voyage_no="CA1234",
                                                  country="116"))
    assert fields_of(problems) == ["InventoryHead.emsNo", "InventoryHead.areaName",
                                   "InventoryHead.voyageNo", "InventoryHead.country"]
    items = [inventory_item(item_record_no=None)]
    assert fields_of(ceb.check_business_rules(inventory(items=items))) == [
        "InventoryList[1].itemRecordNo"]


def test_direct_purchase_9610_list_needs_transport():
    doc = inventory(trade_mode="9610", ems_no=None, area_code=None, area_name=None,
                    country="116", traf_mode="5")
    assert fields_of(ceb.check_business_rules(doc)) == [
        "InventoryHead.trafNo", "InventoryHead.voyageNo", "InventoryHead.billNo"]
    doc = dataclasses.replace(doc, traf_no="CA", voyage_no="CA1234", bill_no="999-12345675")
    assert ceb.check_business_rules(doc) == []


@needs_xsd
def test_four_digit_hs_code_when_allowed_is_written_as_ten():
    xml = ceb.build(export_inventory(), TRANSFER, xsd_dir=XSD_DIR)
    codes = [e.text for e in etree.fromstring(xml).iter(q("gcode"))]
    assert codes == ["6109000000", "0902000000"]


def test_four_digit_hs_code_refused_otherwise():
    # goods that need export tax, a refund or a licence
    items = [export_item(simplified_eligible=False)]
    doc = export_inventory(items=items)
    assert fields_of(ceb.check_business_rules(doc)) == ["InventoryList[1].gcode"]
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.build(doc, TRANSFER)
    assert caught.value.field == "InventoryList[1].gcode"
    # worth more than 5,000 RMB
    items = [export_item(qty=2, price=D("2600"), total_price=D("5200"))]
    assert fields_of(ceb.check_business_rules(export_inventory(items=items))) == [
        "InventoryList[1].gcode"]
    # not a simplified declaration
    problems = ceb.check_business_rules(export_inventory(statistics_flag="B"))
    assert fields_of(problems) == ["InventoryList[1].gcode", "InventoryList[2].gcode"]
    # B2B lists: 6 digits, not 4
    problems = ceb.check_business_rules(export_inventory(trade_mode="9710",
                                                         statistics_flag="B"))
    assert fields_of(problems) == ["InventoryList[1].gcode", "InventoryList[2].gcode"]
    # 5 digits: never
    problems = ceb.check_business_rules(export_inventory(items=[export_item(gcode="61091")]))
    assert fields_of(problems) == ["InventoryList[1].gcode"]


@needs_xsd
def test_six_digit_hs_code_for_b2b_export():
    doc = export_inventory(trade_mode="9710", statistics_flag="B",
                           items=[export_item(gcode="610910")])
    assert ceb.check_business_rules(doc) == []
    xml = ceb.build(doc, TRANSFER, xsd_dir=XSD_DIR)
    assert [e.text for e in etree.fromstring(xml).iter(q("gcode"))] == ["6109100000"]
    refused = export_inventory(items=[export_item(gcode="610910")])      # 9610
    assert fields_of(ceb.check_business_rules(refused)) == ["InventoryList[1].gcode"]


def test_import_hs_code_has_ten_digits():
    assert fields_of(ceb.check_business_rules(inventory(items=[inventory_item(gcode="3304")]))
                     ) == ["InventoryList[1].gcode", "InventoryList[1].gcode"]  # length, form


def test_code_tables_guid_and_lengths():
    problems = ceb.check_business_rules(order(
        currency="840", guid="6898ee92-45c9-45ab-baae-bc18bbf6fd80", order_no="X" * 61,
        items=[dataclasses.replace(order().items[0], unit="999", country="888")],
        goods_value=D("198"), actural_paid=D("207.83")))
    assert sorted(fields_of(problems)) == sorted([
        "OrderHead.guid", "OrderHead.orderNo", "OrderHead.currency",
        "OrderList[1].unit", "OrderList[1].country"])
    codes = {p.field: p.code for p in problems}
    assert codes["OrderHead.currency"] == "unknown_code"
    assert codes["OrderHead.orderNo"] == "too_long"
    # a code table read from the database may be passed in
    assert ceb.check_business_rules(
        order(items=[dataclasses.replace(order().items[0], country="344")],
              goods_value=D("198"), actural_paid=D("207.83")),
        codes={"country": {"142", "116", "304", "344"}}) == []


def test_required_fields_and_digits():
    problems = ceb.check_business_rules(payment(pay_transaction_id="", amount_paid=D("1.123456")))
    assert fields_of(problems) == ["PaymentHead.payTransactionId", "PaymentHead.amountPaid"]
    assert fields_of(ceb.check_business_rules(logistics(pack_no=2))) == ["LogisticsHead.packNo"]
    assert fields_of(ceb.check_business_rules(inventory(net_weight=D("1")))) == [
        "InventoryHead.netWeight"]
    items = [dataclasses.replace(i, gnum=n) for i, n in zip(order().items, (1, 3))]
    assert fields_of(ceb.check_business_rules(order(items=items))) == ["OrderList[2].gnum"]
    assert fields_of(ceb.check_business_rules(order(items=[]))) == ["OrderList"]


def test_summary_application_rules():
    assert fields_of(ceb.check_business_rules(summary_apply(invt_nos=[]))) == [
        "SummaryApplyList"]
    assert ceb.check_business_rules(summary_apply(invt_nos=[], start_time=T - timedelta(
        days=30), end_time=T)) == []
    assert fields_of(ceb.check_business_rules(summary_apply(start_time=T))) == [
        "SummaryApplyHead.endTime"]
    assert fields_of(ceb.check_business_rules(summary_apply(msg_seq_no=2))) == [
        "SummaryApplyHead.msgSeqNo"]


def test_transfer_is_checked_too():
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.build(order(), dataclasses.replace(TRANSFER, cop_code="6201W60012XXXXXXXXX"))
    assert caught.value.field == "BaseTransfer.copCode"


# --- XSD validation ---------------------------------------------------------------------------

@needs_xsd
def test_xsd_error_names_the_element_path():
    items = list(inventory().items)
    items[1] = dataclasses.replace(items[1], gcode="210690909")    # 9 characters
    xml = ceb.build(inventory(items=items), TRANSFER, check=False)
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.validate_against_xsd(xml, XSD_DIR)
    assert caught.value.field == "InventoryList[2].gcode"
    assert "length" in caught.value.message and "{http://www.chinaport.gov.cn/ceb}gcode" in (
        caught.value.message)
    assert isinstance(caught.value, ValidationError)


@needs_xsd
def test_xsd_error_in_a_head_and_a_missing_element():
    xml = ceb.build(payment(pay_transaction_id=""), TRANSFER, check=False)
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.validate_against_xsd(xml, XSD_DIR)
    assert caught.value.field == "PaymentHead.payTransactionId"
    root = etree.fromstring(ceb.build(logistics(), TRANSFER))
    head = root.find(f".//{q('LogisticsHead')}")
    head.remove(head.find(q("weight")))
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.validate_against_xsd(etree.tostring(root), XSD_DIR)
    assert caught.value.field == "LogisticsHead.packNo"
    assert "weight" in caught.value.message


@needs_xsd
def test_envelope_is_checked_too():
    root = etree.fromstring(ceb.build(inventory(), TRANSFER))
    root.remove(root.find(q("BaseTransfer")))
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.validate_against_xsd(etree.tostring(root), XSD_DIR)
    assert caught.value.field == "CEB621Message"
    assert "Missing child element" in caught.value.message
    root = etree.fromstring(ceb.build(inventory(), TRANSFER))
    root.set("guid", "short")
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.validate_against_xsd(etree.tostring(root), XSD_DIR)
    assert "guid" in caught.value.message


class FakeKeySigner:
    """Stands in for the hardware key: appends a ds:Signature of the right shape."""

    def sign(self, xml: bytes) -> bytes:
        root = etree.fromstring(xml)
        sig = etree.SubElement(root, f"{{{DS}}}Signature", nsmap={"ds": DS})
        info = etree.SubElement(sig, f"{{{DS}}}SignedInfo")
        etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod",
                         Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
        etree.SubElement(info, f"{{{DS}}}SignatureMethod",
                         Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3")
        ref = etree.SubElement(info, f"{{{DS}}}Reference", URI="")
        etree.SubElement(ref, f"{{{DS}}}DigestMethod",
                         Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm3")
        etree.SubElement(ref, f"{{{DS}}}DigestValue").text = "AAAA"
        etree.SubElement(sig, f"{{{DS}}}SignatureValue").text = "AAAA"
        return ceb.to_bytes(root)


@needs_xsd
def test_signed_message_validates_whole():
    xml = ceb.build(inventory(), TRANSFER, FakeKeySigner(), xsd_dir=XSD_DIR)
    assert etree.fromstring(xml)[-1].tag == f"{{{DS}}}Signature"
    items = [inventory_item(gcode="33049900")]
    signed = ceb.build(inventory(items=items), TRANSFER, FakeKeySigner(), check=False)
    with pytest.raises(ceb.CebValidationError) as caught:
        ceb.validate_against_xsd(signed, XSD_DIR)
    assert caught.value.field == "InventoryList[1].gcode"


def test_business_keys_for_the_outbox():
    assert ceb.business_key(inventory()) == "LZINV20240506001"
    assert ceb.business_key(order()) == "LZ202405060001"
    assert ceb.business_key(payment()) == "PAY2024050610300001"
    assert ceb.business_key(logistics()) == "ZC6201000000001"
    assert ceb.business_key(export_logistics()) == "ZCEX62010000001"
    assert ceb.business_key(summary_apply()) == "LZSUM20240531001"


def test_xsd_folder_from_the_settings(tmp_path):
    from wms.settings import Settings
    assert Settings.from_env({ceb.XSD_DIR_ENV: str(tmp_path)}).ceb_xsd_dir == tmp_path
    assert Settings.from_env({ceb.XSD_DIR_ENV: str(tmp_path / "missing")}).ceb_xsd_dir is None
    assert Settings.from_env({}).with_xsd_dir(tmp_path).ceb_xsd_dir == tmp_path
    with pytest.raises(FileNotFoundError):
        ceb.validate_against_xsd(ceb.build(order(), TRANSFER), tmp_path / "missing")


class StampSigner:
    """Stands in for the hardware key: appends a ds:Signature and records what it saw."""

    def __init__(self):
        self.seen: list[bytes] = []

    def sign(self, xml: bytes) -> bytes:
        self.seen.append(xml)
        root = etree.fromstring(xml)
        etree.SubElement(root, "{http://www.w3.org/2000/09/xmldsig#}Signature").text = "stamp"
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_the_signer_signs_the_built_message_and_the_default_leaves_it_unsigned():
    doc = order()
    unsigned = ceb.build(doc, TRANSFER)
    signature = ".//{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert etree.fromstring(unsigned).find(signature) is None
    signer = StampSigner()
    signed = ceb.build(doc, TRANSFER, signer)
    assert signer.seen == [unsigned]  # it signs exactly the message built, once
    assert etree.fromstring(signed).findtext(signature) == "stamp"
    assert ceb.build(doc, TRANSFER, ceb.NoSigner()) == unsigned


@needs_xsd
@needs_samples
def test_samples_validate_or_fail_as_the_reference_says():
    for sample in sorted((SAMPLES / "import").glob("CEB*.xml")):
        ceb.validate_against_xsd(sample.read_bytes(), XSD_DIR)
    with pytest.raises(ceb.CebValidationError) as caught:   # two BaseTransfer blocks
        ceb.validate_against_xsd((SAMPLES / "export" / "CEB303Message.xml").read_bytes(),
                                 XSD_DIR)
    assert caught.value.field == "BaseTransfer[2]"


@needs_xsd
def test_malformed_or_foreign_xml_is_refused():
    for bad in (b"", b"<ceb:CEB311Message", b"<Invoice xmlns='urn:x'/>"):
        with pytest.raises(ValidationError) as caught:
            ceb.validate_against_xsd(bad, XSD_DIR)
        assert caught.value.field == "xml"


# --- receipts ---------------------------------------------------------------------------------

RECEIPT_SAMPLES = ["import/CEB312Message.xml", "import/CEB412Message.xml",
                   "import/CEB512Message.xml", "import/CEB622Message.xml",
                   "import/CEB626Message.xml", "export/CEB304Message.xml",
                   "export/CEB506Message.xml", "export/CEB604Message.xml",
                   "export/CEB702Message.xml"]


@needs_samples
@pytest.mark.parametrize("name", RECEIPT_SAMPLES)
def test_sample_receipts_read_back(name):
    raw = (SAMPLES / name).read_bytes()
    receipts = ceb.parse_receipts(raw)
    root = etree.fromstring(raw)
    returns = [c for c in root if isinstance(c.tag, str)]
    assert len(receipts) == len(returns) > 0
    code = Path(name).stem[:6]
    for receipt, element in zip(receipts, returns):
        assert receipt.message_type == code
        assert receipt.guid == element.findtext(q("guid")).strip()
        assert receipt.return_status == element.findtext(q("returnStatus")).strip()
        assert receipt.return_info == (element.findtext(q("returnInfo")) or "").strip()
        assert receipt.return_time.utcoffset() == timedelta(hours=8)
        assert receipt.return_time.strftime("%Y%m%d%H%M%S") + \
            f"{receipt.return_time.microsecond // 1000:03d}" == element.findtext(
                q("returnTime")).strip()
        assert receipt.message_guid == root.get("guid")
        for elem, attr in (("orderNo", "order_no"), ("copNo", "cop_no"), ("preNo", "pre_no"),
                           ("invtNo", "invt_no"), ("logisticsNo", "logistics_no"),
                           ("payTransactionId", "pay_transaction_id")):
            text = element.findtext(q(elem))
            assert getattr(receipt, attr) == (text.strip() if text else None)


def test_receipt_for_an_inventory_list():
    guid = ceb.new_guid()
    raw = f"""<?xml version="1.0" encoding="UTF-8"?>
<CEB622Message xmlns="http://www.chinaport.gov.cn/ceb" guid="{guid}" version="1.0">
  <InventoryReturn>
    <guid>{guid}</guid><customsCode>9602</customsCode><ebpCode>6201W60045</ebpCode>
    <ebcCode>6201W60012</ebcCode><agentCode>6201W60012</agentCode>
    <copNo>LZINV20240506001</copNo><preNo>B20240506000000123</preNo>
    <invtNo>96022024I000000456</invtNo><returnStatus>800</returnStatus>
    <returnTime>20240506112233456</returnTime><returnInfo>放行 &amp; 结关</returnInfo>
  </InventoryReturn>
</CEB622Message>""".encode()
    [receipt] = ceb.parse_receipts(raw)
    assert receipt.message_type == "CEB622" and receipt.answers == "CEB621"
    assert receipt.guid == guid and receipt.return_status == "800" and not receipt.failed
    assert receipt.return_time == datetime(2024, 5, 6, 3, 22, 33, 456000, tzinfo=UTC)
    assert receipt.return_info == "放行 & 结关"
    assert (receipt.cop_no, receipt.pre_no, receipt.invt_no) == (
        "LZINV20240506001", "B20240506000000123", "96022024I000000456")
    assert receipt.business_key == "96022024I000000456"
    assert receipt.fields["customsCode"] == "9602"


def test_receipts_for_payment_waybill_and_rejected_order():
    raw = """<CEB412Message xmlns="http://www.chinaport.gov.cn/ceb" guid="A" version="1.0">
  <PaymentReturn><guid>G1</guid><payCode>6201W60077</payCode>
    <payTransactionId>PAY2024050610300001</payTransactionId><returnStatus>120</returnStatus>
    <returnTime>20240506103500000</returnTime><returnInfo>入库</returnInfo></PaymentReturn>
  <PaymentReturn><guid>G2</guid><payCode>6201W60077</payCode>
    <payTransactionId>PAY2024050610300002</payTransactionId><returnStatus>100</returnStatus>
    <returnTime>20240506103600000</returnTime><returnInfo>退单</returnInfo></PaymentReturn>
</CEB412Message>""".encode()
    first, second = ceb.parse_receipts(raw)
    assert (first.guid, first.return_status, first.pay_transaction_id) == (
        "G1", "120", "PAY2024050610300001")
    assert (second.guid, second.return_status) == ("G2", "100")
    raw = """<CEB312Message xmlns="http://www.chinaport.gov.cn/ceb" guid="A" version="1.0">
  <OrderReturn><guid>G3</guid><ebpCode>6201W60045</ebpCode><ebcCode>6201W60012</ebcCode>
  <orderNo>LZ202405060001</orderNo><returnStatus>-301010</returnStatus>
  <returnTime>20240506103700000</returnTime><returnInfo>订单重复</returnInfo></OrderReturn>
</CEB312Message>""".encode()
    [rejected] = ceb.parse_receipts(raw)
    assert rejected.failed and rejected.order_no == "LZ202405060001"
    assert rejected.return_info == "订单重复"


def test_format_error_receipt_ceb900():
    guid = ceb.new_guid()
    raw = f"""<CEB900Message xmlns="http://www.chinaport.gov.cn/ceb" guid="{ceb.new_guid()}"
 version="1.0"><MessageReturn><guid>{guid}</guid><returnStatus>-1</returnStatus>
 <returnInfo>报文格式错误: cvc-complex-type.2.4.a</returnInfo>
 <returnTime>20240506103000123</returnTime><oriCopMsgId>x</oriCopMsgId>
 <oriMessageType>CEB621Message</oriMessageType><oriBizMessage/></MessageReturn>
</CEB900Message>""".encode()
    [receipt] = ceb.parse_receipts(raw)
    assert receipt.message_type == "CEB900" and receipt.format_error and receipt.failed
    assert receipt.guid == guid and receipt.return_status == "-1"
    assert receipt.answers == "CEB621"


@pytest.mark.parametrize("raw", [
    b"", b"not xml", b"<CEB312Message xmlns='http://www.chinaport.gov.cn/ceb'>",
    b"<CEB999Message xmlns='http://www.chinaport.gov.cn/ceb' guid='x' version='1.0'/>",
    b"<CEB311Message xmlns='http://www.chinaport.gov.cn/ceb' guid='x' version='1.0'/>",
    b"<CEB312Message xmlns='urn:other' guid='x' version='1.0'/>",
    b"<CEB312Message xmlns='http://www.chinaport.gov.cn/ceb' guid='x' version='1.0'/>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    b"<CEB312Message xmlns='http://www.chinaport.gov.cn/ceb'><OrderReturn><guid>&b;</guid>"
    b"</OrderReturn></CEB312Message>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<CEB312Message xmlns='http://www.chinaport.gov.cn/ceb'>&x;</CEB312Message>",
])
def test_bad_receipts_are_refused_naming_xml(raw):
    with pytest.raises(ValidationError) as caught:
        ceb.parse_receipts(raw)
    assert caught.value.field == "xml"


def test_receipt_with_a_bad_time_names_it():
    raw = b"""<CEB312Message xmlns="http://www.chinaport.gov.cn/ceb" guid="A" version="1.0">
  <OrderReturn><guid>G</guid><ebpCode>e</ebpCode><ebcCode>e</ebcCode><orderNo>o</orderNo>
  <returnStatus>2</returnStatus><returnTime>2024-05-06</returnTime><returnInfo>i</returnInfo>
  </OrderReturn></CEB312Message>"""
    with pytest.raises(ValidationError) as caught:
        ceb.parse_receipts(raw)
    assert caught.value.field == "OrderReturn[1].returnTime"


def test_receipts_of_messages_we_built_round_trip():
    """A receipt quoting our inventory's guid matches the message we queued."""
    doc = inventory()
    xml = ceb.build(doc, TRANSFER)
    guid = etree.fromstring(xml).get("guid")
    raw = (f'<CEB622Message xmlns="{NS}" guid="{ceb.new_guid()}" version="1.0">'
           f"<InventoryReturn><guid>{guid}</guid><copNo>{doc.cop_no}</copNo>"
           f"<preNo>B20240506000000123</preNo><returnStatus>2</returnStatus>"
           f"<returnTime>20240506103000000</returnTime><returnInfo>新增申报成功[{guid}]"
           f"</returnInfo></InventoryReturn></CEB622Message>").encode()
    [receipt] = ceb.parse_receipts(raw)
    assert receipt.guid == doc.guid and receipt.cop_no == doc.cop_no


def test_the_module_needs_no_flask_and_no_database():
    code = ("import sys; from wms.customs import ceb; "
            "assert not any(m == 'flask' or m.startswith('flask.') for m in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WMS_DATABASE")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    for module in ("ceb", "ceb_base", "ceb_model", "ceb_rules", "ceb_xsd", "ceb_receipts"):
        source = (Path(ceb.__file__).parent / f"{module}.py").read_text(encoding="utf-8")
        assert "Session" not in source and "flask" not in source.lower(), module
