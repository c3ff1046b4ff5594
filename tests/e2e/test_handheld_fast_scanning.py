"""Fast scanning on the handheld in a real Chromium at 360 x 740: the tally loop for a
lot-tracked product without a GS1 label (the lot barcode selects the lot and it stays, the
keypad sets the quantity per scan, the last scan is undone), an over-count that turns the
screen amber, buzzes and waits for Enter, and picking a quantity per scan."""
from __future__ import annotations

import os
import threading
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.conftest import migrate
from wms.core.db import make_engine, make_session_factory
from wms.demo import DEMO_PASSWORD, load_demo
from wms.inbound.models import Receipt, TallyScan

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/handheld_png"
YEAR = date.today().year
R3 = f"LZB/IN/{YEAR}/00003"
# Counts the vibrations and the error tones the page asks for.
SPIES = """
window.__vibrations = 0;
navigator.vibrate = function () { window.__vibrations += 1; return true; };
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from web import create_app
    path = tmp_path_factory.mktemp("e2e-fast") / "e2e.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        load_demo(session)
        session.commit()
    app = create_app({"SESSION_FACTORY": sessions, "SECRET_KEY": "e2e",
                      "INSTANCE_PATH": str(path.parent)})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_port}", sessions
    http.shutdown()
    engine.dispose()


@pytest.fixture
def shots(screenshot_dir):
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name: str) -> None:
        for folder in {screenshot_dir, SHOTS}:
            page.screenshot(path=os.path.join(folder, f"fast-{name}.png"), full_page=True)
    return take


def open_as(browser, url: str, login: str = "operator"):
    context = browser.new_context(viewport=PHONE, locale="en-US")
    context.add_init_script(SPIES)
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
    page.press("#password", "Enter")
    page.wait_for_load_state("networkidle")
    english = page.locator("button[name=locale][value=en]")
    if english.count():
        english.click()
        page.wait_for_load_state("networkidle")
    return context, page, problems


def scan(page, code: str) -> None:
    page.fill("#hh-scan", code)
    page.press("#hh-scan", "Enter")


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth"), page.url


def counted(sessions) -> Decimal:
    with sessions() as session:
        receipt = session.scalar(select(Receipt).where(Receipt.name == R3))
        return Decimal(session.scalar(select(func.coalesce(func.sum(TallyScan.quantity), 0))
                                      .where(TallyScan.receipt_id == receipt.id)))


def tallied(page) -> str:
    return page.locator("#hh-progress-table tbody[data-sku='MEIJI-STEP-800'] .hh-tallied")


def test_tally_loop_lot_sticks_keypad_undo_and_an_amber_over_count(browser, server, shots):
    url, sessions = server
    context, page, problems = open_as(browser, url)
    page.goto(f"{url}/m/tally?receipt={R3}")
    page.wait_for_selector("#hh-progress-table tbody[data-sku='MEIJI-STEP-800']")
    base = counted(sessions)
    assert base == 180
    expect(page.locator("#hh-tally-progress")).to_have_text("0/1 lines, 180 units")

    scan(page, "MJ261020")  # the lot's own barcode: it is selected, nothing counted
    page.wait_for_selector("#hh-msg.hh-msg-ok:has-text('MJ261020')")
    assert page.input_value("#hh-lot") == "MJ261020"
    assert "MEIJI-STEP-800" in page.inner_text("#hh-lot-for")
    assert counted(sessions) == base

    page.click("button[data-keypad='1'][data-for='hh-qty']")
    page.click("button[data-keypad='1'][data-for='hh-qty']")
    assert page.input_value("#hh-qty") == "3"
    scan(page, "MEIJI-STEP-800")
    expect(tallied(page)).to_have_text("183", timeout=5000)
    assert page.input_value("#hh-qty") == "1" and page.input_value("#hh-lot") == "MJ261020"
    scan(page, "MEIJI-STEP-800")  # the lot stuck: no lot to choose again
    expect(tallied(page)).to_have_text("184", timeout=5000)
    assert page.is_hidden("#hh-choices")
    fits(page)
    shots(page, "1-lot-sticks")

    page.click("#hh-undo")
    page.wait_for_selector("#hh-msg.hh-msg-ok:has-text('Undone')")
    expect(tallied(page)).to_have_text("183", timeout=5000)
    assert counted(sessions) == base + 3

    page.fill("#hh-qty", "139")  # 322 against 240 advised
    page.press("#hh-qty", "Enter")
    scan(page, "MEIJI-STEP-800")
    page.wait_for_selector("#hh-warn:visible")
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-warn")
    assert "322" in page.inner_text("#hh-warn") and "240" in page.inner_text("#hh-warn")
    assert page.evaluate("window.__vibrations") >= 1
    assert counted(sessions) == base + 3  # nothing written before the confirm
    fits(page)
    shots(page, "2-over-count-amber")
    page.press("#hh-scan", "Enter")  # Enter on the empty scan field confirms
    expect(tallied(page)).to_have_text("322", timeout=5000)
    assert page.is_hidden("#hh-warn")
    assert counted(sessions) == 322
    expect(page.locator("#hh-tally-progress")).to_have_text("1/1 lines, 322 units")
    shots(page, "3-confirmed")
    assert not problems, problems
    context.close()


def test_picking_takes_a_quantity_per_scan_and_enter_confirms(browser, server, shots):
    from wms.core.context import SYSTEM, acting_as
    from wms.demo import demo_order
    from wms.outbound.fulfilment import start_wave
    from wms.outbound.intake import receive_order
    url, sessions = server
    # A wave of its own: the demo's open wave holds the recalled Meiji lot, which is refused.
    with sessions() as session, acting_as(SYSTEM):
        order = receive_order(session, demo_order(
            "SLX2026120299001", "1210", "王小兰", "620102199003071520", "APT-PRE-800", 2,
            "198.00")).order
        order.state = "released"  # the customs receipts have their own tests
        wave_id = start_wave(session, "LZB", [order.id]).wave.id
        session.commit()
    context, page, problems = open_as(browser, url)
    page.goto(f"{url}/m/pick/waves/{wave_id}")
    lines = page.evaluate("JSON.parse(document.getElementById('pick').dataset.lines)")
    line = next(ln for ln in lines if ln["state"] == "reserved")
    assert line["qty"] == "2"
    scan(page, line["location_barcode"])
    page.wait_for_selector(".hh-step[data-step=product].is-current")
    scan(page, line["sku"])  # one scan, one piece: not the whole line
    page.wait_for_selector(".hh-step[data-step=quantity].is-current")
    assert page.input_value("#pick-quantity") == "1"
    page.click("#pick-undo")
    assert page.input_value("#pick-quantity") == "0"
    page.click("button[data-keypad='1'][data-for='pick-step']")
    assert page.input_value("#pick-step") == "2"
    scan(page, line["sku"])
    assert page.input_value("#pick-quantity") == "2"
    scan(page, line["sku"])  # a third piece is more than reserved
    page.wait_for_selector("#hh-msg.hh-msg-err")
    assert page.input_value("#pick-quantity") == "2"
    fits(page)
    shots(page, "4-pick-per-scan")
    page.press("#hh-scan", "Enter")  # Enter on the empty field confirms
    page.wait_for_selector(f'.pick-row[data-move="{line["move"]}"].state-done')
    expect(page.locator(f'.pick-row[data-move="{line["move"]}"] .pick-picked')).to_have_text("2")
    if all(ln["move"] == line["move"] or ln["state"] != "reserved" for ln in lines):
        page.wait_for_selector("#pick-next:visible")  # a finished wave leads to packing
        assert "/m/pick/pack" in page.get_attribute("#pick-next", "href")
    fits(page)
    shots(page, "5-picked")
    assert not problems, problems
    context.close()
