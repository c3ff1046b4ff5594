"""Every demo role logs in at phone width and at desk width in a real Chromium."""
from __future__ import annotations

import os

import pytest

from wms.demo import DEMO_PASSWORD, USERS

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 740}, "desk": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("login", [u[0] for u in USERS])
def test_role_logs_in_and_page_fits(browser, live_server, screenshot_dir, login, size):
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".cards")
    assert page.locator(".card.tile").count() >= 1
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the {size} screen"
    page.screenshot(path=os.path.join(screenshot_dir, f"home-{login}-{size}.png"), full_page=True)
    page.locator(".card.tile").first.click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path=os.path.join(screenshot_dir, f"first-{login}-{size}.png"),
                    full_page=True)
    assert not errors, errors  # e.g. a Content-Security-Policy violation
    context.close()


def test_wrong_password_shows_the_error_and_language_switch(browser, live_server):
    context = browser.new_context(viewport=SIZES["phone"])
    page = context.new_page()
    page.goto(f"{live_server}/login")
    assert page.locator("h1").inner_text() == "登录"
    page.click("button[name=locale][value=en]")
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("#login", "operator")
    page.fill("#password", "not-it")
    page.click("button[type=submit].primary")
    assert "wrong" in page.locator(".flash-error").inner_text()
    context.close()
