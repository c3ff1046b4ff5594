"""Enterprises over the API."""
from __future__ import annotations

from flask import jsonify, request

from wms.core.errors import N_, ValidationError
from wms.partners import services as partners
from wms.partners.models import CREDIT_CLASSES, ENTERPRISE_ROLES, Enterprise

from ..db import db
from .core import operation, page_of
from .schema import Field, Schema

ENTERPRISE = Schema("Enterprise", (
    Field("customs_code", "string", True, "10-character customs registration code",
          max_length=10),
    Field("uscc", "string", True, "Unified social credit code (18 characters, check "
          "character verified)", max_length=18),
    Field("name", "string", True, max_length=200),
    Field("name_en", "string", max_length=200, nullable=True),
    Field("roles", "array", True, items="string", enum=ENTERPRISE_ROLES),
    Field("credit_class", "string", enum=CREDIT_CLASSES),
    Field("address", "string", max_length=300, nullable=True),
    Field("contact_phone", "string", max_length=40, nullable=True),
), "An enterprise registered with customs.")


def enterprise_json(e: Enterprise) -> dict:
    return {"customs_code": e.customs_code, "uscc": e.uscc, "name": e.name,
            "name_en": e.name_en, "roles": e.roles, "credit_class": e.credit_class,
            "address": e.address, "contact_phone": e.contact_phone}


@operation("/enterprises", summary="List enterprises", tag="partners", response=ENTERPRISE,
           many=True, query=(("role", "string", "only enterprises with this role"),
                             ("page", "integer", "page number, from 1"),
                             ("per_page", "integer", "rows per page, at most 500")))
def list_enterprises():
    """Owner users see only the enterprises they belong to."""
    role = request.args.get("role") or None
    if role and role not in ENTERPRISE_ROLES:
        raise ValidationError(N_("Unknown enterprise role: %(role)s"), field="role", role=role)
    return jsonify(page_of(partners.enterprises_query(role), enterprise_json))


@operation("/enterprises/<code>", summary="One enterprise by customs code", tag="partners",
           response=ENTERPRISE)
def get_enterprise(code: str):
    return jsonify(enterprise_json(partners.get_enterprise_by_code(db(), code)))


@operation("/enterprises", "POST", summary="Register an enterprise", tag="partners",
           body=ENTERPRISE, response=ENTERPRISE, status=201,
           roles=("supervisor", "customs_clerk"))
def create_enterprise(payload: dict):
    """The USCC's check character and the customs code's uniqueness are checked."""
    enterprise = partners.register_enterprise(db(), **payload)
    db().commit()
    return jsonify(enterprise_json(enterprise)), 201
