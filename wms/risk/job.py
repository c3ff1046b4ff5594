"""The periodic run of the risk rules (huey, through ``wms.jobs``)."""
from __future__ import annotations

from wms.core.db import run_in_transaction
from wms.core.errors import N_
from wms.jobs.runner import JobContext, job


@job("risk_rules", N_("Run the risk rules over recent business, raise warnings"))
def risk_rules(ctx: JobContext) -> dict[str, int]:
    from wms.settings import Settings

    from .services import run_rules
    settings = Settings.from_env()
    now = ctx.clock()
    run = run_in_transaction(ctx.sessions, lambda s: run_rules(s, settings, now=now))
    return {**run.raised, "seen": run.seen}
