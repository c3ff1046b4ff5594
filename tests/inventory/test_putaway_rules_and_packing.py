"""Putaway rules and packing kept by hand (the doors behind the stock desk's new pages): a
rule names one kind of goods and a storage place, putaway suggests under it, every change
is in the audit trail; packages are made, nested and taken out by SSCC."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from wms.catalog.models import Product
from wms.core.audit import AuditEvent
from wms.core.errors import NotFound, ValidationError
from wms.inbound.models import PutawayRule
from wms.inbound.putaway import suggest_location
from wms.inventory.models import Warehouse
from wms.inventory.packages import make_package, nest_by_sscc, unnest_package
from wms.inventory.putaway_rules import RuleFields, create_rule, retire_rule, update_rule
from wms.logistics.identifiers import make_sscc

pytestmark = pytest.mark.usefixtures("demo")


def test_a_rule_sends_a_product_under_its_place_and_is_audited(db):
    lzb = db.scalar(select(Warehouse).where(Warehouse.code == "LZB"))
    product = db.scalar(select(Product).where(Product.sku == "MX-DANGGUI-1KG"))
    rule = create_rule(db, RuleFields(warehouse="LZB", location="LZB/Stock/B",
                                      product="MX-DANGGUI-1KG", sequence="5"))
    suggested = suggest_location(db, lzb, product, Decimal(1))
    assert suggested.full_path.startswith("LZB/Stock/B/")
    update_rule(db, rule.id, RuleFields(warehouse="LZB", location="LZB-C-01-01",
                                        product="MX-DANGGUI-1KG"))
    assert suggest_location(db, lzb, product, Decimal(1)).barcode == "LZB-C-01-01"
    changes = [(a.kind, a.field) for a in db.scalars(select(AuditEvent).where(
        AuditEvent.model == "putaway_rule", AuditEvent.record_id == rule.id))]
    assert ("create", None) in changes and ("write", "location_id") in changes
    for given, field, error in [
            (dict(location="NOWHERE"), "location", NotFound),
            (dict(product="NO-SKU"), "product", NotFound),
            (dict(product="MX-DANGGUI-1KG", category="herbs"), "category", ValidationError),
            (dict(owner="0000000000"), "owner", NotFound),
            (dict(sequence="-1"), "sequence", ValidationError),
            (dict(warehouse="XXX"), "warehouse", NotFound)]:
        with pytest.raises(error) as err:
            create_rule(db, RuleFields(**({"warehouse": "LZB", "location": "LZB/Stock/A"}
                                          | given)))
        assert err.value.field == field, given
    retire_rule(db, rule.id)
    assert db.get(PutawayRule, rule.id) is None
    assert db.scalar(select(AuditEvent.kind).where(
        AuditEvent.model == "putaway_rule", AuditEvent.record_id == rule.id,
        AuditEvent.kind == "delete")) == "delete"


def test_packages_are_made_nested_and_taken_out_by_sscc(db):
    pallet = make_package(db, warehouse="LZB", kind="pallet", location="LZB-A-01-01")
    assert pallet.sscc.startswith("06906123") and pallet.location.barcode == "LZB-A-01-01"
    carton = make_package(db, warehouse="LZB", kind="carton", parent=pallet.sscc)
    assert carton.parent_id == pallet.id and carton.location_id == pallet.location_id
    loose = make_package(db, warehouse="LZB", kind="carton",
                         sscc=make_sscc(0, "6906123", 880001))
    nest_by_sscc(db, loose.sscc, f"(00){pallet.sscc}")
    assert loose.parent_id == pallet.id and loose.location_id == pallet.location_id
    with pytest.raises(ValidationError) as err:
        nest_by_sscc(db, pallet.sscc, carton.sscc)
    assert err.value.field == "parent"  # into its own contents
    assert unnest_package(db, loose).id == pallet.id and loose.parent_id is None
    with pytest.raises(ValidationError):
        unnest_package(db, loose)
    for given, field in [(dict(location="NO-SUCH-BIN"), "location"),
                         (dict(sscc="069061230000000018"), "sscc"),
                         (dict(kind="drum"), "kind"), (dict(parent="069061239999999999"),
                                                       "parent")]:
        with pytest.raises((ValidationError, NotFound)) as err:
            make_package(db, **({"warehouse": "LZB", "kind": "pallet"} | given))
        assert err.value.field == field, given
    fields = {a.field for a in db.scalars(select(AuditEvent).where(
        AuditEvent.model == "package", AuditEvent.record_id == loose.id))}
    assert "parent_id" in fields
