"""Random sequences of moves, good and bad, keep the ledger's invariants (both backends)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from wms.core.errors import DomainError
from wms.inventory.ledger import check_ledger
from wms.inventory.models import Quant
from wms.inventory.services import MoveLine, post_moves

from .conftest import make_site

STEPS = st.lists(st.tuples(st.sampled_from(["supplier", "shelf", "shelf2", "customer",
                                            "loss"]),
                           st.sampled_from(["supplier", "shelf", "shelf2", "customer",
                                            "loss"]),
                           st.integers(min_value=-2, max_value=40),
                           st.sampled_from(["bonded", "arrived"])),
                 min_size=1, max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_moves_keep_the_books(session_factory, steps):
    session = session_factory()
    savepoint = session.begin_nested()
    try:
        site = make_site(session)
        places = {"supplier": site.supplier, "shelf": site.shelf, "shelf2": site.shelf2,
                  "customer": site.customer, "loss": site.loss}
        model: dict[tuple[int, str], Decimal] = {}
        for source, target, qty, status in steps:
            src, dst = places[source], places[target]
            line = MoveLine(site.herbs.id, Decimal(qty), src.id, dst.id, site.owner.id, status)
            inner = session.begin_nested()
            try:
                post_moves(session, [line])
            except DomainError:
                inner.rollback()
                stocked_short = src.is_stocked and model.get((src.id, status), 0) < qty
                assert qty <= 0 or src.id == dst.id or stocked_short
                continue
            inner.commit()
            assert qty > 0 and src.id != dst.id
            model[(src.id, status)] = model.get((src.id, status), Decimal(0)) - qty
            model[(dst.id, status)] = model.get((dst.id, status), Decimal(0)) + qty
        assert check_ledger(session) == []
        books = {(q.location_id, q.customs_status): q.quantity
                 for q in session.scalars(select(Quant).where(Quant.product_id == site.herbs.id))}
        assert books == {k: v for k, v in model.items() if v != 0}
    finally:
        savepoint.rollback()
        session.close()
