"""Shipments and their legs, nesting transport units, tracking events, the route network,
late-leg alerts and webhook subscriptions.

Events are insert-only and keep the feed's own code and payload beside the normalised one,
so a mapping mistake can be corrected by re-reading them; the current status and position of
a unit or shipment are a cache of its latest actual event by event time.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, ForeignKey, Index, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wms.core.audit import Audited
from wms.core.db import Base
from wms.core.sequence import Sequenced, unique_name_index
from wms.core.states import StateMachine
from wms.core.types import UtcDateTime

MODES = ("rail", "air", "post", "road", "sea")
CARRIAGE_MODES = ("rail", "air", "road", "sea")  # what actually carries a postal leg
NODE_KINDS = ("rail_terminal", "border_station", "gauge_change", "airport", "office_of_exchange",
              "warehouse", "road_terminal", "sea_port")
# Outer units have a higher rank: a unit only goes into one of higher rank.
UNIT_RANKS = {"parcel": 1, "bag": 2, "pallet": 2, "container": 3, "uld": 3, "wagon": 4,
              "train": 5, "flight": 5}
UNIT_KINDS = tuple(UNIT_RANKS)
CLASSIFIERS = ("PLN", "EST", "ACT")
# Carrier-style statuses users know (karrio's set).
STATUSES = ("pending", "in_transit", "on_hold", "delivery_delayed", "out_for_delivery",
            "ready_for_pickup", "delivered", "delivery_failed", "return_to_sender", "cancelled",
            "unknown")
SHIPMENT_STATES = ("draft", "booked", "in_transit", "delivered", "cancelled")
LEG_STATES = ("planned", "in_transit", "arrived", "cancelled")
ALERT_STATES = ("open", "acknowledged", "resolved")
DELIVERY_STATES = ("pending", "delivered", "failed")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RouteNode(Audited, Base):
    """A place on the network: terminal, border or gauge-change station, airport, office of
    exchange, warehouse."""

    __tablename__ = "route_node"
    __tracked__ = ("name", "dwell_hours", "active")
    __table_args__ = (UniqueConstraint("code"),
                      CheckConstraint(_in("kind", NODE_KINDS), name="kind"),
                      CheckConstraint("dwell_hours >= 0", name="dwell_hours"),
                      CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 "
                                      "AND 180", name="coordinates"),
                      Index("ix_route_node_unlocode", "unlocode"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    unlocode: Mapped[str | None] = mapped_column(String(5))
    iata: Mapped[str | None] = mapped_column(String(3))
    latitude: Mapped[float]
    longitude: Mapped[float]
    border: Mapped[bool] = mapped_column(default=False)
    gauge_change: Mapped[bool] = mapped_column(default=False)
    dwell_hours: Mapped[float] = mapped_column(default=0.0)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    active: Mapped[bool] = mapped_column(default=True)


class RouteLane(Base):
    """A usual path of one mode as an ordered list of nodes (its stops)."""

    __tablename__ = "route_lane"
    __tracked__ = ("name", "mode", "carriage_mode", "active")
    __table_args__ = (UniqueConstraint("code"),
                      CheckConstraint(_in("mode", MODES), name="mode"),
                      CheckConstraint("carriage_mode IS NULL OR "
                                      + _in("carriage_mode", CARRIAGE_MODES),
                                      name="carriage_mode"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(5))
    carriage_mode: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)

    stops: Mapped[list[RouteLaneStop]] = relationship(order_by="RouteLaneStop.seq",
                                                      cascade="all, delete-orphan")


class RouteLaneStop(Base):
    __tablename__ = "route_lane_stop"
    __table_args__ = (UniqueConstraint("lane_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lane_id: Mapped[int] = mapped_column(ForeignKey("route_lane.id", ondelete="CASCADE"))
    seq: Mapped[int]
    node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))

    node: Mapped[RouteNode] = relationship(lazy="joined")


class Shipment(StateMachine, Sequenced, Audited, Base):
    """A consignment: legs in order, the units that travel, and a status derived from its
    latest actual event."""

    __tablename__ = "shipment"
    __states__ = SHIPMENT_STATES
    __transitions__ = {"draft": ("booked", "cancelled"),
                       "booked": ("in_transit", "delivered", "cancelled"),
                       "in_transit": ("delivered",)}
    __tracked__ = ("status", "current_node_id", "reference")
    __table_args__ = (unique_name_index("shipment"),
                      CheckConstraint(_in("state", SHIPMENT_STATES), name="state"),
                      CheckConstraint(_in("status", STATUSES), name="status"),
                      Index("ix_shipment_owner_state", "owner_id", "state"),
                      Index("ix_shipment_reference", "reference"))

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    reference: Mapped[str | None] = mapped_column(String(60))
    origin_node_id: Mapped[int | None] = mapped_column(ForeignKey("route_node.id"))
    destination_node_id: Mapped[int | None] = mapped_column(ForeignKey("route_node.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    current_node_id: Mapped[int | None] = mapped_column(ForeignKey("route_node.id"))
    current_place: Mapped[str | None] = mapped_column(String(5))
    note: Mapped[str | None] = mapped_column(Text)

    legs: Mapped[list[ShipmentLeg]] = relationship(back_populates="shipment",
                                                   order_by="ShipmentLeg.seq",
                                                   cascade="all, delete-orphan")
    origin: Mapped[RouteNode | None] = relationship(foreign_keys=[origin_node_id])
    destination: Mapped[RouteNode | None] = relationship(foreign_keys=[destination_node_id])
    current_node: Mapped[RouteNode | None] = relationship(foreign_keys=[current_node_id])


class ShipmentLeg(StateMachine, Audited, Base):
    """One leg: mode, carrier, service reference, nodes, planned/estimated/actual times."""

    __tablename__ = "shipment_leg"
    __states__ = LEG_STATES
    __transitions__ = {"planned": ("in_transit", "arrived", "cancelled"),
                       "in_transit": ("arrived",)}
    __tracked__ = ("planned_departure", "planned_arrival", "actual_departure", "actual_arrival")
    __table_args__ = (UniqueConstraint("shipment_id", "seq"),
                      CheckConstraint(_in("state", LEG_STATES), name="state"),
                      CheckConstraint(_in("mode", MODES), name="mode"),
                      CheckConstraint("carriage_mode IS NULL OR "
                                      + _in("carriage_mode", CARRIAGE_MODES),
                                      name="carriage_mode"),
                      CheckConstraint("from_node_id <> to_node_id", name="moves"),
                      Index("ix_shipment_leg_transport_doc", "transport_doc"),
                      Index("ix_shipment_leg_service_ref", "service_ref"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"))
    seq: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="planned")
    mode: Mapped[str] = mapped_column(String(5))
    carriage_mode: Mapped[str | None] = mapped_column(String(5))
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    carrier_name: Mapped[str | None] = mapped_column(String(120))
    # Train number, flight number, mail dispatch number.
    service_ref: Mapped[str | None] = mapped_column(String(40))
    # CIM/SMGS consignment note, master air waybill.
    transport_doc: Mapped[str | None] = mapped_column(String(40))
    # House air waybill.
    house_doc: Mapped[str | None] = mapped_column(String(40))
    from_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    to_node_id: Mapped[int] = mapped_column(ForeignKey("route_node.id"))
    lane_id: Mapped[int | None] = mapped_column(ForeignKey("route_lane.id"))
    distance_km: Mapped[float | None]
    planned_departure: Mapped[datetime | None] = mapped_column(UtcDateTime())
    planned_arrival: Mapped[datetime | None] = mapped_column(UtcDateTime())
    estimated_departure: Mapped[datetime | None] = mapped_column(UtcDateTime())
    estimated_arrival: Mapped[datetime | None] = mapped_column(UtcDateTime())
    actual_departure: Mapped[datetime | None] = mapped_column(UtcDateTime())
    actual_arrival: Mapped[datetime | None] = mapped_column(UtcDateTime())

    shipment: Mapped[Shipment] = relationship(back_populates="legs")
    from_node: Mapped[RouteNode] = relationship(foreign_keys=[from_node_id], lazy="joined")
    to_node: Mapped[RouteNode] = relationship(foreign_keys=[to_node_id], lazy="joined")
    lane: Mapped[RouteLane | None] = relationship()


class TransportUnit(Audited, Base):
    """Parcel, bag, pallet, container, ULD, wagon, train or flight; units nest."""

    __tablename__ = "transport_unit"
    __tracked__ = ("parent_id", "shipment_id", "identifier", "active")
    __table_args__ = (UniqueConstraint("kind", "identifier"),
                      CheckConstraint(_in("kind", UNIT_KINDS), name="kind"),
                      CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_self"),
                      CheckConstraint(f"status IS NULL OR {_in('status', STATUSES)}",
                                      name="status"),
                      Index("ix_transport_unit_identifier", "identifier"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    identifier: Mapped[str] = mapped_column(String(40))
    # s10, waybill, sscc, iso6346, uld, wagon, train, flight
    scheme: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("transport_unit.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"), index=True)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("package.id"), unique=True)
    status: Mapped[str | None] = mapped_column(String(20))
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    current_node_id: Mapped[int | None] = mapped_column(ForeignKey("route_node.id"))
    current_place: Mapped[str | None] = mapped_column(String(5))
    # Retired: out of service, kept for its history; nothing goes into it any more.
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[TransportUnit | None] = relationship(remote_side="TransportUnit.id")
    shipment: Mapped[Shipment | None] = relationship()
    current_node: Mapped[RouteNode | None] = relationship()


class TrackingEvent(Base):
    """One normalised event (EPCIS-style step and disposition, PLN/EST/ACT), with the
    source's own code and payload. Never updated."""

    __tablename__ = "tracking_event"
    __table_args__ = (UniqueConstraint("source", "source_event_id"),
                      CheckConstraint(_in("classifier", CLASSIFIERS), name="classifier"),
                      CheckConstraint(f"status IS NULL OR {_in('status', STATUSES)}",
                                      name="status"),
                      CheckConstraint("event_type IN ('object', 'aggregation')",
                                      name="event_type"),
                      Index("ix_tracking_event_shipment_time", "shipment_id", "event_time"),
                      Index("ix_tracking_event_unit_time", "unit_id", "event_time"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    source_event_id: Mapped[str] = mapped_column(String(80))
    source_code: Mapped[str | None] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(12), default="object")
    classifier: Mapped[str] = mapped_column(String(3), default="ACT")
    milestone: Mapped[str] = mapped_column(String(20))
    biz_step: Mapped[str | None] = mapped_column(String(30))
    disposition: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str | None] = mapped_column(String(20))
    flagged: Mapped[bool] = mapped_column(default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    event_time: Mapped[datetime] = mapped_column(UtcDateTime())
    # The offset the source gave, e.g. +08:00, so times show as the place saw them.
    time_zone: Mapped[str] = mapped_column(String(6))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    node_id: Mapped[int | None] = mapped_column(ForeignKey("route_node.id"))
    unlocode: Mapped[str | None] = mapped_column(String(5))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"))
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_leg.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("transport_unit.id"))
    parent_unit_id: Mapped[int | None] = mapped_column(ForeignKey("transport_unit.id"))
    raw: Mapped[str] = mapped_column(Text)

    node: Mapped[RouteNode | None] = relationship(lazy="joined")


class TrackingEventUnit(Base):
    """Every unit an event applied to: the scanned one and everything inside it then."""

    __tablename__ = "tracking_event_unit"

    event_id: Mapped[int] = mapped_column(ForeignKey("tracking_event.id", ondelete="CASCADE"),
                                          primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("transport_unit.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class LogisticsAlert(StateMachine, Audited, Base):
    """A leg estimated to arrive later than planned by more than the margin; one open alert
    per leg and kind."""

    __tablename__ = "logistics_alert"
    __states__ = ALERT_STATES
    # Resolved: the estimator found the leg no longer late, or the connection made.
    __transitions__ = {"open": ("acknowledged", "resolved")}
    __tracked__ = ("delay_minutes",)
    __table_args__ = (CheckConstraint(_in("state", ALERT_STATES), name="state"),
                      Index("uq_logistics_alert_open", "leg_id", "kind", unique=True,
                            sqlite_where=text("state = 'open'"),
                            postgresql_where=text("state = 'open'")),
                      Index("ix_logistics_alert_state", "state", "shipment_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="late")
    state: Mapped[str] = mapped_column(String(12), default="open")
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"))
    leg_id: Mapped[int] = mapped_column(ForeignKey("shipment_leg.id", ondelete="CASCADE"))
    planned_arrival: Mapped[datetime] = mapped_column(UtcDateTime())
    estimated_arrival: Mapped[datetime] = mapped_column(UtcDateTime())
    delay_minutes: Mapped[int]
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                      ondelete="SET NULL"))

    leg: Mapped[ShipmentLeg] = relationship()
    shipment: Mapped[Shipment] = relationship()


class WebhookSubscription(Audited, Base):
    """An external system that wants status changes of shipments (of one owner, or all)."""

    __tablename__ = "webhook_subscription"
    __tracked__ = ("url", "active", "owner_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    description: Mapped[str | None] = mapped_column(String(200))


class WebhookDelivery(Base):
    """One queued notification and its delivery attempts."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (CheckConstraint(_in("status", DELIVERY_STATES), name="status"),
                      CheckConstraint("attempts >= 0", name="attempts"),
                      Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
                      Index("ix_webhook_delivery_subscription", "subscription_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id",
                                                               ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    response_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    subscription: Mapped[WebhookSubscription] = relationship()
