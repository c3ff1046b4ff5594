"""``wms backup`` / ``wms restore`` bring back the same ledger, audit trail and outbox, on
SQLite (online backup API) and PostgreSQL (pg_dump / pg_restore)."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from tests.conftest import PG_URL, create_pg_schema, drop_pg_schema
from wms import backup
from wms.cli import main
from wms.core.context import SYSTEM, acting_as
from wms.core.db import make_engine
from wms.core.errors import ValidationError
from wms.inventory.ledger import check_ledger


def change_everything(engine) -> None:
    """Work done after the backup: a new audit row, a new ledger line, a new message."""
    with engine.begin() as connection:
        move = connection.execute(text("SELECT * FROM stock_move WHERE state = 'done' "
                                       "ORDER BY id LIMIT 1")).mappings().one()
        connection.execute(text(
            "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, "
            "owner_id, customs_status, to_customs_status, state, source_key, created_at) "
            "VALUES (:p, 1, :t, :f, :o, :c, :c2, 'done', :k, :at)"),
            dict(p=move["product_id"], t=move["to_location_id"], f=move["from_location_id"],
                 o=move["owner_id"], c=move["to_customs_status"], c2=move["customs_status"],
                 k=move["source_key"], at=move["created_at"]))
        connection.execute(text(
            "INSERT INTO audit_event (model, record_id, kind, user_login, at) "
            "VALUES ('test', 1, 'create', 'system', :at)"), {"at": move["created_at"]})
        connection.execute(text("UPDATE customs_message SET return_info = 'changed later' "
                                "WHERE id = (SELECT MAX(id) FROM customs_message)"))


def assert_whole(engine, expected: dict) -> None:
    assert backup.fingerprint_of(engine) == expected
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        assert check_ledger(session) == []


def test_sqlite_round_trip_through_the_commands(tmp_path, sqlite_demo_template, monkeypatch):
    live = tmp_path / "wms.db"
    shutil.copy(sqlite_demo_template, live)
    url = f"sqlite:///{live}"
    monkeypatch.setenv("WMS_DATABASE_URL", url)
    engine = make_engine(url)
    before = backup.fingerprint_of(engine)
    assert all(rows > 0 for rows, _ in before.values()), before
    runner = CliRunner()
    saved = tmp_path / "backups" / "wms-2026-12-01.db"
    result = runner.invoke(main, ["backup", str(saved)])
    assert result.exit_code == 0, result.output
    assert f"audit_event: {before['audit_event'][0]} rows" in result.output
    change_everything(engine)
    assert backup.fingerprint_of(engine) != before
    result = runner.invoke(main, ["restore", str(saved), "--yes"])
    assert result.exit_code == 0, result.output
    engine.dispose()
    engine = make_engine(url)
    assert_whole(engine, before)
    again = runner.invoke(main, ["backup", str(saved)])
    assert again.exit_code != 0 and "exists already" in again.output
    engine.dispose()


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database")
    with pytest.raises(ValidationError):
        backup.restore(f"sqlite:///{tmp_path / 'wms.db'}", junk)
    with pytest.raises(ValidationError):
        backup.restore(f"sqlite:///{tmp_path / 'wms.db'}", tmp_path / "missing.db")


@pytest.fixture
def pg_demo_schema():
    if not PG_URL:
        pytest.skip("WMS_TEST_DATABASE_URL is not set")
    if not shutil.which("pg_dump") and not backup._pg_tool("pg_dump"):
        pytest.skip("pg_dump is not installed")
    from wms.demo import load_demo
    schema, engine = create_pg_schema()
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        load_demo(session)
        session.commit()
    yield schema, engine
    drop_pg_schema(schema, engine)


def test_postgresql_round_trip(pg_demo_schema, tmp_path):
    schema, engine = pg_demo_schema
    before = backup.fingerprint_of(engine)
    assert all(rows > 0 for rows, _ in before.values()), before
    saved = backup.backup(PG_URL, tmp_path / "wms.dump", schema=schema)
    assert saved.stat().st_size > 0
    change_everything(engine)
    assert backup.fingerprint_of(engine) != before
    engine.dispose()
    backup.restore(PG_URL, saved)
    assert_whole(engine, before)
    # The guards come back with the schema: the restored audit trail is still insert-only.
    with pytest.raises(Exception, match="never changed"):
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event"))
    # A restore into a database where the schema is gone entirely.
    engine.dispose()
    with make_engine(PG_URL, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    backup.restore(PG_URL, saved)
    assert_whole(engine, before)
