"""Registering and changing enterprises; every rule checked before anything is written."""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import scope_to_owner

from .models import CREDIT_CLASSES, ENTERPRISE_ROLES, Enterprise, EnterpriseRole

CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")
# Fields ``update_enterprise`` may change (the codes are the enterprise's identity).
EDITABLE = ("name", "name_en", "credit_class", "aeo_certificate", "address", "contact_phone",
            "roles", "active")


def validate_uscc(value: str) -> str:
    """The unified social credit code, check character verified (python-stdnum)."""
    try:
        return stdnum_uscc.validate(value or "")
    except StdnumError as exc:
        raise ValidationError(N_("Unified social credit code is not valid: %(reason)s"),
                              field="uscc", reason=str(exc)) from exc


def validate_customs_code(value: str) -> str:
    value = (value or "").strip().upper()
    if not CUSTOMS_CODE.match(value):
        raise ValidationError(N_("Customs code must be 10 letters or digits"),
                              field="customs_code")
    return value


def validate_credit(credit_class: str, aeo_certificate: str | None,
                    customs_code: str) -> str | None:
    """The class must be one of customs' classes; an AEO certificate ("AEOCN" + the
    enterprise's customs code) only goes with advanced certification."""
    if credit_class not in CREDIT_CLASSES:
        raise ValidationError(N_("Unknown credit class: %(value)s"), field="credit_class",
                              value=credit_class)
    aeo = (aeo_certificate or "").strip().upper() or None
    if aeo is None:
        return None
    if credit_class != "advanced":
        raise ValidationError(N_("Only an advanced certified enterprise holds an AEO "
                                 "certificate"), field="aeo_certificate")
    if aeo != f"AEOCN{customs_code}":
        raise ValidationError(N_("The AEO certificate of this enterprise is AEOCN followed by "
                                 "its customs code: %(expected)s"), field="aeo_certificate",
                              expected=f"AEOCN{customs_code}")
    return aeo


def _validate_roles(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise ValidationError(N_("An enterprise needs at least one role"), field="roles")
    for role in roles:
        if role not in ENTERPRISE_ROLES:
            raise ValidationError(N_("Unknown enterprise role: %(role)s"), field="roles", role=role)
    return roles


def register_enterprise(session: Session, *, customs_code: str, uscc: str, name: str,
                        roles: Iterable[str], credit_class: str = "regular",
                        name_en: str | None = None, address: str | None = None,
                        contact_phone: str | None = None,
                        aeo_certificate: str | None = None) -> Enterprise:
    customs_code = validate_customs_code(customs_code)
    uscc = validate_uscc(uscc)
    name = (name or "").strip()
    if not name:
        raise ValidationError(N_("Name is required"), field="name")
    aeo_certificate = validate_credit(credit_class, aeo_certificate, customs_code)
    roles = _validate_roles(roles)
    if session.scalar(select(Enterprise.id).where(Enterprise.customs_code == customs_code)):
        raise Conflict(N_("Customs code %(code)s is already registered"), field="customs_code",
                       code=customs_code)
    if session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)):
        raise Conflict(N_("Unified social credit code %(uscc)s is already registered"),
                       field="uscc", uscc=uscc)
    enterprise = Enterprise(customs_code=customs_code, uscc=uscc, name=name, name_en=name_en,
                            credit_class=credit_class, address=address,
                            contact_phone=contact_phone, aeo_certificate=aeo_certificate,
                            role_rows=[EnterpriseRole(role=r) for r in roles])
    session.add(enterprise)
    session.flush()
    return enterprise


def enterprises_query(role: str | None = None):
    """Enterprises visible to the acting user (owner users see only their own)."""
    stmt = select(Enterprise).order_by(Enterprise.customs_code).options(
        selectinload(Enterprise.role_rows))
    if role:
        stmt = stmt.where(Enterprise.role_rows.any(EnterpriseRole.role == role))
    return scope_to_owner(stmt, Enterprise.id)


def get_enterprise_by_code(session: Session, customs_code: str) -> Enterprise:
    stmt = enterprises_query().where(Enterprise.customs_code == customs_code.upper())
    enterprise = session.scalar(stmt)
    if enterprise is None:
        raise NotFound(N_("Enterprise %(code)s not found"), field="customs_code",
                       code=customs_code)
    return enterprise


def update_enterprise(session: Session, enterprise: Enterprise, **changes) -> Enterprise:
    """Change what may change of a registered enterprise (the credit class after customs
    rates it anew, its AEO certificate, names, roles); each change lands in the audit trail."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(N_("%(name)s cannot be changed"), field=sorted(unknown)[0],
                              name=sorted(unknown)[0])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError(N_("Name is required"), field="name")
    credit_class = changes.get("credit_class", enterprise.credit_class)
    aeo = changes.get("aeo_certificate", enterprise.aeo_certificate
                      if credit_class == "advanced" else None)
    changes["aeo_certificate"] = validate_credit(credit_class, aeo, enterprise.customs_code)
    if "roles" in changes:
        roles = _validate_roles(changes.pop("roles"))
        have = {r.role: r for r in enterprise.role_rows}
        enterprise.role_rows = [have.get(r) or EnterpriseRole(role=r) for r in roles]
    for name, value in changes.items():
        if name in ("name_en", "address", "contact_phone"):
            value = (value or "").strip() or None
        setattr(enterprise, name, value)
    session.flush()
    return enterprise
