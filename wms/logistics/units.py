"""Transport units and how they nest: parcels in bags or on pallets, pallets in containers,
containers on wagons and trains, ULDs on flights.

A unit only goes into one of a larger kind and never into itself or its own contents, so the
tree stays a tree however events arrive. A warehouse package (SSCC) becomes a transport unit
the first time it is named, so nobody retypes a label.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.scoping import visible_owner
from wms.inventory.models import Package

from .identifiers import (clean, validate_container, validate_s10, validate_sscc)
from .models import UNIT_KINDS, UNIT_RANKS, RouteNode, Shipment, TransportUnit
from .network import FREE_ID, leg_path

ULD_ID = re.compile(r"^[A-Z]{3}[0-9]{4,5}[A-Z0-9]{2}$")
FLIGHT_ID = re.compile(r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?(/[0-9]{8})?$")
SSCC_SCAN = re.compile(r"^(\(00\))?\d{18}$")


def normalise_unit_id(kind: str, identifier: str, field: str = "identifier") -> tuple[str, str]:
    """The identifier as stored and its scheme; check digits verified where there are any."""
    if kind not in UNIT_KINDS:
        raise ValidationError(N_("Unknown unit kind %(kind)s"), field="kind", kind=kind)
    raw = clean(identifier)
    if not raw:
        raise ValidationError(N_("This field is required"), field=field)
    if kind == "parcel":
        if re.match(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$", raw):
            return validate_s10(raw, field), "s10"
        if re.match(r"^(\(00\))?[0-9]{18,20}$", raw):
            return validate_sscc(raw, field), "sscc"
        if FREE_ID.match(raw):
            return raw, "waybill"
    elif kind in ("pallet", "bag"):
        if re.match(r"^(\(00\))?[0-9]{18,20}$", raw) or kind == "pallet":
            return validate_sscc(raw, field), "sscc"
        if FREE_ID.match(raw) or re.match(r"^[A-Z0-9]{20,29}$", raw):
            return raw, "receptacle"
    elif kind == "container":
        return validate_container(raw, field), "iso6346"
    elif kind == "uld":
        if ULD_ID.match(raw):
            return raw, "uld"
        raise ValidationError(N_("A ULD number is 3 letters, 4 or 5 digits and the owner's "
                                 "2-character code, like AKE12345CA"), field=field)
    elif kind == "flight":
        if FLIGHT_ID.match(raw):
            return raw, "flight"
        raise ValidationError(N_("A flight is the airline code and number, optionally "
                                 "/YYYYMMDD, like CA1041/20261127"), field=field)
    elif FREE_ID.match(raw):  # wagon, train
        return raw, kind
    raise ValidationError(N_("%(value)s is not a valid %(kind)s number"), field=field,
                          value=identifier, kind=kind)


def create_unit(session: Session, kind: str, identifier: str, *,
                parent: TransportUnit | None = None, shipment: Shipment | None = None,
                package: Package | None = None) -> TransportUnit:
    identifier, scheme = normalise_unit_id(kind, identifier)
    if session.scalar(select(TransportUnit.id).where(TransportUnit.kind == kind,
                                                     TransportUnit.identifier == identifier)):
        raise Conflict(N_("%(kind)s %(identifier)s is already registered"), field="identifier",
                       kind=kind, identifier=identifier)
    unit = TransportUnit(kind=kind, identifier=identifier, scheme=scheme,
                         shipment_id=shipment.id if shipment else None,
                         package_id=package.id if package else None)
    session.add(unit)
    session.flush()
    if parent is not None:
        pack_unit(session, unit, parent)
    return unit


def unit_candidates(identifier: str, kind: str | None = None,
                    field: str = "unit") -> set[str]:
    """The stored forms a scanned or typed number may have."""
    value = clean(identifier, drop="-") if kind != "uld" else clean(identifier)
    if kind:
        value, _ = normalise_unit_id(kind, identifier, field)
    candidates = {value, clean(identifier)}
    if value.startswith("(00)"):
        candidates.add(value[4:])
    return candidates


def pick_unit(found: Iterable[TransportUnit], identifier: str, kind: str | None,
              field: str) -> TransportUnit:
    """The one unit a number names among ``found`` (its candidates' matches), visible to
    the acting user; NotFound or an ambiguity error naming ``field`` otherwise."""
    found = [u for u in found if kind is None or u.kind == kind]
    if not found:
        raise NotFound(N_("No transport unit %(identifier)s"), field=field,
                       identifier=identifier)
    if len(found) > 1:
        raise ValidationError(N_("%(identifier)s names several units: give the kind"),
                              field=field, identifier=identifier)
    unit = found[0]
    if unit.shipment_id is not None and not visible_owner(unit.shipment.owner_id):
        raise NotFound(N_("No transport unit %(identifier)s"), field=field,
                       identifier=identifier)
    return unit


def find_unit(session: Session, identifier: str, kind: str | None = None,
              field: str = "unit") -> TransportUnit:
    """A unit by its number (S10, SSCC, container...); ``kind`` settles an ambiguity."""
    candidates = unit_candidates(identifier, kind, field)
    found = session.scalars(select(TransportUnit).where(
        TransportUnit.identifier.in_(candidates)).options(joinedload(TransportUnit.shipment)))
    return pick_unit(found, identifier, kind, field)


def check_nesting(child: TransportUnit, parent: TransportUnit,
                  parent_of: Callable[[TransportUnit], TransportUnit | None] | None = None
                  ) -> None:
    """Refuse ``child`` going into ``parent`` when it would end up inside itself, or into a
    kind not larger than its own. ``parent_of`` follows the tree a batch holds in memory;
    by default the units' own parents."""
    parent_of = parent_of or (lambda unit: unit.parent)
    if not parent.active:
        raise Conflict(N_("%(identifier)s is retired"), field="parent",
                       identifier=parent.identifier)
    ancestor: TransportUnit | None = parent
    while ancestor is not None:
        if ancestor.id == child.id:
            raise ValidationError(N_("%(identifier)s cannot be packed into itself"),
                                  field="parent", identifier=child.identifier)
        ancestor = parent_of(ancestor)
    if UNIT_RANKS[parent.kind] <= UNIT_RANKS[child.kind]:
        raise ValidationError(N_("A %(child)s cannot go into a %(parent)s"), field="parent",
                              child=child.kind, parent=parent.kind)


def pack_unit(session: Session, child: TransportUnit, parent: TransportUnit | None) -> None:
    """Put ``child`` into ``parent`` (None takes it out)."""
    if parent is not None:
        check_nesting(child, parent)
    child.parent = parent
    session.flush()


def descendant_ids(session: Session, roots: Iterable[int]) -> set[int]:
    """The roots and every unit inside them, however deep, in one statement."""
    roots = list(roots)
    if not roots:
        return set()
    tree = select(TransportUnit.id).where(TransportUnit.id.in_(roots)).cte(recursive=True)
    tree = tree.union_all(select(TransportUnit.id)
                          .where(TransportUnit.parent_id == tree.c.id))
    return set(session.scalars(select(tree.c.id)))


def ancestor_ids(session: Session, units: Iterable[int]) -> set[int]:
    """The units and every unit they are inside, in one statement."""
    units = list(units)
    if not units:
        return set()
    up = select(TransportUnit.id, TransportUnit.parent_id).where(
        TransportUnit.id.in_(units)).cte(recursive=True)
    up = up.union_all(select(TransportUnit.id, TransportUnit.parent_id)
                      .where(TransportUnit.id == up.c.parent_id))
    return set(session.scalars(select(up.c.id)))


def attach_unit(session: Session, unit: TransportUnit, shipment: Shipment) -> None:
    """The unit travels on the shipment."""
    if shipment.state in ("delivered", "cancelled"):
        raise Conflict(N_("Shipment %(name)s is %(state)s"), field="shipment",
                       name=shipment.name, state=shipment.state)
    unit.shipment_id = shipment.id
    session.flush()


def unit_for_package(session: Session, sscc: str, *, shipment: Shipment | None = None,
                     parent: TransportUnit | None = None) -> TransportUnit:
    """The transport unit of a warehouse package, made the first time (no retyping): a
    pallet stays a pallet, a carton travels as a parcel, a bag as a bag. Attaches it to the
    shipment and puts it into ``parent`` when given."""
    number = validate_sscc(sscc, "sscc")
    package = session.scalar(select(Package).where(Package.sscc == number))
    if package is None or not visible_owner(package.owner_id) and package.owner_id is not None:
        raise NotFound(N_("No package with SSCC %(sscc)s"), field="sscc", sscc=number)
    unit = session.scalar(select(TransportUnit).where(TransportUnit.package_id == package.id))
    if unit is None:
        kind = {"pallet": "pallet", "carton": "parcel", "bag": "bag"}[package.kind]
        existing = session.scalar(select(TransportUnit).where(
            TransportUnit.identifier == number, TransportUnit.kind == kind))
        if existing is not None:
            existing.package_id = package.id
            unit = existing
        else:
            unit = create_unit(session, kind, number, package=package)
    if shipment is not None:
        if shipment.owner_id is not None and package.owner_id not in (None, shipment.owner_id):
            raise ValidationError(N_("Package %(sscc)s belongs to another owner"),
                                  field="sscc", sscc=number)
        attach_unit(session, unit, shipment)
    if parent is not None:
        pack_unit(session, unit, parent)
    session.flush()
    return unit


def join_shipment(session: Session, shipment: Shipment, sscc: str,
                  into: str | None = None) -> TransportUnit:
    """The desk's door: a warehouse package joins the shipment by its SSCC, optionally into
    one of the units already named."""
    parent = find_unit(session, into, field="into") if into else None
    return unit_for_package(session, sscc, shipment=shipment, parent=parent)


# -- carried by another shipment ------------------------------------------------------------

def on_route(shipment: Shipment, node: RouteNode | None) -> bool:
    """Whether an event at ``node`` (None: no place) is news for this shipment's own route.
    A mail bag of an air dispatch loaded into a rail container keeps its shipment; the
    train's events at Dostyk place the bag (the unit), not the air dispatch."""
    if node is None:
        return True
    return any(node.id in {n.id for n in leg_path(leg)} for leg in shipment.legs
               if leg.state != "cancelled")


@dataclass
class Carriage:
    """A unit of one shipment inside a unit of another: 国际班列带运国际邮件."""

    unit: TransportUnit             # the guest (a mail bag)
    carrier: TransportUnit          # what it is loaded in (a rail container)
    unit_shipment: Shipment | None
    carrier_shipment: Shipment | None


def carriages(session: Session, shipment: Shipment) -> tuple[list[Carriage], list[Carriage]]:
    """(this shipment's units carried in other shipments' units, other shipments' units
    carried in this one's), owner-scoped: the other shipment shows only when visible."""
    parent = aliased(TransportUnit)
    rows = session.execute(
        select(TransportUnit, parent).join(parent, parent.id == TransportUnit.parent_id)
        .where(or_(TransportUnit.shipment_id == shipment.id, parent.shipment_id == shipment.id),
               parent.shipment_id.is_not(None), TransportUnit.shipment_id.is_not(None),
               TransportUnit.shipment_id != parent.shipment_id)
        .options(joinedload(TransportUnit.shipment), joinedload(parent.shipment))
        .order_by(TransportUnit.identifier)).all()
    carried_in, carrying = [], []
    for unit, carrier in rows:
        def seen(s: Shipment | None) -> Shipment | None:
            return s if s is not None and visible_owner(s.owner_id) else None
        item = Carriage(unit, carrier, seen(unit.shipment), seen(carrier.shipment))
        (carried_in if unit.shipment_id == shipment.id else carrying).append(item)
    return carried_in, carrying
