"""Picking in a real Chromium at phone size: a wave from released orders, one line picked by
scanning the location and the product; and screenshots of the outbound pages (phone and
desk) for people to look at."""
from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import expect

from wms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 900}
SHOTS = "/tmp/outbound_png"


def open_as(browser, live_server, login: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="en-US")
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
    return context, page, problems


def shot(page, screenshot_dir, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    for folder in {screenshot_dir, SHOTS}:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def scan(page, code: str) -> None:
    page.fill("#hh-scan", code)
    page.press("#hh-scan", "Enter")


def test_pick_one_wave_item_on_a_phone(browser, live_server, screenshot_dir):
    context, page, problems = open_as(browser, live_server, "operator", PHONE)
    page.goto(f"{live_server}/m/pick/?warehouse=LZB")
    fits(page)
    shot(page, screenshot_dir, "picking-waves-360")
    page.click("form.new-wave button[type=submit]")
    page.wait_for_selector("#pick-line")
    expect(page.locator("#hh-scan")).to_be_focused(timeout=2000)
    lines = json.loads(page.get_attribute("#pick", "data-lines"))
    first = next(ln for ln in lines if ln["state"] == "reserved")
    expect(page.locator("#hh-prompt")).to_contain_text(first["location_barcode"])
    scan(page, "LZB-NOWHERE")
    page.wait_for_selector("#hh-msg.hh-msg-err")
    scan(page, first["location_barcode"])
    page.wait_for_selector(".hh-step[data-step=product].is-current")
    scan(page, "NOT-THIS-ONE")
    page.wait_for_selector("#hh-msg.hh-msg-err")
    for _piece in range(int(float(first["qty"]))):  # one piece per scan
        scan(page, first["gtin"] or first["sku"])
    page.wait_for_selector(".hh-step[data-step=quantity].is-current")
    expect(page.locator("#pick-quantity")).to_have_value(first["qty"])
    shot(page, screenshot_dir, "picking-scan-360")
    page.click("#pick-confirm")
    page.wait_for_selector(f'.pick-row[data-move="{first["move"]}"].state-done')
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-ok")
    assert page.inner_text("#pick-done") == "1"
    expect(page.locator("#hh-scan")).to_be_focused(timeout=2000)
    fits(page)
    shot(page, screenshot_dir, "picking-picked-360")
    # The server agrees: the line is picked.
    page.reload()
    lines = json.loads(page.get_attribute("#pick", "data-lines"))
    assert next(ln for ln in lines if ln["move"] == first["move"])["state"] == "done"
    assert not problems, problems
    context.close()


@pytest.mark.parametrize("viewport, suffix", [(PHONE, "360"), (DESK, "desk")])
def test_outbound_pages_screens(browser, live_server, screenshot_dir, viewport, suffix):
    context, page, problems = open_as(browser, live_server, "supervisor", viewport)
    for name, order_no in (("order-detail", "SLX2026112700005"),
                           ("order-shipped", "SLX2026112700009")):
        # The detail is reached from the list by the order's number, not a guessed id.
        page.goto(f"{live_server}/orders/?q={order_no}")
        page.click(f"a:has(code:text-is('{order_no}'))")
        expect(page.locator("h1")).to_contain_text(order_no)
        if suffix == "360":
            fits(page)
        shot(page, screenshot_dir, f"{name}-{suffix}")
    pages = [("orders-list", "/orders/"), ("orders-b2b", "/orders/?kind=b2b"),
             ("messages", "/orders/messages"),
             ("packing", "/m/pick/pack?code=SLX2026112700008"),
             ("packing-check", "/m/pick/pack?code=SLX2026112700007"),
             ("picking-index", "/m/pick/"),
             ("statistics", "/reports/?period=day&date_from=2026-01-01&date_to=2026-12-31")]
    for name, path in pages:
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        if suffix == "360":
            fits(page)
        shot(page, screenshot_dir, f"{name}-{suffix}")
    assert not problems, problems
    context.close()
