"""Desk pages: home per role, enterprises, history, account tokens, owner scoping."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from wms.demo import OWNER_MILK, USERS, demo_uscc
from wms.partners.models import Enterprise

pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize("user", [u[0] for u in USERS])
def test_each_demo_role_has_a_home_page(client, user):
    assert login(client, user).status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert 'class="card tile"' in page.get_data(as_text=True)


def test_register_enterprise_at_the_desk_and_see_its_history(client, db):
    login(client, "customs")
    response = client.post("/enterprises/new", data={
        "customs_code": "6201W60090", "uscc": demo_uscc("91620100MA71NE090"),
        "name": "兰州新货主", "roles": ["owner"], "credit_class": "regular"})
    assert response.status_code == 302
    enterprise = db.scalar(select(Enterprise).where(Enterprise.customs_code == "6201W60090"))
    history = client.get(f"/history/enterprise/{enterprise.id}").get_data(as_text=True)
    assert "customs" in history and "创建" in history


def test_bad_uscc_on_the_form_is_shown_next_to_the_field(client, db):
    login(client, "customs")
    before = db.scalar(select(func.count()).select_from(Enterprise))
    response = client.post("/enterprises/new", data={
        "customs_code": "6201W60091", "uscc": "91620100MA71NE0910", "name": "坏代码",
        "roles": ["owner"], "credit_class": "regular"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="uscc-error">统一社会信用代码无效', page)
    assert db.scalar(select(func.count()).select_from(Enterprise)) == before


def test_owner_viewer_sees_only_its_own_enterprise(client, db):
    login(client, "owner")
    page = client.get("/enterprises").get_data(as_text=True)
    assert OWNER_MILK in page
    assert "6201W60023" not in page  # the cosmetics owner
    other = db.scalar(select(Enterprise).where(Enterprise.customs_code == "6201W60023"))
    assert client.get(f"/history/enterprise/{other.id}").status_code == 404


def test_account_page_creates_and_revokes_tokens(client):
    login(client, "dispatcher")
    page = client.post("/account/tokens", data={"label": "rail feed"}).get_data(as_text=True)
    token = re.search(r'<code class="token">(wms_[^<]+)</code>', page)[1]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = re.search(r'/account/tokens/(\d+)/revoke', page)[1]
    client.post(f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert token not in client.get("/account").get_data(as_text=True)
