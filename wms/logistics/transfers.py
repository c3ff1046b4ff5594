"""Transfers between legs: air to air (空空联运), rail to air, at a hub.

A transfer belongs to the onward leg: the goods arrive at the hub on the leg before it and
must be ready there a minimum connection time (and, when goods pass transit customs at the
hub, the customs time too) before the onward leg leaves. The estimator starts the onward
leg no earlier than that, and when the inbound arrival plus the connection time passes the
onward leg's planned departure the connection is missed: an alert of kind ``connection``
on the onward leg (one open per leg), resolved again when a later estimate makes it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import ascii_id, parse_int

from .models import LogisticsAlert, RouteNode, Shipment, ShipmentLeg

# Usual minimum connection times at Lanzhou-sized hubs, by (inbound, onward) carriage mode,
# used when the dispatcher gives none: an interline air transfer, and rail to air, which
# includes moving the goods from the rail terminal to the airport's cargo terminal.
DEFAULT_CONNECTION = {("air", "air"): timedelta(hours=3), ("rail", "air"): timedelta(hours=12),
                      ("road", "air"): timedelta(hours=6), ("air", "rail"): timedelta(hours=12)}
FALLBACK_CONNECTION = timedelta(hours=6)
DEFAULT_CUSTOMS = timedelta(hours=4)
MAX_MINUTES = 14 * 24 * 60


class LegTransfer(Audited, Base):
    """The transfer before an onward leg: hub, minimum connection time and an optional
    transit customs step (转关 / transit declaration at the hub)."""

    __tablename__ = "leg_transfer"
    __tracked__ = ("min_connection_minutes", "transit_customs", "customs_minutes")
    __table_args__ = (CheckConstraint("min_connection_minutes >= 0", name="connection"),
                      CheckConstraint("customs_minutes >= 0", name="customs"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"),
                                             index=True)
    leg_id: Mapped[int] = mapped_column(ForeignKey("shipment_leg.id", ondelete="CASCADE"),
                                        unique=True)
    hub_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    min_connection_minutes: Mapped[int]
    transit_customs: Mapped[bool] = mapped_column(Boolean, default=False)
    customs_minutes: Mapped[int] = mapped_column(default=0)

    leg: Mapped[ShipmentLeg] = relationship()
    hub: Mapped[RouteNode] = relationship(lazy="joined")

    @property
    def ready_after(self) -> timedelta:
        """How long after the inbound arrival the goods can leave on the onward leg."""
        return timedelta(minutes=self.min_connection_minutes
                         + (self.customs_minutes if self.transit_customs else 0))


def _minutes(value: Any, field: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_int(value, field, minimum=0, maximum=MAX_MINUTES)


def _carriage(leg: ShipmentLeg) -> str:
    return leg.carriage_mode or ("air" if leg.mode == "post" else leg.mode)


def plan_transfer(session: Session, shipment: Shipment, seq: Any, *,
                  min_connection_minutes: Any = None, transit_customs: bool = False,
                  customs_minutes: Any = None) -> LegTransfer:
    """Declare (or change) the transfer before leg ``seq`` of the shipment, and estimate
    the shipment again. The hub is where the previous leg ends; the connection time
    defaults by the two legs' modes."""
    if shipment.state in ("delivered", "cancelled"):
        raise Conflict(N_("Shipment %(name)s is %(state)s"), field="shipment",
                       name=shipment.name, state=shipment.state)
    number = seq if isinstance(seq, int) else ascii_id(str(seq or "").strip())
    legs = {leg.seq: leg for leg in shipment.legs}
    onward = legs.get(number) if number is not None else None
    if onward is None:
        raise NotFound(N_("The shipment has no leg %(seq)s"), field="leg", seq=seq)
    inbound = legs.get(onward.seq - 1)
    if inbound is None:
        raise ValidationError(N_("A transfer comes between two legs: leg %(seq)s is the "
                                 "first"), field="leg", seq=onward.seq)
    if onward.actual_departure is not None:
        raise Conflict(N_("Leg %(seq)s has left already"), field="leg", seq=onward.seq)
    minutes = _minutes(min_connection_minutes, "min_connection_minutes")
    if minutes is None:
        default = DEFAULT_CONNECTION.get((_carriage(inbound), _carriage(onward)),
                                         FALLBACK_CONNECTION)
        minutes = int(default.total_seconds() // 60)
    customs = _minutes(customs_minutes, "customs_minutes")
    if customs is None:
        customs = int(DEFAULT_CUSTOMS.total_seconds() // 60) if transit_customs else 0
    transfer = session.scalar(select(LegTransfer).where(LegTransfer.leg_id == onward.id))
    if transfer is None:
        transfer = LegTransfer(shipment_id=shipment.id, leg_id=onward.id,
                               hub_node_id=onward.from_node_id)
        session.add(transfer)
    transfer.min_connection_minutes = minutes
    transfer.transit_customs = bool(transit_customs)
    transfer.customs_minutes = customs
    session.flush()
    from .estimates import estimate_shipment  # the estimator reads transfers: import late
    estimate_shipment(session, shipment)
    return transfer


def transfers_of(session: Session, shipment_ids: Iterable[int]) -> dict[int, LegTransfer]:
    """The transfers of these shipments by onward leg id (one statement)."""
    ids = list(shipment_ids)
    if not ids:
        return {}
    return {t.leg_id: t for t in session.scalars(
        select(LegTransfer).where(LegTransfer.shipment_id.in_(ids)))}


def check_connection(shipment: Shipment, onward: ShipmentLeg, transfer: LegTransfer,
                     inbound_arrival: datetime | None, alerts: list[LogisticsAlert]
                     ) -> LogisticsAlert | None:
    """A new ``connection`` alert when the goods cannot be ready before the onward leg's
    planned departure; an open one is brought up to date, or resolved once it is made."""
    current = next((a for a in alerts if a.state == "open"), None)
    missed = None
    if inbound_arrival is not None and onward.planned_departure is not None and \
            onward.actual_departure is None:
        ready = inbound_arrival + transfer.ready_after
        if ready > onward.planned_departure:
            missed = ready - onward.planned_departure
    if missed is None:
        if current is not None:
            current.transition("resolved", reason="connection made")
        return None
    minutes = int(missed.total_seconds() // 60)
    estimated = onward.estimated_arrival or inbound_arrival
    if current is not None:
        current.delay_minutes = minutes
        current.estimated_arrival = estimated
        return None
    if alerts and alerts[0].state == "acknowledged" and minutes <= alerts[0].delay_minutes:
        return None  # acknowledged, and no worse since
    return LogisticsAlert(kind="connection", state="open", shipment_id=shipment.id,
                          leg_id=onward.id,
                          planned_arrival=onward.planned_arrival or onward.planned_departure,
                          estimated_arrival=estimated, delay_minutes=minutes)
