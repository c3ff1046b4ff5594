"""PostgreSQL goes away while the app serves: pages and the API answer a clear 503 in the
error shape, and once it is back requests succeed without restarting the app.

The test starts a private cluster (initdb, pg_ctl) on its own port and data directory, so
stopping it touches nobody else's database; it is skipped where initdb is not installed.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest
from sqlalchemy.orm import sessionmaker

from tests.conftest import login, migrate
from wms.accounts import services as accounts
from wms.core.context import SYSTEM, acting_as
from wms.core.db import make_engine

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
pytestmark = pytest.mark.skipif(not BINARIES, reason="initdb (PostgreSQL server) not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """A throw-away PostgreSQL cluster; run as the ``postgres`` user when we are root,
    since the server refuses to run as root."""

    def __init__(self) -> None:
        self.bin = os.path.dirname(BINARIES[-1])
        self.root = tempfile.mkdtemp(prefix="wms-pg-fault-", dir="/tmp")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                pytest.skip("running as root without runuser")
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        subprocess.run(self.as_user + list(args), check=True, capture_output=True,
                       timeout=120)

    def init(self) -> None:
        self.run(f"{self.bin}/initdb", "-D", self.data, "--auth=trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        self.run(f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-t", "60", "-l",
                 os.path.join(self.root, "log"), "-o",
                 f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                 "start")

    def stop(self) -> None:
        self.run(f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    pg = PrivateCluster()
    try:
        pg.init()
        pg.start()
    except (subprocess.CalledProcessError, OSError) as exc:
        pg.remove()
        pytest.skip(f"could not start a private PostgreSQL cluster: {exc}")
    yield pg
    pg.remove()


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers.get("Retry-After")


def test_the_app_answers_503_while_postgresql_is_down_and_recovers(cluster, tmp_path):
    engine = make_engine(cluster.url)
    migrate(engine)
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        user = accounts.create_user(session, login="li.ming", password="Scan-2026-ok",
                                    roles=["supervisor"])
        token = accounts.create_token(session, user)
        session.commit()
    engine.dispose()

    from web import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": cluster.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": False,
                      "SETTINGS_ENVIRONMENT": {}})
    client = app.test_client()
    api = {"Authorization": f"Bearer {token}"}
    assert login(client, "li.ming", "Scan-2026-ok").status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me", headers=api).status_code == 200

    cluster.stop()
    assert_unavailable(client.get("/"))
    assert_unavailable(client.get("/stock"))
    response = client.get("/api/v1/me", headers=api)
    assert_unavailable(response)
    assert response.json["error"]["code"] == "database_unavailable"
    assert set(response.json["error"]) == {"code", "message", "field"}
    response = client.post("/api/v1/enterprises", headers=api, json={"name": "x"})
    assert_unavailable(response)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["database"]["status"] == "unavailable"
    assert health.json["database"]["problem"].startswith("WMS_DATABASE_URL: ")

    cluster.start()
    assert client.get("/").status_code == 200  # the same app, the same pool: no restart
    assert client.get("/api/v1/me", headers=api).json["login"] == "li.ming"
    assert client.get("/healthz").json["database"] == {"status": "ok"}
