"""The ``wms`` command on a real SQLite database file."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from wms.accounts.models import ApiToken, User
from wms.cli import main
from wms.core.audit import AuditEvent
from wms.core.db import make_engine, make_session_factory


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WMS_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    yield runner, make_session_factory(engine)
    engine.dispose()


def test_demo_load_is_idempotent(cli_db):
    runner, sessions = cli_db
    first = runner.invoke(main, ["demo", "load"])
    assert first.exit_code == 0 and "new records" in first.output
    second = runner.invoke(main, ["demo", "load"])
    assert second.exit_code == 0 and "already loaded" in second.output
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 7


def test_user_add_reads_the_password_from_stdin_and_audits_the_actor(cli_db):
    runner, sessions = cli_db
    runner.invoke(main, ["demo", "load"])
    result = runner.invoke(main, ["--as", "admin", "user", "add", "ma.li", "--role",
                                  "returns_clerk", "--name", "马丽", "--password-stdin"],
                           input="Returns-2026\n")
    assert result.exit_code == 0, result.output
    with sessions() as s:
        user = s.scalar(select(User).where(User.login == "ma.li"))
        assert user.roles == {"returns_clerk"} and user.display_name == "马丽"
        admin = s.scalar(select(User).where(User.login == "admin"))
        assert user.created_by_id == admin.id
        event = s.scalar(select(AuditEvent).where(AuditEvent.model == "app_user",
                                                  AuditEvent.record_id == user.id))
        assert event.user_login == "admin"


@pytest.mark.parametrize("args, field", [
    (["--role", "pilot"], "role"),
    (["--role", "owner_viewer", "--owner", "0000000000"], "owner"),
])
def test_user_add_errors_name_the_field_and_write_nothing(cli_db, args, field):
    runner, sessions = cli_db
    result = runner.invoke(main, ["user", "add", "x.y", *args, "--password-stdin"],
                           input="Good-pass-2026\n")
    assert result.exit_code != 0
    assert f"[{field}]" in result.output
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_token_create_prints_the_token_once(cli_db):
    runner, sessions = cli_db
    runner.invoke(main, ["demo", "load"])
    result = runner.invoke(main, ["token", "create", "supervisor", "--label", "erp"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("wms_")
    with sessions() as s:
        row = s.scalar(select(ApiToken))
        assert row.label == "erp" and token not in row.token_hash
    assert runner.invoke(main, ["token", "create", "nobody"]).exit_code != 0


def test_downgrade_to_base_and_back(cli_db):
    runner, _ = cli_db
    assert runner.invoke(main, ["db", "downgrade", "base"]).exit_code == 0
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0


def test_check_ledger_is_clean_after_demo_and_fails_on_tampering(cli_db):
    runner, sessions = cli_db
    runner.invoke(main, ["demo", "load"])
    result = runner.invoke(main, ["check-ledger"])
    assert result.exit_code == 0 and "ledger clean" in result.output
    from sqlalchemy import update
    from wms.inventory.models import Quant
    with sessions() as s:
        s.execute(update(Quant).where(Quant.id == 1).values(quantity=Quant.quantity + 1))
        s.commit()
    result = runner.invoke(main, ["check-ledger"])
    assert result.exit_code == 1
    assert "books say" in result.output and "problem(s)" in result.output


def test_labels_render_pdf_and_zpl_and_refuse_bad_data(tmp_path):
    import json
    import pypdfium2 as pdfium
    runner = CliRunner()
    data = tmp_path / "awb.json"
    data.write_text(json.dumps({"airline": "China Cargo Airlines", "awb": "112-12345675",
                                "origin": "LHW", "destination": "FRA", "piece": 1,
                                "total_pieces": 3}))
    out = tmp_path / "awb.pdf"
    result = runner.invoke(main, ["labels", "render", "air_cargo", "--data", str(data),
                                  "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(pdfium.PdfDocument(out.read_bytes())) == 1
    result = runner.invoke(main, ["labels", "render", "air_cargo", "--data", str(data),
                                  "--format", "zpl", "-o", "-"])
    assert result.output.startswith("^XA") and "^XZ" in result.output
    data.write_text(json.dumps({"airline": "X", "awb": "112-12345674", "origin": "LHW",
                                "destination": "FRA", "piece": 1, "total_pieces": 1}))
    result = runner.invoke(main, ["labels", "render", "air_cargo", "--data", str(data),
                                  "-o", str(out)])
    assert result.exit_code != 0 and "[awb]" in result.output
    assert "air_cargo" in runner.invoke(main, ["labels", "render", "--help"]).output
