"""The deployment's settings checked before anything serves: one line per wrong setting.

A ``WMS_CEB_XSD_DIR`` that names no schema folder used to surface as a 500 on every
declaration; an unwritable gateway folder as a failed send hours later. ``wms run``,
``wms worker`` and ``/healthz`` call ``check_settings`` and say which setting is wrong, in
one line each, before the first request meets it. Probing the database and the queue is
separate (``probe_database`` here; the queue's probe lives with the web app's health page,
since ``wms.core`` imports nothing above it): ``/healthz`` reports each on its own.
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

QUEUE_SCHEMES = ("sqlite", "redis", "rediss", "postgresql", "postgres", "postgresql+psycopg")
DATABASE_DIALECTS = ("sqlite", "postgresql")
INTEGER_SETTINGS = ("WMS_SESSION_IDLE_MINUTES", "WMS_SESSION_MAX_HOURS",
                    "WMS_DECLARATION_DEADLINE_HOURS", "WMS_MAX_UPLOAD_MB")


def check_settings(env: Mapping[str, str] | None = None) -> list[str]:
    """Every problem found, as ``SETTING: what is wrong`` lines; empty when all is well."""
    env = os.environ if env is None else env
    problems: list[str] = []
    for check in (_database_url, _xsd_dir, _customs_gateway, _queue_url, _integers):
        problems.extend(check(env))
    return problems


def _database_url(env: Mapping[str, str]) -> list[str]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    raw = env.get("WMS_DATABASE_URL")
    if raw is None:
        return []
    try:
        url = make_url(raw)
    except ArgumentError:
        return ["WMS_DATABASE_URL: not a database URL (e.g. postgresql+psycopg://user@host/db "
                "or sqlite:///instance/wms.db)"]
    if url.get_backend_name() not in DATABASE_DIALECTS:
        return [f"WMS_DATABASE_URL: {url.get_backend_name()} is not supported "
                "(postgresql or sqlite)"]
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().absolute().parent
        if not _writable_or_creatable(folder):
            return [f"WMS_DATABASE_URL: the folder {folder} cannot be written"]
    if url.get_backend_name() == "postgresql" and not (url.host or url.query.get("host")):
        return ["WMS_DATABASE_URL: names no host"]
    return []


def _xsd_dir(env: Mapping[str, str]) -> list[str]:
    raw = env.get("WMS_CEB_XSD_DIR")
    if not raw:
        return []
    folder = Path(raw)
    if not folder.is_dir():
        return [f"WMS_CEB_XSD_DIR: {raw} is not a folder"]
    if not any(folder.glob("*.xsd")) and not any((folder / "xsd").glob("*.xsd")):
        return [f"WMS_CEB_XSD_DIR: {raw} holds no *.xsd schema (nor an xsd/ subfolder with one)"]
    return []


def _customs_gateway(env: Mapping[str, str]) -> list[str]:
    raw = env.get("WMS_CUSTOMS_GATEWAY")
    if not raw:
        return []
    kind, _, rest = raw.partition(":")
    if kind == "file":
        folders = [part.strip() for part in rest.split(",")]
        if len(folders) != 2 or not all(folders):
            return ["WMS_CUSTOMS_GATEWAY: expected file:OUTBOX_FOLDER,INBOX_FOLDER"]
        out = [f"WMS_CUSTOMS_GATEWAY: the {name} folder {path} cannot be written"
               for name, path in zip(("outbox", "inbox"), folders)
               if not _writable_or_creatable(Path(path))]
        return out
    # Otherwise ``package.module:factory``, as wms.customs.outbox.gateway_from reads it.
    if not kind or not rest:
        return ["WMS_CUSTOMS_GATEWAY: expected file:OUTBOX,INBOX or package.module:factory"]
    try:
        found = importlib.util.find_spec(kind) is not None
    except (ImportError, ValueError):
        found = False
    return [] if found else [f"WMS_CUSTOMS_GATEWAY: module {kind} not found"]


def _queue_url(env: Mapping[str, str]) -> list[str]:
    raw = env.get("WMS_QUEUE_URL")
    if not raw:
        return []
    parts = urlsplit(raw)
    if parts.scheme not in QUEUE_SCHEMES:
        return [f"WMS_QUEUE_URL: {parts.scheme or raw!r} is not a queue URL "
                "(redis://host:6379/0, postgresql://..., or unset for the built-in queue)"]
    if parts.scheme.startswith(("redis", "postgres")):
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            return ["WMS_QUEUE_URL: the port is not a number"]
        if not parts.hostname:
            return ["WMS_QUEUE_URL: names no host"]
    return []


def _integers(env: Mapping[str, str]) -> list[str]:
    problems = []
    for name in INTEGER_SETTINGS:
        raw = env.get(name)
        if raw is not None and not (raw.strip().isascii() and raw.strip().isdigit()
                                    and int(raw) > 0):
            problems.append(f"{name}: expected a whole number above 0, got {raw!r}")
    return problems


def _writable_or_creatable(folder: Path) -> bool:
    """The folder can be written, or created under the nearest parent that exists."""
    folder = folder.expanduser().absolute()
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def probe_database(engine) -> str | None:
    """None when the database answers ``SELECT 1``; else one line saying why not."""
    from sqlalchemy import text
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach it is the answer, not an error
        return f"WMS_DATABASE_URL: the database does not answer ({type(exc).__name__})"
    return None
