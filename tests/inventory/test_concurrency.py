"""1,600 one-unit moves race for 1,000 units (PostgreSQL): exactly 1,000 win."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from wms.core.context import SYSTEM, acting_as
from wms.core.db import run_in_transaction
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant
from wms.inventory.services import InsufficientStock, MoveLine, post_moves

from .conftest import make_site

pytestmark = pytest.mark.postgres_only


def test_eight_workers_1600_moves_1000_units(committing_engine):
    sessions = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with acting_as(SYSTEM):
        site = run_in_transaction(sessions, make_site)
        run_in_transaction(sessions, lambda s: site.receive(s, site.herbs, 1000))
    line = MoveLine(site.herbs.id, Decimal(1), site.shelf.id, site.customer.id, site.owner.id,
                    "bonded")
    outcomes: dict[str, int] = {"ok": 0, "short": 0}
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker():
        start.wait()
        with acting_as(SYSTEM):
            for _ in range(200):
                try:
                    run_in_transaction(sessions, lambda s: post_moves(s, [line]))
                    result = "ok"
                except InsufficientStock:
                    result = "short"
                except BaseException as exc:  # anything else would reach a user as a 500
                    with lock:
                        failures.append(exc)
                    continue
                with lock:
                    outcomes[result] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert outcomes == {"ok": 1000, "short": 600}
    with sessions() as session:
        left = session.scalar(select(Quant.quantity).where(Quant.location_id == site.shelf.id))
        assert left is None  # emptied quants are removed: nothing on the shelf
        assert check_ledger(session) == []
