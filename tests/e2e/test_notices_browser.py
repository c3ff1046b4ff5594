"""New alerts reach the dispatcher's board in a real Chromium without a reload: the sweep
raises them while the page is open, and the page's next poll shows them."""
from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from wms.core.db import make_engine, make_session_factory, utcnow
from wms.demo import DEMO_PASSWORD
from wms.jobs.runner import JobContext, run_job

from tests.jobs.conftest import Clock, job_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path, sqlite_demo_template):
    from web import create_app
    path = tmp_path / "live.db"
    shutil.copy(sqlite_demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_session_factory(engine)
    app = create_app({"SESSION_FACTORY": sessions, "SECRET_KEY": "e2e",
                      "INSTANCE_PATH": str(tmp_path)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", sessions
    server.shutdown()
    engine.dispose()


def test_alerts_appear_on_the_board_without_a_reload(browser, served, tmp_path,
                                                     screenshot_dir):
    url, sessions = served
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.clock.install()
    page.goto(f"{url}/login")
    page.click("button[name=locale][value=en]")
    page.fill("#login", "dispatcher")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".cards")
    page.goto(f"{url}/dispatch/")
    page.wait_for_load_state("networkidle")  # the first poll: from now on
    page.evaluate("window.__same_page = true")
    assert page.locator(".live-notice").count() == 0

    ctx = JobContext(job_settings(tmp_path), sessions, clock=Clock(utcnow() + timedelta(days=3)))
    assert run_job(ctx, "logistics_sweep", force=True).counts["published"] > 0

    page.clock.fast_forward(31_000)
    expect(page.locator(".live-notice").first).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__same_page") is True  # no reload
    texts = page.locator(".live-notice").all_inner_texts()
    assert any("X8025-LZ-DUI" in t for t in texts), texts
    assert page.locator(".live-notice a").first.get_attribute("href") == "/dispatch/alerts"
    page.screenshot(path=os.path.join(screenshot_dir, "dispatch-live-notices.png"))
    assert errors == []
    context.close()
