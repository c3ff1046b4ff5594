"""The background work's settings, read once from the environment into one object.

Every interval, deadline and threshold a periodic job uses is here, so the jobs and the
sweeps take a ``JobSettings`` and never read ``os.environ`` themselves.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

# Periodic jobs and their default interval in seconds.
DEFAULT_INTERVALS = {
    "customs_send": 60,
    "customs_receive": 60,
    "webhooks_deliver": 60,
    "logistics_sweep": 300,
    "deadline_notices": 900,
    "idempotency_cleanup": 3600,
    "risk_rules": 900,
}
# A shipment that has reported no event for longer than this, by its current leg's mode,
# raises a "no report" alert: a block train reports at each border and yard, a flight at
# each airport.
DEFAULT_NO_REPORT_HOURS = {"rail": 36.0, "air": 12.0, "road": 24.0, "sea": 96.0,
                           "post": 72.0}


def _hours_by_mode(text: str | None) -> dict[str, float]:
    hours = dict(DEFAULT_NO_REPORT_HOURS)
    for part in (text or "").split(","):
        if "=" in part:
            mode, value = part.split("=", 1)
            hours[mode.strip()] = float(value)
    return hours


@dataclass(frozen=True)
class JobSettings:
    database_url: str
    instance_path: Path
    # None: the embedded SQLite queue in instance/; redis://... or postgresql://...
    queue_url: str | None
    # file:OUT_DIR,IN_DIR or module:factory (the enterprise's signing client)
    customs_gateway: str
    intervals: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    declaration_deadline: timedelta = timedelta(hours=72)
    # A deadline notice is raised this long before the deadline passes.
    deadline_warning: timedelta = timedelta(hours=24)
    no_report_hours: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_NO_REPORT_HOURS))
    idempotency_keep: timedelta = timedelta(days=7)
    # A job whose worker died holds its lease at most this long.
    lease: timedelta = timedelta(minutes=10)
    webhook_allow_private: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> JobSettings:
        env = os.environ if env is None else env
        instance = Path(env.get("WMS_INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        customs = instance / "customs"
        intervals = {name: int(env.get(f"WMS_JOB_{name.upper()}_SECONDS", default))
                     for name, default in DEFAULT_INTERVALS.items()}
        return cls(
            database_url=env.get("WMS_DATABASE_URL") or "sqlite:///instance/wms.db",
            instance_path=instance,
            queue_url=env.get("WMS_QUEUE_URL") or None,
            customs_gateway=env.get("WMS_CUSTOMS_GATEWAY")
            or f"file:{customs / 'outbox'},{customs / 'inbox'}",
            intervals=intervals,
            declaration_deadline=timedelta(
                hours=float(env.get("WMS_DECLARATION_DEADLINE_HOURS", "72"))),
            deadline_warning=timedelta(hours=float(env.get("WMS_DEADLINE_WARNING_HOURS",
                                                           "24"))),
            no_report_hours=_hours_by_mode(env.get("WMS_NO_REPORT_HOURS")),
            idempotency_keep=timedelta(hours=float(env.get("WMS_IDEMPOTENCY_KEEP_HOURS",
                                                           "168"))),
            lease=timedelta(seconds=int(env.get("WMS_JOB_LEASE_SECONDS", "600"))),
            webhook_allow_private=env.get("WMS_WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        )

    def interval(self, job: str) -> timedelta:
        return timedelta(seconds=self.intervals.get(job, DEFAULT_INTERVALS.get(job, 60)))

    def no_report_after(self, mode: str) -> timedelta:
        return timedelta(hours=self.no_report_hours.get(mode, DEFAULT_NO_REPORT_HOURS["post"]))
