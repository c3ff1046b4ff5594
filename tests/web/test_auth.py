"""The web shell: login, lock-out, CSRF, cookies, headers, roles, errors, language."""
from __future__ import annotations

import re

import pytest

from tests.conftest import login
from wms.accounts.services import MAX_FAILED_LOGINS

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture(autouse=True)
def no_login_delay(monkeypatch):
    monkeypatch.setattr("web.auth.FAILED_LOGIN_DELAY", 0)


def test_every_page_but_login_and_healthz_needs_a_login(app, client):
    public = {"/login", "/healthz", "/api/v1/openapi.json"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule in public \
                or rule.endpoint == "static":
            continue
        response = client.get(rule.rule)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
            assert response.json["error"]["code"] == "unauthorized"
        else:
            assert response.status_code == 302, rule.rule
            assert "/login" in response.headers["Location"]
        checked += 1
    assert checked >= 5
    health = client.get("/healthz").json
    assert health["status"] == "ok" and health["database"] == {"status": "ok"}
    assert client.get("/login").status_code == 200


def test_login_then_home_shows_the_role(client):
    response = login(client, "supervisor")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "仓库主管" in page  # zh_CN by default


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    wrong = login(client, "supervisor", "not-the-password")
    unknown = login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401

    def message(r):
        return re.search(r'class="flash flash-error"[^>]*>([^<]+)<', r.get_data(as_text=True))[1]
    assert message(wrong) == message(unknown)


def test_lockout_after_repeated_failures(client):
    for _ in range(MAX_FAILED_LOGINS):
        login(client, "operator", "wrong-password")
    assert login(client, "operator").status_code == 401


def test_open_redirect_is_refused(client):
    response = client.post("/login?next=https://evil.example/", data={
        "login": "supervisor", "password": "Lanzhou-2026"})
    assert response.headers["Location"] == "/"


def test_roles_are_checked(client):
    login(client, "operator")
    assert client.get("/users").status_code == 403
    assert client.get("/enterprises/new").status_code == 403
    client.post("/logout")
    login(client, "admin")
    assert client.get("/users").status_code == 200


def test_security_headers_and_cookie_flags(client):
    response = login(client, "supervisor")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_csrf_is_required_on_forms(app, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/login", data={"login": "supervisor", "password": "Lanzhou-2026"})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post("/login", data={"login": "supervisor", "password": "Lanzhou-2026",
                                           "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400  # no token: still logged in
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("path, status", [("/no-such-page", 404), ("/history/nothing/1", 404)])
def test_html_error_pages(client, path, status):
    login(client, "supervisor")
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert "未找到" in response.get_data(as_text=True)


def test_error_page_for_a_crash_is_html_500(app, client):
    @app.get("/boom-test")
    def boom():
        raise RuntimeError("boom")
    login(client, "supervisor")
    response = client.get("/boom-test")
    assert response.status_code == 500 and "出错了" in response.get_data(as_text=True)


def test_language_switch_is_remembered_on_the_user(client, db):
    login(client, "supervisor")
    assert "企业" in client.get("/").get_data(as_text=True)
    response = client.post("/language", data={"locale": "en", "next": "/"})
    assert response.status_code == 302
    assert "Enterprises" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(client, "supervisor")
    assert "Enterprises" in client.get("/").get_data(as_text=True)
    assert client.post("/language", data={"locale": "xx"}).status_code == 400


def test_language_can_be_chosen_before_login(client):
    client.post("/language", data={"locale": "en", "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
