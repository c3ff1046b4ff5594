"""Products over the API: list, register, read and change one, its customs data included.

Every write goes through ``wms.catalog.services`` (register_product, update_product), which
checks the customs data as a whole (HS code, code tables, legal units, tax rates and basis,
record number) and audits each changed field; ``web.idempotency.write`` makes a retried
request write once.
"""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy.orm import Session

from wms.catalog import services as catalog
from wms.catalog.models import Product
from wms.core.errors import N_, NotFound
from wms.customs.tax import TAX_BASES
from wms.inventory.resolve import ascii_id

from ..db import db
from ..idempotency import write
from .core import operation, page_of
from .inventory import IDEMPOTENCY, PAGING, _opt_num, _owner_id_arg
from .schema import Field, Schema

DECIMAL = "decimal, as a string"
CUSTOMS_FIELDS = (
    Field("name_zh", "string", True, max_length=200),
    Field("name_en", "string", max_length=200, nullable=True),
    Field("category", "string", max_length=60, nullable=True),
    Field("hs_code", "string", True, "10 digits", max_length=10),
    Field("gname", "string", True, "customs name", max_length=250),
    Field("gmodel", "string", True, "customs model and specification", max_length=250),
    Field("customs_unit", "string", True, "declared unit: a code of /codes/unit",
          max_length=3),
    Field("legal_unit1", "string", True, "first legal unit: a code of /codes/unit",
          max_length=3),
    Field("legal_factor1", "string", description="legal quantity per declared unit, "
          "above 0, " + DECIMAL, max_length=20),
    Field("legal_unit2", "string", description="second legal unit, if the HS code has one",
          max_length=3, nullable=True),
    Field("legal_factor2", "string", description="required with legal_unit2; " + DECIMAL,
          max_length=20, nullable=True),
    Field("origin_country", "string", True, "a code of /codes/country", max_length=3),
    Field("declared_price", "string", description=DECIMAL, max_length=20),
    Field("net_weight_kg", "string", description=DECIMAL, max_length=20),
    Field("gross_weight_kg", "string", description="at least the net weight; " + DECIMAL,
          max_length=20),
    Field("track_lot", "boolean"),
    Field("track_expiry", "boolean"),
    Field("item_record_no", "string", description="record number (备案号): 1-30 letters, digits or '-'",
          max_length=30, nullable=True),
    Field("vat_rate", "string", description="fraction below 1, default 0.13; " + DECIMAL,
          max_length=10),
    Field("consumption_tax_rate", "string", description="fraction below 1, default 0; "
          + DECIMAL, max_length=10),
    Field("consumption_tax_basis", "string", description="ad_valorem: the rate applies to "
          "every sale; cosmetics_threshold: only from 10 RMB per ml or g, or 15 RMB per "
          "piece or sheet, of the first legal unit", enum=TAX_BASES),
    Field("positive_list", "boolean", description="on the retail import positive list; "
          "default: true when item_record_no is given"),
    Field("simplified_export", "boolean", description="needs no export tax, tax refund or "
          "licence: export lists may use a 4- or 6-digit HS code"),
)
IDENTITY = (Field("owner", "string", True, "owner's customs code", max_length=10),
            Field("sku", "string", True, max_length=40),
            Field("gtin", "string", description="GTIN-8/12/13/14, check digit verified",
                  max_length=14, nullable=True))
PRODUCT_IN = Schema("ProductInput", (*IDENTITY, *CUSTOMS_FIELDS, IDEMPOTENCY),
                    "A product as one owner stores and declares it.")
PRODUCT_OUT = Schema("ProductRecord", (
    Field("id", "integer", True), *IDENTITY, *CUSTOMS_FIELDS,
    Field("active", "boolean", True)), "A registered product.")
PRODUCT_PATCH = Schema("ProductChange", (
    *(Field(f.name, f.type, False, f.description, f.enum, max_length=f.max_length,
            nullable=f.nullable) for f in (*IDENTITY[2:], *CUSTOMS_FIELDS)),
    Field("active", "boolean"), IDEMPOTENCY),
    "The fields to change; owner and SKU stay. The result is checked as a whole.")


def _product_id(raw: str) -> int:
    number = ascii_id(raw)
    if number is None:
        raise NotFound(N_("Product %(id)s not found"), field="product", id=raw)
    return number


def product_json(p: Product) -> dict:
    return {"id": p.id, "owner": p.owner.customs_code, "sku": p.sku, "gtin": p.gtin,
            "name_zh": p.name_zh, "name_en": p.name_en, "category": p.category,
            "hs_code": p.hs_code, "gname": p.gname, "gmodel": p.gmodel,
            "customs_unit": p.customs_unit, "legal_unit1": p.legal_unit1,
            "legal_factor1": _opt_num(p.legal_factor1), "legal_unit2": p.legal_unit2,
            "legal_factor2": _opt_num(p.legal_factor2), "origin_country": p.origin_country,
            "declared_price": _opt_num(p.declared_price),
            "net_weight_kg": _opt_num(p.net_weight_kg),
            "gross_weight_kg": _opt_num(p.gross_weight_kg), "track_lot": p.track_lot,
            "track_expiry": p.track_expiry, "item_record_no": p.item_record_no,
            "vat_rate": _opt_num(p.vat_rate),
            "consumption_tax_rate": _opt_num(p.consumption_tax_rate),
            "consumption_tax_basis": p.consumption_tax_basis,
            "positive_list": p.positive_list, "simplified_export": p.simplified_export,
            "active": p.active}


@operation("/products", summary="List products", tag="inventory", response=PRODUCT_OUT,
           many=True, query=(("q", "string", "SKU, name contains, or GTIN"),
                             ("owner", "string", "owner's customs code"), *PAGING))
def list_products():
    """Owner tokens see only their own owners' products."""
    return jsonify(page_of(catalog.products_query(_owner_id_arg(),
                                                  (request.args.get("q") or "").strip()
                                                  or None), product_json))


@operation("/products", "POST", summary="Register a product", tag="inventory",
           body=PRODUCT_IN, response=PRODUCT_OUT, status=201,
           roles=("supervisor", "customs_clerk"))
def create_product(payload: dict):
    """Every customs field is checked (HS code, unit and country codes, GTIN check digit,
    weights, tax rates and basis) before anything is written; SKU and GTIN are unique per
    owner."""
    data = {k: v for k, v in payload.items() if k != "idempotency_key"}
    owner = data.pop("owner")

    def use_case(session: Session):
        product = catalog.register_product(session, owner_code=owner, **data)
        return 201, product_json(product)
    return write(payload, use_case)


@operation("/products/<product_id>", summary="One product", tag="inventory",
           response=PRODUCT_OUT)
def get_product(product_id: str):
    """Another owner's product is 404 for an owner token."""
    return jsonify(product_json(catalog.get_product(db(), _product_id(product_id))))


@operation("/products/<product_id>", "PATCH", summary="Change a product's customs data",
           tag="inventory", body=PRODUCT_PATCH, response=PRODUCT_OUT,
           roles=("supervisor", "customs_clerk"))
def patch_product(payload: dict, product_id: str):
    """Only the fields given change; the product as changed must pass the same checks as a
    new one. Each changed field is written to the audit trail."""
    changes = {k: v for k, v in payload.items() if k != "idempotency_key"}
    number = _product_id(product_id)

    def use_case(session: Session):
        return 200, product_json(catalog.update_product(session, number, changes))
    return write(payload, use_case)
