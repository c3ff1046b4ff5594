"""Tally and putaway on the handheld in a real Chromium at 360 px: the receipt, a GS1-128
carton label, damage with a camera photo, the offline queue, closing the tally, and the
putaway suggestion that stores a released receipt."""
from __future__ import annotations

import os
import re
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect
from stdnum import gs1_128

from wms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/tally_png"
MEIJI_GTIN = "04902000001703"
YEAR = date.today().year  # receipt names carry the year the demo was loaded in
R2, R3 = f"LZB/IN/{YEAR}/00002", f"LZB/IN/{YEAR}/00003"


@pytest.fixture
def shots(screenshot_dir):
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name: str) -> None:
        for folder in {screenshot_dir, SHOTS}:
            page.screenshot(path=os.path.join(folder, f"tally-{name}.png"), full_page=True)
    return take


def open_as(browser, live_server, login: str = "operator"):
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and ("Content Security Policy" in m.text
                                      or "Uncaught" in m.text) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.click("button[name=locale][value=en]")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".cards")
    # Logged in, the user's own language applies: switch it to English for the checks.
    english = page.locator("button[name=locale][value=en]")
    if english.count():
        english.click()
        page.wait_for_selector("button[name=locale][value=zh_CN]")
    return context, page, problems


def scan(page, code: str) -> None:
    page.fill("#hh-scan", code)
    page.press("#hh-scan", "Enter")


def focus_is_on_scan(page) -> None:
    expect(page.locator("#hh-scan")).to_be_focused(timeout=2000)


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def row(page, sku: str, lot: str):
    return page.locator(f"#hh-progress-table tbody[data-sku='{sku}'][data-lot='{lot}']")


def number(page, sku: str, lot: str, column: str) -> int:
    return int(row(page, sku, lot).locator(f".hh-{column}").inner_text())


def carton_label(lot: str, expiry: date, count: int) -> str:
    return gs1_128.encode({"01": MEIJI_GTIN, "10": lot, "17": expiry, "37": count},
                          separator="\x1d")


def open_receipt(page, live_server, name: str) -> None:
    page.goto(f"{live_server}/m/tally")
    page.evaluate("localStorage.clear()")
    page.reload()
    focus_is_on_scan(page)
    scan(page, name)
    page.wait_for_selector(f"#hh-receipt:has-text('{name}')")
    page.wait_for_selector("#hh-progress-table tbody")


def test_scan_a_receipt_then_a_gs1_carton_label(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/tally")
    page.evaluate("localStorage.clear()")
    page.reload()
    focus_is_on_scan(page)
    assert "Scan the receipt" in page.inner_text("#hh-prompt")
    fits(page)
    shots(page, "1-start")
    scan(page, R3)
    page.wait_for_selector("#hh-progress-table tbody[data-sku='MEIJI-STEP-800']")
    expected = number(page, "MEIJI-STEP-800", "MJ261020", "expected")
    before = number(page, "MEIJI-STEP-800", "MJ261020", "tallied")
    assert expected == 240 and before < expected
    assert "Scan a package, a product or a carton label" in page.inner_text("#hh-prompt")
    focus_is_on_scan(page)
    fits(page)
    shots(page, "2-receipt")

    scan(page, carton_label("MJ261020", date(2027, 10, 20), 24))
    expect(row(page, "MEIJI-STEP-800", "MJ261020").locator(".hh-tallied")).to_have_text(
        str(before + 24), timeout=5000)
    page.wait_for_selector("#hh-msg.hh-msg-ok")
    assert f"24 × MEIJI-STEP-800 (MJ261020) counted on {R3}" in page.inner_text("#hh-msg")
    assert "MEIJI-STEP-800 (MJ261020)" in page.inner_text("#hh-recent")
    focus_is_on_scan(page)
    fits(page)
    shots(page, "3-carton-label")
    # Reloading keeps the receipt.
    page.reload()
    expect(row(page, "MEIJI-STEP-800", "MJ261020").locator(".hh-tallied")).to_have_text(
        str(before + 24))
    assert not problems, problems
    context.close()


def test_damage_with_a_photo_a_lot_choice_and_errors(browser, live_server, shots,
                                                     tmp_path):
    photo = tmp_path / "damage.png"
    Image.new("RGB", (64, 48), (190, 40, 40)).save(photo)
    context, page, problems = open_as(browser, live_server)
    open_receipt(page, live_server, R3)
    damaged_before = number(page, "MEIJI-STEP-800", "MJ261020", "damaged")
    tallied_before = number(page, "MEIJI-STEP-800", "MJ261020", "tallied")

    page.click("label.hh-switch-damaged")
    expect(page.locator("#hh-damage")).to_be_visible()
    expect(page.locator("#hh-reason")).to_be_focused()
    page.fill("#hh-reason", "crushed carton")
    page.press("#hh-reason", "Enter")
    focus_is_on_scan(page)
    page.set_input_files("#hh-photo", str(photo))
    page.wait_for_selector("#hh-photo-text:has-text('Photo attached')")
    focus_is_on_scan(page)
    page.click("#hh-qty")
    page.fill("#hh-qty", "2")
    page.press("#hh-qty", "Enter")
    page.click("#hh-lot")
    page.fill("#hh-lot", "MJ261020")
    page.press("#hh-lot", "Enter")
    focus_is_on_scan(page)
    fits(page)
    shots(page, "4-damage-form")
    scan(page, MEIJI_GTIN)
    expect(row(page, "MEIJI-STEP-800", "MJ261020").locator(".hh-damaged")).to_have_text(
        str(damaged_before + 2), timeout=5000)
    assert number(page, "MEIJI-STEP-800", "MJ261020", "tallied") == tallied_before + 2
    assert "counted as damaged" in page.inner_text("#hh-msg")
    assert page.is_hidden("#hh-damage") and not page.is_checked("#hh-damaged")
    link = page.locator("#hh-recent a", has_text="Photo").first
    href = link.get_attribute("href")
    assert re.fullmatch(r"/m/photos/[0-9a-f]{32}\.png", href)
    assert page.request.get(f"{live_server}{href}").body() == photo.read_bytes()
    shots(page, "5-damaged")

    # The typed lot stayed with its product; cleared, a SKU without its lot is offered the
    # advised lots.
    assert page.input_value("#hh-lot") == "MJ261020"
    page.fill("#hh-lot", "")
    page.press("#hh-lot", "Enter")
    scan(page, "MEIJI-STEP-800")
    page.wait_for_selector("#hh-choices .hh-choice")
    assert "MJ261020" in page.inner_text("#hh-choices")
    fits(page)
    shots(page, "6-choose-lot")
    page.click("#hh-choices .hh-choice")
    expect(row(page, "MEIJI-STEP-800", "MJ261020").locator(".hh-tallied")).to_have_text(
        str(tallied_before + 3), timeout=5000)

    # Unknown code, zero, another owner's product: red, and nothing counted.
    scan(page, "NO-SUCH-CODE-7")
    page.wait_for_selector("#hh-msg.hh-msg-err")
    assert "Unknown barcode NO-SUCH-CODE-7" in page.inner_text("#hh-msg")
    focus_is_on_scan(page)
    shots(page, "7-unknown")
    page.click("#hh-qty")
    page.fill("#hh-qty", "-3")
    page.press("#hh-qty", "Enter")
    scan(page, carton_label("MJ261020", date(2027, 10, 20), 24))
    page.wait_for_selector("#hh-msg.hh-msg-err:has-text('Correct a previous count')")
    assert page.is_visible("#hh-pending")
    shots(page, "8-negative")
    page.fill("#hh-qty", "1")
    page.click("label.hh-switch-correction")
    page.click("#hh-retry")
    page.wait_for_selector("#hh-msg.hh-msg-ok:has-text('taken back')")
    expect(row(page, "MEIJI-STEP-800", "MJ261020").locator(".hh-tallied")).to_have_text(
        str(tallied_before + 2), timeout=5000)
    assert not page.is_checked("#hh-correction")
    assert not problems, problems
    context.close()


def test_offline_scans_wait_and_photos_are_refused(browser, live_server, shots, tmp_path):
    photo = tmp_path / "offline.png"
    Image.new("RGB", (8, 8)).save(photo)
    context, page, problems = open_as(browser, live_server)
    open_receipt(page, live_server, R3)
    before = number(page, "MEIJI-STEP-800", "MJ261020", "tallied")
    context.set_offline(True)
    page.wait_for_selector("#hh-net.hh-offline")
    scan(page, carton_label("MJ261020", date(2027, 10, 20), 12))
    scan(page, carton_label("MJ261020", date(2027, 10, 20), 12))
    page.wait_for_selector("#hh-queue[data-count='2']")
    page.click("label.hh-switch-damaged")
    page.fill("#hh-reason", "wet")
    page.set_input_files("#hh-photo", str(photo))
    page.wait_for_selector("#hh-msg.hh-msg-err:has-text('cannot wait')")
    fits(page)
    shots(page, "9-offline")
    page.click("label.hh-switch-damaged")
    context.set_offline(False)
    page.wait_for_selector("#hh-queue[data-count='0']", timeout=20000)
    expect(row(page, "MEIJI-STEP-800", "MJ261020").locator(".hh-tallied")).to_have_text(
        str(before + 24), timeout=15000)
    assert page.is_hidden("#hh-errors")
    assert not problems, problems
    context.close()


def test_supervisor_closes_the_tally_and_sees_the_discrepancies(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server, "operator")
    open_receipt(page, live_server, R2)
    assert page.is_hidden("#hh-close")
    page.click("#hh-lot")
    page.fill("#hh-lot", "SW6B02")
    page.click("#hh-qty")
    page.fill("#hh-qty", "100")
    page.press("#hh-qty", "Enter")
    scan(page, "8806400012344")
    expect(row(page, "SWS-ESSENCE-150", "SW6B02").locator(".hh-tallied")).to_have_text(
        "100", timeout=5000)
    assert page.is_hidden("#hh-close")  # operators do not close
    context.close()

    context, page, problems2 = open_as(browser, live_server, "supervisor")
    open_receipt(page, live_server, R2)
    page.wait_for_selector("#hh-close:visible")
    fits(page)
    shots(page, "10-before-close")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#hh-close")
    page.wait_for_selector("#hh-discrepancies:visible")
    assert "closed with 1 discrepancies" in page.inner_text("#hh-done")
    text = page.inner_text("#hh-discrepancies")
    assert "Short" in text and "SWS-ESSENCE-150" in text
    pdf = page.locator("#hh-links a", has_text="PDF")
    assert re.fullmatch(r"/receipts/\d+/discrepancies\.pdf", pdf.get_attribute("href"))
    assert page.locator("#hh-links a").first.get_attribute("href").startswith("/receipts/")
    assert page.is_hidden("#hh-close") and page.is_hidden("#hh-tally-form")
    fits(page)
    shots(page, "11-closed")
    scan(page, "8806400012344")  # closed: nothing can be counted any more
    page.wait_for_selector("#hh-msg.hh-msg-err")
    assert not problems and not problems2, problems + problems2
    context.close()


def test_putaway_shows_the_suggestion_and_stores_the_receipt(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/putaway")
    scan(page, f"(01){MEIJI_GTIN}(10)MJ260915(37)120")
    page.wait_for_selector("#hh-suggest-row:visible")
    suggestion = page.inner_text("#hh-suggest")
    barcode = re.search(r"\(([^)]+)\)$", suggestion)[1]
    assert suggestion.startswith("LZB/Stock/")
    fits(page)
    shots(page, "12-putaway-suggestion")
    scan(page, barcode)
    page.wait_for_selector("#hh-msg.hh-msg-ok")
    message = page.inner_text("#hh-msg")
    assert "120 × MEIJI-STEP-800 (MJ260915)" in message
    assert f"Receipt LZB/IN/{YEAR}/00007 stored." in message
    assert page.is_hidden("#hh-suggest-row")
    shots(page, "13-putaway-stored")
    assert not problems, problems
    context.close()
