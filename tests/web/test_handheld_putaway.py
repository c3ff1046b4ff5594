"""Putaway on the handheld over HTTP: only released receipts' lots are offered, each with
its quantity and customs status; "put away all" stores the receipt; the undeclared lot of
a receipt still being tallied is never offered and never reaches a bonded shelf."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from wms.inbound.models import Receipt
from wms.inventory.models import Location, Quant

pytestmark = pytest.mark.usefixtures("demo")


def login_en(client, user: str = "operator") -> None:
    login(client, user)
    client.post("/language", data={"locale": "en"})


def post(client, url, **body):
    return client.post(url, json={"idempotency_key": uuid.uuid4().hex, **body})


def test_the_page_offers_released_lots_only_and_puts_all_away(client, db):
    login_en(client)
    page = client.get("/m/putaway").get_data(as_text=True)
    assert "MJ260915" in page and "120 units" in page  # DEMO-R7, released
    assert "MJ261020" not in page  # DEMO-R3, still being tallied
    assert 'data-status="bonded"' in page
    r7 = db.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R7"))
    done = post(client, "/m/api/putaway/all", receipt=r7.name)
    assert done.status_code == 201, done.json
    assert done.json["stored"] == [r7.name]
    db.commit()  # a fresh snapshot: the app committed in its own session
    db.expire_all()
    assert db.get(Receipt, r7.id).state == "stored"
    assert "MJ260915" not in client.get("/m/putaway").get_data(as_text=True)


def test_a_tallied_receipt_asked_for_says_it_waits_for_customs(client, db):
    login_en(client)
    r3 = db.scalar(select(Receipt).where(Receipt.supplier_ref == "DEMO-R3"))
    page = client.get("/m/putaway", query_string={"receipt": r3.name}).get_data(as_text=True)
    assert r3.name in page and "Not released by customs yet" in page


def test_undeclared_goods_are_not_offered_nor_put_on_a_bonded_shelf(client, db):
    login_en(client)
    # Three lots of MEIJI wait in the input area, one released: that one goes, no choice.
    moved = post(client, "/m/api/putaway", item="MEIJI-STEP-800", destination="LZB-A-01-02")
    assert moved.status_code == 201, moved.json
    assert moved.json["lot"] == "MJ260915"
    refused = post(client, "/m/api/putaway", item="MEIJI-STEP-800", lot="MJ261020",
                   destination="LZB-A-01-02")
    assert refused.status_code == 422 and "not declared" in refused.json["error"]["message"]
    shelf = db.scalar(select(Location).where(Location.barcode == "LZB-A-01-02"))
    assert not db.scalar(select(func.count()).select_from(Quant).where(
        Quant.location_id == shelf.id, Quant.customs_status == "arrived"))
