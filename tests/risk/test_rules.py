"""Each risk rule: one situation that triggers it and one just short of it, on the demo
data, both databases. Rules are evaluated with an explicit clock."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from stdnum.cn import ric

from tests.outbound.conftest import make_order
from wms.core.db import utcnow
from wms.customs.rules import RetailLimits
from wms.demo import OWNER_MILK
from wms.inbound.models import Receipt
from wms.inbound.receipts import LineInput, create_receipt, gate_in
from wms.inbound.tally import TallyInput, close_tally, scan_tally
from wms.outbound.intake import receive_order
from wms.partners.blacklist import EnterpriseBlacklisted, blacklist_enterprise
from wms.partners.services import get_enterprise_by_code
from wms.returns.models import ReturnRequest
from wms.risk.rules import RULES
from wms.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")
SETTINGS = Settings()
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=timezone.utc)  # the orders are of 2026-11-27


def found(db, code: str, settings=SETTINGS, now=NOW):
    return RULES[code].check(db, settings, now)


def subjects(db, code: str, **kwargs) -> set[str]:
    return {f.subject for f in found(db, code, **kwargs)}


def buyer_id(n: int) -> str:
    body = f"62010219850312{n:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads all but the last character


def order(db, no: str, *, buyer: int, name: str = "李梅", address: str | None = None,
          phone: str | None = None):
    data = make_order(no, buyer_id_number=buyer_id(buyer), buyer_name=name)
    data["consignee"] = data["waybill"]["consignee"] = name
    if address:
        data["consignee_address"] = data["waybill"]["consignee_address"] = address
    phone = phone or f"1390931{buyer:04d}"  # a phone of each buyer's own unless given
    if phone:
        data["consignee_phone"] = data["waybill"]["consignee_phone"] = phone
        data["buyer_phone"] = phone
    return receive_order(db, data).order


def tallied(db, ref: str, advised: int, counted: dict[str, int]) -> Receipt:
    receipt = create_receipt(db, owner_code=OWNER_MILK, warehouse_code="LZB",
                             supplier="Danone Nutricia GmbH", supplier_ref=ref,
                             lines=[LineInput("APT-PRE-800", advised, f"L-{ref}",
                                              "2028-06-30")])
    gate_in(db, receipt, vehicle_no="甘A·D2741")
    for item, qty in counted.items():
        lot = f"L-{ref}" if item == "APT-PRE-800" else "MJ-RISK"
        scan_tally(db, receipt, TallyInput(item=item, quantity=qty, lot=lot,
                                           expiry_date="2028-06-30",
                                           confirm=frozenset({"over_count", "unadvised"})))
    close_tally(db, receipt)
    receipt.tally_closed_at = NOW - timedelta(hours=1)
    db.flush()
    return receipt


def test_tally_difference_above_the_threshold(db):
    short = tallied(db, "RK-T1", 100, {"APT-PRE-800": 90})
    close = tallied(db, "RK-T2", 100, {"APT-PRE-800": 99})
    hits = {f.subject: f for f in found(db, "tally_difference")}
    assert f"receipt:{short.id}" in hits and hits[f"receipt:{short.id}"].facts["percent"] == "10"
    assert f"receipt:{close.id}" not in hits


def test_unadvised_goods(db):
    extra = tallied(db, "RK-U1", 10, {"APT-PRE-800": 10, "4902000001703": 6})
    clean = tallied(db, "RK-U2", 10, {"APT-PRE-800": 10})
    hits = {f.subject: f for f in found(db, "unadvised_goods")}
    assert hits[f"receipt:{extra.id}"].facts["quantity"] == "6"
    assert f"receipt:{clean.id}" not in hits


def test_buyer_near_the_annual_limit(db):
    near = [order(db, f"RK-L{n}", buyer=11) for n in range(2)]  # about 884 of 1000
    far = order(db, "RK-L9", buyer=12)  # about 442
    low_limit = replace(SETTINGS, retail_limits=RetailLimits(per_year=Decimal("1000")))
    hits = {f.document_id for f in found(db, "buyer_near_limit", settings=low_limit)}
    assert near[-1].id in hits and far.id not in hits


def test_many_buyers_to_one_address_within_the_period(db):
    address = "甘肃省兰州市七里河区西津西路 16 号 3 单元 501"
    split = [order(db, f"RK-S{n}", buyer=20 + n, address=address) for n in range(3)]
    two = [order(db, f"RK-S{n}", buyer=30 + n, address="甘肃省兰州市安宁区 9 号")
           for n in range(5, 7)]
    hits = {f.document_id: f for f in found(db, "shared_contact")}
    assert hits[split[-1].id].facts["buyers"] == 3
    assert hits[split[-1].id].facts["contact"] == "address"
    assert two[-1].id not in hits
    later = NOW + timedelta(days=SETTINGS.risk.shared_contact_days + 1)
    assert split[-1].id not in {f.document_id for f in found(db, "shared_contact", now=later)}


def test_many_buyers_to_one_phone(db):
    orders = [order(db, f"RK-P{n}", buyer=40 + n, phone="13919990000",
                    address=f"兰州市城关区 {n} 号") for n in range(3)]
    hits = {f.document_id: f for f in found(db, "shared_contact")}
    assert hits[orders[-1].id].facts["contact"] == "phone"
    assert hits[orders[-1].id].facts["value"] == "139****0000"


def test_one_buyer_id_under_different_names(db):
    first = order(db, "RK-N1", buyer=50, name="赵敏")
    second = order(db, "RK-N2", buyer=50, name="赵明")
    same = [order(db, f"RK-N{n}", buyer=51, name="钱进") for n in (3, 4)]
    hits = {f.document_id for f in found(db, "buyer_id_names")}
    assert second.id in hits and first.id not in hits  # one warning, on the latest order
    assert same[-1].id not in hits


def test_expiry_within_the_minimum_shelf_life(db):
    soon = (NOW + timedelta(days=30)).date().isoformat()
    later = (NOW + timedelta(days=400)).date().isoformat()
    for ref, expiry in (("RK-E1", soon), ("RK-E2", later)):
        receipt = create_receipt(db, owner_code=OWNER_MILK, warehouse_code="LZB",
                                 supplier="Danone", supplier_ref=ref,
                                 lines=[LineInput("APT-PRE-800", 12, ref, expiry)])
        gate_in(db, receipt, vehicle_no="甘A·D2741")
    hits = {f.reference: f for f in found(db, "short_shelf_life")}
    assert hits["RK-E1"].facts["expiry"] == soon and hits["RK-E1"].facts["quantity"] == "12"
    assert "RK-E2" not in hits


def test_a_held_or_rejected_declaration(db):
    held = db.scalars(select(Receipt).where(Receipt.state == "held")).all()
    assert held, "the demo has a receipt under inspection"
    hits = subjects(db, "declaration_stopped", now=utcnow())
    assert {f"receipt:{r.id}:held" for r in held} <= hits
    expected = db.scalars(select(Receipt).where(Receipt.state == "expected")).first()
    assert not any(s.startswith(f"receipt:{expected.id}:") for s in hits)


def test_a_train_without_reports(db):
    from wms.jobs.sweeps import last_reports
    from wms.logistics.models import Shipment
    train = db.scalar(select(Shipment).where(Shipment.reference == "X8025-LZ-DUI"))
    last = last_reports(db, [train.id])[train.id]
    hours = SETTINGS.risk.train_silent_hours
    silent = found(db, "train_silent", now=last + timedelta(hours=hours + 1))
    assert train.id in {f.document_id for f in silent}
    quiet = found(db, "train_silent", now=last + timedelta(hours=hours - 1))
    assert train.id not in {f.document_id for f in quiet}


def test_a_return_outside_its_deadline(db):
    late = db.scalar(select(ReturnRequest).where(ReturnRequest.late.is_(True)))
    in_time = db.scalar(select(ReturnRequest).where(ReturnRequest.late.is_(False),
                                                    ReturnRequest.state != "cancelled"))
    hits = subjects(db, "return_late", now=utcnow())
    assert f"return:{late.id}" in hits
    in_time.arrive_by = utcnow() + timedelta(days=10)
    db.flush()
    assert f"return:{in_time.id}" not in subjects(db, "return_late", now=utcnow())


def test_a_blacklisted_party(db):
    owner = get_enterprise_by_code(db, OWNER_MILK)
    assert not [f for f in found(db, "blacklisted_party", now=utcnow())
                if f.owner_id == owner.id]
    blacklist_enterprise(db, owner, reason="售假", authority="兰州海关")
    db.commit()
    with pytest.raises(EnterpriseBlacklisted):
        create_receipt(db, owner_code=OWNER_MILK, warehouse_code="LZB", supplier="X",
                       supplier_ref="RK-B1", lines=[LineInput("APT-PRE-800", 1, "B1",
                                                              "2028-01-01")])
    db.rollback()
    hits = [f for f in found(db, "blacklisted_party", now=utcnow()) if f.owner_id == owner.id]
    refused = [f for f in hits if f.subject.startswith("refusal:")]
    assert [f.reference for f in refused] == ["RK-B1"]
    assert any(f.subject.startswith("hold:") and f.document == "order" for f in hits)
    assert all(f.owner_id == owner.id for f in hits)


def test_every_rule_has_a_level_a_category_and_texts():
    from wms.risk.models import RISK_CATEGORIES
    assert len(RULES) == 10
    for rule in RULES.values():
        assert rule.level in (1, 2, 3) and rule.category in RISK_CATEGORIES
        assert rule.title and rule.text
    assert {r.level for r in RULES.values()} == {1, 2, 3}
