"""Migration 0008 keeps discrepancy notes as codes: going back writes the old English
sentences, coming up again reads exactly the same codes and parameters back."""
from __future__ import annotations

from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from tests.test_migrations import empty_engine, run  # noqa: F401  (the fixture)
from wms.core.context import SYSTEM, acting_as
from wms.demo import load_demo


def test_discrepancy_notes_survive_down_and_up(empty_engine):  # noqa: F811
    from wms.inbound.models import Discrepancy, Receipt
    run(empty_engine, command.upgrade, "head")
    with sessionmaker(bind=empty_engine)() as session, acting_as(SYSTEM):
        load_demo(session)
        tallied = session.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R4"))
        first = tallied.lines[0]
        for kind, code, params in (("wrong_lot", "advised_lots", {"lots": "L1, L2"}),
                                   ("unexpected", "not_advised", None)):
            session.add(Discrepancy(receipt_id=tallied.id, kind=kind,
                                    product_id=first.product_id, lot_name="X",
                                    expected_qty=0, tallied_qty=1, note_code=code,
                                    note_params=params))
        session.commit()
    notes = text("SELECT id, kind, note_code, note_params FROM receipt_discrepancy ORDER BY id")
    with empty_engine.connect() as connection:
        coded = [tuple(row) for row in connection.execute(notes)]
    assert {row[2] for row in coded} >= {"damaged_on_arrival", "advised_lots", "not_advised"}
    run(empty_engine, command.downgrade, "0007")
    with empty_engine.connect() as connection:
        sentences = set(connection.execute(text(
            "SELECT note FROM receipt_discrepancy WHERE note IS NOT NULL")).scalars())
    assert sentences == {"damaged on arrival", "advised lot(s): L1, L2", "not on the advice"}
    run(empty_engine, command.upgrade, "0008")
    with empty_engine.connect() as connection:
        assert [tuple(row) for row in connection.execute(notes)] == coded
