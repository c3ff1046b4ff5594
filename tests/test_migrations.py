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
