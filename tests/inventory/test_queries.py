"""Stock reads shared by the desk pages and the API: availability and owner scoping."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from wms.core.context import Actor, acting_as
from wms.core.errors import Conflict
from wms.inventory import queries
from wms.inventory.models import Location, Quant
from wms.inventory.places import archive_location
from wms.inventory.services import MoveLine, new_document, post_moves, reserve_fefo


def owner_of(site, *, other: bool = False) -> Actor:
    owner = site.other_owner if other else site.owner
    return Actor(user_id=None, login="viewer", roles=frozenset({"owner_viewer"}),
                 owner_ids=frozenset({owner.id}))


def page(db, flt, sort="id"):
    return queries.stock_rows(db, list(db.scalars(queries.stock_ids(flt, sort))))


def test_stock_rows_show_reserved_and_available(db, site):
    site.receive(db, site.herbs, 30)
    document = new_document(db, "picking", "TST/OUT")
    reserve_fefo(db, document, product=site.herbs, quantity=Decimal(12),
                 owner_id=site.owner.id, from_root=site.stock_view,
                 to_location=site.customer)
    [row] = page(db, queries.StockFilter(product_id=site.herbs.id))
    assert (row["quantity"], row["reserved"], row["available"]) == (30, 12, 18)
    totals = queries.stock_totals(db, queries.StockFilter(product_id=site.herbs.id))
    assert (totals["count"], totals["quantity"], totals["reserved"]) == (1, 30, 12)


def test_every_stock_read_is_owner_scoped(db, site):
    site.receive(db, site.herbs, 30)
    site.receive(db, site.foreign, 7)
    everything = queries.StockFilter()
    with acting_as(owner_of(site)):
        assert {r["sku"] for r in page(db, everything)} == {"HERB"}
        assert queries.stock_totals(db, everything)["quantity"] == 30
        assert queries.products_on_hand(db, [site.herbs.id, site.foreign.id]) == \
            {site.herbs.id: 30}
        assert queries.location_quantities(db, [site.shelf, site.stock_view]) == \
            {site.shelf.id: 30, site.stock_view.id: 30}
        ledger, total = queries.ledger_page(db, queries.LedgerScope(), 1, 50)
        assert total == 1 and {r["sku"] for r in ledger} == {"HERB"}
    with acting_as(owner_of(site, other=True)):
        assert {r["sku"] for r in page(db, everything)} == {"OTHER"}
        # a quant id of another owner is not shown even when asked for by id
        herb = db.scalar(select(Quant.id).where(Quant.product_id == site.herbs.id))
        assert queries.stock_rows(db, [herb]) == []
    assert {r["sku"] for r in page(db, everything)} == {"HERB", "OTHER"}


def test_ledger_scope_counts_in_and_out_of_a_subtree(db, site):
    site.receive(db, site.herbs, 30)
    post_moves(db, [MoveLine(site.herbs.id, Decimal(4), site.shelf.id, site.shelf2.id,
                             site.owner.id, "bonded")])
    rows, total = queries.ledger_page(db, queries.LedgerScope(location=site.shelf2), 1, 50)
    assert total == 1 and rows[0]["qty_in"] == 4 and rows[0]["qty_out"] is None
    rows, total = queries.ledger_page(db, queries.LedgerScope(location=site.stock_view), 1, 50)
    assert total == 2 and rows[0]["qty_in"] == rows[0]["qty_out"] == 4


def test_only_an_empty_location_is_archived(db, site):
    site.receive(db, site.herbs, 3)
    with pytest.raises(Conflict):
        archive_location(db, site.shelf.id)
    with pytest.raises(Conflict):  # stock under a view
        archive_location(db, site.stock_view.id)
    assert archive_location(db, site.shelf2.id).active is False
    assert db.get(Location, site.shelf2.id).active is False
