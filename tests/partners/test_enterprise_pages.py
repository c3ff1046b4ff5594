"""Enterprise pages and API: credit class and AEO shown and changed, listing and lifting,
releasing a held document; the badge wherever the enterprise appears."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.web.test_api import assert_error, bearer
from wms.demo import OWNER_MILK
from wms.inbound.models import Receipt
from wms.partners.models import DocumentHold, Enterprise

pytestmark = pytest.mark.usefixtures("demo")


def milk(db) -> Enterprise:
    db.commit()
    db.expire_all()
    return db.scalar(select(Enterprise).where(Enterprise.customs_code == OWNER_MILK))


def test_a_supervisor_lists_an_owner_and_every_page_shows_it(client, db):
    login(client, "supervisor")
    page = client.get(f"/enterprises/{OWNER_MILK}").get_data(as_text=True)
    assert 'id="blacklist-form"' in page and "blacklisted" not in page
    response = client.post(f"/enterprises/{OWNER_MILK}/blacklist", data={
        "reason": "销售假冒婴幼儿配方奶粉", "authority": "兰州海关", "listed_from": "",
        "listed_until": ""})
    assert response.status_code == 302
    owner = milk(db)
    assert owner.blacklisting is not None
    for url in ("/enterprises", f"/enterprises/{OWNER_MILK}"):
        assert "blacklisted" in client.get(url).get_data(as_text=True)
    receipt = db.scalar(select(Receipt).where(Receipt.owner_id == owner.id))
    detail = client.get(f"/receipts/{receipt.id}").get_data(as_text=True)
    assert "enterprise-badge" in detail and "blacklisted" in detail
    hold = db.scalar(select(DocumentHold).where(DocumentHold.document_id == receipt.id,
                                                DocumentHold.document == "receipt"))
    assert client.post(f"/holds/{hold.id}/release",
                       data={"note": "", "next": "/"}).status_code == 302
    db.commit()
    db.refresh(hold)
    assert hold.released_at is None  # a release says why
    client.post(f"/holds/{hold.id}/release", data={"note": "复核无误", "next": "/"})
    db.commit()
    db.refresh(hold)
    assert hold.released_at is not None
    entry = owner.blacklisting
    client.post(f"/enterprises/{OWNER_MILK}/blacklist/{entry.id}/lift",
                data={"reason": "信用修复"})
    assert milk(db).blacklisting is None


def test_an_operator_sees_the_page_but_cannot_list_or_rate(client, db):
    login(client, "operator")
    page = client.get(f"/enterprises/{OWNER_MILK}").get_data(as_text=True)
    assert 'id="blacklist-form"' not in page
    assert client.post(f"/enterprises/{OWNER_MILK}/blacklist",
                       data={"reason": "x", "authority": "y"}).status_code == 403
    assert client.post(f"/enterprises/{OWNER_MILK}/credit",
                       data={"credit_class": "dishonest"}).status_code == 403


def test_a_customs_clerk_rates_an_enterprise_and_bad_input_is_said(client, db):
    login(client, "customs")
    before = milk(db).aeo_certificate
    page = client.post(f"/enterprises/{OWNER_MILK}/credit",
                       data={"credit_class": "advanced", "aeo_certificate": "AEOCN0000000001"},
                       follow_redirects=True).get_data(as_text=True)
    assert milk(db).aeo_certificate == before == f"AEOCN{OWNER_MILK}"
    assert "flash-error" in page
    client.post(f"/enterprises/{OWNER_MILK}/credit", data={"credit_class": "dishonest"})
    assert milk(db).credit_class == "dishonest"
    page = client.get(f"/enterprises/{OWNER_MILK}").get_data(as_text=True)
    assert 'id="tally-plan"' in page


def test_the_api_shows_and_changes_credit_and_the_blacklist(client, db):
    headers = bearer(db, "supervisor")
    one = client.get(f"/api/v1/enterprises/{OWNER_MILK}", headers=headers).json
    assert one["credit_class"] == "advanced" and one["blacklisted"] is False
    assert one["tally_sampling_rate"] == "0.0057" and one["full_count"] is False
    changed = client.patch(f"/api/v1/enterprises/{OWNER_MILK}", headers=headers,
                           json={"credit_class": "dishonest"})
    assert changed.status_code == 200, changed.json
    assert changed.json["full_count"] is True and changed.json["tally_sampling_rate"] == "1"
    assert_error(client.patch(f"/api/v1/enterprises/{OWNER_MILK}", headers=headers,
                              json={"uscc": "x"}), 422, "validation_error", "uscc")
    listed = client.post(f"/api/v1/enterprises/{OWNER_MILK}/blacklist", headers=headers,
                         json={"reason": "失信", "authority": "兰州海关",
                               "listed_until": "2027-06-30"})
    assert listed.status_code == 201 and listed.json["blacklisted"] is True
    entry = listed.json["blacklist"][0]
    assert entry["listed_until"] == "2027-06-30" and entry["in_force"] is True
    assert_error(client.post(f"/api/v1/enterprises/{OWNER_MILK}/blacklist", headers=headers,
                             json={"reason": "x", "authority": "y"}), 409, "conflict",
                 "enterprise")
    lifted = client.post(f"/api/v1/enterprises/{OWNER_MILK}/blacklist/{entry['id']}/lift",
                         headers=headers, json={"reason": "已整改"})
    assert lifted.status_code == 200 and lifted.json["blacklisted"] is False
    assert lifted.json["blacklist"][0]["lift_reason"] == "已整改"
    operator = bearer(db, "operator")
    assert client.post(f"/api/v1/enterprises/{OWNER_MILK}/blacklist", headers=operator,
                       json={"reason": "x", "authority": "y"}).status_code == 403
