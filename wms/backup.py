"""Backup and restore of the whole database, and a fingerprint to prove a restore is whole.

SQLite is copied with its online backup API (a consistent copy while the app serves);
PostgreSQL with ``pg_dump`` in its custom format and ``pg_restore``. The fingerprint (row
count and a SHA-256 over every row, in id order) of the ledger, the quants, the audit trail
and the customs outbox is printed by both commands, so an operator can compare the two
numbers; the round-trip tests compare them too.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from .core.errors import N_, ValidationError

# What a restore must bring back exactly: the ledger, its balances, the audit trail and the
# messages for customs.
FINGERPRINT_TABLES = ("stock_move", "quant", "audit_event", "customs_message")


class BackupError(Exception):
    """A backup or restore that could not be done: the message says why, in one line."""


def fingerprint(connection, tables: tuple[str, ...] = FINGERPRINT_TABLES) -> dict:
    """``{table: (rows, sha256)}`` over every column of every row, in id order."""
    prints = {}
    for table in tables:
        digest = hashlib.sha256()
        rows = 0
        for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id")):
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
            rows += 1
        prints[table] = (rows, digest.hexdigest())
    return prints


def _plain(value):
    """One rendering per value on every backend (SQLite gives naive datetimes)."""
    if hasattr(value, "isoformat"):
        return value.replace(tzinfo=None).isoformat() if hasattr(value, "tzinfo") \
            else value.isoformat()
    return value


def backup(url: str, path: str | Path, *, schema: str | None = None) -> Path:
    """Write a backup of the database at ``url`` to ``path`` (a file; never overwritten)."""
    target = Path(path)
    if target.exists():
        raise ValidationError(N_("%(path)s exists already; choose a new file"), field="path",
                              path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with _sqlite(parsed) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return target
    args = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
            f"--file={target}"]
    if schema:
        args.append(f"--schema={schema}")
    _run(args + [_libpq_uri(parsed)], parsed)
    return target


def restore(url: str, path: str | Path) -> None:
    """Replace the database at ``url`` with the backup in ``path``. Stop the app and the
    worker first: a restore is the whole database as it was, not a merge."""
    source = Path(path)
    if not source.is_file():
        raise ValidationError(N_("No backup file %(path)s"), field="path", path=str(source))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with open(source, "rb") as fh:
            if not fh.read(16).startswith(b"SQLite format 3"):
                raise ValidationError(N_("%(path)s is not a SQLite backup"), field="path",
                                      path=str(source))
        with sqlite3.connect(source) as backup_file, _sqlite(parsed) as live:
            backup_file.backup(live)
        return
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
          "--no-privileges", "--single-transaction", "--exit-on-error",
          f"--dbname={_libpq_uri(parsed)}", str(source)], parsed)


class _sqlite:
    def __init__(self, url) -> None:
        self.path = url.database

    def __enter__(self) -> sqlite3.Connection:
        if not self.path or self.path == ":memory:":
            raise ValidationError(N_("An in-memory database cannot be backed up"),
                                  field="WMS_DATABASE_URL")
        self.connection = sqlite3.connect(self.path, timeout=30)
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _libpq_uri(url) -> str:
    """The SQLAlchemy URL as libpq reads it, without the password (given by PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)


def _pg_tool(name: str) -> str:
    """The newest installed ``pg_dump``/``pg_restore`` (a client older than the server
    refuses to dump it)."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (the PostgreSQL client tools)")
    return found


def _run(args: list[str], url) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr or done.stdout or "").strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: {last[-1] if last else done.returncode}")


def fingerprint_of(engine: Engine) -> dict:
    with engine.connect() as connection:
        return fingerprint(connection)
