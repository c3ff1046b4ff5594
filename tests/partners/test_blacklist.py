"""The blacklist: a listed owner, platform or logistics company is refused at the receipt
and order doors (403 naming it), the attempt stays on record after the rollback, pending
documents are held until a supervisor releases them, and lifting keeps the history."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.outbound.conftest import make_order
from tests.web.test_api import bearer
from wms.core.audit import AuditEvent
from wms.core.errors import Conflict, ValidationError
from wms.demo import OWNER_MILK
from wms.inbound.models import Receipt
from wms.inbound.receipts import LineInput, create_receipt
from wms.outbound.intake import receive_orders
from wms.inbound.receipts import gate_in
from wms.outbound.declare import declare_order
from wms.outbound.fulfilment import start_wave
from wms.outbound.models import SalesOrder
from wms.partners.blacklist import (DocumentHeld, EnterpriseBlacklisted, blacklist_enterprise,
                                    entries_in_force, lift_blacklisting, open_holds,
                                    refuse_blacklisted, release_hold)
from wms.partners.models import BlacklistEntry, DocumentHold, Enterprise, EnterpriseRefusal
from wms.partners.services import get_enterprise_by_code

pytestmark = pytest.mark.usefixtures("demo")
EMS = "6201980056"
PLATFORM = "6201W60045"


def listed(db, code: str, **dates) -> BlacklistEntry:
    enterprise = get_enterprise_by_code(db, code)
    return blacklist_enterprise(db, enterprise, reason="售假: 海关稽查认定销售假冒奶粉",
                                authority="兰州海关", **dates)


def asn(db, ref: str):
    return create_receipt(db, owner_code=OWNER_MILK, warehouse_code="LZB",
                          supplier="Danone Nutricia GmbH", supplier_ref=ref,
                          lines=[LineInput("APT-PRE-800", 10, "LBL-1", "2028-01-01")])


def refusals(db) -> int:
    """Refusals other than the demo's own (its blacklisted trader was refused once)."""
    return db.scalar(select(func.count()).select_from(EnterpriseRefusal).where(
        EnterpriseRefusal.reference != "JC-ASN-2611"))


def last_refusal(db) -> EnterpriseRefusal:
    return db.scalars(select(EnterpriseRefusal).order_by(EnterpriseRefusal.id.desc())).first()


def test_a_listed_owner_cannot_create_a_receipt_and_the_attempt_is_kept(db):
    listed(db, OWNER_MILK)
    db.commit()
    with pytest.raises(EnterpriseBlacklisted) as err:
        asn(db, "BL-1")
    assert err.value.status == 403 and err.value.field == "owner"
    assert "6201W60012" in err.value.message and "兰州海关" in err.value.message
    db.rollback()
    assert refusals(db) == 1
    refusal = last_refusal(db)
    assert (refusal.document, refusal.reference) == ("receipt", "BL-1")
    assert db.scalar(select(Receipt.id).where(Receipt.supplier_ref == "BL-1")) is None


def test_an_unlisted_owner_creates_receipts_as_before(db):
    assert asn(db, "OK-1").state == "expected"
    assert refusals(db) == 0


def test_the_listed_logistics_company_of_an_order_in_a_batch_is_named(db):
    listed(db, EMS)
    db.commit()
    batch = [make_order("BL-ORD-1"), make_order("BL-ORD-2")]
    with pytest.raises(EnterpriseBlacklisted) as err:
        receive_orders(db, batch)
    # the platform and owner come first in each order; EMS is the first order's carrier
    assert err.value.field == "orders[0].waybill.logistics_code"
    db.rollback()
    assert last_refusal(db).reference == "BL-ORD-1"


def test_the_check_is_one_query_for_any_number_of_parties(db, statements):
    enterprises = list(db.scalars(select(Enterprise).where(
        ~Enterprise.blacklist_entries.any())))  # the demo's blacklisted trader aside
    parties = [(e, f"orders[{i}].owner", None) for i, e in enumerate(enterprises * 50)]
    with statements() as sent:
        refuse_blacklisted(db, parties, document="order")
    assert len(sent) == 1


@pytest.mark.parametrize("dates, in_force", [
    (dict(), True),
    (dict(listed_until=date.today() + timedelta(days=30)), True),
    (dict(listed_from=date.today() - timedelta(days=60),
          listed_until=date.today() - timedelta(days=1)), False),
    (dict(listed_from=date.today() + timedelta(days=1)), False),
])
def test_a_listing_counts_between_its_dates(db, dates, in_force):
    entry = listed(db, OWNER_MILK, **dates)
    assert (entry.enterprise_id in entries_in_force(db, [entry.enterprise_id])) is in_force
    assert (entry.enterprise.blacklisting is not None) is in_force


def test_bad_listing_input_is_named_and_nothing_is_written(db):
    enterprise = get_enterprise_by_code(db, OWNER_MILK)
    before = db.scalar(select(func.count()).select_from(BlacklistEntry))
    for kwargs, field in [(dict(reason=" ", authority="兰州海关"), "reason"),
                          (dict(reason="x", authority=""), "authority"),
                          (dict(reason="x", authority="兰州海关", listed_from="2026-13-01"),
                           "listed_from"),
                          (dict(reason="x", authority="兰州海关", listed_from="2026-12-01",
                                listed_until="2026-11-01"), "listed_until")]:
        with pytest.raises(ValidationError) as err:
            blacklist_enterprise(db, enterprise, **kwargs)
        assert err.value.field == field
    assert db.scalar(select(func.count()).select_from(BlacklistEntry)) == before


def test_listing_holds_pending_documents_until_a_supervisor_releases_them(db):
    receipt = asn(db, "HOLD-1")
    owner = get_enterprise_by_code(db, OWNER_MILK)
    pending = db.scalar(select(func.count()).select_from(Receipt).where(
        Receipt.owner_id == owner.id, Receipt.state.not_in(("stored", "cancelled",
                                                             "rejected"))))
    entry = listed(db, OWNER_MILK)
    holds = list(db.scalars(select(DocumentHold).where(DocumentHold.entry_id == entry.id)))
    assert len([h for h in holds if h.document == "receipt"]) == pending
    assert any(h.document == "order" for h in holds)  # the demo's milk powder orders
    hold = open_holds(db, "receipt", [receipt.id])[receipt.id]
    with pytest.raises(DocumentHeld) as held:  # the held receipt does not move on
        gate_in(db, receipt)
    assert held.value.field == "receipt" and held.value.params["enterprise"] == OWNER_MILK
    order_hold = next(h for h in holds if h.document == "order")
    order = db.get(SalesOrder, order_hold.document_id)
    with pytest.raises(DocumentHeld):  # nor does a held order, whatever its next step
        (declare_order(db, order) if order.state == "received" else
         start_wave(db, "LZB", [order.id]))
    with pytest.raises(ValidationError):
        release_hold(db, hold.id, note="")
    release_hold(db, hold.id, note="海关复核: 本批货物来源合法")
    assert receipt.id not in open_holds(db, "receipt", [receipt.id])
    assert gate_in(db, receipt).state == "arrived"  # released: it goes on
    with pytest.raises(Conflict):
        release_hold(db, hold.id, note="again")
    with pytest.raises(Conflict):
        listed(db, OWNER_MILK)  # listed once at a time


def test_lifting_keeps_the_entry_and_the_trail_and_admits_the_owner_again(db):
    entry = listed(db, OWNER_MILK)
    lift_blacklisting(db, entry, reason="信用修复: 已整改并经海关认可")
    assert asn(db, "AFTER-1").state == "expected"
    assert entry.lifted_at is not None and entry.lift_reason.startswith("信用修复")
    with pytest.raises(Conflict):
        lift_blacklisting(db, entry, reason="again")
    db.flush()
    fields = set(db.scalars(select(AuditEvent.field).where(
        AuditEvent.model == "blacklist_entry", AuditEvent.record_id == entry.id)))
    assert {"lifted_at", "lift_reason"} <= fields


def test_the_api_refuses_a_listed_owner_with_403_naming_it_and_records_it(client, db):
    headers = bearer(db, "supervisor")
    listed(db, OWNER_MILK)
    db.commit()
    response = client.post("/api/v1/receipts", headers=headers, json={
        "owner": OWNER_MILK, "warehouse": "LZB", "supplier": "Danone", "supplier_ref": "API-BL",
        "lines": [{"product": "APT-PRE-800", "quantity": 5, "lot": "X1",
                   "expiry_date": "2028-01-01"}]})
    assert response.status_code == 403, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == "enterprise_blacklisted" and error["field"] == "owner"
    assert OWNER_MILK in error["message"]
    db.commit()
    assert last_refusal(db).reference == "API-BL"
    response = client.post("/api/v1/orders", headers=headers,
                           json={"orders": [make_order("API-BL-ORDER")]})
    assert response.status_code == 403
    assert response.json["error"]["field"] == "orders[0].owner"
    db.commit()
    assert refusals(db) == 2
