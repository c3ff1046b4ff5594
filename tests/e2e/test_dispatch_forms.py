"""The dispatcher's forms in a real Chromium at 1366 x 768 in Chinese: a wagon registered on
the units page is loaded at once with the loading scanner (before, the scanner knew only the
demo's units), and the new desk pages render without script errors (screenshots kept)."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from wms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

DESK = {"width": 1366, "height": 768}
SHOTS = "/tmp/dispatchforms_png"


@pytest.fixture
def shots(screenshot_dir):
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name: str) -> None:
        for folder in {screenshot_dir, SHOTS}:
            page.screenshot(path=os.path.join(folder, f"dispatchforms-{name}.png"),
                            full_page=True)
    return take


def watch(page) -> list[str]:
    problems: list[str] = []
    # A form answered 422 (its field errors) is logged as a failed load: not a problem.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def log_in(page, live_server, login: str = "dispatcher") -> None:
    page.goto(f"{live_server}/login")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_selector(".cards")


def test_a_wagon_registered_on_the_page_is_loaded_with_the_scanner(browser, live_server,
                                                                   shots):
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    log_in(page, live_server)
    page.goto(f"{live_server}/dispatch/units?kind=container")
    box = page.locator("table.units tr[data-unit]").first.get_attribute("data-unit")
    page.select_option("#kind", "wagon")
    page.fill("#identifier", "3180 5454 001-5")  # the UIC check digit is 4
    page.click(".unit-form button[type=submit]")
    expect(page.locator("#identifier-error")).to_contain_text("4")
    shots(page, "unit-error")
    page.fill("#identifier", "31 80 5454 001-4")
    page.fill("#shipment", "X8025-LZ-DUI")
    page.click(".unit-form button[type=submit]")
    expect(page.locator('tr[data-unit="318054540014"]')).to_be_visible()
    shots(page, "units")

    page.goto(f"{live_server}/dispatch/m/load")
    page.select_option("#dl-node", "LANZHOU")
    page.fill("#hh-scan", box)
    page.press("#hh-scan", "Enter")
    page.wait_for_selector(".hh-step[data-step=into].is-current")
    page.fill("#hh-scan", "318054540014")
    page.press("#hh-scan", "Enter")
    expect(page.locator("#hh-done li").first).to_contain_text("318054540014")
    shots(page, "loaded")
    page.goto(f"{live_server}/dispatch/units?kind=container&q={box}")
    expect(page.locator(f'tr[data-unit="{box}"]')).to_contain_text("318054540014")
    assert not problems, problems
    context.close()


def test_the_new_desk_pages_render(browser, live_server, shots):
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    page = context.new_page()
    problems = watch(page)
    log_in(page, live_server, "supervisor")
    page.goto(f"{live_server}/dispatch/shipments/new")
    page.select_option("#legs-0-mode", "rail")
    page.select_option("#legs-0-from_node", "LANZHOU")
    page.select_option("#legs-0-to_node", "ALASHANKOU")
    page.select_option("#legs-1-mode", "rail")
    page.select_option("#legs-1-from_node", "WUWEI")
    page.select_option("#legs-1-to_node", "DOSTYK")
    page.click(".shipment-form button[type=submit].primary")
    expect(page.locator("#legs-1-from_node-error")).to_be_visible()
    shots(page, "shipment-new-error")
    page.select_option("#legs-1-from_node", "ALASHANKOU")
    page.fill("#reference", "E2E-AKS-DOS")
    page.click(".shipment-form button[type=submit].primary")
    expect(page.locator("#actions")).to_be_visible()
    shots(page, "shipment")
    page.goto(f"{live_server}/dispatch/events/new")
    page.click(".event-form button[type=submit]")
    shots(page, "event-form")
    page.goto(f"{live_server}/dispatch/events/upload")
    page.fill("#source", "rail:crct")
    page.fill("#text", "id,code,time,unit,node\nr1,ARRI,2026-11-30T08:00:00+08:00,"
                       "X8025/20261102,WUWEI\nr2,ARRI,yesterday,X8025/20261102,WARSAW\n")
    page.click("form button[type=submit].primary")
    expect(page.locator("table.csv-row .is-bad").first).to_be_visible()
    shots(page, "upload-error")
    page.goto(f"{live_server}/dispatch/network/lanes/new")
    shots(page, "lane-form")
    page.goto(f"{live_server}/stock/putaway-rules")
    shots(page, "putaway-rules")
    page.goto(f"{live_server}/stock/packages/new")
    shots(page, "package-new")
    assert not problems, problems
    context.close()
