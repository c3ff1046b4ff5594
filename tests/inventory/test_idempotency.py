"""Replaying a write with the same idempotency key changes stock once."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from wms.core.errors import Conflict, ValidationError
from wms.core.idempotency import run_idempotent
from wms.inventory.models import Quant, StockMove
from wms.inventory.services import MoveLine, transfer


def test_three_replays_change_stock_once_and_answer_the_same(db, site, session_factory):
    site.receive(db, site.herbs, 10)
    db.commit()
    line = MoveLine(site.herbs.id, Decimal(4), site.shelf.id, site.shelf2.id, site.owner.id,
                    "bonded")

    def use_case(session):
        document = transfer(session, [line])
        return 201, {"document": document.name}

    answers = [run_idempotent(session_factory, "scan-7f3a", "transfer", {"qty": 4}, use_case)
               for _ in range(3)]
    assert [a[2] for a in answers] == [False, True, True]
    assert answers[0][:2] == answers[1][:2] == answers[2][:2]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(StockMove)
                     .where(StockMove.to_location_id == site.shelf2.id)) == 1
    assert db.scalar(select(Quant.quantity).where(Quant.location_id == site.shelf2.id)) == 4


def test_same_key_for_another_request_is_a_conflict(db, site, session_factory):
    db.commit()
    run_idempotent(session_factory, "k1", "x", {"a": 1}, lambda s: (200, {"ok": True}))
    with pytest.raises(Conflict) as err:
        run_idempotent(session_factory, "k1", "x", {"a": 2}, lambda s: (200, {"ok": True}))
    assert err.value.field == "idempotency_key"


def test_a_failed_request_stores_nothing_and_may_be_resent(db, site, session_factory):
    db.commit()
    def failing(session):
        raise ValidationError("nope", field="quantity")
    with pytest.raises(ValidationError):
        run_idempotent(session_factory, "k2", "x", {}, failing)
    assert run_idempotent(session_factory, "k2", "x", {}, lambda s: (200, {"ok": 1}))[2] is False


@pytest.mark.parametrize("key", ["", "x" * 81])
def test_key_length_is_checked(session_factory, key):
    with pytest.raises(ValidationError):
        run_idempotent(session_factory, key, "x", {}, lambda s: (200, {}))
