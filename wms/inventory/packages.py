"""Packages (pallets, cartons, bags) with SSCCs, and nesting."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from wms.core.errors import N_, Conflict, NotFound, ValidationError
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


def unnest_package(session: Session, child: Package) -> Package | None:
    """Take ``child`` out of the package it is in; the package it was in is returned."""
    if child.parent_id is None:
        raise ValidationError(N_("Package %(sscc)s is not inside another package"),
                              field="sscc", sscc=child.sscc)
    parent = child.parent
    nest_package(session, child, None)
    return parent


def package_by_sscc(session: Session, sscc: str, field: str = "sscc") -> Package:
    """A package the acting user may see, by its SSCC as scanned or typed."""
    from wms.core.scoping import visible_owner
    number = validate_sscc(sscc, field)
    package = get_package_by_sscc(session, number)
    if package is None or (package.owner_id is not None and not visible_owner(package.owner_id)):
        raise NotFound(N_("No package with SSCC %(sscc)s"), field=field, sscc=number)
    return package


def nest_by_sscc(session: Session, child_sscc: str, parent_sscc: str) -> Package:
    """The desk's door: a carton onto a pallet, a pallet into a bag, named by SSCC. Both in
    the same place (or the child nowhere yet) and of the same owner when both have one."""
    child = package_by_sscc(session, child_sscc, "sscc")
    parent = package_by_sscc(session, parent_sscc, "parent")
    if child.id == parent.id:
        raise ValidationError(N_("Package %(sscc)s cannot be packed into itself"),
                              field="parent", sscc=child.sscc)
    if child.owner_id and parent.owner_id and child.owner_id != parent.owner_id:
        raise ValidationError(N_("Package %(sscc)s belongs to another owner"),
                              field="parent", sscc=parent.sscc)
    if child.location_id is not None and child.location_id != parent.location_id:
        raise ValidationError(N_("Package %(sscc)s is in another place: move it there first"),
                              field="parent", sscc=parent.sscc)
    nest_package(session, child, parent)
    child.location_id = parent.location_id
    session.flush()
    return child


def make_package(session: Session, *, warehouse: str, kind: str, location: str | None = None,
                 sscc: str | None = None, owner: str | None = None,
                 parent: str | None = None) -> Package:
    """The desk's door for a new pallet, carton or bag, named by codes: the warehouse, the
    location's barcode, the owner's customs code, the SSCC of the package it goes into
    (then it stands where that one stands)."""
    from .resolve import find_location, owner_by_code
    found = session.scalar(select(Warehouse).where(Warehouse.code == (warehouse or "").strip()))
    if found is None:
        raise NotFound(N_("No warehouse %(code)s"), field="warehouse", code=warehouse)
    place = find_location(session, location, "location") if location else None
    if place is not None and place.warehouse_id != found.id:
        raise ValidationError(N_("%(code)s is not a location of warehouse %(warehouse)s"),
                              field="location", code=location, warehouse=found.code)
    holder = package_by_sscc(session, parent, "parent") if parent else None
    if holder is not None and place is not None and holder.location_id != place.id:
        raise ValidationError(N_("Package %(sscc)s is in another place: move it there first"),
                              field="parent", sscc=holder.sscc)
    owner_id = owner_by_code(session, owner.strip(), "owner").id if owner else None
    if holder is not None and owner_id and holder.owner_id not in (None, owner_id):
        raise ValidationError(N_("Package %(sscc)s belongs to another owner"),
                              field="parent", sscc=holder.sscc)
    if holder is not None and place is None and holder.location_id is not None:
        place = holder.location
    return create_package(session, found, kind=kind, location=place, sscc=sscc or None,
                          parent=holder, owner_id=owner_id)
