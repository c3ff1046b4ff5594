"""Bulk receiving of return parcels on a 360 px handheld in a real Chromium: three parcels,
one unknown, which lands in the unidentified queue; screenshots of the handheld and the desk."""
from __future__ import annotations

import os
import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.conftest import migrate
from wms.core.db import make_engine, make_session_factory
from wms.demo import DEMO_PASSWORD, load_demo
from wms.returns.demo import BUYER_A, load_returns_demo, ship_order
from wms.returns import requests
from wms.returns.models import ReturnParcel

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 900}
SHOTS = "/tmp/returns_png"


@pytest.fixture(scope="module")
def returns_server(tmp_path_factory):
    """A live app on the demo data with the returns demo and two fresh returns to receive."""
    from web import create_app
    path = tmp_path_factory.mktemp("e2e-returns") / "e2e.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        load_demo(session)
        load_returns_demo(session)
        names = []
        for i in (1, 2):
            order = ship_order(session, f"SLX2026112797{i:03d}", BUYER_A, "APT-PRE-800", 1,
                               "198.00")
            names.append(requests.create_request(session, {"order": order.order_no,
                                                     "reason": "e2e"}).request.name)
        session.commit()
    app = create_app({"SESSION_FACTORY": sessions, "SECRET_KEY": "e2e",
                      "INSTANCE_PATH": str(path.parent)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", sessions, names
    server.shutdown()
    engine.dispose()


def open_as(browser, url, viewport, login="returns"):
    context = browser.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and ("Content Security Policy" in m.text
                                      or "Uncaught" in m.text) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{url}/login")
    page.click("button[name=locale][value=en]")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".cards")
    return context, page, problems


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def scan(page, code):
    page.fill("#hh-scan", code)
    page.press("#hh-scan", "Enter")


def test_bulk_receiving_three_parcels_one_unknown(browser, returns_server):
    url, sessions, names = returns_server
    context, page, problems = open_as(browser, url, PHONE)
    page.goto(f"{url}/returns/m/receive")
    expect(page.locator("#hh-scan")).to_be_focused()
    count = int(page.locator("#rt-count").inner_text())
    scan(page, names[0])
    expect(page.locator("#hh-msg")).to_contain_text(names[0])
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-ok")
    scan(page, "ZZ-UNKNOWN-E2E")
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-err")
    expect(page.locator("#hh-msg")).to_contain_text("ZZ-UNKNOWN-E2E")
    expect(page.locator("#rt-parcels li.rt-p-unidentified").first).to_contain_text(
        "ZZ-UNKNOWN-E2E")
    scan(page, names[1].replace("/", "-").lower())
    expect(page.locator("#rt-count")).to_have_text(str(count + 3))
    expect(page.locator("#rt-unknown")).not_to_have_text("0")
    scan(page, names[0])  # the same parcel again: nothing added
    expect(page.locator("#hh-msg")).to_contain_text("LZB/RCB/")  # "received before (batch)"
    expect(page.locator("#rt-count")).to_have_text(str(count + 3))
    expect(page.locator("#hh-scan")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "handheld-receive-360")
    with sessions() as session:
        parcel = session.scalar(select(ReturnParcel).where(
            ReturnParcel.code == "ZZ-UNKNOWN-E2E"))
        assert parcel.state == "unidentified" and parcel.request_id is None
        assert session.scalar(select(ReturnParcel.state).where(
            ReturnParcel.code == names[0])) == "matched"
    page.once("dialog", lambda d: d.accept())
    page.click("#rt-arrive")
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-ok")
    expect(page.locator("#rt-count")).to_have_text("0")
    page.goto(f"{url}/returns/")
    expect(page.locator("body")).to_contain_text("ZZ-UNKNOWN-E2E")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "desk-360")
    assert not problems, problems
    context.close()


def test_desk_screenshots(browser, returns_server):
    url, _sessions, _names = returns_server
    context, page, problems = open_as(browser, url, DESK)
    page.goto(f"{url}/returns/")
    expect(page.locator("svg.rt-chart")).to_be_visible()
    shot(page, "desk")
    page.goto(f"{url}/returns/m/receive")
    shot(page, "handheld-receive-desk")
    page.goto(f"{url}/returns/")
    page.click("tr:has-text('SLX2026112700105') a")
    shot(page, "detail-desk")
    assert not problems, problems
    context.close()


def test_handheld_misread_undo_and_remove(browser, returns_server):
    """A misread S10 is refused (red, nothing added); the last scan is undone and another
    mis-scan removed with its button; the list and the counts follow."""
    url, sessions, _names = returns_server
    context, page, problems = open_as(browser, url, PHONE)
    page.goto(f"{url}/returns/m/receive")
    count = int(page.locator("#rt-count").inner_text())
    scan(page, "RR123456784CN")
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-err")
    expect(page.locator("#hh-msg")).to_contain_text("RR123456784CN")
    expect(page.locator("#hh-msg")).to_contain_text("5")
    expect(page.locator("#rt-count")).to_have_text(str(count))
    scan(page, "ZZ-MISSCAN-E2E-1")
    expect(page.locator("#rt-count")).to_have_text(str(count + 1))
    scan(page, "ZZ-MISSCAN-E2E-2")
    expect(page.locator("#rt-count")).to_have_text(str(count + 2))
    page.click("#rt-undo")
    expect(page.locator("#hh-msg")).to_contain_text("ZZ-MISSCAN-E2E-2")
    expect(page.locator("#rt-count")).to_have_text(str(count + 1))
    expect(page.locator("#rt-parcels")).not_to_contain_text("ZZ-MISSCAN-E2E-2")
    page.once("dialog", lambda d: d.accept())
    page.locator("#rt-parcels li", has_text="ZZ-MISSCAN-E2E-1").locator(".rt-remove").click()
    expect(page.locator("#rt-parcels")).not_to_contain_text("ZZ-MISSCAN-E2E-1")
    expect(page.locator("#rt-count")).to_have_text(str(count))
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "handheld-undo-remove-360")
    with sessions() as session:
        assert session.scalar(select(ReturnParcel.id).where(ReturnParcel.code.in_(
            ["RR123456784CN", "ZZ-MISSCAN-E2E-1", "ZZ-MISSCAN-E2E-2"]))) is None
    assert not problems, problems
    context.close()


def test_handheld_grades_two_units_apart_and_highlights_the_choice(browser, returns_server):
    url, sessions, _names = returns_server
    from wms.returns import receiving
    with sessions() as session:
        order = ship_order(session, "SLX2026112797901", BUYER_A, "APT-PRE-800", 2, "198.00")
        r = requests.create_request(session, {"order": order.order_no,
                                              "reason": "e2e units"}).request
        receiving.scan_parcel(session, r.name, warehouse=r.warehouse)
        receiving.arrive_batch(session, receiving.open_batch(session, r.warehouse))
        name = r.name
        session.commit()
    context, page, problems = open_as(browser, url, PHONE)
    page.goto(f"{url}/returns/m/inspect")
    scan(page, name)
    expect(page.locator("#rt-return-name")).to_contain_text(name)
    page.select_option("#rt-unit", "1")
    page.click(".rt-grade[data-grade=new]")
    expect(page.locator(".rt-grade[data-grade=new]")).to_have_class(re.compile("rt-chosen"))
    page.select_option("#rt-unit", "2")
    expect(page.locator(".rt-grade.rt-chosen")).to_have_count(0)  # unit 2 not graded yet
    page.fill("#rt-reason", "罐体凹陷")
    page.click(".rt-grade[data-grade=damaged]")
    expect(page.locator(".rt-grade[data-grade=damaged]")).to_have_class(re.compile("rt-chosen"))
    expect(page.locator("#rt-unit option[value='2']")).to_contain_text("—")
    page.select_option("#rt-unit", "1")
    expect(page.locator(".rt-grade[data-grade=new]")).to_have_class(re.compile("rt-chosen"))
    shot(page, "handheld-grade-units-360")
    with sessions() as session:
        from wms.returns.models import ReturnRequest as RR
        from wms.returns.inspection import unit_grades
        line = session.scalar(select(RR).where(RR.name == name)).lines[0]
        assert unit_grades(line) == ["new", "damaged"] and line.grade == "damaged"
    assert not problems, problems
    context.close()
