"""Who declares: the customs agent enterprise and the transfer header of its messages.

Every declaration (order lists, return applications, summaries) goes out under the agent
the deployment names (``Settings.declaring_agent``), else the first registered agent.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.errors import N_, NotFound
from wms.partners.models import Enterprise
from wms.settings import Settings

from . import ceb


def declaring_agent(session: Session, settings: Settings) -> Enterprise:
    stmt = select(Enterprise).where(Enterprise.role_rows.any(role="agent"))
    if settings.declaring_agent:
        stmt = select(Enterprise).where(Enterprise.customs_code == settings.declaring_agent)
    agent = session.scalars(stmt.order_by(Enterprise.id)).first()
    if agent is None:
        raise NotFound(N_("No customs agent enterprise is registered to declare"),
                       field="agent")
    return agent


def base_transfer(agent: Enterprise, settings: Settings | None = None) -> ceb.BaseTransfer:
    """The BaseTransfer block of the agent's messages (``settings`` default: from the
    environment, for callers that do not pass theirs yet)."""
    settings = settings or Settings.from_env()
    return ceb.BaseTransfer(cop_code=agent.customs_code, cop_name=agent.name,
                            dxp_id=settings.dxp_id)
