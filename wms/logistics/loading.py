"""The loading scanner's door: a unit scanned into another (load) or out of what it is in
(unload), or any milestone scanned on a unit, at a node. The loading page, the handheld API
and ``POST /api/v1/transport-units/{code}/load|unload`` all come here.

A scan is an event with the scan id as its source id, so a replayed scan (the offline queue
sending again) is a duplicate and changes nothing. It applies to the unit and everything in
it, in a fixed number of statements however many parcels a container holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, NotFound, ValidationError

from .events import IngestResult, ingest_events
from .models import TransportUnit
from .network import get_node
from .times import aware
from .units import SSCC_SCAN, descendant_ids, find_unit, unit_for_package

ACTIONS = ("load", "unload", "event")
HANDHELD = "wms:handheld"


@dataclass(frozen=True)
class Notice:
    """A message as its template and parameters (a parameter may be a notice itself),
    said in the user's language at the edge; ``then`` is said after it."""

    template: str
    params: dict
    then: Notice | None = None

    def render(self, translate: Callable[..., str]) -> str:
        params = {k: v.render(translate) if isinstance(v, Notice) else v
                  for k, v in self.params.items()}
        text = translate(self.template, **params)
        return f"{text} {self.then.render(translate)}" if self.then else text


@dataclass
class ScanResult:
    action: str
    unit: TransportUnit
    into: TransportUnit | None
    inside: int
    accepted: int
    duplicates: int
    milestone: str

    @property
    def replayed(self) -> bool:
        """Already recorded under this scan id: nothing changed."""
        return bool(self.duplicates and not self.accepted)

    @property
    def notice(self) -> Notice:
        """What the scanner shows: what happened, how many units inside went along, and
        whether it had already been recorded."""
        unit = self.unit.identifier
        if self.action == "load":
            said = Notice(N_("%(unit)s loaded into %(into)s"),
                          {"unit": unit, "into": self.into.identifier})
        elif self.action == "unload":
            said = Notice(N_("%(unit)s unloaded"), {"unit": unit})
        else:
            said = Notice(N_("%(unit)s scanned: %(milestone)s"),
                          {"unit": unit, "milestone": self.milestone})
        if self.inside:
            said = Notice(said.template, said.params,
                          Notice(N_("(with %(n)s units inside)"), {"n": self.inside}))
        if self.replayed:
            said = Notice(N_("Already recorded: %(message)s"), {"message": said})
        return said

    def as_answer(self, translate: Callable[..., str]) -> dict:
        """The loading scanner's JSON answer; the API's load and unload answer the same."""
        return {"message": self.notice.render(translate), "accepted": self.accepted,
                "duplicates": self.duplicates, "unit": self.unit.identifier,
                "kind": self.unit.kind,
                "into": self.into.identifier if self.into else None, "inside": self.inside}


def scan_unit(session: Session, action: str, unit_code: str, *, node: str, scan_id: str,
              into: str | None = None, milestone: str | None = None,
              time: datetime | str | None = None, source: str = HANDHELD) -> ScanResult:
    """Load ``unit_code`` into ``into``, unload it, or record ``milestone`` on it, at
    ``node``. A warehouse package's SSCC becomes a transport unit on its first scan and joins
    the shipment of what it is loaded into."""
    if action not in ACTIONS:
        raise ValidationError(N_("Must be one of: %(values)s"), field="mode",
                              values=", ".join(ACTIONS))
    unit_code = str(unit_code or "").strip()
    node = str(node or "").strip()
    if not node:
        raise ValidationError(N_("Choose the place where you scan"), field="node")
    get_node(session, node, "node")
    if not unit_code:
        raise ValidationError(N_("Scan a unit"), field="unit")
    when = aware(time, "time") or utcnow()
    parent = None
    if action == "load":
        into_code = str(into or "").strip()
        if not into_code:
            raise ValidationError(N_("Scan the unit it goes into"), field="into")
        parent = find_unit(session, into_code, field="into")
    elif action == "event":
        milestone = (milestone or "").strip()
        if not milestone:
            raise ValidationError(N_("This field is required"), field="milestone")
    try:
        unit = find_unit(session, unit_code, field="unit")
    except NotFound:
        if action != "load" or not SSCC_SCAN.match(unit_code.replace(" ", "")):
            raise
        unit = unit_for_package(session, unit_code, shipment=parent.shipment)
    code = {"load": "loaded", "unload": "unloaded"}.get(action, milestone)
    event = dict(id=scan_id, code=code, unit=unit.identifier, unit_kind=unit.kind,
                 node=node, time=when)
    if parent is not None:
        event.update(parent=parent.identifier, parent_kind=parent.kind)
    result: IngestResult = ingest_events(session, source, [event])
    inside = len(descendant_ids(session, [unit.id])) - 1
    return ScanResult(action=action, unit=unit, into=parent, inside=inside,
                      accepted=result.accepted, duplicates=result.duplicates, milestone=code)


def scan_load(session: Session, unit: str, into: str, *, node: str, scan_id: str,
              time: datetime | None = None, source: str = HANDHELD) -> ScanResult:
    """Load ``unit`` (and what is in it) into ``into``."""
    return scan_unit(session, "load", unit, into=into, node=node, scan_id=scan_id, time=time,
                     source=source)


def scan_unload(session: Session, unit: str, *, node: str, scan_id: str,
                time: datetime | None = None, source: str = HANDHELD) -> ScanResult:
    """Unload ``unit`` from whatever it is in."""
    return scan_unit(session, "unload", unit, node=node, scan_id=scan_id, time=time,
                     source=source)


def scan_event(session: Session, unit: str, milestone: str, *, node: str, scan_id: str,
               time: datetime | None = None, source: str = HANDHELD) -> ScanResult:
    """Any milestone scanned on a unit (departed, arrived...): applies to all inside."""
    return scan_unit(session, "event", unit, milestone=milestone, node=node, scan_id=scan_id,
                     time=time, source=source)
