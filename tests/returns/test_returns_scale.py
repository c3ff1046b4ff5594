"""The returns doors are set-based: receiving a batch of parcels, its arrival and the
disposition of many items cost the same number of SQL statements for a few as for many."""
from __future__ import annotations

from sqlalchemy import select

from wms.inventory.ledger import check_ledger
from wms.inventory.models import Warehouse
from wms.returns import dispositions, inspection, receiving, requests
from wms.returns.models import ConsolidationBatch, ReturnParcel
from wms.returns.receiving import ParcelScan

# One order may not pass the retail limit (¥5,000), so the returns come from one order of
# 20 tins, one tin each; unidentified parcels make the large batch up to 1,000 (SQLAlchemy
# sends at most 1,000 rows in one INSERT).
TINS = 20


def resolving(sent, backend) -> int:
    """Statements apart from the new parcels' rows. SQLAlchemy inserts ORM rows whose ids
    SQLite must hand back one statement each (its RETURNING order is not guaranteed); on
    PostgreSQL they go in one batched statement and every statement counts."""
    if backend == "postgresql":
        return len(sent)
    return sum(1 for s in sent if not s.startswith("INSERT INTO return_parcel "))


def lzb(db):
    return db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))


def one_tin_returns(db, order, n):
    return [requests.create_request(db, {"order": order.order_no, "reason": "不想要了",
                                         "lines": [{"gnum": 1, "qty": 1}]}).request
            for _ in range(n)]


def test_receiving_and_arrival_cost_the_same_for_few_and_many(demo, shipped, statements,
                                                             backend):
    db = demo
    for batch in db.scalars(select(ConsolidationBatch).where(ConsolidationBatch.state == "open")):
        receiving.arrive_batch(db, batch)  # the demo's open cage first: each run has its own
    order = shipped(qty=TINS)
    returns = one_tin_returns(db, order, TINS)
    sizes = {"few": (returns[:2], 8), "many": (returns[2:], 1000 - (TINS - 2))}
    counts = {}
    for size, (matched, unknown) in sizes.items():
        scans = [ParcelScan(r.name.replace("/", "-")) for r in matched] + \
            [ParcelScan(f"RR{size.upper()}{i:07d}CN") for i in range(unknown)]
        db.flush()
        db.expire_all()
        wh = lzb(db)
        with statements() as sent:
            results = receiving.receive_parcels(db, scans, warehouse=wh)
        receive = resolving(sent, backend)
        assert [r.parcel.state for r in results[:len(matched)]] == ["matched"] * len(matched)
        assert {r.parcel.state for r in results[len(matched):]} == {"unidentified"}
        batch_id = results[0].parcel.batch_id
        db.expire_all()
        batch = db.get(ConsolidationBatch, batch_id)
        with statements() as sent:
            receiving.arrive_batch(db, batch)
        counts[size] = (receive, len(sent))
        assert {r.state for r in matched} == {"received"}
    assert counts["few"] == counts["many"], counts
    last = f"RRMANY{sizes['many'][1] - 1:07d}CN"
    assert db.scalar(select(ReturnParcel.state).where(ReturnParcel.code == last)) == \
        "unidentified"
    assert check_ledger(db) == []


def test_disposing_of_many_items_costs_the_same_as_a_few(demo, shipped, statements):
    db = demo
    order = shipped(qty=TINS)
    returns = one_tin_returns(db, order, TINS)
    receiving.receive_parcels(db, [ParcelScan(r.name) for r in returns], warehouse=lzb(db))
    receiving.arrive_batch(db, receiving.open_batch(db, lzb(db)))
    for r in returns:
        inspection.grade_line(db, r, 1, "open_box", "外盒压痕")
    counts = {}  # the first round makes the quants the others add to
    for size, group in {"first": returns[:2], "few": returns[2:4], "many": returns[4:]}.items():
        items = [{"return": r.name, "gnum": 1, "disposition": "return_to_vendor",
                  "reason": "退回德国供应商"} for r in group[: len(group) // 2]] + \
            [{"return": r.name, "gnum": 1, "disposition": "non_bonded"}
             for r in group[len(group) // 2:]]
        db.flush()
        db.expire_all()
        with statements() as sent:
            lines = dispositions.dispose_lines(db, items)
        counts[size] = len(sent)
        assert {ln.disposition_state for ln in lines} == {"done"}
        assert {ln.request.state for ln in lines} == {"closed"}
    assert counts["few"] == counts["many"], counts
    assert check_ledger(db) == []
