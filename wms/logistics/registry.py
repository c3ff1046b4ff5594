"""Transport units registered, edited and retired by hand: the desk's and the API's door for
the trains, wagons, containers, ULDs, mail bags and postal items a dispatcher works with,
before any feed or scan has named them.

Every number is checked the way its kind is printed: ISO 6346 for containers, the IATA ULD
form, the UPU S9 receptacle id for mail bags, S10 for postal items, the UIC check digit for a
12-digit wagon number. A batch is all or nothing and costs the same few statements however
many units it holds. A retired unit keeps its number and its history; nothing is loaded into
it any more.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import and_, exists, func, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from wms.core.audit import AuditEvent, update_tracked
from wms.core.context import current_actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import ascii_id
from wms.core.scoping import scope_to_owner, visible_owner

from .identifiers import (clean, is_digits, validate_receptacle, validate_s10,
                          validate_uic_wagon, validate_uld)
from .models import Shipment, TrackingEvent, TrackingEventUnit, TransportUnit
from .units import normalise_unit_id

# The kinds a dispatcher registers, in the order the form offers them.
REGISTERED_KINDS = ("train", "wagon", "container", "uld", "flight", "bag", "pallet", "parcel")
MAX_UNITS = 1000


@dataclass
class UnitInput:
    """One unit as the form or the API gives it: kind, number and, optionally, the shipment
    it travels on (id, name or reference)."""

    kind: str
    identifier: str
    shipment: str | None = None


def checked_identifier(kind: str, identifier: str, field: str = "identifier") -> tuple[str, str]:
    """The number as stored and its scheme, with the stricter checks of registration: a
    mail bag is a UPU receptacle (or a pallet-style SSCC), a postal item that looks like S10
    passes its check digit, a 12-digit wagon number its UIC check digit."""
    kind = (kind or "").strip().lower()
    if kind not in REGISTERED_KINDS:
        raise ValidationError(N_("Unknown unit kind %(kind)s"), field="kind", kind=kind)
    raw = clean(identifier)
    if not raw:
        raise ValidationError(N_("This field is required"), field=field)
    if kind == "bag" and not is_digits(raw.removeprefix("(00)")):
        return validate_receptacle(raw, field), "receptacle"
    if kind == "uld":
        return validate_uld(raw, field), "uld"
    if kind == "wagon" and is_digits(raw.replace("-", "")) and len(raw.replace("-", "")) == 12:
        return validate_uic_wagon(raw, field), "uic"
    if kind == "parcel" and raw[:2].isalpha() and raw[-2:].isalpha() and len(raw) == 13:
        return validate_s10(raw, field), "s10"
    return normalise_unit_id(kind, raw, field)


def _shipments(session: Session, refs: set[str], field_of: dict[str, str]) -> dict[str, Shipment]:
    """The shipments the batch names (by id, name or reference), in one statement, scoped to
    what the acting user may see."""
    if not refs:
        return {}
    ids = {ascii_id(r) for r in refs} - {None}
    stmt = scope_to_owner(select(Shipment).where(or_(
        Shipment.id.in_(ids), Shipment.name.in_(refs), Shipment.reference.in_(refs),
        Shipment.name.in_({r.replace("-", "/") for r in refs}))), Shipment.owner_id)
    found = list(session.scalars(stmt.order_by(Shipment.id)))
    answer = {}
    for ref in refs:
        match = next((s for s in found if str(s.id) == ref or s.name == ref
                      or s.name == ref.replace("-", "/") or s.reference == ref), None)
        if match is None:
            raise NotFound(N_("No shipment %(name)s"), field=field_of[ref], name=ref)
        if match.state in ("delivered", "cancelled"):
            raise Conflict(N_("Shipment %(name)s is %(state)s"), field=field_of[ref],
                           name=match.name, state=match.state)
        answer[ref] = match
    return answer


def register_units(session: Session, rows: Sequence[UnitInput], *,
                   many: bool | None = None) -> list[TransportUnit]:
    """Register units, all or nothing. Errors name the field, ``units[i].field`` when the
    batch has several rows (or ``many=True``)."""
    if not rows:
        raise ValidationError(N_("Nothing to register"), field="units")
    if len(rows) > MAX_UNITS:
        raise ValidationError(N_("At most %(n)s units at once"), field="units", n=MAX_UNITS)
    many = len(rows) > 1 if many is None else many

    def f(i: int, name: str) -> str:
        return f"units[{i}].{name}" if many else name
    checked, seen, field_of = [], {}, {}
    for i, row in enumerate(rows):
        kind = (row.kind or "").strip().lower()
        if kind not in REGISTERED_KINDS:
            raise ValidationError(N_("Unknown unit kind %(kind)s"), field=f(i, "kind"),
                                  kind=row.kind)
        number, scheme = checked_identifier(kind, row.identifier, f(i, "identifier"))
        if (kind, number) in seen:
            raise ValidationError(N_("%(identifier)s is given twice"), field=f(i, "identifier"),
                                  identifier=number)
        seen[(kind, number)] = i
        ref = (row.shipment or "").strip() or None
        if ref:
            field_of.setdefault(ref, f(i, "shipment"))
        checked.append((kind, number, scheme, ref))
    taken = [tuple(row) for row in session.execute(
        select(TransportUnit.kind, TransportUnit.identifier).where(
            tuple_(TransportUnit.kind, TransportUnit.identifier).in_(list(seen))))]
    if taken:
        first = min(taken, key=lambda key: seen[key])
        raise Conflict(N_("%(kind)s %(identifier)s is already registered"),
                       field=f(seen[first], "identifier"), kind=first[0], identifier=first[1])
    shipments = _shipments(session, {ref for *_, ref in checked if ref}, field_of)
    # One multi-row INSERT (the ORM would insert a self-referencing table row by row) and
    # one of the audit rows; matched back by kind and number, not by RETURNING's order.
    actor, now = current_actor(), utcnow()
    table = TransportUnit.__table__
    new_ids = {(kind, number): unit_id for unit_id, kind, number in session.execute(
        insert(table).returning(table.c.id, table.c.kind, table.c.identifier),
        [dict(kind=kind, identifier=number, scheme=scheme, active=True,
              shipment_id=shipments[ref].id if ref else None, created_at=now,
              updated_at=now, created_by_id=actor.user_id, updated_by_id=actor.user_id)
         for kind, number, scheme, ref in checked])}
    ids = [new_ids[(kind, number)] for kind, number, _s, _r in checked]
    session.execute(insert(AuditEvent), [dict(
        model=TransportUnit.__tablename__, record_id=unit_id, kind="create", field=None,
        old_value=None, new_value=None, note=None, user_id=actor.user_id,
        user_login=actor.login, at=now) for unit_id in ids])
    units = {u.id: u for u in session.scalars(select(TransportUnit).where(
        TransportUnit.id.in_(ids)))}
    return [units[i] for i in ids]


def get_unit(session: Session, unit_id: int) -> TransportUnit:
    """A unit the acting user may see (its shipment's owner), or NotFound."""
    unit = session.get(TransportUnit, unit_id)
    if unit is None or (unit.shipment_id is not None
                        and not visible_owner(unit.shipment.owner_id)):
        raise NotFound(N_("No transport unit %(identifier)s"), field="unit",
                       identifier=unit_id)
    return unit


def _has_events(session: Session, unit_id: int) -> bool:
    return bool(session.scalar(select(or_(
        exists().where(TrackingEvent.unit_id == unit_id),
        exists().where(TrackingEventUnit.unit_id == unit_id)))))


def update_unit(session: Session, unit_id: int, *, identifier: str | None = None,
                shipment: str | None = None) -> TransportUnit:
    """Correct a unit's number (only while no event names it: events are never rewritten)
    and set or clear the shipment it travels on (``shipment=""`` clears it)."""
    unit = get_unit(session, unit_id)
    if not unit.active:
        raise Conflict(N_("%(identifier)s is retired"), field="identifier",
                       identifier=unit.identifier)
    if identifier is not None and clean(identifier) != unit.identifier:
        number, scheme = checked_identifier(unit.kind, identifier)
        if number != unit.identifier:
            if _has_events(session, unit.id):
                raise Conflict(N_("Events name %(identifier)s: its number cannot change"),
                               field="identifier", identifier=unit.identifier)
            if session.scalar(select(TransportUnit.id).where(
                    TransportUnit.kind == unit.kind, TransportUnit.identifier == number)):
                raise Conflict(N_("%(kind)s %(identifier)s is already registered"),
                               field="identifier", kind=unit.kind, identifier=number)
            unit.identifier, unit.scheme = number, scheme
    if shipment is not None:
        ref = shipment.strip()
        unit.shipment_id = _shipments(session, {ref}, {ref: "shipment"})[ref].id if ref else None
    session.flush()
    return unit


def retire_units(session: Session, unit_ids: Sequence[int]) -> int:
    """Take units out of service, all or nothing: an empty unit that is not inside another
    one. Three statements plus the audit rows, whatever the number."""
    ids = sorted(set(unit_ids))
    if not ids:
        raise ValidationError(N_("Tick the units first"), field="units")
    units = {u.id: u for u in session.scalars(select(TransportUnit).where(
        TransportUnit.id.in_(ids)))}
    for unit_id in ids:
        unit = units.get(unit_id)
        if unit is None or (unit.shipment_id is not None
                            and not visible_owner(unit.shipment.owner_id)):
            raise NotFound(N_("No transport unit %(identifier)s"), field="units",
                           identifier=unit_id)
        if unit.parent_id is not None:
            raise Conflict(N_("%(identifier)s is inside another unit: unload it first"),
                           field="units", identifier=unit.identifier)
    loaded = session.execute(select(TransportUnit.parent_id, func.count()).where(
        and_(TransportUnit.parent_id.in_(ids))).group_by(TransportUnit.parent_id)).first()
    if loaded is not None:
        raise Conflict(N_("%(identifier)s still holds %(n)s units: unload them first"),
                       field="units", identifier=units[loaded[0]].identifier, n=loaded[1])
    return update_tracked(session, TransportUnit, ids, {"active": False})


def list_units(session: Session, *, kind: str | None = None, q: str | None = None,
               retired: bool = False):
    """The select behind the units page and the API list: newest first, scoped to what the
    acting user may see (a unit without a shipment is the warehouse's and visible to
    staff)."""
    stmt = select(TransportUnit).outerjoin(Shipment, Shipment.id == TransportUnit.shipment_id)
    stmt = scope_to_owner(stmt, Shipment.owner_id)
    if kind:
        stmt = stmt.where(TransportUnit.kind == kind)
    if q:
        stmt = stmt.where(TransportUnit.identifier.contains(clean(q)))
    if not retired:
        stmt = stmt.where(TransportUnit.active.is_(True))
    return stmt.order_by(TransportUnit.id.desc())
