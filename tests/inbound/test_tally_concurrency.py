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
from wms.inbound.queries import tally_progress
from wms.inbound.receipts import gate_in, import_receipts_csv
from wms.inbound.tally import record_tally

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


def test_a_scan_racing_the_close_is_counted_or_refused_never_lost(committing_engine):
    """Operators keep scanning while a supervisor closes the tally. The close holds the
    receipt alone from before it reads the progress until it commits (here it waits a while
    before committing): every scan either committed before and is in the discrepancy, or
    waited and was refused. The scan rows and the frozen count agree exactly."""
    import time

    from wms.inbound.models import Discrepancy, TallyScan
    from wms.inbound.tally import TallyNotOpen, close_tally

    sessions = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with acting_as(SYSTEM):
        run_in_transaction(sessions, load_demo)

        def prepare(session):
            [receipt] = import_receipts_csv(session, CSV)
            gate_in(session, receipt, container_no="CSQU3054383")
            apt = session.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
            record_tally(session, receipt, product=apt, quantity=1, lot_name="L2026-1101")
            return receipt.id
        receipt_id = run_in_transaction(sessions, prepare)
    counted, refused, errors = [], [], []
    start = threading.Barrier(4)

    def operator():
        start.wait()
        with acting_as(SYSTEM):
            for _ in range(40):
                def scan(session):
                    receipt = session.get(Receipt, receipt_id)
                    apt = session.scalar(select(Product).where(Product.sku == "APT-PRE-800"))
                    record_tally(session, receipt, product=apt, quantity=1,
                                 lot_name="L2026-1101")
                try:
                    run_in_transaction(sessions, scan)
                    counted.append(1)
                except TallyNotOpen:
                    refused.append(1)
                except BaseException as exc:
                    errors.append(exc)

    def supervisor():
        start.wait()
        time.sleep(0.05)
        with acting_as(SYSTEM):
            def close(session):
                close_tally(session, session.get(Receipt, receipt_id))
                time.sleep(0.3)  # scans arriving now wait for the commit, then are refused
            try:
                run_in_transaction(sessions, close)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=operator) for _ in range(3)]
    threads.append(threading.Thread(target=supervisor))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert refused, "the close came after every scan: no race was tested"
    assert len(counted) + len(refused) == 120
    with sessions() as session:
        receipt = session.get(Receipt, receipt_id)
        assert receipt.state == "tallied"
        rows = session.scalars(select(TallyScan).where(TallyScan.receipt_id == receipt_id)).all()
        assert sum(r.quantity for r in rows) == 1 + len(counted)
        [frozen] = session.scalars(select(Discrepancy).where(
            Discrepancy.receipt_id == receipt_id, Discrepancy.kind.in_(("short", "over")),
            Discrepancy.lot_name == "L2026-1101")).all()
        assert frozen.tallied_qty == 1 + len(counted)
        assert all(r.scanned_at <= receipt.tally_closed_at for r in rows)
