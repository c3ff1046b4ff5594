"""Scan anything finds parcels, receipts, shipments and transport units by their codes, and
never calls an unknown code good, on both databases."""
from __future__ import annotations

from sqlalchemy import select

from wms.inbound.models import Receipt
from wms.inventory.scan import explain, verdict
from wms.logistics.models import Shipment, TransportUnit
from wms.outbound.models import Parcel


def types(result) -> set[str]:
    return {m["type"] for m in result["matches"]}


def test_receipts_by_name_air_waybill_and_container(demo):
    r3 = demo.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R3"))
    for code in (r3.name, r3.air_waybill, r3.air_waybill.replace("-", "")):
        found = explain(demo, code)
        assert any(m["type"] == "receipt" and m["name"] == r3.name for m in found["matches"])
        assert verdict(found) == ("found", True)
    r1 = demo.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R1"))
    found = explain(demo, r1.container_no)
    assert r1.name in {m.get("name") for m in found["matches"]}


def test_parcels_by_tracking_number(demo):
    parcel = demo.scalar(select(Parcel).order_by(Parcel.id))
    found = explain(demo, parcel.tracking_no)
    assert any(m["type"] == "parcel" and m["tracking_no"] == parcel.tracking_no
               for m in found["matches"])


def test_shipments_and_units_by_their_codes(demo):
    shipment = demo.scalar(select(Shipment).where(Shipment.reference.is_not(None))
                           .order_by(Shipment.id))
    assert "shipment" in types(explain(demo, shipment.reference))
    unit = demo.scalar(select(TransportUnit).order_by(TransportUnit.id))
    assert "transport_unit" in types(explain(demo, unit.identifier))


def test_an_unknown_code_is_never_good(demo):
    assert verdict(explain(demo, "NO-SUCH-THING-42")) == ("unknown", False)
    assert verdict(explain(demo, "RR123456785CN")) == ("no_record", False)  # a valid S10
