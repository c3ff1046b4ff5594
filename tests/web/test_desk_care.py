"""The desk and the returns handheld through the test client: a misread code refused in the
reader's language, mis-scans removed and the last scan undone, the new-return form that
keeps what was typed and never widens a return, the CEB625 confirm step, and Chinese words
for states and decisions in messages and the declaration PDF."""
from __future__ import annotations

import itertools

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from tests.conftest import login as conftest_login
from wms.core.audit import AuditEvent
from wms.inbound.models import EntryDeclaration
from wms.returns import queries, receiving, requests
from wms.returns.demo import BUYER_A, ship_order
from wms.returns.models import ReturnParcel, ReturnRequest

from .test_receipts_pages import receipt

pytestmark = pytest.mark.usefixtures("demo")
_serial = itertools.count(1)
ZH = {"Accept-Language": "zh-CN"}


def login(client, user):
    client.post("/logout")
    assert conftest_login(client, user).status_code == 302


def fresh(db):
    db.commit()
    db.expire_all()


def parcels(db) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(ReturnParcel))


@pytest.fixture
def shipped(db):
    def make(qty: int = 2):
        order = ship_order(db, f"SLX20261127{97000 + next(_serial):05d}", BUYER_A,
                           "APT-PRE-800", qty, "198.00")
        db.commit()
        return order
    return make


def test_handheld_refuses_a_wrong_check_digit_in_chinese(client, db):
    login(client, "returns")
    before = parcels(db)
    refused = client.post("/returns/m/api/scan", json={"code": "RR123456784CN",
                                                       "idempotency_key": "cd-1"}, headers=ZH)
    assert refused.status_code == 422 and refused.json["error"]["field"] == "code"
    assert refused.json["error"]["message"] == "RR123456784CN 的校验位错误：应为 5"
    assert parcels(db) == before  # not kept in the unidentified queue
    ok = client.post("/returns/m/api/scan", json={"code": "RR123456785CN",
                                                  "idempotency_key": "cd-2"})
    assert ok.status_code == 201 and ok.json["state"] == "unidentified"


def test_handheld_undo_and_remove_and_the_desk_remove(client, db, shipped):
    login(client, "returns")
    page = client.get("/returns/m/receive").get_data(as_text=True)
    assert 'id="rt-undo"' in page
    codes = ["ZZ-MIS-1", "ZZ-MIS-2", "ZZ-MIS-3"]
    ids = [client.post("/returns/m/api/scan", json={"code": c, "idempotency_key": f"m-{c}"}
                       ).json["id"] for c in codes]
    before = parcels(db)
    undo = client.post("/returns/m/api/undo", json={"idempotency_key": "u-1"})
    assert undo.status_code == 201 and undo.json["code"] == "ZZ-MIS-3"
    replay = client.post("/returns/m/api/undo", json={"idempotency_key": "u-1"})
    assert replay.json == undo.json and parcels(db) == before - 1  # a retry undoes once
    removed = client.post("/returns/m/api/remove", json={"parcel": ids[0], "reason": "误扫",
                                                         "idempotency_key": "r-1"})
    assert removed.status_code == 201 and parcels(db) == before - 2
    no_reason = client.post(f"/returns/parcels/{ids[1]}/remove", data={"reason": " "},
                            follow_redirects=True)
    assert "请说明移除包裹的原因" in no_reason.get_data(as_text=True)
    assert parcels(db) == before - 2
    desk = client.post(f"/returns/parcels/{ids[1]}/remove", data={"reason": "隔壁的包裹"})
    assert desk.status_code == 302 and parcels(db) == before - 3
    events = db.scalars(select(AuditEvent).where(AuditEvent.model == "return_parcel",
                                                 AuditEvent.kind == "delete",
                                                 AuditEvent.record_id.in_(ids))).all()
    assert sorted(e.old_value for e in events) == sorted(codes)
    assert {e.user_login for e in events} == {"returns"}
    nothing = client.post("/returns/m/api/undo", json={"idempotency_key": "u-2"}, headers=ZH)
    assert nothing.status_code == 404 and "没有可撤销" in nothing.json["error"]["message"]


def test_new_return_form_keeps_fields_and_never_widens(client, db, shipped):
    order = shipped(qty=2)
    login(client, "returns")
    before = db.scalar(select(func.count()).select_from(ReturnRequest))
    form = {"order": order.order_no, "reason": "不想要了", "buyer_choice": "exchange",
            "return_waybill_no": "SF1234567890", "note": "买家来电",
            "gnum": ["", "", ""], "qty": ["1", "", ""]}
    refused = client.post("/returns/new", data=form, headers=ZH)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "第 1 行" in text
    for kept in (order.order_no, "不想要了", "SF1234567890", "买家来电", 'value="1"'):
        assert kept in text
    assert 'value="exchange" selected' in text
    form["qty"] = ["", "", ""]
    empty = client.post("/returns/new", data=form, headers=ZH)
    assert empty.status_code == 422 and "整单退货" in empty.get_data(as_text=True)
    fresh(db)
    assert db.scalar(select(func.count()).select_from(ReturnRequest)) == before
    form.update(gnum=["1", "", ""], qty=["1", "", ""])
    made = client.post("/returns/new", data=form)
    assert made.status_code == 302
    fresh(db)
    r = db.scalar(select(ReturnRequest).order_by(ReturnRequest.id.desc()))
    assert [(ln.gnum, int(ln.qty)) for ln in r.lines] == [(1, 1)]
    assert r.refund_amount < order.actual_paid  # one unit, not the whole order
    whole = shipped(qty=2)
    made = client.post("/returns/new", data={"order": whole.order_no, "reason": "整单",
                                             "whole_order": "1", "gnum": [""], "qty": [""]})
    assert made.status_code == 302
    fresh(db)
    r = db.scalar(select(ReturnRequest).order_by(ReturnRequest.id.desc()))
    assert [(ln.gnum, int(ln.qty)) for ln in r.lines] == [(1, 2)]


def test_the_ceb625_confirm_step_names_what_is_sent(client, db, shipped):
    order = shipped(qty=1)
    r = requests.create_request(db, {"order": order.order_no, "reason": "破损"}).request
    receiving.scan_parcel(db, r.name, warehouse=r.warehouse)
    receiving.arrive_batch(db, receiving.open_batch(db, r.warehouse))
    db.commit()
    login(client, "returns")
    page = client.get(f"/returns/{r.id}").get_data(as_text=True)
    assert f'action="/returns/{r.id}/declare"' in page
    confirm = client.post(f"/returns/{r.id}/declare", headers=ZH)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    for words in ("CEB625", r.name, "报文类型", f"{r.refund_amount:,.2f}", "返回，不发送"):
        assert words in text
    fresh(db)
    assert queries.declaration_of(db, r) is None
    sent = client.post(f"/returns/{r.id}/declare", data={"confirm": "yes"})
    assert sent.status_code == 302
    fresh(db)
    assert queries.declaration_of(db, r).state == "sent"
    again = client.post(f"/returns/{r.id}/declare", data={"confirm": "yes"}, headers=ZH,
                        follow_redirects=True).get_data(as_text=True)
    assert "已发送" in again and "(sent)" not in again  # the state in the reader's words


def test_declaration_pdf_says_state_and_decisions_in_chinese(client, db):
    declared = receipt(db, "DEMO-R5")
    fresh(db)
    assert db.scalar(select(EntryDeclaration.id).where(
        EntryDeclaration.receipt_id == declared.id))
    login(client, "customs")
    pdf = client.get(f"/receipts/{declared.id}/declaration.pdf", headers=ZH)
    assert pdf.status_code == 200
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(pdf.data))
    assert "已申报" in text and "待定" in text
    assert "pending" not in text and "declared" not in text


def test_units_graded_apart_on_desk_and_handheld_and_the_choice_shows(client, db, shipped):
    order = shipped(qty=2)
    r = requests.create_request(db, {"order": order.order_no, "reason": "一罐凹陷"}).request
    receiving.scan_parcel(db, r.name, warehouse=r.warehouse)
    receiving.arrive_batch(db, receiving.open_batch(db, r.warehouse))
    db.commit()
    login(client, "returns")
    page = client.get(f"/returns/{r.id}", headers=ZH).get_data(as_text=True)
    assert 'name="units"' in page and "全部 2 件" in page
    graded = client.post("/returns/m/api/grade", json={
        "return": r.name, "gnum": 1, "grade": "new", "units": [1], "idempotency_key": "g-1"})
    assert graded.status_code == 201 and graded.json["units"] == ["new", None]
    looked = client.post("/returns/m/api/lookup", json={"code": r.name})
    assert [u["grade"] for u in looked.json["lines"][0]["units"]] == ["new", None]
    desk = client.post(f"/returns/{r.id}/lines/1/grade",
                       data={"grade": "damaged", "reason": "罐体凹陷", "units": "2"})
    assert desk.status_code == 302
    page = client.get(f"/returns/{r.id}", headers=ZH).get_data(as_text=True)
    assert 'class="rt-unit rt-unit-new"' in page and 'class="rt-unit rt-unit-damaged"' in page
    assert 'rt-choice rt-chosen"><input type="radio" name="grade" value="damaged" checked' in page
    fresh(db)
    assert db.get(ReturnRequest, r.id).state == "inspected"
