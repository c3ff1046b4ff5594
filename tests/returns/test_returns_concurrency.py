"""Two clerks press "batch arrives" at once, declare the same return, restock the same item
(PostgreSQL): one gets through, the other is told it was done already."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from wms.core.context import SYSTEM, acting_as
from wms.core.db import run_in_transaction
from wms.core.errors import Conflict
from wms.customs.inbox import apply_receipt_file
from wms.customs.models import CustomsMessage
from wms.customs.simulator import receipt_for
from wms.demo import load_demo
from wms.inventory.ledger import check_ledger
from wms.inventory.models import StockDocument, Warehouse
from wms.returns import declaration, dispositions, inspection, queries, receiving, requests
from wms.returns.demo import BUYER_A, ship_order

pytestmark = pytest.mark.postgres_only


def race(sessions, use_case, n: int = 2) -> dict[str, int]:
    outcomes = {"ok": 0, "conflict": 0}
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(n)

    def worker():
        start.wait()
        with acting_as(SYSTEM):
            try:
                run_in_transaction(sessions, use_case)
                result = "ok"
            except Conflict:
                result = "conflict"
            except BaseException as exc:  # anything else would reach a clerk as a 500
                with lock:
                    failures.append(exc)
                return
            with lock:
                outcomes[result] += 1
    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    return outcomes


def test_a_batch_arrives_once_a_return_is_declared_once_an_item_restocked_once(
        committing_engine):
    sessions = sessionmaker(bind=committing_engine, expire_on_commit=False)

    def prepare(session):
        load_demo(session)
        for batch in queries.open_batches(session):
            receiving.arrive_batch(session, batch)
        order = ship_order(session, "SLX2026112799901", BUYER_A, "APT-PRE-800", 2, "198.00")
        first, r = (requests.create_request(session, {
            "order": order.order_no, "reason": "x", "lines": [{"gnum": 1, "qty": 1}]}).request
            for _ in range(2))
        wh = session.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
        receiving.scan_parcel(session, first.name, warehouse=wh)
        # the first tin makes the dock's quant: the race below only updates it
        receiving.arrive_batch(session, receiving.open_batch(session, wh))
        parcel = receiving.scan_parcel(session, r.name, warehouse=wh).parcel
        return parcel.batch_id, r.id
    with acting_as(SYSTEM):
        batch_id, request_id = run_in_transaction(sessions, prepare)

    def arrive(session):
        receiving.arrive_batch(session, queries.find_batch(session, batch_id))
    assert race(sessions, arrive) == {"ok": 1, "conflict": 1}

    def declare(session):
        declaration.declare_return(session, queries.find_request(session, request_id))
    assert race(sessions, declare) == {"ok": 1, "conflict": 1}
    def approve_and_grade(session):
        r = queries.find_request(session, request_id)
        message = session.get(CustomsMessage, queries.declaration_of(session, r).message_id)
        apply_receipt_file(session, receipt_for(message, "800", "退货放行"))
        inspection.grade_line(session, r, 1, "new")
    with acting_as(SYSTEM):
        run_in_transaction(sessions, approve_and_grade)

    def restock(session):
        dispositions.dispose_line(session, queries.find_request(session, request_id), 1,
                                  "restock")
    assert race(sessions, restock) == {"ok": 1, "conflict": 1}
    with sessions() as session, acting_as(SYSTEM):
        r = queries.find_request(session, request_id)
        assert r.state == "closed"
        assert session.scalar(select(func.count()).select_from(StockDocument).where(
            StockDocument.origin == queries.find_batch(session, batch_id).name)) == 1
        assert session.scalar(select(func.count()).select_from(CustomsMessage).where(
            CustomsMessage.business_key == r.name)) == 1
        assert check_ledger(session) == []
