"""The handheld in a real Chromium at phone size: scan field and focus, colour for errors,
the offline queue replayed in order, counts and scan anything."""
from __future__ import annotations

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from wms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/handheld_png"


@pytest.fixture
def shots(screenshot_dir):
    """Screenshots go to the run's directory and, for people to look at, to /tmp."""
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name: str) -> None:
        for folder in {screenshot_dir, SHOTS}:
            page.screenshot(path=os.path.join(folder, f"handheld-{name}.png"), full_page=True)
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
    if page.locator("button[name=locale][value=en]").count():  # the user's own language
        page.click("button[name=locale][value=en]")             # wins at login: switch back
        page.wait_for_selector(".cards")
    return context, page, problems


def scan(page, code: str) -> None:
    page.fill("#hh-scan", code)
    page.press("#hh-scan", "Enter")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def on_hand(page, code: str) -> dict[str, Decimal]:
    """Stock at a location, by SKU, as the server's scan-anything endpoint tells it."""
    result = page.evaluate("""async (code) => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch('/m/api/explain', {method: 'POST', body: JSON.stringify({code}),
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': token}});
        return await r.json();
    }""", code)
    totals: dict[str, Decimal] = {}
    for row in result["matches"][0]["contents"]:
        totals[row["sku"]] = totals.get(row["sku"], Decimal(0)) + Decimal(row["quantity"])
    return totals


def focus_is_on_scan(page) -> None:
    """Focus comes back to the scan field (right after the event that took it away)."""
    expect(page.locator("#hh-scan")).to_be_focused(timeout=2000)


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_offline_scans_wait_and_are_sent_once_when_back(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/transfer")
    focus_is_on_scan(page)
    source_before = on_hand(page, "LZB-A-01-02").get("MEIJI-STEP-800", Decimal(0))
    target_before = on_hand(page, "LZB-A-02-02").get("MEIJI-STEP-800", Decimal(0))

    context.set_offline(True)
    page.wait_for_selector("#hh-net.hh-offline")
    scan(page, "LZB-A-01-02")
    for _ in range(5):
        scan(page, "MEIJI-STEP-800")
        page.wait_for_selector(".hh-step[data-step=destination].is-current")
        scan(page, "LZB-A-02-02")
        page.wait_for_selector(".hh-step[data-step=item].is-current")
    page.wait_for_selector("#hh-queue[data-count='5']")
    assert page.inner_text("#hh-queue-n") == "5"
    assert "hh-msg-queued" in page.get_attribute("#hh-msg", "class")
    focus_is_on_scan(page)
    fits(page)
    shots(page, "transfer-offline")
    # A retry of the first scan with its own key, as flaky Wi-Fi would cause.
    page.evaluate("""() => {
        const user = document.getElementById('hh-scanner').dataset.user;
        const key = 'wms.scan.queue.' + user;
        const q = JSON.parse(localStorage.getItem(key));
        q.push(q[0]);
        localStorage.setItem(key, JSON.stringify(q));
    }""")

    context.set_offline(False)
    page.wait_for_selector("#hh-queue[data-count='0']", timeout=20000)
    assert page.is_hidden("#hh-errors"), page.inner_text("#hh-errors")
    assert "MEIJI-STEP-800" in page.inner_text("#hh-done")
    source_after = on_hand(page, "LZB-A-01-02").get("MEIJI-STEP-800", Decimal(0))
    target_after = on_hand(page, "LZB-A-02-02").get("MEIJI-STEP-800", Decimal(0))
    assert source_before - source_after == 5
    assert target_after - target_before == 5
    shots(page, "transfer-sent")
    assert not problems, problems
    context.close()


def test_errors_are_red_and_focus_comes_back(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/putaway")
    focus_is_on_scan(page)
    scan(page, "NO-SUCH-CODE-7")
    page.wait_for_selector("#hh-msg.hh-msg-err")
    assert "Unknown barcode" in page.inner_text("#hh-msg")
    focus_is_on_scan(page)
    shots(page, "putaway-error")
    # A product, then the quantity typed on purpose: focus stays there until Enter.
    scan(page, "4008746009123")
    page.wait_for_selector(".hh-step[data-step=destination].is-current")
    page.click("#hh-qty")
    page.fill("#hh-qty", "0")
    assert focused_id(page) == "hh-qty"
    page.press("#hh-qty", "Enter")
    focus_is_on_scan(page)
    shots(page, "putaway-product")
    scan(page, "LZB-A-01-01")
    page.wait_for_selector("#hh-msg.hh-msg-err")
    assert page.inner_text("#hh-msg")
    page.click("#hh-reset")
    focus_is_on_scan(page)
    page.click("h1")
    focus_is_on_scan(page)
    fits(page)
    assert not problems, problems
    context.close()


def test_putaway_of_a_pallet(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/scan")
    scan(page, "LZB-B-01-01")
    page.wait_for_selector(".hh-match[data-type=location]")
    pallet = page.locator(".hh-table code").first.inner_text()
    page.goto(f"{live_server}/m/putaway")
    scan(page, pallet)
    page.wait_for_selector("#hh-item:has-text('@')")
    assert page.is_hidden("#hh-detail")
    scan(page, "LZB-C-01-01")
    page.wait_for_selector("#hh-msg.hh-msg-ok")
    message = page.inner_text("#hh-msg")
    assert pallet in message and "LZB/Stock/C/C-01-01" in message
    shots(page, "putaway-pallet")
    assert on_hand(page, "LZB-B-01-01").get("APT-PRE-800") is None
    assert not problems, problems
    context.close()


def test_count_and_supervisor_approval(browser, live_server, shots):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/count")
    expected = on_hand(page, "LZB-A-02-01")["SWS-ESSENCE-150"]
    scan(page, "LZB-A-02-01")
    page.wait_for_selector("#hh-location:has-text('LZB/Stock/A/A-02-01')")
    page.click("#hh-qty")
    page.fill("#hh-qty", str(expected - 20))
    page.press("#hh-qty", "Enter")
    scan(page, "8806400012344")
    scan(page, "SWS-ESSENCE-150")
    page.wait_for_selector("#hh-lines tr")
    assert page.inner_text("#hh-lines").split()[-1] == str(expected - 19)
    fits(page)
    shots(page, "count-lines")
    page.click("#hh-submit")
    page.wait_for_selector("#hh-count-result h2")
    assert "waiting for a supervisor" in page.inner_text("#hh-count-result")
    shots(page, "count-submitted")
    context.close()

    context, page, problems2 = open_as(browser, live_server, "supervisor")
    page.goto(f"{live_server}/m/counts")
    shots(page, "counts-to-approve")
    page.locator(".hh-tile", has_text="LZB/Stock/A/A-02-01").last.click()
    page.wait_for_selector("form.hh-decide")
    fits(page)
    shots(page, "count-detail")
    page.fill("#reason", "recounted: two cartons short")
    page.click("form.hh-decide button.primary")
    page.wait_for_selector(".flash-ok")
    page.goto(f"{live_server}/m/")
    assert on_hand(page, "LZB-A-02-01")["SWS-ESSENCE-150"] == expected - 19
    shots(page, "index-supervisor")
    assert not problems and not problems2, problems + problems2
    context.close()


@pytest.mark.parametrize("code, css, text", [
    ("4008746009123", "is-ok", "APT-PRE-800"),
    ("(01)04008746009123(10)L2026-0312(17)270911(37)24", "is-ok", "L2026-0312"),
    ("RR123456784CN", "is-err", "check digit"),
])
def test_scan_anything(browser, live_server, shots, code, css, text):
    context, page, problems = open_as(browser, live_server)
    page.goto(f"{live_server}/m/scan")
    scan(page, code)
    page.wait_for_selector(f"#hh-result .hh-explain.{css}")
    assert text in page.inner_text("#hh")
    focus_is_on_scan(page)
    fits(page)
    shots(page, f"scan-{css}-{len(code)}")
    assert not problems, problems
    context.close()
