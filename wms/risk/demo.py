"""Demo warnings: a few situations the rules should see (an order split over three buyers
to one address, one ID under two names), then the rules run over the whole demo."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow

# Three buyers, one flat in Qilihe: one purchase split to stay under the annual limits;
# and one ID number that ordered under two spellings of a name.
SPLIT_ADDRESS = "甘肃省兰州市七里河区西津西路 16 号 3 单元 501 室"
SUSPECT_ORDERS = [
    ("SLX-RK-0001", "刘洋", "620102198503120013", SPLIT_ADDRESS),
    ("SLX-RK-0002", "刘阳", "620102198503120021", SPLIT_ADDRESS),
    ("SLX-RK-0003", "陈晨", "620102198503120056", SPLIT_ADDRESS),
    ("SLX-RK-0004", "陈辰", "620102198503120056", "甘肃省兰州市安宁区北滨河西路 99 号"),
]
# A buyer who stocks up on formula: five orders near the per-transaction limit bring her
# close to the annual one.
BIG_BUYER = ("孙丽", "620102198811050029", "甘肃省兰州市城关区张掖路 12 号")
BIG_ORDERS = [f"SLX-RK-01{n:02d}" for n in range(1, 6)]


def load_risk_demo(session: Session) -> int:
    """Idempotent: the suspect orders once, then a run of the rules (a second run raises
    nothing new); returns how many records it added."""
    from wms.demo import demo_order
    from wms.outbound.intake import receive_order
    from wms.outbound.models import SalesOrder
    from wms.partners.demo import load_credit_demo
    from wms.settings import Settings

    from .services import run_rules
    added = load_credit_demo(session)
    when = (utcnow() - timedelta(hours=3)).isoformat()
    big = [(no, BIG_BUYER[0], BIG_BUYER[1], BIG_BUYER[2], 18) for no in BIG_ORDERS]
    for order_no, buyer, buyer_id, address, qty in [(*o, 1) for o in SUSPECT_ORDERS] + big:
        if session.scalar(select(SalesOrder.id).where(SalesOrder.order_no == order_no)):
            continue
        data = demo_order(order_no, "1210", buyer, buyer_id, "APT-PRE-800", qty,
                          "228.00")
        data["ordered_at"] = when
        data["consignee_address"] = data["waybill"]["consignee_address"] = address
        phone = "1391931" + order_no[-4:]
        data["buyer_phone"] = data["consignee_phone"] = data["waybill"]["consignee_phone"] = phone
        receive_order(session, data)
        added += 1
    run = run_rules(session, Settings())
    return added + run.total_raised
