"""Sessions end on the server's word: logout, a password change or a lock end every session
of the user at once; idle and absolute lifetimes; CSRF tokens die with the session; the
lock-out counts failures atomically."""
from __future__ import annotations

import re
import time

import pytest

from tests.conftest import login
from web.auth import LOGGED_IN_AT, SEEN_AT
from wms.accounts import services as accounts
from wms.accounts.models import User
from wms.core.errors import ValidationError

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture(autouse=True)
def no_login_delay(monkeypatch):
    monkeypatch.setattr("web.auth.FAILED_LOGIN_DELAY", 0)


def opens_home(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def saved_cookie(client) -> str:
    return client.get_cookie("session").value


def restore_cookie(client, value: str) -> None:
    client.set_cookie("session", value)


def test_a_cookie_saved_before_logout_no_longer_opens_pages(client):
    login(client, "supervisor")
    assert opens_home(client)
    kept = saved_cookie(client)
    client.post("/logout")
    assert not opens_home(client)
    restore_cookie(client, kept)
    assert not opens_home(client)
    response = client.get("/stock")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_the_users_sessions_on_every_device(app):
    desk, handheld = app.test_client(), app.test_client()
    login(desk, "operator")
    login(handheld, "operator")
    assert opens_home(desk) and opens_home(handheld)
    handheld.post("/logout")
    assert not opens_home(desk)
    login(desk, "operator")
    assert opens_home(desk)  # a new login starts a new, valid session


def test_a_password_change_ends_every_session(app, db):
    one, two = app.test_client(), app.test_client()
    login(one, "operator")
    login(two, "operator")
    user = accounts.get_user(db, "operator")
    with pytest.raises(ValidationError) as err:
        accounts.change_password(db, user, "not-the-password", "New-Pass-2026")
    assert err.value.field == "current_password"
    accounts.change_password(db, user, "Lanzhou-2026", "New-Pass-2026")
    db.commit()
    assert not opens_home(one) and not opens_home(two)
    assert login(one, "operator").status_code == 401
    login(one, "operator", "New-Pass-2026")
    assert opens_home(one)


def test_an_admin_lock_ends_sessions_and_api_tokens(app, client, db):
    user = accounts.get_user(db, "dispatcher")
    token = accounts.create_token(db, user)
    db.commit()
    login(client, "dispatcher")
    assert opens_home(client)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 200
    accounts.lock_user(db, user)
    db.commit()
    assert not opens_home(client)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code \
        == 401
    assert login(client, "dispatcher").status_code == 401
    accounts.unlock_user(db, user)
    db.commit()
    login(client, "dispatcher")
    assert opens_home(client)


@pytest.mark.parametrize("key, setting, unit", [(SEEN_AT, "SESSION_IDLE_MINUTES", 60),
                                                (LOGGED_IN_AT, "SESSION_MAX_HOURS", 3600)])
def test_idle_and_absolute_lifetimes(app, client, key, setting, unit):
    login(client, "supervisor")
    limit = app.config[setting] * unit
    with client.session_transaction() as cookie:
        cookie[key] = time.time() - limit + 30
    assert opens_home(client)  # within the lifetime
    with client.session_transaction() as cookie:
        cookie[key] = time.time() - limit - 1
    assert not opens_home(client)
    with client.session_transaction() as cookie:
        assert "_user_id" not in cookie and "csrf_token" not in cookie


def test_a_session_without_the_server_stamps_is_refused(client):
    """A cookie from before this release (no generation, no times) opens nothing."""
    login(client, "supervisor")
    with client.session_transaction() as cookie:
        for key in list(cookie):
            if key.startswith("_wms_"):
                del cookie[key]
    assert not opens_home(client)


def test_the_last_seen_stamp_moves_while_the_session_is_used(client):
    login(client, "supervisor")
    with client.session_transaction() as cookie:
        cookie[SEEN_AT] = time.time() - 600
    assert opens_home(client)
    with client.session_transaction() as cookie:
        assert time.time() - cookie[SEEN_AT] < 60


def csrf_token(page: str) -> str:
    found = (re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
             or re.search(r'type="hidden" name="csrf_token" value="([^"]+)"', page)
             or re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                          page))
    return found[1]


def test_csrf_tokens_expire_with_the_session(session_factory, tmp_path):
    from web import create_app
    app = create_app({"TESTING": True, "SESSION_FACTORY": session_factory,
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["WTF_CSRF_TIME_LIMIT"] == app.config["SESSION_MAX_HOURS"] * 3600
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": "supervisor", "password": "Lanzhou-2026",
                                "csrf_token": token})
    assert opens_home(client)
    form_token = csrf_token(client.get("/").get_data(as_text=True))
    kept = saved_cookie(client)
    assert client.post("/logout", data={"csrf_token": form_token}).status_code == 302
    restore_cookie(client, kept)
    # The old cookie with its own token: the session is over, the form is not accepted.
    client.post("/language", data={"locale": "en", "csrf_token": form_token})
    assert not opens_home(client)
    fresh = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": "supervisor", "password": "Lanzhou-2026",
                                "csrf_token": fresh})
    assert opens_home(client)
    response = client.post("/language", data={"locale": "en", "csrf_token": form_token})
    assert response.status_code == 400  # a token of the ended session is refused


def test_failed_logins_are_counted_in_the_database(db):
    user = accounts.get_user(db, "operator")
    for expected in range(1, accounts.MAX_FAILED_LOGINS):
        assert accounts.authenticate(db, "operator", "wrong-password") is None
        db.expire_all()
        assert db.get(User, user.id).failed_logins == expected
    accounts.authenticate(db, "operator", "wrong-password")
    db.expire_all()
    locked = db.get(User, user.id)
    assert locked.locked_until is not None and locked.failed_logins == 0
    assert accounts.authenticate(db, "operator", "Lanzhou-2026") is None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/\\/evil.example", "\\\\evil.example", "/ok\r\nSet-Cookie: x",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_next_goes_only_to_this_site(client, target):
    response = client.post("/login", query_string={"next": target},
                           data={"login": "supervisor", "password": "Lanzhou-2026"})
    assert response.headers["Location"] == "/"


def test_next_to_a_page_of_this_site_is_kept(client):
    response = client.post("/login", query_string={"next": "/stock?page=2"},
                           data={"login": "supervisor", "password": "Lanzhou-2026"})
    assert response.headers["Location"] == "/stock?page=2"


@pytest.mark.parametrize("login_text, password", [("super\x00visor", "Lanzhou-2026"),
                                                  ("supervisor", "pass\ud800word"),
                                                  ("\udfff", "x")])
def test_logins_the_database_cannot_hold_are_refused_like_unknown_ones(db, login_text,
                                                                       password):
    assert accounts.authenticate(db, login_text, password) is None
