"""The entry record list as XML, validated against the schema kept beside this module (the
customs answer to it is read in ``decisions.py``)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from wms.core.errors import N_, ValidationError

from .models import EntryDeclaration

NS = "urn:lanzhou-wms:entry-record-list:1"
XSD = Path(__file__).with_name("entry_record_list.xsd")
BEIJING = ZoneInfo("Asia/Shanghai")


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _time(value) -> str:
    return value.astimezone(BEIJING).strftime("%Y%m%d%H%M%S") if value else ""


def _num(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def entry_record_list_xml(declaration: EntryDeclaration) -> str:
    receipt = declaration.receipt
    warehouse, owner = receipt.warehouse, receipt.owner
    root = etree.Element(f"{{{NS}}}EntryRecordList", nsmap={None: NS})

    def add(parent, name, value):
        if value in (None, ""):
            return None
        element = etree.SubElement(parent, f"{{{NS}}}{name}")
        element.text = str(value)
        return element
    head = etree.SubElement(root, f"{{{NS}}}Head")
    for name, value in [
        ("guid", declaration.guid), ("copNo", declaration.name), ("receiptNo", receipt.name),
        ("emsNo", warehouse.ems_no), ("areaCode", warehouse.customs_area_code),
        ("ownerCode", owner.customs_code), ("ownerName", owner.name), ("ownerUscc", owner.uscc),
        ("tradeMode", receipt.trade_mode), ("trafMode", receipt.transport_mode),
        ("billNo", receipt.bill_of_lading or receipt.air_waybill or receipt.rail_note_no
         or receipt.mail_dispatch_no),
        ("trafNo", receipt.train_no), ("containerNo", receipt.container_no),
        ("arrivalTime", _time(receipt.arrived_at)),
        ("tallyCloseTime", _time(receipt.tally_closed_at)),
        ("declTime", _time(declaration.filed_at or declaration.created_at)),
        ("currency", "142"), ("totalValue", _num(declaration.total_value)),
        ("netWeight", _num(declaration.total_net_kg)),
        ("grossWeight", _num(declaration.total_gross_kg)),
        ("itemCount", len(declaration.lines)),
    ]:
        add(head, name, value)
    for line in declaration.lines:
        item = etree.SubElement(root, f"{{{NS}}}Item")
        for name, value in [
            ("gnum", line.gnum), ("itemRecordNo", line.item_record_no), ("gcode", line.hs_code),
            ("gname", line.gname), ("gmodel", line.gmodel), ("country", line.origin_country),
            ("qty", _num(line.qty)), ("unit", line.unit), ("qty1", _num(line.qty1)),
            ("unit1", line.unit1),
            ("qty2", _num(line.qty2) if line.qty2 is not None else None),
            ("unit2", line.unit2), ("price", _num(line.price)),
            ("totalPrice", _num(line.total_price)), ("netWeight", _num(line.net_kg)),
            ("grossWeight", _num(line.gross_kg)),
        ]:
            add(item, name, value)
    if not schema().validate(root):
        error = schema().error_log.last_error
        raise ValidationError(N_("Declaration XML does not match its schema: %(error)s"),
                              field=f"line {error.line}", error=error.message)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                          pretty_print=True).decode()
