"""Configuration from environment variables, with the embedded defaults for ``make run``."""
from __future__ import annotations

import os
import secrets
import time
from decimal import Decimal
from pathlib import Path

from wms.core.db import DEFAULT_DATABASE_URL


def instance_path() -> Path:
    return Path(os.environ.get("WMS_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def secret_key(instance: Path) -> str:
    """WMS_SECRET_KEY, or a key generated once into instance/secret_key and reused.

    ``wms run`` starts the web workers and the background consumer at the same moment: the
    key is written to a private file and linked into place in one step, so no process ever
    reads a half-written (empty) key and signs its sessions with another one."""
    key = os.environ.get("WMS_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    for _ in range(100):
        if path.exists():
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.05)  # an older writer's file, being written
            continue
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # atomic, and refused when another process won the race
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    raise RuntimeError(f"{path} stays empty: remove it and start again")


def _whole_number(name: str, default: int) -> int:
    """A positive setting; a wrong one keeps the default here and is reported, naming the
    setting, by ``wms.core.settings_check`` (``wms run``, ``/healthz``)."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else default


def load_config(overrides: dict | None = None) -> dict:
    instance = instance_path()
    url = os.environ.get("WMS_DATABASE_URL", DEFAULT_DATABASE_URL)
    config = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "SECRET_KEY": None,
        "BABEL_DEFAULT_LOCALE": os.environ.get("WMS_DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("WMS_TIMEZONE", "Asia/Shanghai"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("WMS_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A login session ends after this long without a request, and in any case this
        # long after the login; a CSRF token lives no longer than the session it is in.
        "SESSION_IDLE_MINUTES": _whole_number("WMS_SESSION_IDLE_MINUTES", 120),
        "SESSION_MAX_HOURS": _whole_number("WMS_SESSION_MAX_HOURS", 12),
        # The largest request body (photos and imports included): larger answers 413.
        "MAX_CONTENT_LENGTH": _whole_number("WMS_MAX_UPLOAD_MB", 32) * 1024 * 1024,
        "CEB_XSD_DIR": os.environ.get("WMS_CEB_XSD_DIR"),
        # A cycle-count line that differs from the books by more than this many units
        # waits for a supervisor's approval.
        # Hours from gate-in within which the entry declaration must be filed.
        "DECLARATION_DEADLINE_HOURS": int(os.environ.get("WMS_DECLARATION_DEADLINE_HOURS",
                                                         "72")),
        # Webhooks to addresses on the warehouse's own network (an ERP on the LAN): off
        # unless a deployment switches it on, so a subscription cannot reach internal services.
        "WEBHOOK_ALLOW_PRIVATE": os.environ.get("WMS_WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        "COUNT_APPROVAL_THRESHOLD": Decimal(os.environ.get("WMS_COUNT_APPROVAL_THRESHOLD",
                                                           "5")),
    }
    if overrides:
        config.update(overrides)
    config.setdefault("WTF_CSRF_TIME_LIMIT", config["SESSION_MAX_HOURS"] * 3600)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = secret_key(Path(config["INSTANCE_PATH"]))
    return config
