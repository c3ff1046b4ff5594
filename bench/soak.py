"""Soak (issue 17.9): mixed handheld, dispatcher and API load on the app behind gunicorn with
a background worker beside it, for SOAK_SECONDS (600 by default; ``--quick``: 30 s), then:
no request that should succeed failed, the ledger is clean, and the worker's memory stayed
under the bound (printed).

Run it on PostgreSQL: ``WMS_BENCH_DATABASE_URL=postgresql+psycopg://... make soak``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

from common import Database, Server, database_url_for, open_loop, report  # noqa: I001

from wms.core.context import SYSTEM, acting_as
from wms.inventory.ledger import check_ledger

WORKER_RSS_BOUND_MB = 150
RATE = 40  # requests a second, offered whatever the answers take
ASN = {"owner": "6201W60012", "warehouse": "LZB", "supplier": "Danone Nutricia GmbH, Fulda",
       "supplier_ref": "SOAK", "transport_mode": "3", "train_no": "X8024",
       "container_no": "CSQU3054383", "expected_arrival": "2026-12-05T08:00:00+08:00",
       "lines": [{"product": "APT-PRE-800", "quantity": 1_000_000, "lot": "L2026-1205",
                  "expiry_date": "2027-12-05"}]}


def mixed(i, ref, staff):
    """A handheld tally scan, a scan lookup, the stock list, the dispatcher's order list."""
    kind = i % 4
    if kind == 0:
        return "POST", f"/api/v1/receipts/{ref}/tally-scans", {"headers": staff["operator"], "json": {
            "item": "APT-PRE-800", "lot": "L2026-1205", "quantity": 1,
            "idempotency_key": f"soak-{uuid.uuid4().hex}"}}
    if kind == 1:
        return "GET", "/api/v1/scan/APT-PRE-800", {"headers": staff["operator"]}
    if kind == 2:
        return "GET", "/api/v1/stock", {"headers": staff["supervisor"]}
    return "GET", "/api/v1/orders", {"headers": staff["dispatcher"]}


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    seconds = float(os.environ.get("SOAK_SECONDS") or (30 if "--quick" in sys.argv else 600))
    db = Database()
    server = Server(db)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    worker = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "wms"), "worker"], cwd=root,
        env=dict(os.environ, WMS_DATABASE_URL=database_url_for(db), PYTHONPATH=root,
                 WMS_INSTANCE_PATH=os.path.join(db.workdir, "instance")))
    try:
        import functools

        import requests
        staff = {who: db.token(who) for who in ("operator", "supervisor", "dispatcher")}
        created = requests.post(server.base + "/api/v1/receipts", json=ASN,
                                headers=staff["supervisor"], timeout=60)
        assert created.status_code == 201, created.text
        ref = created.json()["name"].replace("/", "-")
        assert requests.post(f"{server.base}/api/v1/receipts/{ref}/gate-in",
                             json={"container_no": "CSQU3054383"}, headers=staff["operator"],
                             timeout=60).status_code == 201
        got = open_loop(server.base, functools.partial(mixed, ref=ref, staff=staff), RATE,
                        seconds)
        worker_mb = rss_mb(worker.pid)
        with acting_as(SYSTEM):
            session = db.sessions()
            problems = check_ledger(session)
            session.close()
        print(f"soak {seconds:.0f} s at {RATE}/s offered: {got['count']} requests, "
              f"{got['failed']} failed, p50 {got['p50']:.0f} ms p95 {got['p95']:.0f} ms; "
              f"ledger {'clean' if not problems else problems[:5]}; worker RSS "
              f"{worker_mb:.0f} MB (bound {WORKER_RSS_BOUND_MB} MB)")
        report("soak: worker RSS", worker_mb, WORKER_RSS_BOUND_MB, "MB",
               f"<= {WORKER_RSS_BOUND_MB} MB", worker_mb <= WORKER_RSS_BOUND_MB)
        if got["failed"] or problems or worker_mb > WORKER_RSS_BOUND_MB:
            sys.exit(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()
        db.drop()


if __name__ == "__main__":
    main()
