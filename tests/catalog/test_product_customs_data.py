"""A product's customs data through the API and the domain: set, shown, checked, audited;
the comprehensive tax computed from it; codes looked up by name."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.web.test_api import assert_error, bearer
from wms.catalog.models import Product
from wms.catalog.services import register_product, update_product
from wms.core.audit import AuditEvent
from wms.core.errors import ValidationError
from wms.customs.tax import tax_line
from wms.demo import OWNER_COSMETICS, OWNER_MILK

pytestmark = pytest.mark.usefixtures("demo")

CREAM = {"owner": OWNER_COSMETICS, "sku": "API-CREAM-50", "name_zh": "面霜 50g",
         "hs_code": "3304990029", "gname": "护肤品", "gmodel": "面霜|50g/瓶",
         "customs_unit": "142", "legal_unit1": "035", "legal_factor1": "0.05",
         "origin_country": "609", "net_weight_kg": "0.05", "gross_weight_kg": "0.2",
         "item_record_no": "LZB2026IR000301", "vat_rate": "0.13",
         "consumption_tax_rate": "0.15", "consumption_tax_basis": "cosmetics_threshold",
         "simplified_export": False}


def fresh(db) -> None:
    db.commit()
    db.expire_all()


def test_customs_data_is_set_shown_and_changed_through_the_api(client, db):
    headers = bearer(db, "customs")
    created = client.post("/api/v1/products", json=CREAM, headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["origin_country"], body["consumption_tax_rate"], body["vat_rate"],
            body["consumption_tax_basis"], body["positive_list"]) == (
        "609", "0.15", "0.13", "cosmetics_threshold", True)
    got = client.get(f"/api/v1/products/{body['id']}", headers=headers)
    assert got.status_code == 200 and got.json == body
    changed = client.patch(f"/api/v1/products/{body['id']}", headers=headers,
                           json={"origin_country": "601", "consumption_tax_basis": "ad_valorem",
                                 "positive_list": False})
    assert changed.status_code == 200, changed.json
    assert (changed.json["origin_country"], changed.json["consumption_tax_basis"],
            changed.json["positive_list"], changed.json["sku"]) == (
        "601", "ad_valorem", False, "API-CREAM-50")
    fresh(db)
    events = db.scalars(select(AuditEvent).where(
        AuditEvent.model == "product", AuditEvent.record_id == body["id"],
        AuditEvent.kind == "write")).all()
    assert {(e.field, e.old_value, e.new_value) for e in events} >= {
        ("origin_country", "609", "601"),
        ("consumption_tax_basis", "cosmetics_threshold", "ad_valorem")}
    assert all(e.user_login == "customs" for e in events)


@pytest.mark.parametrize("changes,field", [
    ({"origin_country": "888"}, "origin_country"),
    ({"hs_code": "33049900"}, "hs_code"),
    ({"legal_unit2": "036"}, "legal_factor2"),
    ({"consumption_tax_basis": "per_bottle"}, "consumption_tax_basis"),
    ({"consumption_tax_rate": "1.5"}, "consumption_tax_rate"),
    ({"vat_rate": "thirteen"}, "vat_rate"),
    ({"legal_unit1": "142"}, "legal_unit1"),         # the threshold cannot measure bottles
    ({"item_record_no": "LZB 2026"}, "item_record_no"),
    ({"sku": "OTHER"}, "sku"),
])
def test_a_wrong_change_names_its_field_and_writes_nothing(client, db, changes, field):
    headers = bearer(db, "customs")
    product_id = client.post("/api/v1/products", json=CREAM, headers=headers).json["id"]
    assert_error(client.patch(f"/api/v1/products/{product_id}", json=changes,
                              headers=headers), 422, "validation_error", field)
    fresh(db)
    assert db.get(Product, product_id).origin_country == "609"


def test_the_api_refuses_other_owners_and_clerks_without_the_role(client, db):
    milk = db.scalar(select(Product.id).where(Product.sku == "APT-PRE-800"))
    cosmetic = db.scalar(select(Product.id).where(Product.sku == "SWS-ESSENCE-150"))
    owner = bearer(db, "owner")
    assert client.get(f"/api/v1/products/{milk}", headers=owner).json["owner"] == OWNER_MILK
    assert_error(client.get(f"/api/v1/products/{cosmetic}", headers=owner), 404, "not_found",
                 "product")
    assert_error(client.patch(f"/api/v1/products/{milk}", json={"vat_rate": "0.09"},
                              headers=bearer(db, "operator")), 403, "forbidden")


def test_codes_are_looked_up_by_name_in_either_language(client, db):
    headers = bearer(db, "operator")
    found = client.get("/api/v1/codes/country", query_string={"q": "kazakh"},
                       headers=headers).json["items"]
    assert [c["code"] for c in found] == ["145"]
    assert [c["code"] for c in client.get("/api/v1/codes/country", query_string={"q": "新西兰"},
                                          headers=headers).json["items"]] == ["609"]
    units = client.get("/api/v1/codes/unit", query_string={"q": "03"}, headers=headers).json
    assert {"035", "036"} <= {c["code"] for c in units["items"]}
    assert_error(client.get("/api/v1/codes/planet", headers=headers), 422,
                 "validation_error", "table")
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/codes/{table}" in spec["paths"] or "/codes/{table}" in str(spec["paths"])
    assert "patch" in next(v for k, v in spec["paths"].items()
                           if k.endswith("/products/{product_id}"))


def _product(db, **changes) -> Product:
    data = {k: v for k, v in CREAM.items() if k != "owner"}
    data.update(changes)
    return register_product(db, owner_code=OWNER_COSMETICS, **data)


def test_the_cosmetics_threshold_decides_the_consumption_tax(db):
    cream = _product(db)                          # 50 g a jar
    dear = tax_line(cream, gnum=1, price=Decimal("590.00"), total_price=Decimal("590.00"))
    assert (dear.unit_price, dear.threshold, dear.consumption_rate) == (
        Decimal("11.80"), Decimal("10"), Decimal("0.15"))
    # 590 / 0.85 x 0.15 = 104.12; (590 + 104.12) x 0.13 = 90.24; x 70 % = 136.05 together
    assert (dear.consumption_tax, dear.vat, dear.tax) == (
        Decimal("104.12"), Decimal("90.24"), Decimal("136.05"))
    cheap = tax_line(cream, gnum=1, price=Decimal("320.00"), total_price=Decimal("640.00"))
    assert (cheap.unit_price, cheap.consumption_rate, cheap.consumption_tax) == (
        Decimal("6.40"), Decimal("0"), Decimal("0.00"))
    assert cheap.tax == Decimal("58.24")          # 640 x 13 % x 70 %
    flat = update_product(db, cream.id, {"consumption_tax_basis": "ad_valorem"})
    assert tax_line(flat, gnum=1, price=Decimal("320.00"),
                    total_price=Decimal("640.00")).consumption_rate == Decimal("0.15")


def test_register_checks_the_threshold_needs_a_rate(db):
    with pytest.raises(ValidationError) as err:
        _product(db, consumption_tax_rate="0")
    assert err.value.field == "consumption_tax_rate"
