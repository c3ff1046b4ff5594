"""Desk pages for bonded receipts: ASN at the desk and by CSV, gate-in, tally, declaration,
customs decisions, documents, deadlines, owner scoping and roles (both backends)."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.conftest import login as conftest_login
from wms.catalog.models import Product
from wms.core.db import utcnow
from wms.customs.models import CustomsMessage
from wms.inbound.declaration_xml import NS, schema
from wms.inbound.models import Discrepancy, EntryDeclaration, Receipt
from wms.inbound.receipts import CSV_COLUMNS
from wms.inventory.models import Quant
from wms.inventory.places import location_by_path

pytestmark = pytest.mark.usefixtures("demo")

HEAD = ("receipt,owner,warehouse,supplier,trade_mode,transport_mode,train_no,container_no,"
        "rail_note_no,expected_arrival,product,quantity,lot,expiry_date,sscc\n")
ROW = ("DE-9001,6201W60012,LZB,Danone Nutricia GmbH,1210,3,X8024,CSQU3054383,SMGS-1,"
       "2026-12-01T08:00:00+08:00,{product},{qty},{lot},2027-12-01,\n")


def login(client, user: str):
    """Log in as ``user``, logging out whoever was logged in."""
    client.post("/logout")
    response = conftest_login(client, user)
    assert response.status_code == 302
    return response


def fresh(db) -> None:
    """See what the app committed: end the fixture session's transaction (on SQLite its
    WAL snapshot; on PostgreSQL its savepoint, kept, since a rollback there would undo the
    app's savepoints nested inside it) and reload every object."""
    db.commit()
    db.expire_all()


def receipt(db, ref: str) -> Receipt:
    """A demo receipt by its supplier reference (DEMO-R1 expected ... DEMO-R8 stored)."""
    fresh(db)
    return db.scalar(select(Receipt).where(Receipt.supplier_ref == ref))


def count(db, model) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(model))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def pdf_text(data: bytes) -> str:
    return "".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def input_qty(db, path: str, status: str) -> int:
    fresh(db)
    return db.scalar(select(func.coalesce(func.sum(Quant.quantity), 0)).where(
        Quant.location_id == location_by_path(db, path).id, Quant.customs_status == status))


# ---------------------------------------------------------------- list, scoping, roles

def test_list_shows_counts_per_state_and_filters(client, db):
    login(client, "supervisor")
    page = text_of(client.get("/receipts/"))
    for i in range(1, 9):
        assert receipt(db, f"DEMO-R{i}").name in page
    assert re.search(r'state=held"[^>]*>[^<]*<span class="count">1</span>', page)
    held = text_of(client.get("/receipts/?state=held"))
    assert receipt(db, "DEMO-R6").name in held and receipt(db, "DEMO-R1").name not in held


def test_owner_sees_only_its_receipts(client, db):
    login(client, "owner")  # owner_viewer of 6201W60012 (milk powder)
    page = text_of(client.get("/receipts/"))
    for ref in ("DEMO-R1", "DEMO-R3", "DEMO-R4", "DEMO-R7", "DEMO-R8"):
        assert receipt(db, ref).name in page
    for ref in ("DEMO-R2", "DEMO-R5", "DEMO-R6"):  # the cosmetics owner's
        assert receipt(db, ref).name not in page
    cosmetics = receipt(db, "DEMO-R5")
    assert client.get(f"/receipts/{cosmetics.id}").status_code == 404
    assert client.get(f"/receipts/{cosmetics.id}/declaration.pdf").status_code == 404
    assert client.get(f"/receipts/{cosmetics.id}/declaration.xml").status_code == 404
    own = receipt(db, "DEMO-R1")
    detail = client.get(f"/receipts/{own.id}")
    assert detail.status_code == 200 and "/gate-in" not in text_of(detail)
    assert client.get("/receipts/new").status_code == 403


def test_roles_are_checked_on_writes(client, db):
    expected, tallying = receipt(db, "DEMO-R1"), receipt(db, "DEMO-R3")
    login(client, "owner")
    assert client.post(f"/receipts/{expected.id}/gate-in",
                       data={"container_no": "CSQU3054383"}).status_code == 403
    login(client, "operator")
    assert client.post(f"/receipts/{tallying.id}/close-tally").status_code == 403
    assert client.post("/receipts/import").status_code == 403
    login(client, "dispatcher")
    assert client.post(f"/receipts/{tallying.id}/declaration").status_code == 403
    assert receipt(db, "DEMO-R1").state == "expected"
    assert receipt(db, "DEMO-R3").state == "tallying"


# ---------------------------------------------------------------- desk form

def desk_form(**lines) -> dict:
    data = {"owner": "6201W60012", "warehouse": "LZB", "supplier": "Meiji Co., Ltd., Tokyo",
            "supplier_ref": "DESK-1", "trade_mode": "1210", "transport_mode": "5",
            "air_waybill": "112-12345675", "expected_arrival": "2026-12-03T09:30"}
    for i in range(5):  # a browser sends the empty rows too
        for name in ("product", "quantity", "lot", "expiry_date", "sscc"):
            data[f"lines-{i}-{name}"] = ""
    for key, value in lines.items():
        data[key.replace("__", "-")] = value
    return data


def test_desk_create_with_a_bad_line_shows_the_error_at_its_cell(client, db):
    login(client, "customs")
    before = count(db, Receipt)
    page = client.get("/receipts/new")
    assert page.status_code == 200
    assert len(re.findall(r'name="lines-\d+-product"', text_of(page))) >= 5
    bad = desk_form(lines__0__product="MEIJI-STEP-800", lines__0__quantity="120",
                    lines__0__lot="MJ261201", lines__0__expiry_date="2027-12-01",
                    lines__2__product="4008746009123", lines__2__quantity="0",
                    lines__2__lot="L2026-1201", lines__2__expiry_date="2027-12-01")
    response = client.post("/receipts/new", data=bad)
    assert response.status_code == 422
    html = text_of(response)
    assert 'id="lines-2-quantity-error"' in html
    assert 'name="lines-2-quantity"' in html and 'value="4008746009123"' in html  # kept
    assert count(db, Receipt) == before
    good = {**bad, "lines-2-quantity": "60"}
    response = client.post("/receipts/new", data=good)
    assert response.status_code == 302
    created = receipt(db, "DESK-1")
    assert created.state == "expected" and created.name.startswith("LZB/IN/")
    assert [(ln.product.sku, int(ln.expected_qty)) for ln in created.lines] == [
        ("MEIJI-STEP-800", 120), ("APT-PRE-800", 60)]
    assert created.expected_arrival.utcoffset() == timedelta(0)  # stored as UTC
    assert created.expected_arrival.hour == 1  # 09:30 in Beijing


def test_desk_head_errors_sit_at_their_field(client, db):
    login(client, "supervisor")
    response = client.post("/receipts/new", data=desk_form(
        air_waybill="112-12345670", lines__0__product="MEIJI-STEP-800",
        lines__0__quantity="1", lines__0__lot="X", lines__0__expiry_date="2027-01-01"))
    assert response.status_code == 422 and 'id="air_waybill-error"' in text_of(response)
    response = client.post("/receipts/new", data=desk_form())
    assert response.status_code == 422  # no lines: said on top of the form
    assert 'flash-error' in text_of(response)
    more = client.post("/receipts/new", data={**desk_form(), "more_lines": "1"})
    assert len(re.findall(r'name="lines-\d+-product"', text_of(more))) >= 10


# ---------------------------------------------------------------- CSV import

def test_csv_import_is_all_or_nothing_and_names_line_and_field(client, db):
    login(client, "customs")
    before = count(db, Receipt)
    csv_text = (HEAD + ROW.format(product="APT-PRE-800", qty=100, lot="L2026-1201")
                + ROW.format(product="4902000001703", qty=50, lot="MJ261201")
                + ROW.format(product="APT-PRE-800", qty=0, lot="L2026-1202"))
    response = client.post("/receipts/import", data={
        "file": (io.BytesIO(csv_text.encode()), "asn.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert '<span class="where">第 4 行：quantity</span>' in text_of(response)  # the file's column
    assert count(db, Receipt) == before
    good = csv_text.replace(",0,L2026-1202", ",10,L2026-1202")
    response = client.post("/receipts/import", data={
        "file": (io.BytesIO(("\ufeff" + good).encode()), "asn.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    created = receipt(db, "DE-9001")
    assert created is not None and created.name in text_of(response)
    assert len(created.lines) == 3 and count(db, Receipt) == before + 1


def test_sample_csv_has_the_expected_header_and_imports(client, db):
    login(client, "supervisor")
    page = text_of(client.get("/receipts/import"))
    assert ",".join(CSV_COLUMNS) in page
    sample = client.get("/receipts/import/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    body = sample.get_data(as_text=True).lstrip("\ufeff")
    assert body.splitlines()[0] == ",".join(CSV_COLUMNS)
    response = client.post("/receipts/import", data={
        "file": (io.BytesIO(sample.get_data()), "sample.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200, text_of(response)
    assert receipt(db, "DE-7781").state == "expected"


def test_csv_in_gb18030_is_read(client, db):
    login(client, "supervisor")
    csv_text = HEAD + ROW.format(product="APT-PRE-800", qty=5, lot="L1").replace(
        "Danone Nutricia GmbH", "达能纽迪希亚")
    response = client.post("/receipts/import", data={
        "file": (io.BytesIO(csv_text.encode("gb18030")), "asn.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert receipt(db, "DE-9001").supplier == "达能纽迪希亚"


# ---------------------------------------------------------------- gate-in, tally

def test_gate_in_with_a_wrong_check_digit_is_refused_and_nothing_changes(client, db):
    expected = receipt(db, "DEMO-R1")
    login(client, "operator")
    response = client.post(f"/receipts/{expected.id}/gate-in", data={
        "vehicle_no": "甘A·12345", "container_no": "CSQU3054384", "seal_no": "S-77"})
    assert response.status_code == 422
    html = text_of(response)
    assert 'id="gate-container_no-error"' in html and 'value="CSQU3054384"' in html
    after = receipt(db, "DEMO-R1")
    assert after.state == "expected" and after.arrived_at is None and after.seal_no is None
    response = client.post(f"/receipts/{expected.id}/gate-in", data={
        "vehicle_no": "甘A·12345", "container_no": "CSQU 305438-3", "seal_no": "S-77"})
    assert response.status_code == 302
    after = receipt(db, "DEMO-R1")
    assert after.state == "arrived" and after.arrived_at is not None
    assert (after.vehicle_no, after.container_no, after.seal_no) == (
        "甘A·12345", "CSQU3054383", "S-77")
    again = client.post(f"/receipts/{expected.id}/gate-in", data={})
    assert again.status_code == 409
    history = text_of(client.get(f"/history/receipt/{expected.id}"))
    assert "arrived" in history


def test_close_tally_by_a_supervisor_and_the_discrepancy_report(client, db):
    tallying = receipt(db, "DEMO-R3")  # 240 advised, 180 counted
    login(client, "supervisor")
    page = text_of(client.get(f"/receipts/{tallying.id}"))
    assert 'class="tally-short"' in page and "/close-tally" in page
    assert client.post(f"/receipts/{tallying.id}/close-tally").status_code == 302
    closed = receipt(db, "DEMO-R3")
    assert closed.state == "tallied" and closed.tally_closed_at is not None
    kinds = [d.kind for d in db.scalars(select(Discrepancy).where(
        Discrepancy.receipt_id == closed.id))]
    assert kinds == ["short"]
    again = client.post(f"/receipts/{tallying.id}/close-tally")
    assert again.status_code == 409 and 'flash-error' in text_of(again)
    report = text_of(client.get(f"/receipts/{tallying.id}/discrepancies"))
    assert "kind-short" in report and "-60" in report
    pdf = client.get(f"/receipts/{tallying.id}/discrepancies.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert closed.name in pdf_text(pdf.data) and "-60" in pdf_text(pdf.data)


# ---------------------------------------------------------------- declaration

def test_declaration_problems_point_at_the_product_then_build_and_file(client, db):
    tallied = receipt(db, "DEMO-R4")
    apt = db.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
    record_no, apt.item_record_no = apt.item_record_no, None
    db.commit()
    before = count(db, EntryDeclaration)
    login(client, "customs")
    page = text_of(client.get(f"/receipts/{tallied.id}"))
    assert "problems-title" in page and f'href="/stock/products/{apt.id}"' in page
    refused = client.post(f"/receipts/{tallied.id}/declaration")
    assert refused.status_code == 422
    assert f'href="/stock/products/{apt.id}"' in text_of(refused)
    assert count(db, EntryDeclaration) == before and receipt(db, "DEMO-R4").state == "tallied"
    apt = db.get(Product, apt.id)
    apt.item_record_no = record_no
    db.commit()
    assert client.post(f"/receipts/{tallied.id}/declaration").status_code == 302
    declaration = db.scalar(select(EntryDeclaration).where(
        EntryDeclaration.receipt_id == tallied.id))
    assert declaration.state == "draft" and receipt(db, "DEMO-R4").state == "tallied"
    assert client.get(f"/receipts/{tallied.id}/declaration.xml").status_code == 404
    confirm = client.post(f"/receipts/{tallied.id}/declaration/file")
    assert confirm.status_code == 200 and receipt(db, "DEMO-R4").state == "tallied"
    assert "ENTRY" in text_of(confirm) and declaration.name in text_of(confirm)
    assert client.post(f"/receipts/{tallied.id}/declaration/file",
                       data={"confirm": "yes"}).status_code == 302
    assert receipt(db, "DEMO-R4").state == "declared"
    xml = client.get(f"/receipts/{tallied.id}/declaration.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    document = etree.fromstring(xml.data)
    assert schema().validate(document)
    assert document.findtext(f"{{{NS}}}Head/{{{NS}}}receiptNo") == tallied.name
    pdf = client.get(f"/receipts/{tallied.id}/declaration.pdf")
    assert pdf.mimetype == "application/pdf"
    printed = pdf_text(pdf.data)
    assert tallied.name in printed and declaration.name in printed
    detail = text_of(client.get(f"/receipts/{tallied.id}"))
    assert "msg-draft" in detail and "decision-pending" in detail


def test_declaring_before_the_tally_is_closed_is_refused(client, db):
    tallying = receipt(db, "DEMO-R3")
    before = count(db, EntryDeclaration)
    login(client, "customs")
    response = client.post(f"/receipts/{tallying.id}/declaration")
    assert response.status_code == 409 and 'flash-error' in text_of(response)
    assert count(db, EntryDeclaration) == before
    assert receipt(db, "DEMO-R3").state == "tallying"


def test_releasing_without_a_declaration_is_refused(client, db):
    tallied = receipt(db, "DEMO-R4")
    login(client, "customs")
    response = client.post(f"/receipts/{tallied.id}/decisions", data={"decision-1": "released"})
    assert response.status_code == 422 and 'flash-error' in text_of(response)
    assert receipt(db, "DEMO-R4").state == "tallied"


def test_decisions_hold_then_release_then_putaway_suggestion(client, db):
    declared = receipt(db, "DEMO-R5")  # cosmetics, one item of 200 SHI-ULT-50
    login(client, "customs")
    page = text_of(client.get(f"/receipts/{declared.id}"))
    assert 'name="decision-1"' in page
    response = client.post(f"/receipts/{declared.id}/decisions",
                           data={"decision-1": "held", "note": "布控查验 H-17"})
    assert response.status_code == 302
    assert receipt(db, "DEMO-R5").state == "held"
    assert input_qty(db, "LZB/Customs hold", "held") >= 200
    bad = client.post(f"/receipts/{declared.id}/decisions", data={"decision-1": "held"})
    assert bad.status_code == 409 and receipt(db, "DEMO-R5").state == "held"
    confirm = client.post(f"/receipts/{declared.id}/decisions",
                          data={"decision-1": "released", "note": "查验通过"})
    assert confirm.status_code == 200 and receipt(db, "DEMO-R5").state == "held"
    page = text_of(confirm)
    assert 'name="decision-1" value="released"' in page and "查验通过" in page
    response = client.post(f"/receipts/{declared.id}/decisions",
                           data={"decision-1": "released", "note": "查验通过", "confirm": "yes"})
    assert response.status_code == 302
    assert receipt(db, "DEMO-R5").state == "released"
    detail = text_of(client.get(f"/receipts/{declared.id}"))
    assert "decision-released" in detail and "LZB/库存区" in detail  # putaway suggestion
    login(client, "supervisor")
    refused = client.post(f"/receipts/{declared.id}/stored")
    assert refused.status_code == 422 and receipt(db, "DEMO-R5").state == "released"
    before = input_qty(db, "LZB/Input", "bonded")
    assert client.post(f"/receipts/{declared.id}/putaway").status_code == 302
    assert receipt(db, "DEMO-R5").state == "stored"
    assert input_qty(db, "LZB/Input", "bonded") == before - 200
    again = client.post(f"/receipts/{declared.id}/putaway")
    assert again.status_code == 409


def test_discrepancy_notes_are_rendered_from_their_code(client, db):
    """The row keeps ``damaged_on_arrival``; the page shows the sentence (translated from
    the catalog in Chinese once the lead merges it)."""
    tallied = receipt(db, "DEMO-R4")  # 4 cans damaged on arrival
    login(client, "supervisor")
    client.post("/language", data={"locale": "en"})
    page = text_of(client.get(f"/receipts/{tallied.id}/discrepancies"))
    assert "damaged on arrival" in page and "damaged_on_arrival" not in page


def test_customs_receipt_xml_releases_the_held_item(client, db):
    held = receipt(db, "DEMO-R6")
    declaration = db.scalar(select(EntryDeclaration).where(
        EntryDeclaration.receipt_id == held.id))
    pending = [ln.gnum for ln in declaration.lines if ln.decision == "held"]
    answer = (f'<EntryRecordListReturn xmlns="{NS}"><guid>{declaration.guid}</guid>'
              f'<returnTime>20261202101500</returnTime>'
              + "".join(f"<Item><gnum>{g}</gnum><returnStatus>800</returnStatus>"
                        f"<returnInfo>查验放行</returnInfo></Item>" for g in pending)
              + "</EntryRecordListReturn>").encode()
    login(client, "customs")
    broken = client.post(f"/receipts/{held.id}/customs-receipt", data={
        "xml": (io.BytesIO(b"<not-xml"), "r.xml")}, content_type="multipart/form-data")
    assert broken.status_code == 422 and receipt(db, "DEMO-R6").state == "held"
    response = client.post(f"/receipts/{held.id}/customs-receipt", data={
        "xml": (io.BytesIO(answer), "r.xml")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert receipt(db, "DEMO-R6").state == "released"
    message = db.get(CustomsMessage, declaration.message_id)
    db.refresh(message)
    assert message.state == "released" and message.receipts[-1].return_status == "800"
    other = receipt(db, "DEMO-R7")  # the same answer uploaded on another receipt's page
    wrong = client.post(f"/receipts/{other.id}/customs-receipt", data={
        "xml": (io.BytesIO(answer), "r.xml")}, content_type="multipart/form-data")
    assert wrong.status_code in (409, 422)


def test_cancel_an_expected_receipt(client, db):
    expected = receipt(db, "DEMO-R1")
    login(client, "supervisor")
    assert client.post(f"/receipts/{expected.id}/cancel",
                       data={"reason": "supplier withdrew"}).status_code == 302
    assert receipt(db, "DEMO-R1").state == "cancelled"
    declared = receipt(db, "DEMO-R5")
    assert client.post(f"/receipts/{declared.id}/cancel",
                       data={"reason": "too late"}).status_code == 409
    assert receipt(db, "DEMO-R5").state == "declared"


def test_an_arrived_receipt_is_turned_back_with_a_reason(client, db):
    """Gated in, never declared: cancelling takes its goods back out of the input area."""
    arrived = receipt(db, "DEMO-R2")
    advised = sum(line.expected_qty for line in arrived.lines)
    before = input_qty(db, "LZB/Input", "arrived")
    login(client, "supervisor")
    assert client.post(f"/receipts/{arrived.id}/cancel").status_code == 422
    assert receipt(db, "DEMO-R2").state == "arrived"
    assert input_qty(db, "LZB/Input", "arrived") == before
    assert client.post(f"/receipts/{arrived.id}/cancel",
                       data={"reason": "seal broken, refused"}).status_code == 302
    assert receipt(db, "DEMO-R2").state == "cancelled"
    assert input_qty(db, "LZB/Input", "arrived") == before - advised


def test_an_arrived_receipt_without_scans_can_be_closed(client, db):
    """Nothing was found: closing records every line short and empties its input stock."""
    arrived = receipt(db, "DEMO-R2")
    advised = sum(line.expected_qty for line in arrived.lines)
    before = input_qty(db, "LZB/Input", "arrived")
    login(client, "supervisor")
    assert client.post(f"/receipts/{arrived.id}/close-tally").status_code == 302
    closed = receipt(db, "DEMO-R2")
    assert closed.state == "tallied"
    kinds = db.scalars(select(Discrepancy.kind).where(Discrepancy.receipt_id == closed.id)).all()
    assert kinds and set(kinds) == {"short"}
    assert input_qty(db, "LZB/Input", "arrived") == before - advised


# ---------------------------------------------------------------- deadlines

def test_overdue_receipts_on_the_supervisors_page(client, db):
    late = receipt(db, "DEMO-R2")
    late.arrived_at = utcnow() - timedelta(days=4)
    db.commit()
    login(client, "supervisor")
    page = text_of(client.get("/receipts/overdue"))
    assert late.name in page
    assert receipt(db, "DEMO-R3").name not in page  # arrived today
    assert receipt(db, "DEMO-R7").name not in page  # released: the deadline no longer runs
    listing = text_of(client.get("/receipts/"))
    assert "overdue-tag" in listing and "/receipts/overdue" in listing


def test_overdue_deadline_comes_from_the_config(app, client, db):
    app.config["DECLARATION_DEADLINE_HOURS"] = 1
    late = receipt(db, "DEMO-R3")
    late.arrived_at = utcnow() - timedelta(hours=2)
    db.commit()
    login(client, "supervisor")
    assert late.name in text_of(client.get("/receipts/overdue"))


def test_every_page_renders_for_every_demo_receipt(client, db):
    login(client, "supervisor")
    for i in range(1, 9):
        r = receipt(db, f"DEMO-R{i}")
        assert client.get(f"/receipts/{r.id}").status_code == 200, r.state
        assert client.get(f"/receipts/{r.id}/discrepancies").status_code == 200
    assert client.get("/receipts/999999").status_code == 404
