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
