"""Corrections at the returns centre: a misread code is refused by its check digit, a
mis-scanned parcel is removed (audited), the last scan undone, and an exchange waits for
customs' answer to the return declaration."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from wms.core.audit import AuditEvent
from wms.core.context import Actor, acting_as
from wms.core.errors import Conflict, NotFound, ValidationError
from wms.core.messages import read_stored
from wms.customs.inbox import apply_receipt_file
from wms.customs.models import CustomsMessage
from wms.customs.simulator import receipt_for
from wms.inventory.ledger import check_ledger
from wms.logistics.identifiers import make_awb, make_s10
from wms.returns import declaration, dispositions, inspection, queries, receiving, requests
from wms.returns.models import ConsolidationBatch, ReturnParcel
from wms.returns.rules import RestockRefused
from wms.inventory.models import Warehouse

CLERK = Actor(user_id=None, login="clerk-a", roles=frozenset({"returns_clerk"}))


def lzb(db):
    return db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))


def parcel_count(db):
    return len(db.scalars(select(ReturnParcel.id)).all())


@pytest.mark.parametrize("code, expected", [
    ("RR123456784CN", "5"),            # S10: 8 6 4 2 3 5 9 7 mod 11 gives 5
    ("rr 123456784 cn", "5"),          # as a keyboard sends it
    ("176-12345670", "5"),             # air waybill: 1234567 mod 7 = 5
    ("CSQU3054384", "3"),              # a container number on a returned pallet
])
def test_a_wrong_check_digit_is_refused_and_nothing_is_kept(demo, code, expected):
    db = demo
    before = parcel_count(db)
    with pytest.raises(ValidationError) as refused:
        receiving.scan_parcel(db, code, warehouse=lzb(db))
    assert refused.value.field == "code" and refused.value.params["expected"] == expected
    assert "check digit" in refused.value.template
    assert parcel_count(db) == before  # not in the unidentified queue


def test_right_check_digits_are_received_as_unidentified(demo):
    db = demo
    s10, awb = make_s10("RR", 12345678, "CN"), make_awb("176", 1234567)
    assert s10 == "RR123456785CN"
    for code in (s10, awb, "ZZ-NO-CHECK-DIGIT"):
        assert receiving.scan_parcel(db, code, warehouse=lzb(db)).parcel.state == "unidentified"


def test_bulk_receiving_names_the_parcel_with_the_wrong_check_digit(demo):
    db = demo
    with pytest.raises(ValidationError) as refused:
        receiving.receive_parcels(db, [receiving.ParcelScan("RR123456785CN"),
                                       receiving.ParcelScan("RR123456784CN")],
                                  warehouse=lzb(db))
    assert refused.value.field == "parcels[1].code"


def test_remove_a_misscanned_parcel_is_audited_and_its_code_can_come_again(demo, shipped):
    db = demo
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "不想要了",
                                     "lines": [{"gnum": 1, "qty": 1}]}).request
    wh = lzb(db)
    scanned = receiving.scan_parcel(db, order.waybill.logistics_no, warehouse=wh).parcel
    parcel_id, batch = scanned.id, scanned.batch
    with pytest.raises(ValidationError) as no_reason:
        receiving.remove_parcel(db, scanned, "  ")
    assert no_reason.value.field == "reason"
    receiving.remove_parcel(db, scanned, "扫错了，是隔壁的包裹")
    assert db.get(ReturnParcel, parcel_id) is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.model == "return_parcel",
                                               AuditEvent.record_id == parcel_id,
                                               AuditEvent.kind == "delete"))
    assert event.old_value == order.waybill.logistics_no and event.user_login == "system"
    template, params, is_message = read_stored(event.note)
    assert is_message and params["reason"] == "扫错了，是隔壁的包裹"
    assert params["batch"] == batch.name
    again = receiving.scan_parcel(db, order.waybill.logistics_no, warehouse=wh)
    assert again.created and again.parcel.request_id == r.id  # matched again, not a duplicate
    receiving.arrive_batch(db, again.parcel.batch)
    with pytest.raises(Conflict):
        receiving.remove_parcel(db, again.parcel, "too late")
    assert check_ledger(db) == []


def test_undo_takes_back_only_my_last_scan(demo):
    db = demo
    wh = lzb(db)
    for cage in db.scalars(select(ConsolidationBatch).where(ConsolidationBatch.state == "open")):
        receiving.arrive_batch(db, cage)
    from wms.accounts.models import User
    users = db.scalars(select(User).order_by(User.id).limit(2)).all()
    me = Actor(user_id=users[0].id, login=users[0].login, roles=frozenset({"returns_clerk"}))
    other = Actor(user_id=users[1].id, login=users[1].login, roles=frozenset({"returns_clerk"}))
    with acting_as(me):
        first = receiving.scan_parcel(db, "ZZ-UNDO-1", warehouse=wh).parcel.id
        second = receiving.scan_parcel(db, "ZZ-UNDO-2", warehouse=wh).parcel.id
    with acting_as(other):
        theirs = receiving.scan_parcel(db, "ZZ-UNDO-3", warehouse=wh).parcel.id
        with pytest.raises(NotFound):
            with acting_as(Actor(user_id=None, login="nobody")):
                receiving.undo_last_scan(db, wh)
    with acting_as(me):
        assert receiving.undo_last_scan(db, wh) == "ZZ-UNDO-2"
        assert receiving.undo_last_scan(db, wh) == "ZZ-UNDO-1"
        with pytest.raises(NotFound):
            receiving.undo_last_scan(db, wh)
    assert db.get(ReturnParcel, theirs) is not None
    assert {db.get(ReturnParcel, first), db.get(ReturnParcel, second)} == {None}
    notes = db.scalars(select(AuditEvent.note).where(AuditEvent.model == "return_parcel",
                                                     AuditEvent.kind == "delete",
                                                     AuditEvent.record_id.in_([first, second])
                                                     )).all()
    assert len(notes) == 2 and all("undone" in read_stored(n)[0] for n in notes)


def _received_and_graded(db, shipped):
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "换货",
                                     "buyer_choice": "exchange",
                                     "lines": [{"gnum": 1, "qty": 1}]}).request
    receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    receiving.arrive_batch(db, receiving.open_batch(db, lzb(db)))
    inspection.grade_line(db, r, 1, "new")
    return r


def test_an_exchange_waits_for_the_ceb626(demo, shipped):
    db = demo
    r = _received_and_graded(db, shipped)
    with pytest.raises(RestockRefused) as undeclared:
        dispositions.dispose_line(db, r, 1, "exchange")
    assert "CEB625" in undeclared.value.template
    declared = declaration.declare_return(db, r)
    with pytest.raises(RestockRefused) as waiting:
        dispositions.dispose_line(db, r, 1, "exchange")
    assert "CEB626" in waiting.value.template and waiting.value.field == "disposition"
    assert r.state == "inspected" and r.lines[0].disposition_state == "none"
    message = db.get(CustomsMessage, declared.message_id)
    apply_receipt_file(db, receipt_for(message, "800", "同意退货"))
    line = dispositions.dispose_line(db, r, 1, "exchange")
    assert line.disposition_state == "done" and line.exchange_order is not None
    assert r.state == "closed"
    assert queries.declaration_of(db, r).state == "approved"
    assert check_ledger(db) == []


def test_two_units_of_one_item_are_graded_differently(demo, shipped):
    db = demo
    order = shipped(qty=2)
    r = requests.create_request(db, {"order": order.order_no, "reason": "一罐凹陷",
                                     "lines": [{"gnum": 1, "qty": 2}]}).request
    receiving.scan_parcel(db, r.name, warehouse=lzb(db))
    receiving.arrive_batch(db, receiving.open_batch(db, lzb(db)))
    line = inspection.grade_line(db, r, 1, "new", units=[1])
    assert inspection.unit_grades(line) == ["new", None]
    assert line.grade is None and r.state == "received"  # unit 2 still to grade
    with pytest.raises(ValidationError) as bad_unit:
        inspection.grade_line(db, r, 1, "new", units="3")
    assert bad_unit.value.field == "units"
    line = inspection.grade_line(db, r, 1, "damaged", "罐体凹陷", units="2")
    assert inspection.unit_grades(line) == ["new", "damaged"]
    assert line.grade == "damaged" and r.state == "inspected"  # the worst of its units
    line = inspection.grade_line(db, r, 1, "open_box", "外盒拆封", units=[2])
    assert inspection.unit_grades(line) == ["new", "open_box"] and line.grade == "open_box"
    db.expire_all()
    from wms.returns.models import ReturnUnit
    stored = db.scalars(select(ReturnUnit).where(ReturnUnit.line_id == line.id)
                        .order_by(ReturnUnit.unit_no)).all()
    assert [(u.unit_no, u.grade, u.grade_reason) for u in stored] == [
        (1, "new", None), (2, "open_box", "外盒拆封")]
    changes = db.scalars(select(AuditEvent.new_value).where(
        AuditEvent.model == "return_unit", AuditEvent.record_id == stored[1].id,
        AuditEvent.field == "grade")).all()
    assert changes == ["open_box"]  # the regrade of unit 2 is in the audit trail
    line = inspection.grade_line(db, r, 1, "new")  # no units named: every unit
    assert inspection.unit_grades(line) == ["new", "new"] and line.grade == "new"
