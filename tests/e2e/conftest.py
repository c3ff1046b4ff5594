"""A live server on a free loopback port and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from wms.core.db import make_engine, make_session_factory
from wms.demo import load_demo
from tests.conftest import migrate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from web import create_app
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        load_demo(session)
        session.commit()
    app = create_app({"SESSION_FACTORY": sessions, "SECRET_KEY": "e2e",
                      "INSTANCE_PATH": str(path.parent)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run installs it with apt")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    path = os.environ.get("WMS_SCREENSHOT_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        return path
    return str(tmp_path_factory.mktemp("screens"))
