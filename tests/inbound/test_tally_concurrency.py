"""Several operators tally one receipt at once and no count is lost (PostgreSQL)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from wms.catalog.models import Product
from wms.core.context import SYSTEM, acting_as
from wms.core.db import run_in_transaction
from wms.demo import load_demo
from wms.inbound.models import Receipt
from wms.inbound.services import gate_in, import_receipts_csv, record_tally, tally_progress

from .test_inbound_flow import CSV

pytestmark = pytest.mark.postgres_only


def test_four_operators_200_scans_none_lost(committing_engine):
    sessions = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with acting_as(SYSTEM):
        run_in_transaction(sessions, load_demo)

        def prepare(session):
            [receipt] = import_receipts_csv(session, CSV)
            gate_in(session, receipt, container_no="CSQU3054383")
            return receipt.id
        receipt_id = run_in_transaction(sessions, prepare)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def operator():
        start.wait()
        with acting_as(SYSTEM):
            for _ in range(50):
                def scan(session):
                    receipt = session.get(Receipt, receipt_id)
                    apt = session.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
                    record_tally(session, receipt, product=apt, quantity=1,
                                 lot_name="L2026-1101")
                try:
                    run_in_transaction(sessions, scan)
                except BaseException as exc:
                    errors.append(exc)

    threads = [threading.Thread(target=operator) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    with sessions() as session:
        rows = tally_progress(session, session.get(Receipt, receipt_id))
        counted = {(r.product.sku, r.lot_name): r.tallied for r in rows}
        assert counted[("APT-PRE-800", "L2026-1101")] == 200
        assert session.get(Receipt, receipt_id).state == "tallying"
