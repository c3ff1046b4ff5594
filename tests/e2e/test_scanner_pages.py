"""Every scanner page in a real Chromium at 360 x 740: a write made without network waits
in the user's one queue ("1 waiting"), is sent once when the network is back and changes
the server exactly once; a write queued on one page is sent by another; each page fits the
phone's width; a misread code is explained in the reader's language."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Callable

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from stdnum import gs1_128
from werkzeug.serving import make_server

from tests.conftest import migrate
from wms.catalog.models import Product
from wms.core.db import make_engine, make_session_factory
from wms.demo import DEMO_PASSWORD, load_demo
from wms.inbound.models import Receipt, TallyScan
from wms.inventory.models import CountSession, Location, Quant, StockMove
from wms.logistics import shipments as lg
from wms.logistics.identifiers import make_s10
from wms.logistics.models import TrackingEvent, TransportUnit
from wms.outbound.models import Parcel, SalesOrder
from wms.returns import requests as rs
from wms.returns.demo import BUYER_A, load_returns_demo, ship_order
from wms.returns.models import ReturnLine, ReturnParcel, ReturnRequest

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SHOTS = "/tmp/scanner_png"
MEIJI_GTIN = "04902000001703"
YEAR = date.today().year  # receipt names carry the year the demo was loaded in


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live app of its own (these tests write on every page) on the demo data, the
    returns demo and two fresh returns waiting to be received."""
    from web import create_app
    path = tmp_path_factory.mktemp("e2e-scanner") / "e2e.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        load_demo(session)
        load_returns_demo(session)
        names = []
        for i in (1, 2):
            order = ship_order(session, f"SLX2026112798{i:03d}", BUYER_A, "APT-PRE-800", 1,
                               "198.00")
            names.append(rs.create_request(session, {"order": order.order_no,
                                                     "reason": "e2e"}).request.name)
        session.commit()
    app = create_app({"SESSION_FACTORY": sessions, "SECRET_KEY": "e2e",
                      "INSTANCE_PATH": str(path.parent)})
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", sessions, names
    http.shutdown()
    engine.dispose()


@pytest.fixture
def shots(screenshot_dir):
    os.makedirs(SHOTS, exist_ok=True)

    def take(page, name: str) -> None:
        for folder in {screenshot_dir, SHOTS}:
            page.screenshot(path=os.path.join(folder, f"scanner-{name}.png"), full_page=True)
    return take


def open_as(browser, url: str, login: str = "supervisor", locale: str = "en"):
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and ("Content Security Policy" in m.text
                                      or "Uncaught" in m.text) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{url}/login")
    if page.locator(f"button[name=locale][value={locale}]").count():
        page.click(f"button[name=locale][value={locale}]")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".cards")
    switch = page.locator(f"button[name=locale][value={locale}]")
    if switch.count():  # the user's own language wins at login: switch back
        switch.click()
        page.wait_for_selector(".cards")
    return context, page, problems


def scan(page, code: str) -> None:
    page.fill("#hh-scan", code)
    page.press("#hh-scan", "Enter")


def fits(page) -> None:
    """No horizontal scrolling at 360 px."""
    assert page.evaluate("document.documentElement.scrollWidth <= "
                         "document.documentElement.clientWidth"), page.url


def carton_label(lot: str, expiry: date, count: int) -> str:
    return gs1_128.encode({"01": MEIJI_GTIN, "10": lot, "17": expiry, "37": count},
                          separator="\x1d")


def stock_at(session, barcode: str, sku: str) -> Decimal:
    return session.scalar(select(func.coalesce(func.sum(Quant.quantity), 0))
                          .join(Location, Location.id == Quant.location_id)
                          .join(Product, Product.id == Quant.product_id)
                          .where(Location.barcode == barcode, Product.sku == sku))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# ------------------------------------------------------------------ one case per page

@dataclass
class Case:
    """A scanner page: ``prepare`` runs online, ``act`` makes exactly one write offline,
    ``measure`` reads the server state the write changes by ``delta``."""
    path: str
    endpoint: str
    act: Callable
    measure: Callable
    prepare: Callable = lambda page, ctx: None
    delta: Decimal | int = 1
    ctx: dict = field(default_factory=dict)


def transfer_act(page, ctx):
    scan(page, "LZB-A-01-02")
    page.wait_for_selector(".hh-step[data-step=item].is-current")
    scan(page, "MEIJI-STEP-800")
    page.wait_for_selector(".hh-step[data-step=destination].is-current")
    scan(page, "LZB-A-02-02")


def putaway_prepare(page, ctx):
    """Online, to learn where the rules put the lot; the operator scans it offline."""
    scan(page, f"(01){MEIJI_GTIN}(10)MJ260915")
    page.wait_for_selector("#hh-suggest-row:visible")
    ctx["to"] = page.inner_text("#hh-suggest").rsplit("(", 1)[1].rstrip(")")
    page.click("#hh-reset")


def putaway_act(page, ctx):
    scan(page, f"(01){MEIJI_GTIN}(10)MJ260915")
    page.wait_for_selector(".hh-step[data-step=destination].is-current")
    scan(page, ctx["to"])


def count_act(page, ctx):
    scan(page, "LZB-A-02-01")
    page.wait_for_selector("#hh-location:has-text('LZB-A-02-01')")
    scan(page, "SWS-ESSENCE-150")
    page.wait_for_selector("#hh-lines tr")
    page.click("#hh-submit")


def tally_prepare(page, ctx):
    page.evaluate("localStorage.removeItem('wms.hh.tally.supervisor')")
    scan(page, f"LZB/IN/{YEAR}/00003")
    page.wait_for_selector("#hh-progress-table tbody")


def tally_measure(session, ctx):
    receipt = session.scalar(select(Receipt).where(Receipt.name == f"LZB/IN/{YEAR}/00003"))
    return count(session, TallyScan, TallyScan.receipt_id == receipt.id)


def pick_prepare(page, ctx):
    page.click("form.new-wave button[type=submit]")
    page.wait_for_selector("#pick-line")
    lines = page.evaluate("JSON.parse(document.getElementById('pick').dataset.lines)")
    ctx["line"] = next(ln for ln in lines if ln["state"] == "reserved")


def pick_act(page, ctx):
    line = ctx["line"]
    scan(page, line["location_barcode"])
    page.wait_for_selector(".hh-step[data-step=product].is-current")
    page.fill("#pick-step", line["qty"])  # the keypad: the whole line in one scan
    scan(page, line["gtin"] or line["sku"])
    page.wait_for_selector(".hh-step[data-step=quantity].is-current")
    expect(page.locator("#pick-quantity")).to_have_value(line["qty"])
    page.click("#pick-confirm")


def pick_measure(session, ctx):
    move = session.get(StockMove, ctx["line"]["move"])
    return count(session, StockMove, StockMove.document_id == move.document_id,
                 StockMove.state == "done")


def pack_act(page, ctx):
    items = page.evaluate("JSON.parse(document.getElementById('pick').dataset.items)")
    for item in items:
        for _ in range(int(Decimal(item["qty"]))):
            scan(page, item["sku"])
    page.fill("#pack-weight", "2.3")
    page.fill("#pack-tracking", make_s10("RR", 55500001, "CN"))
    expect(page.locator("#pack-confirm")).to_be_enabled()
    page.click("#pack-confirm")


def pack_measure(session, ctx):
    order = session.scalar(select(SalesOrder).where(SalesOrder.order_no == "SLX2026112700007"))
    return count(session, Parcel, Parcel.order_id == order.id)


def receive_act(page, ctx):
    scan(page, ctx["names"][0])


def receive_measure(session, ctx):
    return count(session, ReturnParcel, ReturnParcel.code == ctx["names"][0])


def inspect_prepare(page, ctx):
    scan(page, ctx["received"])
    page.wait_for_selector("#rt-return:visible")


def inspect_act(page, ctx):
    page.click(".rt-grade[data-grade=new]")


def inspect_measure(session, ctx):
    request = session.scalar(select(ReturnRequest).where(ReturnRequest.name == ctx["received"]))
    return count(session, ReturnLine, ReturnLine.request_id == request.id,
                 ReturnLine.grade.is_not(None))


def load_act(page, ctx):
    page.select_option("#dl-node", "WUWEI")
    scan(page, ctx["box"])
    page.wait_for_selector(".hh-step[data-step=into].is-current")
    scan(page, ctx["train"])


def events(session, ctx):
    return count(session, TrackingEvent, TrackingEvent.source == "wms:handheld")


CASES = {
    "transfer": Case("/m/transfer", "/m/api/transfer", transfer_act,
                     lambda s, ctx: stock_at(s, "LZB-A-02-02", "MEIJI-STEP-800")),
    "putaway": Case("/m/putaway", "/m/api/putaway", putaway_act,
                    lambda s, ctx: stock_at(s, ctx["to"], "MEIJI-STEP-800"), putaway_prepare),
    "count": Case("/m/count", "/m/api/count", count_act,
                  lambda s, ctx: count(s, CountSession)),
    "tally": Case("/m/tally", "/m/api/tally", lambda page, ctx: scan(
        page, carton_label("MJ261020", date(2027, 10, 20), 12)), tally_measure, tally_prepare),
    "picking": Case("/m/pick/?warehouse=LZB", "/m/pick/api/pick", pick_act, pick_measure,
                    pick_prepare),
    "packing": Case("/m/pick/pack?code=SLX2026112700007", "/m/pick/api/pack", pack_act,
                    pack_measure),
    "returns-receiving": Case("/returns/m/receive", "/returns/m/api/scan", receive_act,
                              receive_measure),
    "returns-inspection": Case("/returns/m/inspect", "/returns/m/api/grade", inspect_act,
                               inspect_measure, inspect_prepare),
    "loading": Case("/dispatch/m/load", "/dispatch/m/api/scan", load_act, events),
}


def context_of(sessions, names) -> dict:
    with sessions() as session:
        received = session.scalar(select(ReturnRequest.name).where(
            ReturnRequest.state == "received").order_by(ReturnRequest.id))
        late = lg.find_shipment(session, "X9017-LZ-ALA")
        box = session.scalar(select(TransportUnit.identifier).where(
            TransportUnit.shipment_id == late.id).order_by(TransportUnit.id))
        train = session.scalar(select(TransportUnit.identifier).where(
            TransportUnit.kind == "train").order_by(TransportUnit.id))
    return {"names": names, "received": received, "box": box, "train": train}


def measured(sessions, case: Case, ctx: dict):
    with sessions() as session:
        return case.measure(session, ctx)


@pytest.mark.parametrize("name", list(CASES))
def test_an_offline_write_waits_and_is_sent_once(browser, server, shots, name):
    url, sessions, names = server
    case = CASES[name]
    ctx = context_of(sessions, names)
    context, page, problems = open_as(browser, url)
    page.goto(url + case.path)
    case.prepare(page, ctx)
    expect(page.locator("#hh-scan")).to_be_focused(timeout=2000)
    before = measured(sessions, case, ctx)

    context.set_offline(True)
    page.wait_for_selector("#hh-net.hh-offline")
    case.act(page, ctx)
    page.wait_for_selector("#hh-queue[data-count='1']")
    expect(page.locator("#hh-queue")).to_contain_text("1")
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-queued")
    assert measured(sessions, case, ctx) == before  # nothing left the device
    fits(page)
    shots(page, f"{name}-offline")

    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url)
            if r.method == "POST" and case.endpoint in r.url else None)
    context.set_offline(False)
    page.wait_for_selector("#hh-queue[data-count='0']", timeout=20000)
    assert page.is_hidden("#hh-errors")
    assert measured(sessions, case, ctx) == before + case.delta
    page.wait_for_timeout(300)  # no second send behind the first
    assert len(posts) == 1, posts
    assert measured(sessions, case, ctx) == before + case.delta
    fits(page)
    shots(page, f"{name}-sent")
    assert not problems, problems
    context.close()


def test_a_scan_queued_on_one_page_is_sent_by_another(browser, server, shots):
    """An unload scanned offline, then the device moves on to scan anything: that page
    sends it."""
    url, sessions, _names = server
    pallet = "069061230009000024"  # a demo pallet in a container
    with sessions() as session:
        before = events(session, None)
    context, loading, problems = open_as(browser, url)
    loading.goto(f"{url}/dispatch/m/load")
    context.set_offline(True)
    loading.wait_for_selector("#hh-net.hh-offline")
    loading.select_option("#dl-node", "WUWEI")
    loading.click(".dl-mode[data-mode=unload]")
    scan(loading, pallet)
    loading.wait_for_selector("#hh-queue[data-count='1']")
    loading.close()
    context.set_offline(False)
    with sessions() as session:
        assert events(session, None) == before

    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(f"{url}/m/scan")
    page.wait_for_selector("#hh-queue[data-count='0']", timeout=20000)
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-ok")
    expect(page.locator("#hh-msg")).to_contain_text(pallet)
    with sessions() as session:
        assert events(session, None) == before + 1
    fits(page)
    shots(page, "scan-anything-sent-for-loading")
    page.goto(f"{url}/m/")
    fits(page)
    shots(page, "handheld-menu")
    assert not problems, problems
    context.close()


@pytest.mark.parametrize("locale, words, english", [
    ("zh_CN", "校验位错误", "Wrong check digit"),
    ("en", "Wrong check digit in CSQU3054384: it should be 3", None),
])
def test_a_misread_is_explained_in_the_readers_language(browser, server, shots, locale,
                                                        words, english):
    url, _sessions, _names = server
    context, page, problems = open_as(browser, url, "operator", locale)
    page.goto(f"{url}/m/scan")
    scan(page, "CSQU3054384")
    page.wait_for_selector("#hh-result .hh-explain.is-err")
    why = page.inner_text("#hh-result .hh-why")
    assert words in why and "CSQU3054384" in why and "3" in why
    if english:
        assert english not in page.inner_text("#hh")
    fits(page)
    shots(page, f"scan-misread-{locale}")
    assert not problems, problems
    context.close()


def test_queues_left_by_the_old_pages_are_sent_too(browser, server):
    """Scans a device queued before the upgrade (per login, one queue per page family)."""
    url, sessions, _names = server
    with sessions() as session:
        stock = stock_at(session, "LZB-A-02-02", "MEIJI-STEP-800")
        before = events(session, None)
    context, page, problems = open_as(browser, url)
    page.evaluate("""() => {
        localStorage.setItem('wms.hh.queue.supervisor', JSON.stringify([{
            key: 'old-hh-0001', url: '/m/api/transfer', label: 'old transfer', at: 1,
            body: {item: 'MEIJI-STEP-800', lot: 'MJ260401', source: 'LZB-A-01-02',
                   destination: 'LZB-A-02-02',
                   idempotency_key: 'old-hh-0001'}}]));
        localStorage.setItem('wms.dl.queue.supervisor', JSON.stringify([{
            label: 'old unload', body: {mode: 'unload', unit: '069061230009000031',
                                        node: 'WUWEI', idempotency_key: 'old-dl-0001'}}]));
    }""")
    page.goto(f"{url}/m/scan")
    page.wait_for_selector("#hh-queue[data-count='0']", timeout=20000)
    expect(page.locator("#hh-msg")).to_have_class("hh-msg hh-msg-ok")
    assert page.is_hidden("#hh-errors")
    assert page.evaluate("[localStorage.getItem('wms.hh.queue.supervisor'), "
                         "localStorage.getItem('wms.dl.queue.supervisor')]") == [None, None]
    with sessions() as session:
        assert stock_at(session, "LZB-A-02-02", "MEIJI-STEP-800") == stock + 1
        assert events(session, None) == before + 1
    assert not problems, problems
    context.close()


# ------------------------------------------------------------------ every page at 360 px

# Elements whose content is wider than their box and cut off (overflow hidden or clip), or
# the page itself wider than the phone: both fail.
CLIPPED = """() => {
  const doc = document.documentElement;
  const out = [];
  if (doc.scrollWidth > doc.clientWidth) { out.push('page ' + doc.scrollWidth + ' > ' + doc.clientWidth); }
  for (const el of document.querySelectorAll('#hh *, #pick *, .page *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || !el.offsetParent) { continue; }
    const cuts = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (cuts && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      out.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth + ' > ' + el.clientWidth);
    }
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > doc.clientWidth + 1 && !el.closest('.table-wrap')) {
      out.push('off-screen ' + el.tagName + '.' + el.className + ' right ' + Math.round(box.right));
    }
  }
  return out;
}"""

PAGES = {
    "home": "/m/", "scan": "/m/scan?code=CSQU3054383", "scan-unknown": "/m/scan?code=NOPE-1",
    "tally": f"/m/tally?receipt=LZB/IN/{YEAR}/00003", "putaway": "/m/putaway",
    "transfer": "/m/transfer", "count": "/m/count", "counts": "/m/counts",
    "waves": "/m/pick/?warehouse=LZB", "wave": "wave", "pick-list": "pick-list",
    "pack": "/m/pick/pack?code=SLX2026112700007", "pack-packed": "/m/pick/pack?code=SLX2026112700008",
    "returns-receiving": "/returns/m/receive", "returns-inspection": "/returns/m/inspect",
    "loading": "/dispatch/m/load",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_scanner_page_fits_360_px_without_clipping(browser, server, shots, name):
    url, sessions, _names = server
    path = PAGES[name]
    if path in ("wave", "pick-list"):
        from wms.outbound.models import Wave
        with sessions() as session:
            wave = session.scalar(select(Wave).order_by(Wave.id))
        path = f"/m/pick/waves/{wave.id}" + ("/list" if name == "pick-list" else "")
    context, page, problems = open_as(browser, url)
    page.goto(url + path)
    page.wait_for_load_state("networkidle")
    if name == "tally":
        page.wait_for_selector("#hh-progress-table tbody")
    if name == "pick-list":
        assert "Picked" in page.inner_text("table.list thead")
    clipped = page.evaluate(CLIPPED)
    shots(page, f"360-{name}")
    assert clipped == [], clipped
    assert not problems, problems
    context.close()
