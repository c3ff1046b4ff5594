"""Warehouses and the location tree."""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from wms.core.errors import N_, Conflict, NotFound, ValidationError

from .models import LOCATION_USAGES, WAREHOUSE_KINDS, Location, Quant, Warehouse

CODE = re.compile(r"^[A-Z0-9]{2,10}$")
BARCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


def create_warehouse(session: Session, *, code: str, name: str, kind: str,
                     address: str | None = None, latitude: float | None = None,
                     longitude: float | None = None, customs_area_code: str | None = None,
                     ems_no: str | None = None, gs1_company_prefix: str | None = None
                     ) -> Warehouse:
    """A warehouse with its root (a view) and the areas every warehouse of its kind needs:
    stock, an input area where receipts are tallied, output, and for bonded warehouses a
    customs hold area for goods under inspection."""
    code = (code or "").strip().upper()
    if not CODE.match(code):
        raise ValidationError(N_("Warehouse code must be 2-10 capital letters or digits"),
                              field="code")
    if kind not in WAREHOUSE_KINDS:
        raise ValidationError(N_("Unknown warehouse kind: %(kind)s"), field="kind", kind=kind)
    if kind == "bonded" and not (customs_area_code and ems_no):
        raise ValidationError(N_("A bonded warehouse needs its customs area code and account "
                                 "book number (emsNo)"), field="ems_no")
    if gs1_company_prefix and (not gs1_company_prefix.isdigit()
                               or not 6 <= len(gs1_company_prefix) <= 12):
        raise ValidationError(N_("GS1 company prefix must be 6-12 digits"),
                              field="gs1_company_prefix")
    if session.scalar(select(Warehouse.id).where(Warehouse.code == code)):
        raise Conflict(N_("Warehouse %(code)s exists already"), field="code", code=code)
    warehouse = Warehouse(code=code, name=name, kind=kind, address=address, latitude=latitude,
                          longitude=longitude, customs_area_code=customs_area_code,
                          ems_no=ems_no, gs1_company_prefix=gs1_company_prefix)
    session.add(warehouse)
    session.flush()
    root = create_location(session, warehouse, None, code, "view", barcode=code)
    create_location(session, warehouse, root, "Stock", "view", barcode=f"{code}-STOCK")
    create_location(session, warehouse, root, "Input", "internal", barcode=f"{code}-IN")
    create_location(session, warehouse, root, "Output", "internal", barcode=f"{code}-OUT")
    if kind == "bonded":
        create_location(session, warehouse, root, "Customs hold", "customs",
                        barcode=f"{code}-HOLD")
    return warehouse


def create_location(session: Session, warehouse: Warehouse | None, parent: Location | None,
                    name: str, usage: str = "internal", *, barcode: str | None = None,
                    capacity: Decimal | None = None) -> Location:
    name = (name or "").strip()
    if not name or "/" in name or len(name) > 60:
        raise ValidationError(N_("Location name must be 1-60 characters without '/'"),
                              field="name")
    if usage not in LOCATION_USAGES:
        raise ValidationError(N_("Unknown location usage: %(usage)s"), field="usage",
                              usage=usage)
    if parent is not None:
        if parent.usage != "view":
            raise ValidationError(N_("Locations can only be placed under a view location"),
                                  field="parent")
        if warehouse is not None and parent.warehouse_id not in (None, warehouse.id):
            raise ValidationError(N_("The parent location is in another warehouse"),
                                  field="parent")
    if usage in ("internal", "customs") and warehouse is None:
        raise ValidationError(N_("Internal locations belong to a warehouse"), field="warehouse")
    barcode = (barcode or "").strip() or None
    full_path = f"{parent.full_path}/{name}" if parent else name
    barcode = barcode or full_path.replace("/", "-").upper()[:40]
    if not BARCODE.match(barcode):
        raise ValidationError(N_("Barcode must be 1-40 letters, digits, '.', '_', '/' or '-'"),
                              field="barcode")
    if capacity is not None and Decimal(capacity) <= 0:
        raise ValidationError(N_("Capacity must be greater than zero"), field="capacity")
    warehouse_id = warehouse.id if warehouse else None
    clash = select(Location.id).where(Location.barcode == barcode)
    clash = clash.where(Location.warehouse_id == warehouse_id) if warehouse_id else \
        clash.where(Location.warehouse_id.is_(None))
    if session.scalar(clash):
        raise Conflict(N_("Barcode %(barcode)s is used by another location"), field="barcode",
                       barcode=barcode)
    location = Location(warehouse_id=warehouse_id, parent_id=parent.id if parent else None,
                        name=name, full_path=full_path, usage=usage, barcode=barcode,
                        capacity=capacity)
    session.add(location)
    session.flush()
    return location


def location_by_path(session: Session, full_path: str) -> Location:
    location = session.scalar(select(Location).where(Location.full_path == full_path))
    if location is None:
        raise NotFound(N_("Location %(path)s not found"), field="location", path=full_path)
    return location


def find_location_by_barcode(session: Session, barcode: str,
                             warehouse_id: int | None = None) -> Location | None:
    stmt = select(Location).where(Location.barcode == barcode.strip(), Location.active)
    if warehouse_id is not None:
        stmt = stmt.where(Location.warehouse_id == warehouse_id)
    return session.scalars(stmt.order_by(Location.id)).first()


def archive_location(session: Session, location_id: int) -> Location:
    """Archive an empty location: nothing on hand in it or under it, no active children."""
    location = session.scalar(select(Location).where(Location.id == location_id)
                              .with_for_update())
    if location is None:
        raise NotFound(N_("Location %(path)s not found"), field="location", path=location_id)
    under = select(Location.id).where(or_(
        Location.id == location.id, Location.full_path.startswith(location.full_path + "/")))
    on_hand = session.scalar(select(func.count(Quant.id)).where(
        Quant.location_id.in_(under), Quant.quantity != 0))
    children = session.scalar(select(func.count(Location.id)).where(
        Location.parent_id == location.id, Location.active))
    if on_hand or children:
        raise Conflict(N_("%(path)s is not empty: move its stock and archive its children "
                          "first."), field="location", path=location.full_path)
    location.active = False
    return location
