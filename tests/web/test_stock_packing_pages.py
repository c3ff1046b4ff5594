"""The stock desk's packing and putaway-rule pages through the test client: field errors
beside the field, nesting and taking out, rules made, edited and retired."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import login
from wms.inbound.models import PutawayRule
from wms.inventory.models import Package

pytestmark = pytest.mark.usefixtures("demo")


def error_of(page: str, field: str) -> str | None:
    match = re.search(r'<p class="error" id="%s-error">([^<]+)</p>' % field, page)
    return match.group(1) if match else None


def fresh(db) -> None:
    db.commit()
    db.expire_all()


def test_a_pallet_and_a_carton_are_made_packed_and_taken_out(client, db):
    login(client, "operator")
    assert "/stock/packages/new" in client.get("/stock/packages").get_data(as_text=True)
    bad = client.post("/stock/packages/new", data={"kind": "pallet", "warehouse": "LZB",
                                                   "sscc": "069061230000000018"})
    assert bad.status_code == 422 and error_of(bad.get_data(as_text=True), "sscc")
    nowhere = client.post("/stock/packages/new", data={"kind": "pallet", "warehouse": "LZB",
                                                       "location": "NO-BIN"})
    assert nowhere.status_code == 404 and error_of(nowhere.get_data(as_text=True), "location")
    made = client.post("/stock/packages/new", data={"kind": "pallet", "warehouse": "LZB",
                                                    "location": "LZB-C-01-01"})
    assert made.status_code == 302
    pallet_id = int(made.headers["Location"].rsplit("/", 1)[1])
    fresh(db)
    pallet = db.get(Package, pallet_id)
    carton = client.post("/stock/packages/new", data={"kind": "carton", "warehouse": "LZB"})
    carton_id = int(carton.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/stock/packages/{carton_id}").get_data(as_text=True)
    assert f"/stock/packages/{carton_id}/nest" in page
    client.post(f"/stock/packages/{carton_id}/nest", data={"parent": pallet.sscc})
    fresh(db)
    assert db.get(Package, carton_id).parent_id == pallet_id
    assert db.get(Package, carton_id).location_id == pallet.location_id
    refused = client.post(f"/stock/packages/{pallet_id}/nest",
                          data={"parent": db.get(Package, carton_id).sscc},
                          follow_redirects=True)
    assert "flash-error" in refused.get_data(as_text=True)
    client.post(f"/stock/packages/{carton_id}/unnest")
    fresh(db)
    assert db.get(Package, carton_id).parent_id is None
    client.post("/logout")
    login(client, "owner")
    assert client.get("/stock/packages/new").status_code == 403


def test_putaway_rules_are_made_edited_and_retired(client, db):
    login(client, "supervisor")
    page = client.get("/stock/putaway-rules").get_data(as_text=True)
    assert "LZB/Stock/A" in page and "/stock/putaway-rules/new" in page
    bad = client.post("/stock/putaway-rules/new", data={
        "warehouse": "LZB", "location": "LZB/Stock/C", "product": "NO-SUCH", "sequence": "5"})
    assert bad.status_code == 404 and error_of(bad.get_data(as_text=True), "product")
    both = client.post("/stock/putaway-rules/new", data={
        "warehouse": "LZB", "location": "LZB/Stock/C", "product": "MX-DANGGUI-1KG",
        "category": "herbs"})
    assert both.status_code == 422 and error_of(both.get_data(as_text=True), "category")
    assert client.post("/stock/putaway-rules/new", data={
        "warehouse": "LZB", "location": "LZB/Stock/C", "product": "MX-DANGGUI-1KG",
        "sequence": "5"}).status_code == 302
    fresh(db)
    rule = db.scalars(select(PutawayRule).order_by(PutawayRule.id.desc())).first()
    form = client.get(f"/stock/putaway-rules/{rule.id}/edit").get_data(as_text=True)
    assert 'value="MX-DANGGUI-1KG"' in form and 'value="LZB/Stock/C"' in form
    assert client.post(f"/stock/putaway-rules/{rule.id}/edit", data={
        "warehouse": "LZB", "location": "LZB-C-01-01", "product": "MX-DANGGUI-1KG",
        "sequence": "7"}).status_code == 302
    fresh(db)
    assert db.get(PutawayRule, rule.id).sequence == 7
    rule_id = rule.id
    client.post(f"/stock/putaway-rules/{rule_id}/retire")
    fresh(db)
    assert db.scalar(select(PutawayRule.id).where(PutawayRule.id == rule_id)) is None
    client.post("/logout")
    login(client, "operator")
    assert client.get("/stock/putaway-rules").status_code == 200
    assert client.get("/stock/putaway-rules/new").status_code == 403
