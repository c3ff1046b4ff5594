"""Enterprises over the API: registration, credit class and AEO, the blacklist."""
from __future__ import annotations

from flask import jsonify, request

from wms.core.errors import N_, NotFound, ValidationError
from wms.core.parsing import parse_id
from wms.partners import blacklist
from wms.partners import services as partners
from wms.partners.credit import inspection_plan
from wms.partners.models import CREDIT_CLASSES, ENTERPRISE_ROLES, BlacklistEntry, Enterprise

from ..db import db
from ..settings import settings
from .core import operation, page_of
from .schema import Field, Schema

EDITORS = ("supervisor", "customs_clerk")
FIELDS = (
    Field("customs_code", "string", True, "10-character customs registration code",
          max_length=10),
    Field("uscc", "string", True, "Unified social credit code (18 characters, check "
          "character verified)", max_length=18),
    Field("name", "string", True, max_length=200),
    Field("name_en", "string", max_length=200, nullable=True),
    Field("roles", "array", True, items="string", enum=ENTERPRISE_ROLES),
    Field("credit_class", "string", description="customs credit class: advanced (高级认证, "
          "AEO), general (一般认证), regular (注册登记), dishonest (失信)", enum=CREDIT_CLASSES),
    Field("aeo_certificate", "string", description="AEO certificate: AEOCN + the customs "
          "code; advanced certified enterprises only", max_length=20, nullable=True),
    Field("address", "string", max_length=300, nullable=True),
    Field("contact_phone", "string", max_length=40, nullable=True),
)
ENTERPRISE_IN = Schema("Enterprise", FIELDS, "An enterprise to register with customs.")
ENTERPRISE_CHANGE = Schema("EnterpriseChange", tuple(
    Field(f.name, f.type, False, f.description, f.enum, f.items, f.max_length, f.nullable)
    for f in FIELDS if f.name not in ("customs_code", "uscc")) + (
    Field("active", "boolean"),), "What may change of a registered enterprise.")
LISTING = Schema("BlacklistEntry", (
    Field("id", "integer", True),
    Field("reason", "string", True, max_length=2000),
    Field("authority", "string", True, "who decided it, e.g. 兰州海关", max_length=200),
    Field("listed_from", "string", True, "YYYY-MM-DD"),
    Field("listed_until", "string", True, "YYYY-MM-DD; null: until lifted", nullable=True),
    Field("in_force", "boolean", True),
    Field("lifted_at", "string", True, nullable=True),
    Field("lift_reason", "string", True, nullable=True),
), "One listing on the blacklist; lifted ones stay as history.")
LISTING_IN = Schema("BlacklistInput", (
    Field("reason", "string", True, max_length=2000),
    Field("authority", "string", True, max_length=200),
    Field("listed_from", "string", False, "YYYY-MM-DD; default today", max_length=10),
    Field("listed_until", "string", False, "YYYY-MM-DD; default until lifted", max_length=10),
))
LIFT_IN = Schema("BlacklistLift", (Field("reason", "string", True, max_length=2000),))
ENTERPRISE = Schema("EnterpriseRecord", FIELDS + (
    Field("active", "boolean", True),
    Field("aeo_status", "string", True, "certified, pending (advanced without its "
          "certificate yet) or none", enum=("certified", "pending", "none")),
    Field("blacklisted", "boolean", True, "on the blacklist today: no new receipts or "
          "orders"),
    Field("tally_sampling_rate", "string", True, "share of advised packages the tally opens "
          "(decimal, 1 = every package)"),
    Field("full_count", "boolean", True, "every package is opened and counted item by item"),
    Field("blacklist", "array", True, "listings, newest first", items=LISTING),
), "An enterprise registered with customs, with its credit class and blacklist status.")


def listing_json(entry: BlacklistEntry) -> dict:
    from datetime import date
    return {"id": entry.id, "reason": entry.reason, "authority": entry.authority,
            "listed_from": entry.listed_from.isoformat(),
            "listed_until": entry.listed_until.isoformat() if entry.listed_until else None,
            "in_force": entry.in_force(date.today()),
            "lifted_at": entry.lifted_at.isoformat() if entry.lifted_at else None,
            "lift_reason": entry.lift_reason}


def enterprise_json(e: Enterprise) -> dict:
    plan = inspection_plan(e, settings().credit)
    return {"customs_code": e.customs_code, "uscc": e.uscc, "name": e.name,
            "name_en": e.name_en, "roles": e.roles, "credit_class": e.credit_class,
            "aeo_certificate": e.aeo_certificate, "aeo_status": e.aeo_status,
            "address": e.address, "contact_phone": e.contact_phone, "active": e.active,
            "blacklisted": e.blacklisting is not None,
            "tally_sampling_rate": format(plan.rate, "f"), "full_count": plan.full_count,
            "blacklist": [listing_json(x) for x in e.blacklist_entries]}


@operation("/enterprises", summary="List enterprises", tag="partners", response=ENTERPRISE,
           many=True, query=(("role", "string", "only enterprises with this role"),
                             ("page", "integer", "page number, from 1"),
                             ("per_page", "integer", "rows per page, at most 500")))
def list_enterprises():
    """Owner users see only the enterprises they belong to."""
    from sqlalchemy.orm import selectinload
    role = request.args.get("role") or None
    if role and role not in ENTERPRISE_ROLES:
        raise ValidationError(N_("Unknown enterprise role: %(role)s"), field="role", role=role)
    stmt = partners.enterprises_query(role).options(selectinload(Enterprise.blacklist_entries))
    return jsonify(page_of(stmt, enterprise_json))


@operation("/enterprises/<code>", summary="One enterprise by customs code", tag="partners",
           response=ENTERPRISE)
def get_enterprise(code: str):
    return jsonify(enterprise_json(partners.get_enterprise_by_code(db(), code)))


@operation("/enterprises", "POST", summary="Register an enterprise", tag="partners",
           body=ENTERPRISE_IN, response=ENTERPRISE, status=201, roles=EDITORS)
def create_enterprise(payload: dict):
    """The USCC's check character and the customs code's uniqueness are checked."""
    enterprise = partners.register_enterprise(db(), **payload)
    db().commit()
    return jsonify(enterprise_json(enterprise)), 201


@operation("/enterprises/<code>", "PATCH", summary="Change an enterprise (credit class, "
           "AEO certificate, names, roles)", tag="partners", body=ENTERPRISE_CHANGE,
           response=ENTERPRISE, roles=EDITORS)
def change_enterprise(code: str, payload: dict):
    """Each change is in the enterprise's history; the customs code and USCC stay."""
    enterprise = partners.update_enterprise(db(), partners.get_enterprise_by_code(db(), code),
                                            **payload)
    db().commit()
    return jsonify(enterprise_json(enterprise))


@operation("/enterprises/<code>/blacklist", "POST", summary="Put an enterprise on the "
           "blacklist", tag="partners", body=LISTING_IN, response=ENTERPRISE, status=201,
           roles=("supervisor",))
def list_on_blacklist(code: str, payload: dict):
    """From ``listed_from`` on, its new receipts and orders are refused (403
    ``enterprise_blacklisted``); its pending ones are held for a supervisor."""
    enterprise = partners.get_enterprise_by_code(db(), code)
    blacklist.blacklist_enterprise(db(), enterprise, **payload)
    db().commit()
    return jsonify(enterprise_json(enterprise)), 201


@operation("/enterprises/<code>/blacklist/<entry_id>/lift", "POST", summary="Take an "
           "enterprise off the blacklist", tag="partners", body=LIFT_IN, response=ENTERPRISE,
           roles=("supervisor",))
def lift_from_blacklist(code: str, entry_id: str, payload: dict):
    """The listing stays in the history with who lifted it and why."""
    enterprise = partners.get_enterprise_by_code(db(), code)
    entry = blacklist.get_entry(db(), parse_id(entry_id, "entry"))
    if entry.enterprise_id != enterprise.id:
        raise NotFound(N_("Blacklist entry %(id)s not found"), field="entry", id=entry_id)
    blacklist.lift_blacklisting(db(), entry, reason=payload["reason"])
    db().commit()
    return jsonify(enterprise_json(enterprise))
