"""The database itself refuses to change the audit trail and done ledger lines (migration
0010's triggers), whatever SQL is sent, on both backends."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from wms.core.audit import AuditEvent
from wms.inventory.models import StockMove

pytestmark = pytest.mark.usefixtures("demo")


def refused(db, sql: str, **params) -> str:
    """Run ``sql`` in a savepoint and return the database's refusal."""
    with pytest.raises(DBAPIError) as err:
        with db.begin_nested():
            db.execute(text(sql), params)
    return str(err.value.orig)


def first_id(db, model, *where) -> int:
    return db.scalar(select(model.id).where(*where).order_by(model.id).limit(1))


def test_audit_rows_cannot_be_updated_or_deleted(db):
    event = first_id(db, AuditEvent)
    count = db.scalar(select(func.count()).select_from(AuditEvent))
    assert "never changed" in refused(db, "UPDATE audit_event SET note = 'forged' WHERE id = :i",
                                      i=event)
    assert "never changed" in refused(db, "UPDATE audit_event SET user_login = 'x'")
    assert "never changed" in refused(db, "DELETE FROM audit_event WHERE id = :i", i=event)
    assert "never changed" in refused(db, "DELETE FROM audit_event")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == count
    assert db.get(AuditEvent, event).note != "forged"


def test_audit_rows_can_still_be_written(db):
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    db.execute(AuditEvent.__table__.insert(), [dict(
        model="test", record_id=1, kind="create", user_login="system",
        at=db.scalar(select(func.max(AuditEvent.at))))])
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before + 1


def test_audit_table_cannot_be_truncated_on_postgresql(db, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    assert "never changed" in refused(db, "TRUNCATE audit_event")


@pytest.mark.parametrize("assignment", ["quantity = quantity + 1", "state = 'cancelled'",
                                        "state = 'reserved'", "reason = 'rewritten'",
                                        "to_location_id = from_location_id",
                                        "done_at = NULL"])
def test_done_moves_cannot_be_updated(db, assignment):
    move = first_id(db, StockMove, StockMove.state == "done")
    before = db.get(StockMove, move)
    snapshot = (before.quantity, before.state, before.reason, before.to_location_id)
    assert "never changed" in refused(db, f"UPDATE stock_move SET {assignment} WHERE id = :i",
                                      i=move)
    db.expire_all()
    after = db.get(StockMove, move)
    assert (after.quantity, after.state, after.reason, after.to_location_id) == snapshot


COPY_AS_RESERVED = """INSERT INTO stock_move (product_id, quantity, from_location_id,
    to_location_id, owner_id, customs_status, to_customs_status, state, source_key, created_at)
    SELECT product_id, quantity, from_location_id, to_location_id, owner_id, customs_status,
           to_customs_status, 'reserved', source_key, created_at FROM stock_move WHERE id = :i"""


def test_reserved_moves_may_become_done_or_cancelled(db):
    """post_moves(consuming=...) turns a reservation into the done line; a released
    reservation is cancelled: both stay allowed."""
    done = first_id(db, StockMove, StockMove.state == "done")
    for _ in range(2):
        db.execute(text(COPY_AS_RESERVED), {"i": done})
    reserved = db.scalars(select(StockMove.id).where(StockMove.state == "reserved")
                          .order_by(StockMove.id.desc()).limit(2)).all()
    db.execute(text("UPDATE stock_move SET state = 'done' WHERE id = :i"), {"i": reserved[0]})
    db.execute(text("UPDATE stock_move SET state = 'cancelled' WHERE id = :i"),
               {"i": reserved[1]})
    db.expire_all()
    assert [db.get(StockMove, i).state for i in reserved] == ["done", "cancelled"]
    # ...and once done, it is final.
    assert "never changed" in refused(db, "UPDATE stock_move SET quantity = 0 WHERE id = :i",
                                      i=reserved[0])
