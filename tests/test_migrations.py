"""Migrations and models agree, and every revision upgrades and downgrades, on both backends."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.conftest import PG_URL, create_pg_schema, drop_pg_schema
from wms.cli import alembic_config
from wms.core.db import make_engine
from wms.models import metadata


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
    else:
        schema, engine = create_pg_schema(tables=False)
        yield engine
        drop_pg_schema(schema, engine)


def run(engine, fn, *args):
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        fn(config, *args)


def differences(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(empty_engine):
    run(empty_engine, command.upgrade, "head")
    assert differences(empty_engine) == []
    run(empty_engine, command.downgrade, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    run(empty_engine, command.upgrade, "head")
    assert differences(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_typed_move_links_are_backfilled_from_the_reasons_the_code_wrote(empty_engine):
    """Migration 0007 recovers from the old reason texts exactly the links that today's code
    writes: load the demo at head, go back to 0006 (links gone), up again, compare."""
    from sqlalchemy import text
    from sqlalchemy.orm import sessionmaker

    from wms.core.context import SYSTEM, acting_as
    from wms.demo import load_demo
    run(empty_engine, command.upgrade, "head")
    with sessionmaker(bind=empty_engine)() as session, acting_as(SYSTEM):
        load_demo(session)
        session.commit()
    links = text("SELECT id, order_line_id, return_line_id, origin_move_id FROM stock_move "
                 "ORDER BY id")
    with empty_engine.connect() as connection:
        written = connection.execute(links).all()
    assert sum(1 for row in written if row.order_line_id) > 10
    assert sum(1 for row in written if row.return_line_id) > 3
    run(empty_engine, command.downgrade, "0006")
    run(empty_engine, command.upgrade, "0007")
    with empty_engine.connect() as connection:
        assert connection.execute(links).all() == written
