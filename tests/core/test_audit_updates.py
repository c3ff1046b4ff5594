"""``update_tracked``: a set-based UPDATE that still writes one audit row per changed
tracked field, in a fixed number of statements."""
from __future__ import annotations

from sqlalchemy import select

from wms.core.audit import AuditEvent, update_tracked
from wms.core.context import Actor, acting_as

from .models_for_tests import Voucher


def vouchers(db, notes):
    rows = [Voucher(note=note) for note in notes]
    db.add_all(rows)
    db.flush()
    return rows


def writes(db, ids):
    return db.scalars(select(AuditEvent).where(AuditEvent.model == "test_voucher",
                                               AuditEvent.kind == "write",
                                               AuditEvent.record_id.in_(ids))
                      .order_by(AuditEvent.record_id)).all()


def test_each_changed_row_gets_its_audit_row(voucher_table):
    db = voucher_table
    rows = vouchers(db, ["a", "b", "same"])
    actor = Actor(user_id=None, login="li.ming", roles=frozenset({"operator"}))
    with acting_as(actor):
        count = update_tracked(db, Voucher, [r.id for r in rows], {"note": "same"})
    assert count == 3
    events = writes(db, [r.id for r in rows])
    assert [(e.record_id, e.old_value, e.new_value, e.user_login) for e in events] == [
        (rows[0].id, "a", "same", "li.ming"), (rows[1].id, "b", "same", "li.ming")]
    assert [r.note for r in rows] == ["same"] * 3  # loaded objects see the new value


def test_untracked_fields_write_no_audit_and_nothing_is_a_noop(voucher_table):
    db = voucher_table
    rows = vouchers(db, ["a"])
    assert update_tracked(db, Voucher, [], {"note": "x"}) == 0
    update_tracked(db, Voucher, [rows[0].id], {"owner_id": None})
    assert writes(db, [rows[0].id]) == []


def test_statements_do_not_grow_with_the_rows(voucher_table, statements):
    db = voucher_table
    few = vouchers(db, [f"n{i}" for i in range(10)])
    many = vouchers(db, [f"n{i}" for i in range(1000)])
    with statements() as small:
        update_tracked(db, Voucher, [r.id for r in few], {"note": "moved"})
    with statements() as large:
        update_tracked(db, Voucher, [r.id for r in many], {"note": "moved"})
    assert len(small) == len(large) == 3
    assert len(writes(db, [r.id for r in many])) == 1000
