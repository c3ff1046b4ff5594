"""The desk lists (stock, orders, receipts, returns) on a 360 x 740 phone in Chromium: each
row becomes a card, quantities stay on screen, and nothing overflows or is cut: the page is
no wider than the screen, no cell's text is wider than its cell, and no tag (a state, a
customs status) is broken across lines."""
from __future__ import annotations

import os

import pytest

from wms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
LISTS = ["/stock/", "/orders/", "/receipts/", "/returns/"]

MEASURE = """() => {
  const doc = document.documentElement;
  const out = {page: doc.scrollWidth - doc.clientWidth, cells: [], tags: [], offscreen: []};
  document.querySelectorAll('table.list td').forEach((td) => {
    if (!td.offsetParent) { return; }
    if (td.scrollWidth > td.clientWidth + 1) {
      out.cells.push(td.getAttribute('data-label') + ': ' + td.innerText.slice(0, 60));
    }
    td.querySelectorAll('*').forEach((el) => {
      if (el.offsetParent && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1 &&
          getComputedStyle(el).overflowX !== 'visible') {
        out.cells.push('clipped ' + el.tagName + ': ' + el.innerText.slice(0, 60));
      }
    });
    const r = td.getBoundingClientRect();
    if (td.classList.contains('num') && (r.right > window.innerWidth + 1 || r.width === 0)) {
      out.offscreen.push(td.getAttribute('data-label') + ': ' + td.innerText);
    }
  });
  document.querySelectorAll('table.list .tag').forEach((tag) => {
    if (!tag.offsetParent) { return; }
    const lh = parseFloat(getComputedStyle(tag).lineHeight) || 20;
    if (tag.getClientRects().length > 1 || tag.getBoundingClientRect().height > lh * 1.6) {
      out.tags.push(tag.innerText);
    }
  });
  out.rows = document.querySelectorAll('table.list tbody tr').length;
  out.labelled = document.querySelectorAll('table.list td[data-label]').length;
  return out;
}"""


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#login", "supervisor")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_load_state()
    yield page
    context.close()


@pytest.mark.parametrize("path", LISTS)
def test_desk_list_at_360px_is_cards_without_overflow(phone, live_server, screenshot_dir,
                                                      path):
    phone.goto(f"{live_server}{path}")
    phone.wait_for_selector("table.list")
    found = phone.evaluate(MEASURE)
    phone.screenshot(path=os.path.join(screenshot_dir, f"list-360-{path.strip('/')}.png"),
                     full_page=True)
    assert found["rows"] > 0
    assert found["page"] <= 0, f"the page is {found['page']} px wider than the screen"
    assert not found["cells"], found["cells"]
    assert not found["offscreen"], found["offscreen"]
    assert not found["tags"], found["tags"]
    assert found["labelled"] > 0  # cards say what each value is
