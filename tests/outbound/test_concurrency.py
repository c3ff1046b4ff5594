"""Two handhelds at once (PostgreSQL, real commits): the doors' locks let one win.

Two supervisors tap "new wave" for the same released order: one wave reserves it, the
other is refused and reserves nothing. Two pickers confirm the same line: it is picked once.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from wms.core.context import SYSTEM, acting_as
from wms.core.db import run_in_transaction
from wms.core.errors import Conflict, NotFound
from wms.demo import load_demo
from wms.inventory.ledger import check_ledger
from wms.inventory.models import StockMove
from wms.outbound.fulfilment import PickScan, pick, start_wave
from wms.outbound.models import OrderLine, SalesOrder, Wave, WaveOrder
from wms.outbound.queries import wave_moves

pytestmark = pytest.mark.postgres_only
RELEASED = "SLX2026112700003"  # a demo order customs released, not yet in a wave


def race(sessions, use_case) -> list:
    """Run the use case in two threads started together; what each returned or raised."""
    outcomes: list = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def worker():
        start.wait()
        with acting_as(SYSTEM):
            try:
                result = run_in_transaction(sessions, use_case)
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                result = exc
        with lock:
            outcomes.append(result)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def order_id(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(SalesOrder.id).where(SalesOrder.order_no == RELEASED))


def test_two_waves_for_one_order_and_two_picks_of_one_line(committing_engine):
    sessions = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with acting_as(SYSTEM):
        run_in_transaction(sessions, load_demo)
    target = order_id(sessions)

    outcomes = race(sessions, lambda s: start_wave(s, "LZB", [target]).wave.id)
    waves = [o for o in outcomes if isinstance(o, int)]
    assert len(waves) == 1 and isinstance(next(o for o in outcomes if o not in waves),
                                          Conflict), outcomes
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(WaveOrder).where(
            WaveOrder.order_id == target)) == 1
        reserved = s.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0)).join(
            OrderLine, OrderLine.id == StockMove.order_line_id).where(
            OrderLine.order_id == target, StockMove.state == "reserved"))
        wanted = s.scalar(select(func.sum(OrderLine.qty)).where(OrderLine.order_id == target))
        assert reserved == wanted  # reserved once, not twice
        move = wave_moves(s, s.get(Wave, waves[0]))[0]
        move_id, quantity = move.id, move.quantity

    outcomes = race(sessions, lambda s: pick(s, waves[0], PickScan(move_id, quantity))[0]
                    .picked)
    assert sorted(map(type, outcomes), key=str) == sorted([NotFound, type(quantity)],
                                                           key=str), outcomes
    with sessions() as s:
        moved = s.get(StockMove, move_id)
        assert moved.state == "done" and moved.quantity == quantity
        assert s.get(OrderLine, moved.order_line_id).picked_qty == quantity  # counted once
        assert check_ledger(s) == []
