"""What every benchmark shares: a fresh database (PostgreSQL at WMS_BENCH_DATABASE_URL in a
schema of its own, else a SQLite file), migrated and with the demo loaded, a logged-in
test client or token, timing, and the one line each script prints:

    figure | measured | floor | ratio | target

Each script takes ``--quick`` (a size that runs in seconds, for trying) and prints its
figure against a floor measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("WMS_SCRYPT_N", "1024")
os.environ.setdefault("WMS_SECRET_KEY", "bench")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from wms.core.context import SYSTEM, acting_as  # noqa: E402
from wms.core.db import make_engine, make_session_factory  # noqa: E402

BENCH_URL = os.environ.get("WMS_BENCH_DATABASE_URL")


def arguments(description: str, full: int, quick: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=f"{quick} instead of {full}")
    parser.add_argument("--size", type=int, default=None)
    args = parser.parse_args()
    args.size = args.size or (quick if args.quick else full)
    return args


class Database:
    """A fresh, migrated database with the demo loaded; ``drop()`` removes it."""

    def __init__(self, demo: bool = True) -> None:
        self.workdir = tempfile.mkdtemp(prefix="wms-bench-")
        self.schema = None
        if BENCH_URL:
            self.schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(BENCH_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            admin.dispose()
            self.url = BENCH_URL
            self.engine = make_engine(BENCH_URL, connect_args={
                "options": f"-csearch_path={self.schema}"})
        else:
            self.url = f"sqlite:///{os.path.join(self.workdir, 'bench.db')}"
            self.engine = make_engine(self.url)
        migrate(self.engine)
        self.sessions = make_session_factory(self.engine)
        if demo:
            from wms.demo import load_demo
            with acting_as(SYSTEM):
                session = self.sessions()
                load_demo(session)
                session.commit()
                session.close()

    @property
    def kind(self) -> str:
        return self.engine.dialect.name

    def analyze(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()

    def app(self, **config):
        from web import create_app
        return create_app({"SESSION_FACTORY": self.sessions, "WTF_CSRF_ENABLED": False,
                           "SECRET_KEY": "bench", "SETTINGS_ENVIRONMENT": {},
                           "INSTANCE_PATH": os.path.join(self.workdir, "instance"), **config})

    def token(self, login: str) -> dict:
        from wms.accounts import services as accounts
        with acting_as(SYSTEM):
            session = self.sessions()
            token = accounts.create_token(session, accounts.get_user(session, login))
            session.commit()
            session.close()
        return {"Authorization": f"Bearer {token}"}

    def drop(self) -> None:
        self.engine.dispose()
        if self.schema:
            admin = create_engine(BENCH_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            admin.dispose()


def migrate(engine) -> None:
    from alembic import command
    from wms.cli import alembic_config
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def timed(fn, repeat: int = 5, warm: bool = True) -> float:
    """The median of ``repeat`` runs, after one warm-up run."""
    if warm:
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def once(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def report(figure: str, measured: float, floor: float | None, unit: str, target: str,
           met: bool | None = None, note: str = "") -> None:
    """The script's line of the bench table (times in ``unit``; ratio measured/floor)."""
    ratio = f"{measured / floor:.1f}x" if floor else "-"
    floor_text = f"{floor:.3g} {unit}" if floor is not None else "-"
    verdict = "" if met is None else (" met" if met else " NOT met")
    print(f"| {figure} | {measured:.3g} {unit} | {floor_text} | {ratio} | {target}{verdict} |"
          + (f" {note}" if note else ""), flush=True)


def database_url_for(db: Database) -> str:
    """A URL another process (gunicorn) opens the same database with."""
    if db.schema:
        sep = "&" if "?" in db.url else "?"
        return f"{db.url}{sep}options=-csearch_path%3D{db.schema}"
    return db.url


class Server:
    """gunicorn serving the app on a free loopback port (2 workers, 4 threads each, as on
    a 2-core host) until ``stop()``."""

    def __init__(self, db: Database, workers: int = 2, threads: int = 4) -> None:
        import socket
        import subprocess
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, WMS_DATABASE_URL=database_url_for(db),
                   WMS_INSTANCE_PATH=os.path.join(db.workdir, "instance"),
                   PYTHONPATH=root)
        self.process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", str(workers),
             "--threads", str(threads), "-b", f"127.0.0.1:{self.port}", "--log-level",
             "warning", "wsgi:app"], cwd=root, env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        import requests
        for _ in range(300):
            try:
                requests.get(self.base + "/healthz", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def open_loop(base: str, make_request, rate: float, seconds: float) -> dict:
    """Offer ``rate`` requests a second for ``seconds`` from a separate process, on a fixed
    schedule whatever the answers take (an open loop: a slow server queues, it is not
    spared). ``make_request(i) -> (method, path, kwargs)``. Returns latency percentiles
    (ms), the achieved rate and the count of answers that were not 2xx."""
    import multiprocessing
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_drive, args=(base, make_request, rate, seconds,
                                                           queue))
    process.start()
    result = queue.get(timeout=seconds + 300)
    process.join(timeout=60)
    return result


def _drive(base, make_request, rate, seconds, queue) -> None:
    import concurrent.futures
    import requests
    total = int(rate * seconds)
    local = __import__("threading").local()

    def one(i, due):
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        method, path, kwargs = make_request(i)
        sent = time.perf_counter()
        try:
            status = session.request(method, base + path, timeout=60, **kwargs).status_code
        except requests.RequestException:
            status = 0
        # latency counted from when the request was due (queueing in the client counts)
        return time.perf_counter() - min(due, sent), status

    start = time.perf_counter() + 0.5
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        futures = [pool.submit(one, i, start + i / rate) for i in range(total)]
        answers = [f.result() for f in futures]
    took = time.perf_counter() - start
    latencies = sorted(a[0] * 1000 for a in answers)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    queue.put({"p50": pct(50), "p95": pct(95), "p99": pct(99), "rate": total / took,
               "failed": sum(1 for a in answers if not 200 <= a[1] < 300), "count": total})
