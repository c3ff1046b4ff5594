"""Packages (pallets, cartons, bags) with SSCCs, and nesting."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wms.core.errors import N_, Conflict, ValidationError
from wms.core.sequence import next_number
from wms.logistics.identifiers import make_sscc, validate_sscc

from .models import PACKAGE_KINDS, Location, Package, Warehouse


def create_package(session: Session, warehouse: Warehouse, *, kind: str = "pallet",
                   location: Location | None = None, sscc: str | None = None,
                   parent: Package | None = None, owner_id: int | None = None) -> Package:
    """A new package; its SSCC is the one on the supplier's label, or one we issue from the
    warehouse's GS1 company prefix."""
    if kind not in PACKAGE_KINDS:
        raise ValidationError(N_("Unknown package kind: %(kind)s"), field="kind", kind=kind)
    if sscc:
        sscc = validate_sscc(sscc)
    else:
        if not warehouse.gs1_company_prefix:
            raise ValidationError(N_("Warehouse %(code)s has no GS1 company prefix to issue "
                                     "SSCCs"), field="gs1_company_prefix", code=warehouse.code)
        serial, _ = next_number(session, f"SSCC/{warehouse.gs1_company_prefix}")
        sscc = make_sscc(0, warehouse.gs1_company_prefix, serial)
    if session.scalar(select(Package.id).where(Package.sscc == sscc)):
        raise Conflict(N_("SSCC %(sscc)s is already in use"), field="sscc", sscc=sscc)
    package = Package(sscc=sscc, kind=kind, location_id=location.id if location else None,
                      owner_id=owner_id)
    session.add(package)
    session.flush()
    if parent is not None:
        nest_package(session, package, parent)
    return package


def nest_package(session: Session, child: Package, parent: Package | None) -> None:
    """Put ``child`` into ``parent`` (None takes it out). A package cannot end up inside
    itself, however deep the nesting."""
    if parent is not None:
        ancestor: Package | None = parent
        while ancestor is not None:
            if ancestor.id == child.id:
                raise ValidationError(N_("Package %(sscc)s cannot be packed into itself"),
                                      field="parent", sscc=child.sscc)
            ancestor = ancestor.parent
    child.parent_id = parent.id if parent else None
    session.flush()


def get_package_by_sscc(session: Session, sscc: str) -> Package | None:
    return session.scalar(select(Package).where(Package.sscc == sscc))
