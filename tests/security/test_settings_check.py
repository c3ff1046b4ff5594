"""Settings checked at start: each wrong one reported in one line naming it, by
``wms check-config``, before ``wms run`` and on ``/healthz``."""
from __future__ import annotations

import os
import stat

import click
import pytest
from click.testing import CliRunner

from wms.cli import main
from wms.core.settings_check import check_settings

XSD = "/work/shared/reference/ceb-202205/xsd"


def problems(**env) -> list[str]:
    return check_settings({k.upper(): v for k, v in env.items()})


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.access(folder, os.W_OK):  # root writes anywhere: make it a file's child instead
        folder.chmod(0o700)
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        yield blocker / "sub"
    else:
        yield folder
    folder.chmod(0o700)


def test_good_settings_give_no_problem(tmp_path):
    assert problems() == []
    assert problems(wms_database_url=f"sqlite:///{tmp_path}/wms.db",
                    wms_customs_gateway=f"file:{tmp_path}/out,{tmp_path}/in",
                    wms_queue_url="redis://127.0.0.1:6379/0",
                    wms_session_idle_minutes="30") == []
    if os.path.isdir(XSD):
        assert problems(wms_ceb_xsd_dir=XSD) == []
        assert problems(wms_ceb_xsd_dir=os.path.dirname(XSD)) == []  # the reference folder


@pytest.mark.parametrize("env, setting", [
    ({"wms_ceb_xsd_dir": "/no/such/folder"}, "WMS_CEB_XSD_DIR"),
    ({"wms_database_url": "not a url"}, "WMS_DATABASE_URL"),
    ({"wms_database_url": "mysql://u@h/db"}, "WMS_DATABASE_URL"),
    ({"wms_database_url": "postgresql+psycopg:///nohost"}, "WMS_DATABASE_URL"),
    ({"wms_queue_url": "amqp://rabbit/"}, "WMS_QUEUE_URL"),
    ({"wms_queue_url": "redis://:notaport/"}, "WMS_QUEUE_URL"),
    ({"wms_queue_url": "redis:///0"}, "WMS_QUEUE_URL"),
    ({"wms_customs_gateway": "file:/only-one-folder"}, "WMS_CUSTOMS_GATEWAY"),
    ({"wms_customs_gateway": "ftp://customs"}, "WMS_CUSTOMS_GATEWAY"),
    ({"wms_customs_gateway": "no_such_module_here:make"}, "WMS_CUSTOMS_GATEWAY"),
    ({"wms_session_max_hours": "twelve"}, "WMS_SESSION_MAX_HOURS"),
    ({"wms_max_upload_mb": "0"}, "WMS_MAX_UPLOAD_MB"),
])
def test_each_wrong_setting_is_one_line_naming_it(env, setting):
    found = problems(**env)
    assert len(found) == 1 and found[0].startswith(f"{setting}: "), found
    assert "\n" not in found[0]


def test_a_folder_that_holds_no_schema_is_named(tmp_path):
    (tmp_path / "readme.txt").write_text("no schemas here")
    found = problems(wms_ceb_xsd_dir=str(tmp_path))
    assert found == [f"WMS_CEB_XSD_DIR: {tmp_path} holds no *.xsd schema (nor an xsd/ "
                     "subfolder with one)"]


def test_an_unwritable_gateway_folder_is_named(tmp_path, read_only_folder):
    found = problems(wms_customs_gateway=f"file:{read_only_folder}/out,{tmp_path}/in")
    assert len(found) == 1 and found[0].startswith("WMS_CUSTOMS_GATEWAY: the outbox folder")
    found = problems(wms_database_url=f"sqlite:///{read_only_folder}/x/wms.db")
    assert len(found) == 1 and found[0].startswith("WMS_DATABASE_URL: the folder")


def test_several_problems_are_all_reported():
    found = problems(wms_ceb_xsd_dir="/nowhere", wms_queue_url="amqp://x/",
                     wms_database_url="mysql://x/y")
    assert [line.split(":")[0] for line in found] == ["WMS_DATABASE_URL", "WMS_CEB_XSD_DIR",
                                                      "WMS_QUEUE_URL"]


def test_check_config_command(tmp_path, monkeypatch):
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite:///{tmp_path}/wms.db")
    runner = CliRunner()
    result = runner.invoke(main, ["check-config"])
    assert result.exit_code == 0 and "settings ok" in result.output
    monkeypatch.setenv("WMS_CEB_XSD_DIR", "/no/such/folder")
    monkeypatch.setenv("WMS_QUEUE_URL", "amqp://rabbit/")
    result = runner.invoke(main, ["check-config"])
    assert result.exit_code == 1
    assert "WMS_CEB_XSD_DIR: /no/such/folder is not a folder" in result.output
    assert "WMS_QUEUE_URL:" in result.output


def test_run_stops_on_a_wrong_setting_before_starting_anything(monkeypatch):
    started = []
    monkeypatch.setattr("os.execv", lambda *args: started.append(args))
    monkeypatch.setattr("subprocess.Popen", lambda *args, **kw: started.append(args))
    monkeypatch.setenv("WMS_CEB_XSD_DIR", "/no/such/folder")
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code != 0 and started == []
    assert "WMS_CEB_XSD_DIR: /no/such/folder is not a folder" in result.output
    assert getattr(main.commands["run"].callback, "settings_checked", False)


def test_the_start_check_passes_good_settings(monkeypatch, tmp_path):
    from wms.cli_admin import require_valid_settings
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite:///{tmp_path}/wms.db")
    monkeypatch.delenv("WMS_CEB_XSD_DIR", raising=False)
    require_valid_settings()
    monkeypatch.setenv("WMS_QUEUE_URL", "amqp://rabbit/")
    with pytest.raises(click.ClickException):
        require_valid_settings()


def test_the_worker_is_checked_too_when_this_build_has_one():
    command = main.commands.get("worker")
    if command is None:
        pytest.skip("no `wms worker` in this build yet")
    assert getattr(command.callback, "settings_checked", False)
    assert isinstance(command, click.Command)


@pytest.mark.usefixtures("demo")
def test_healthz_reports_database_queue_and_settings_separately(app, client):
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["database"] == {"status": "ok"}
    assert body["settings"] == [] and body["queue"]["status"] in ("ok", "not installed",
                                                                   "unavailable")
    app.config["SETTINGS_ENVIRONMENT"] = {"WMS_CEB_XSD_DIR": "/no/such/folder"}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == {"status": "ok"}
    assert response.json["settings"] == ["WMS_CEB_XSD_DIR: /no/such/folder is not a folder"]
