"""The model toolkit: audit fields, tracked fields, state machine, sequences, scoping."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from wms.core.audit import AuditEvent
from wms.core.context import Actor, acting_as
from wms.core.errors import IllegalTransition, NotFound
from wms.core.scoping import get_scoped, scope_to_owner
from wms.core.sequence import next_reference
from wms.partners.services import register_enterprise
from wms.demo import demo_uscc
from wms.accounts.services import create_user

from .models_for_tests import Voucher


def events(db, record):
    return db.scalars(select(AuditEvent).where(AuditEvent.model == "test_voucher",
                                               AuditEvent.record_id == record.id)
                      .order_by(AuditEvent.id)).all()


def clerk(db):
    user = create_user(db, login="clerk", password="Clerk-pass-1", roles=["customs_clerk"])
    return Actor(user_id=user.id, login=user.login, roles=frozenset({"customs_clerk"}))


def test_audit_fields_and_tracked_changes_name_the_acting_user(voucher_table):
    db = voucher_table
    actor = clerk(db)
    with acting_as(actor):
        voucher = Voucher(note="first")
        db.add(voucher)
        db.flush()
        assert voucher.created_by_id == actor.user_id
        assert voucher.updated_by_id == actor.user_id
        created_at = voucher.created_at
        voucher.note = "second"
        db.flush()
    trail = events(db, voucher)
    assert [(e.kind, e.field, e.old_value, e.new_value, e.user_login) for e in trail] == [
        ("create", None, None, None, "clerk"),
        ("write", "note", "first", "second", "clerk"),
    ]
    assert voucher.updated_at >= created_at
    assert voucher.created_at.tzinfo is not None


def test_untracked_and_unchanged_fields_write_nothing(voucher_table):
    db = voucher_table
    voucher = Voucher(note="same")
    db.add(voucher)
    db.flush()
    voucher.note = "same"
    voucher.owner_id = None
    db.flush()
    assert [e.kind for e in events(db, voucher)] == ["create"]


def test_state_machine_records_transitions_with_reason(voucher_table):
    db = voucher_table
    voucher = Voucher()
    db.add(voucher)
    db.flush()
    voucher.transition("confirmed", reason="papers checked")
    db.flush()
    voucher.transition("done")
    db.flush()
    trail = [(e.kind, e.old_value, e.new_value, e.note) for e in events(db, voucher)
             if e.kind == "transition"]
    assert trail == [("transition", "draft", "confirmed", "papers checked"),
                     ("transition", "confirmed", "done", None)]


def test_illegal_transition_raises_and_changes_nothing(voucher_table):
    db = voucher_table
    voucher = Voucher()
    db.add(voucher)
    db.flush()
    with pytest.raises(IllegalTransition) as err:
        voucher.transition("done")
    assert err.value.code == "illegal_transition"
    assert err.value.field == "state"
    assert voucher.state == "draft"
    db.flush()
    assert [e.kind for e in events(db, voucher)] == ["create"]


def test_state_machine_rejects_unknown_states_in_its_declaration():
    from wms.core.states import StateMachine
    with pytest.raises(TypeError, match="unknown states"):
        type("Broken", (StateMachine,), {"__states__": ("a",), "__transitions__": {"a": ("b",)}})


def test_sequence_is_consecutive_per_prefix_and_year(db):
    names = [next_reference(db, "LZB/IN") for _ in range(3)]
    other = next_reference(db, "LZB/OUT")
    year = names[0].split("/")[2]
    assert names == [f"LZB/IN/{year}/00001", f"LZB/IN/{year}/00002", f"LZB/IN/{year}/00003"]
    assert other == f"LZB/OUT/{year}/00001"


def test_sequence_number_returns_when_the_transaction_rolls_back(db):
    first = next_reference(db, "LZB/RET")
    savepoint = db.begin_nested()
    lost = next_reference(db, "LZB/RET")
    savepoint.rollback()
    again = next_reference(db, "LZB/RET")
    assert lost == again and first != again
    assert again.endswith("00002")


def test_sequenced_name_stays_slash_until_assigned_and_unique(voucher_table):
    db = voucher_table
    a, b = Voucher(), Voucher()
    db.add_all([a, b])
    db.flush()
    assert a.name == b.name == "/"
    a.assign_name(db, "T")
    assert a.assign_name(db, "T") == a.name  # assigning twice keeps the first name
    b.assign_name(db, "T")
    db.flush()
    assert a.name != b.name and a.name.endswith("00001") and b.name.endswith("00002")


def test_owner_scoping_hides_other_owners(voucher_table):
    db = voucher_table
    one = register_enterprise(db, customs_code="6201W10001", uscc=demo_uscc("91620100MA71AA001"),
                              name="One", roles=["owner"])
    two = register_enterprise(db, customs_code="6201W10002", uscc=demo_uscc("91620100MA71AA002"),
                              name="Two", roles=["owner"])
    mine, theirs = Voucher(owner_id=one.id), Voucher(owner_id=two.id)
    db.add_all([mine, theirs])
    db.flush()
    viewer = Actor(user_id=None, login="v", roles=frozenset({"owner_viewer"}),
                   owner_ids=frozenset({one.id}))
    with acting_as(viewer):
        visible = db.scalars(scope_to_owner(select(Voucher), Voucher.owner_id)).all()
        assert visible == [mine]
        assert get_scoped(db, Voucher, mine.id) is mine
        with pytest.raises(NotFound):
            get_scoped(db, Voucher, theirs.id)
    nobody = Actor(user_id=None, login="n", roles=frozenset(), owner_ids=frozenset())
    with acting_as(nobody):
        assert db.scalars(scope_to_owner(select(Voucher), Voucher.owner_id)).all() == []
    assert len(db.scalars(scope_to_owner(select(Voucher), Voucher.owner_id)).all()) == 2
