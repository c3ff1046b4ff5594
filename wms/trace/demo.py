"""The demo's recall: a lot of Meiji infant formula recalled on the market regulator's word
after a sample failed, with its stock blocked and the buyers it reached on the notice list."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.accounts.models import User
from wms.catalog.models import Lot
from wms.core.context import Actor, acting_as, current_actor

from .models import Recall, RecallLot
from .recall import start_recall

DEMO_LOT = ("MEIJI-STEP-800", "MJ260401")


def load_trace_demo(session: Session) -> int:
    """Start the demo recall once, as the supervisor; returns 1 when it was created."""
    sku, lot = DEMO_LOT
    exists = session.scalar(select(Recall.id).join(RecallLot, RecallLot.recall_id == Recall.id)
                            .join(Lot, Lot.id == RecallLot.lot_id).where(Lot.name == lot))
    if exists:
        return 0
    supervisor = session.scalar(select(User).where(User.login == "supervisor"))
    actor = Actor(user_id=supervisor.id, login=supervisor.login,
                  roles=frozenset({"supervisor"})) if supervisor else current_actor()
    with acting_as(actor):
        start_recall(session, product=sku, lot=lot,
                     reason="抽检不合格: 疑似阪崎肠杆菌 sample failed, suspected Cronobacter",
                     authority="兰州新区市场监督管理局 Lanzhou New Area market regulator, "
                               "通报 2026-118")
    return 1
