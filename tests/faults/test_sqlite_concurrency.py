"""The embedded SQLite default under 32 concurrent clients (issue 18.2): logins, tally scans
and scan lookups against a real threaded server on a port get no "database is locked" 500.

WAL lets readers go on beside the writer, the busy timeout lets a writer wait its turn,
and every unit of work that writes begins IMMEDIATE and is retried on a lost race.
"""
from __future__ import annotations

import shutil
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from tests.web.test_api_receipts import ASN
from wms.accounts import services as accounts
from wms.core.context import SYSTEM, acting_as
from wms.core.db import make_engine, make_session_factory
from wms.inbound.models import TallyScan

CLIENTS = 32
ROUNDS = 6


@pytest.fixture
def server(sqlite_demo_template, tmp_path):
    path = tmp_path / "wms.db"
    shutil.copy(sqlite_demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        tokens = {who: accounts.create_token(session, accounts.get_user(session, who))
                  for who in ("supervisor", "operator")}
        session.commit()
    from web import create_app
    app = create_app({"TESTING": False, "SESSION_FACTORY": make_session_factory(engine),
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "WTF_CSRF_ENABLED": False, "SETTINGS_ENVIRONMENT": {}})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", tokens, engine
    httpd.shutdown()
    engine.dispose()


def test_32_clients_log_in_scan_and_look_up_without_a_locked_database(server):
    base, tokens, engine = server
    staff = {who: {"Authorization": f"Bearer {t}"} for who, t in tokens.items()}
    asn = {**ASN, "supplier_ref": "LOCK-32", "lines": [{**ASN["lines"][0], "quantity": 5000}]}
    created = requests.post(f"{base}/api/v1/receipts", json=asn, headers=staff["supervisor"],
                            timeout=60)
    assert created.status_code == 201, created.text
    ref = created.json()["name"].replace("/", "-")
    assert requests.post(f"{base}/api/v1/receipts/{ref}/gate-in",
                         json={"container_no": "CSQU3054383"}, headers=staff["operator"],
                         timeout=60).status_code == 201
    before = tallied(engine)
    answers: list[tuple[str, int, str]] = []
    scans_done = []

    def client(n: int) -> None:
        web = requests.Session()
        for round_ in range(ROUNDS):
            kind = ("login", "scan", "lookup")[(n + round_) % 3]
            if kind == "login":
                r = web.post(f"{base}/login", data={"login": "operator",
                                                    "password": "Lanzhou-2026"},
                             allow_redirects=False, timeout=60)
            elif kind == "scan":
                r = requests.post(f"{base}/api/v1/receipts/{ref}/tally-scans", json={
                    "item": "APT-PRE-800", "lot": "L2026-1205", "quantity": 1,
                    "idempotency_key": f"lock-{uuid.uuid4().hex}"},
                    headers=staff["operator"], timeout=60)
                if r.status_code == 201:
                    scans_done.append(1)
            else:
                r = requests.get(f"{base}/api/v1/scan/APT-PRE-800", headers=staff["operator"],
                                 timeout=60)
            answers.append((kind, r.status_code, r.text[:200]))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == CLIENTS * ROUNDS
    failed = [a for a in answers if a[1] >= 500]
    assert not failed, failed[:5]
    expected = {"login": 302, "scan": 201, "lookup": 200}
    wrong = [a for a in answers if a[1] != expected[a[0]]]
    assert not wrong, wrong[:5]
    assert tallied(engine) - before == len(scans_done) == sum(1 for a in answers
                                                            if a[0] == "scan")


def tallied(engine):
    with sessionmaker(bind=engine)() as session:
        return session.scalar(select(func.coalesce(func.sum(TallyScan.quantity), 0)))
