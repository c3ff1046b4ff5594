"""Where returned goods wait: the returns dock (held until customs approves the return, or
released when it is late) and the non-bonded area, under ``<WH>/Returns``."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.inventory.models import Location, Warehouse
from wms.inventory.places import create_location


def return_locations(session: Session, warehouse: Warehouse) -> tuple[Location, Location]:
    """The returns dock and the non-bonded area of a warehouse, made on first use."""
    code = warehouse.code
    found = {loc.full_path: loc for loc in session.scalars(select(Location).where(
        Location.full_path.in_((code, f"{code}/Returns", f"{code}/Returns/Dock",
                                f"{code}/Returns/Non-bonded"))))}
    root = found.get(f"{code}/Returns")
    if root is None:
        root = create_location(session, warehouse, found.get(code), "Returns", "view",
                               barcode=f"{code}-RET")
    dock = found.get(f"{code}/Returns/Dock") or create_location(
        session, warehouse, root, "Dock", "internal", barcode=f"{code}-RET-DOCK")
    free = found.get(f"{code}/Returns/Non-bonded") or create_location(
        session, warehouse, root, "Non-bonded", "internal", barcode=f"{code}-RET-NB")
    return dock, free
