"""Shipments, tracking events, the route network, handheld unit scans and webhooks over the
API.

Events come in batches from one source and are idempotent by source and source event id:
a batch sent twice is recorded once, the second answer counting every event a duplicate.
A batch is all or nothing; an error names the event and field (``events[3].time``) or, for
CSV, the line and column (``line 4: time``). A code nobody mapped is kept and flagged, not
refused. Scans take their scan id from the Idempotency-Key, so a replay changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, jsonify, request
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from wms.core.errors import N_, NotFound, ValidationError
from wms.core.scoping import scope_to_owner
from wms.logistics import services as lg
from wms.logistics import webhooks as hooks
from wms.logistics.events import CSV_COLUMNS
from wms.logistics.models import (MODES, NODE_KINDS, SHIPMENT_STATES, STATUSES, UNIT_KINDS,
                                  LogisticsAlert, RouteNode, Shipment, ShipmentLeg,
                                  TransportUnit, WebhookSubscription)
from wms.partners.models import Enterprise

from ..db import db
from ..idempotency import idempotency_key, write
from .core import operation, page_of
from .schema import Field, Schema

PAGING = (("page", "integer", "page number, from 1"),
          ("per_page", "integer", "rows per page, at most 500"))
IDEMPOTENCY = Field("idempotency_key", "string", description="Same as the Idempotency-Key "
                    "header, for clients that cannot set headers", max_length=80)
DISPATCH = ("dispatcher", "supervisor")
REF_DOC = ("A shipment is named by its id, its name (in a URL write the slashes as hyphens: "
           "SHP-2026-00001) or your reference.")

EVENT_FIELDS = {
    "id": {"type": "string", "maxLength": 80,
           "description": "the source's own event id; with the source, the duplicate key"},
    "code": {"type": "string", "maxLength": 20,
             "description": "the feed's code: UPU EMSEVT (EMA, EMD...), rail (LOAD, DEPA, ARRI, "
                            "BORD, GAUG...), IATA FSU (RCS, DEP, ARR...) or a milestone name"},
    "time": {"type": "string", "description": "ISO 8601 with the zone the place reported"},
    "classifier": {"type": "string", "enum": ["PLN", "EST", "ACT"],
                   "description": "planned, estimated or actual (default)"},
    "node": {"type": "string", "description": "a route node code, e.g. DOSTYK"},
    "unlocode": {"type": "string", "maxLength": 5},
    "unit": {"type": "string", "description": "S10, SSCC, container, ULD, wagon, train..."},
    "unit_kind": {"type": "string", "enum": list(UNIT_KINDS)},
    "parent": {"type": "string", "description": "the unit it is loaded into or unloaded from"},
    "parent_kind": {"type": "string", "enum": list(UNIT_KINDS)},
    "shipment": {"type": "string", "description": "shipment name or reference"},
    "awb": {"type": "string", "description": "IATA air waybill, check digit verified"},
    "disposition": {"type": "string"},
}
EVENTS_BODY = {
    "type": "object", "required": ["source", "events"],
    "properties": {
        "source": {"type": "string", "maxLength": 40,
                   "description": "<scheme>:<feed>, the scheme one of upu, rail, iata, wms; "
                                  "e.g. rail:crct, upu:chinapost, iata:CK"},
        "events": {"type": "array", "maxItems": 5000, "items": {
            "type": "object", "required": ["id", "code", "time"], "properties": EVENT_FIELDS,
            "additionalProperties": True,
            "description": "Other fields of the feed are kept with the event as they came."}},
        "idempotency_key": {"type": "string", "maxLength": 80},
    },
    "additionalProperties": False,
}
CSV_BODY = {"type": "string", "description": "CSV text with the header row naming columns of: "
            + ", ".join(CSV_COLUMNS) + " (send it with Content-Type text/csv; shown here as a "
            "string)"}
MAX_EVENTS = 5000

INGEST = Schema("IngestResult", (
    Field("received", "integer", True),
    Field("accepted", "integer", True, "recorded now"),
    Field("duplicates", "integer", True, "already recorded (same source and id), or repeated "
          "in the batch; not errors"),
    Field("flagged", "integer", True, "recorded with a code nobody mapped; they do not move "
          "the status"),
    Field("event_ids", "array", True, items="integer"),
    Field("duplicate_ids", "array", True, items="string"),
    Field("alerts", "array", True, "late-leg alerts raised by these events", items="integer"),
), "What a batch of events did.")

TIMES = Schema("LegTimes", (
    Field("planned", "string", True, nullable=True),
    Field("estimated", "string", True, nullable=True),
    Field("actual", "string", True, nullable=True),
), "Planned, estimated and actual time, ISO 8601.")
LEG = Schema("ShipmentLeg", (
    Field("seq", "integer", True),
    Field("state", "string", True, enum=("planned", "in_transit", "arrived", "cancelled")),
    Field("mode", "string", True, enum=MODES),
    Field("carriage_mode", "string", True, nullable=True),
    Field("carrier", "string", True, nullable=True),
    Field("service_ref", "string", True, "train, flight or mail dispatch number",
          nullable=True),
    Field("transport_doc", "string", True, "consignment note or master air waybill",
          nullable=True),
    Field("house_doc", "string", True, nullable=True),
    Field("from_node", "string", True),
    Field("to_node", "string", True),
    Field("lane", "string", True, nullable=True),
    Field("path", "array", True, "the node codes the leg passes", items="string"),
    Field("distance_km", "number", True, nullable=True),
    Field("departure", "object", True, "LegTimes"),
    Field("arrival", "object", True, "LegTimes"),
    Field("delay_minutes", "integer", True, "estimated (or actual) arrival minus planned",
          nullable=True),
), "One leg of a shipment.")
ALERT = Schema("LogisticsAlert", (
    Field("id", "integer", True),
    Field("state", "string", True, enum=("open", "acknowledged")),
    Field("leg_seq", "integer", True),
    Field("planned_arrival", "string", True),
    Field("estimated_arrival", "string", True),
    Field("delay_minutes", "integer", True),
), "A leg estimated to arrive later than planned by more than the margin.")
UNIT = Schema("TransportUnit", (
    Field("id", "integer", True),
    Field("kind", "string", True, enum=UNIT_KINDS),
    Field("identifier", "string", True),
    Field("scheme", "string", True),
    Field("parent", "string", True, "identifier of the unit it is in", nullable=True),
    Field("status", "string", True, nullable=True),
    Field("place", "string", True, "node code", nullable=True),
), "A parcel, bag, pallet, container, ULD, wagon, train or flight.")
TIMELINE_ITEM = Schema("TimelineEvent", (
    Field("id", "integer", True),
    Field("time", "string", True, "in the zone the source reported"),
    Field("classifier", "string", True, enum=("PLN", "EST", "ACT")),
    Field("milestone", "string", True),
    Field("status", "string", True, nullable=True),
    Field("source", "string", True),
    Field("source_code", "string", True, nullable=True),
    Field("flagged", "boolean", True),
    Field("flag_reason", "string", True, nullable=True),
    Field("node", "string", True, nullable=True),
    Field("unit", "string", True, nullable=True),
), "One tracking event, normalised, with the source's own code.")
SHIPMENT_FIELDS = (
    Field("id", "integer", True),
    Field("name", "string", True, "e.g. SHP/2026/00001"),
    Field("reference", "string", True, nullable=True),
    Field("state", "string", True, enum=SHIPMENT_STATES),
    Field("status", "string", True, enum=STATUSES),
    Field("status_at", "string", True, nullable=True),
    Field("owner", "string", True, "owner's customs code", nullable=True),
    Field("origin", "string", True, nullable=True),
    Field("destination", "string", True, nullable=True),
    Field("place", "string", True, "where it was last reported: node code or UN/LOCODE",
          nullable=True),
    Field("estimated_arrival", "string", True, nullable=True),
    Field("late", "boolean", True, "has an open late alert"),
    Field("legs", "array", True, items=LEG),
)
SHIPMENT = Schema("Shipment", SHIPMENT_FIELDS, "A shipment and its legs.")
SHIPMENT_DETAIL = Schema("ShipmentDetail", (
    *SHIPMENT_FIELDS,
    Field("alerts", "array", True, items=ALERT),
    Field("units", "array", True, items=UNIT),
    Field("timeline", "array", True, items=TIMELINE_ITEM),
), "A shipment with its alerts, units and timeline.")

LEG_IN = Schema("ShipmentLegInput", (
    Field("mode", "string", True, enum=MODES),
    Field("from_node", "string", True, max_length=20),
    Field("to_node", "string", True, max_length=20),
    Field("carrier_name", "string", max_length=120, nullable=True),
    Field("service_ref", "string", max_length=40, nullable=True),
    Field("transport_doc", "string", description="air: the master air waybill, check digit "
          "verified", max_length=40, nullable=True),
    Field("house_doc", "string", max_length=40, nullable=True),
    Field("planned_departure", "string", description="ISO 8601 with a zone", max_length=40,
          nullable=True),
    Field("planned_arrival", "string", description="ISO 8601 with a zone", max_length=40,
          nullable=True),
    Field("lane", "string", description="lane code; found by mode and nodes if left out",
          max_length=30, nullable=True),
    Field("carriage_mode", "string", description="post only: what carries it",
          max_length=5, nullable=True),
), "One leg as planned.")
SHIPMENT_IN = Schema("ShipmentInput", (
    Field("owner", "string", description="owner's customs code; an owner token must name "
          "its own", max_length=10, nullable=True),
    Field("warehouse", "string", description="warehouse code", max_length=10, nullable=True),
    Field("reference", "string", max_length=60, nullable=True),
    Field("note", "string", max_length=2000, nullable=True),
    Field("book", "boolean", description="book at once (name, estimates); default true"),
    Field("legs", "array", True, items=LEG_IN),
    IDEMPOTENCY,
), "A shipment with its legs in order.")

LINK_IN = Schema("TrackingLinkInput", (
    Field("expires_in_days", "integer", description="1 to 90, default 7"),
), "How long the link works.")
LINK = Schema("TrackingLink", (
    Field("url", "string", True),
    Field("token", "string", True),
    Field("expires_at", "string", True),
), "A signed, expiring, read-only tracking page for the customer.")

NODE = Schema("RouteNode", (
    Field("code", "string", True),
    Field("name", "string", True),
    Field("name_zh", "string", True, nullable=True),
    Field("kind", "string", True, enum=NODE_KINDS),
    Field("country", "string", True),
    Field("unlocode", "string", True, nullable=True),
    Field("iata", "string", True, nullable=True),
    Field("latitude", "number", True),
    Field("longitude", "number", True),
    Field("border", "boolean", True),
    Field("gauge_change", "boolean", True),
    Field("dwell_hours", "number", True),
), "A place on the route network.")

SCAN_IN = Schema("UnitScanInput", (
    Field("action", "string", True, enum=("load", "unload", "event")),
    Field("unit", "string", True, "the scanned unit (an SSCC of a warehouse package becomes "
          "a unit on its first scan)", max_length=40),
    Field("into", "string", description="load: the unit it goes into", max_length=40,
          nullable=True),
    Field("milestone", "string", description="event: departed, arrived, border_crossed...",
          max_length=20, nullable=True),
    Field("node", "string", True, "route node code where the scan happens", max_length=20),
    Field("time", "string", description="ISO 8601 with a zone; now if left out",
          max_length=40, nullable=True),
    IDEMPOTENCY,
), "A handheld scan; the Idempotency-Key is its scan id.")
SCAN = Schema("UnitScanResult", (
    Field("unit", "string", True),
    Field("kind", "string", True),
    Field("parent", "string", True, nullable=True),
    Field("inside", "integer", True, "units inside it that the scan also applied to"),
    Field("accepted", "integer", True),
    Field("duplicates", "integer", True),
), "What the scan did.")

WEBHOOK_IN = Schema("WebhookSubscriptionInput", (
    Field("url", "string", True, "http or https", max_length=500),
    Field("secret", "string", True, "at least 16 characters; signs each body (HMAC-SHA256, "
          "hex, in X-WMS-Signature)", max_length=200),
    Field("owner", "string", description="only this owner's shipments (customs code); all "
          "if left out (staff only)", max_length=10, nullable=True),
    Field("description", "string", max_length=200, nullable=True),
    Field("active", "boolean"),
), "Subscribe to shipment status changes.")
WEBHOOK = Schema("WebhookSubscription", (
    Field("id", "integer", True),
    Field("url", "string", True),
    Field("owner", "string", True, nullable=True),
    Field("description", "string", True, nullable=True),
    Field("active", "boolean", True),
), "A subscription (the secret is never shown again).")
DELIVERY = Schema("WebhookDelivery", (
    Field("id", "integer", True),
    Field("subscription_id", "integer", True),
    Field("shipment_id", "integer", True, nullable=True),
    Field("event", "string", True),
    Field("status", "string", True, enum=("pending", "delivered", "failed")),
    Field("attempts", "integer", True),
    Field("next_attempt_at", "string", True),
    Field("last_attempt_at", "string", True, nullable=True),
    Field("response_code", "integer", True, nullable=True),
    Field("error", "string", True, nullable=True),
    Field("delivered_at", "string", True, nullable=True),
    Field("payload", "object", True, "the JSON body posted"),
), "One notification and its attempts.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ingest_json(result: lg.IngestResult) -> dict:
    return {"received": result.received, "accepted": result.accepted,
            "duplicates": result.duplicates, "flagged": result.flagged,
            "event_ids": result.event_ids, "duplicate_ids": result.duplicate_ids,
            "alerts": result.alerts}


# ---------------------------------------------------------------- events

@operation("/tracking/events", "POST", summary="Record a batch of tracking events",
           tag="tracking", body_spec=EVENTS_BODY, response=INGEST, roles=DISPATCH)
def ingest_events():
    """All or nothing: an invalid event answers 422 naming it (``events[3].time``,
    ``events[0].node``) and nothing is written. An event whose (source, id) is already
    stored, or repeated in the batch, is counted in ``duplicates``: sending a batch again
    is safe. An unknown code is recorded, kept raw and counted in ``flagged``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(N_("Send a JSON body with Content-Type application/json"))
    unknown = [k for k in data if k not in ("source", "events", "idempotency_key")]
    if unknown:
        raise ValidationError(N_("Unknown field"), field=unknown[0])
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValidationError(N_("This field is required"), field="source")
    events = data.get("events")
    if not isinstance(events, list):
        raise ValidationError(N_("Expected %(type)s"), field="events", type="array")
    if len(events) > MAX_EVENTS:
        raise ValidationError(N_("At most %(n)s events in one batch"), field="events",
                              n=MAX_EVENTS)
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise ValidationError(N_("Expected a JSON object"), field=f"events[{i}]")

    def use_case(session: Session):
        return 200, ingest_json(lg.ingest_events(session, source.strip(), events))
    return write(data, use_case)


@operation("/tracking/events/csv", "POST", summary="Record tracking events from CSV",
           tag="tracking", body_spec=CSV_BODY, response=INGEST, roles=DISPATCH,
           query=(("source", "string", "required: whose codes, e.g. rail:crct"),))
def ingest_events_csv():
    """The same rules as the JSON batch; errors name the line and column (``line 4:
    time``)."""
    source = (request.args.get("source") or "").strip()
    if not source:
        raise ValidationError(N_("This field is required"), field="source")
    raw = request.get_data()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationError(N_("The file is not UTF-8 or GB18030 text"),
                                  field="line 1") from None
    if not text.strip():
        raise ValidationError(N_("The file is empty"), field="line 1")

    def use_case(session: Session):
        return 200, ingest_json(lg.ingest_csv(session, source, text))
    return write(text, use_case)


# ---------------------------------------------------------------- shipments

def leg_json(leg: ShipmentLeg) -> dict:
    delay = None
    done = leg.actual_arrival or leg.estimated_arrival
    if leg.planned_arrival and done:
        delay = int((done - leg.planned_arrival).total_seconds() // 60)
    return {"seq": leg.seq, "state": leg.state, "mode": leg.mode,
            "carriage_mode": leg.carriage_mode, "carrier": leg.carrier_name,
            "service_ref": leg.service_ref, "transport_doc": leg.transport_doc,
            "house_doc": leg.house_doc, "from_node": leg.from_node.code,
            "to_node": leg.to_node.code, "lane": leg.lane.code if leg.lane else None,
            "path": [n.code for n in lg.leg_path(leg)], "distance_km": leg.distance_km,
            "departure": {"planned": _iso(leg.planned_departure),
                          "estimated": _iso(leg.estimated_departure),
                          "actual": _iso(leg.actual_departure)},
            "arrival": {"planned": _iso(leg.planned_arrival),
                        "estimated": _iso(leg.estimated_arrival),
                        "actual": _iso(leg.actual_arrival)},
            "delay_minutes": delay}


def _late(session: Session, shipment: Shipment) -> bool:
    return bool(session.scalar(select(exists().where(
        LogisticsAlert.shipment_id == shipment.id, LogisticsAlert.state == "open"))))


def shipment_json(s: Shipment, session: Session | None = None) -> dict:
    """(Inside a write, pass the write's session: the request's own must not open a
    savepoint inside the write's on the shared test connection.)"""
    session = session or db()
    owner = session.get(Enterprise, s.owner_id) if s.owner_id else None
    legs = list(s.legs)
    last = legs[-1] if legs else None
    return {"id": s.id, "name": s.name, "reference": s.reference, "state": s.state,
            "status": s.status, "status_at": _iso(s.status_at),
            "owner": owner.customs_code if owner else None,
            "origin": s.origin.code if s.origin else None,
            "destination": s.destination.code if s.destination else None,
            "place": s.current_node.code if s.current_node else s.current_place,
            "estimated_arrival": _iso((last.actual_arrival or last.estimated_arrival)
                                      if last else None),
            "late": _late(session, s), "legs": [leg_json(leg) for leg in legs]}


def shipment_detail_json(session: Session, s: Shipment) -> dict:
    body = shipment_json(s, session)
    body["alerts"] = [{"id": a.id, "state": a.state, "leg_seq": a.leg.seq,
                       "planned_arrival": _iso(a.planned_arrival),
                       "estimated_arrival": _iso(a.estimated_arrival),
                       "delay_minutes": a.delay_minutes}
                      for a in lg.list_alerts(session, state=None, shipment_id=s.id)]
    units = session.scalars(select(TransportUnit).where(TransportUnit.shipment_id == s.id)
                            .order_by(TransportUnit.id)).all()
    body["units"] = [{"id": u.id, "kind": u.kind, "identifier": u.identifier,
                      "scheme": u.scheme, "parent": u.parent.identifier if u.parent else None,
                      "status": u.status,
                      "place": u.current_node.code if u.current_node else u.current_place}
                     for u in units]
    from ..dispatch import zone_of
    events = lg.shipment_events(session, s)
    idents = {u.id: u.identifier for u in session.scalars(select(TransportUnit).where(
        TransportUnit.id.in_({e.unit_id for e in events if e.unit_id} or {0})))}
    body["timeline"] = [{"id": e.id,
                         "time": e.event_time.astimezone(zone_of(e.time_zone)).isoformat()
                         if zone_of(e.time_zone) else _iso(e.event_time),
                         "classifier": e.classifier, "milestone": e.milestone,
                         "status": e.status, "source": e.source, "source_code": e.source_code,
                         "flagged": e.flagged, "flag_reason": e.flag_reason,
                         "node": e.node.code if e.node else e.unlocode,
                         "unit": idents.get(e.unit_id)} for e in events]
    return body


def resolve(session: Session, ref: str) -> Shipment:
    """A shipment by id, name (slashes or hyphens) or reference; owner-scoped."""
    ref = (ref or "").strip()
    if ref.isdigit():
        return lg.get_shipment(session, int(ref))
    try:
        return lg.find_shipment(session, ref)
    except NotFound:
        if "-" in ref and "/" not in ref:
            return lg.find_shipment(session, ref.replace("-", "/"))
        raise


@operation("/shipments", summary="List shipments", tag="tracking", response=SHIPMENT,
           many=True, query=(("state", "string", "draft, booked, in_transit, delivered, "
                                                  "cancelled"),
                             ("status", "string", "carrier-style status, e.g. on_hold"),
                             ("mode", "string", "only shipments with a leg of this mode"),
                             ("late", "boolean", "only shipments with an open late alert"),
                             *PAGING))
def list_shipments():
    """Newest first; owner tokens see their own shipments only."""
    stmt = scope_to_owner(select(Shipment), Shipment.owner_id)
    for name, allowed, column in (("state", SHIPMENT_STATES, Shipment.state),
                                  ("status", STATUSES, Shipment.status)):
        value = request.args.get(name) or None
        if value:
            if value not in allowed:
                raise ValidationError(N_("Must be one of: %(values)s"), field=name,
                                      values=", ".join(allowed))
            stmt = stmt.where(column == value)
    mode = request.args.get("mode") or None
    if mode:
        if mode not in MODES:
            raise ValidationError(N_("Must be one of: %(values)s"), field="mode",
                                  values=", ".join(MODES))
        stmt = stmt.where(exists().where(ShipmentLeg.shipment_id == Shipment.id,
                                         ShipmentLeg.mode == mode))
    if request.args.get("late") in ("1", "true", "yes"):
        stmt = stmt.where(exists().where(LogisticsAlert.shipment_id == Shipment.id,
                                         LogisticsAlert.state == "open"))
    return jsonify(page_of(stmt.order_by(Shipment.id.desc()), shipment_json))


@operation("/shipments/<ref>", summary="One shipment with legs, ETAs, alerts, units and "
           "timeline", tag="tracking", response=SHIPMENT_DETAIL)
def get_shipment(ref: str):
    return jsonify(shipment_detail_json(db(), resolve(db(), ref)))


def _owner_id(session: Session, code: str | None, field: str = "owner") -> int | None:
    if not code:
        return None
    owner = session.scalar(select(Enterprise).where(Enterprise.customs_code == code.strip()))
    if owner is None:
        raise NotFound(N_("Enterprise %(id)s not found"), field=field, id=code)
    return owner.id


@operation("/shipments", "POST", summary="Create a shipment with its legs", tag="tracking",
           body=SHIPMENT_IN, response=SHIPMENT_DETAIL, status=201, roles=DISPATCH)
def create_shipment(payload: dict):
    """Legs run in order, each starting where the previous ends; the lane is found by mode
    and nodes unless given. Booked at once unless ``book`` is false (then a draft without a
    name). Errors name the field: ``legs[1].from_node``, ``legs[0].transport_doc``."""
    def use_case(session: Session):
        shipment = lg.create_shipment(
            session, owner_id=_owner_id(session, payload.get("owner")),
            warehouse_code=payload.get("warehouse") or None,
            reference=payload.get("reference"), note=payload.get("note"))
        for i, leg in enumerate(payload["legs"]):
            lg.add_leg(session, shipment, lg.LegInput(
                mode=leg["mode"], from_node=leg["from_node"], to_node=leg["to_node"],
                carrier_name=leg.get("carrier_name"), service_ref=leg.get("service_ref"),
                transport_doc=leg.get("transport_doc"), house_doc=leg.get("house_doc"),
                planned_departure=leg.get("planned_departure"),
                planned_arrival=leg.get("planned_arrival"), lane=leg.get("lane"),
                carriage_mode=leg.get("carriage_mode")), field_prefix=f"legs[{i}].")
        if payload.get("book", True):
            lg.book_shipment(session, shipment)
        return 201, shipment_detail_json(session, shipment)
    return write(payload, use_case)


@operation("/shipments/<ref>/tracking-link", "POST", summary="Make a tracking link for the "
           "customer", tag="tracking", body=LINK_IN, response=LINK, status=201,
           roles=(*DISPATCH, "owner_viewer"))
def tracking_link(ref: str, payload: dict):
    """A signed, expiring, read-only page showing the status and timeline only. Nothing is
    stored, so a link cannot be withdrawn before it expires: keep it short."""
    from ..tracking import tracking_url
    shipment = resolve(db(), ref)
    if shipment.state == "draft":
        raise ValidationError(N_("A draft shipment has no tracking page yet: book it first."),
                              field="shipment")
    days = payload.get("expires_in_days", 7)
    if not 1 <= days <= 90:
        raise ValidationError(N_("Between %(low)s and %(high)s"), field="expires_in_days",
                              low=1, high=90)
    url, expires = tracking_url(shipment.id, timedelta(days=days))
    return jsonify(url=url, token=url.rsplit("/", 1)[1], expires_at=expires.isoformat()), 201


# ---------------------------------------------------------------- network

def node_json(n: RouteNode) -> dict:
    return {"code": n.code, "name": n.name, "name_zh": n.name_zh, "kind": n.kind,
            "country": n.country, "unlocode": n.unlocode, "iata": n.iata,
            "latitude": n.latitude, "longitude": n.longitude, "border": n.border,
            "gauge_change": n.gauge_change, "dwell_hours": n.dwell_hours}


@operation("/tracking/nodes", summary="The route network's nodes", tag="tracking",
           response=NODE, many=True, query=(("kind", "string", "only nodes of this kind"),
                                            *PAGING))
def list_nodes():
    """Active nodes by code: the codes events and legs name."""
    kind = request.args.get("kind") or None
    if kind and kind not in NODE_KINDS:
        raise ValidationError(N_("Must be one of: %(values)s"), field="kind",
                              values=", ".join(NODE_KINDS))
    stmt = select(RouteNode).where(RouteNode.active.is_(True)).order_by(RouteNode.code)
    if kind:
        stmt = stmt.where(RouteNode.kind == kind)
    return jsonify(page_of(stmt, node_json))


# ---------------------------------------------------------------- scans

@operation("/tracking/units/scan", "POST", summary="Scan a unit: load, unload or a "
           "milestone", tag="tracking", body=SCAN_IN, response=SCAN, status=201,
           roles=("operator", *DISPATCH))
def scan_unit(payload: dict):
    """The scan applies to the unit and everything inside it. The Idempotency-Key (header
    or ``idempotency_key``) is required and is the scan id: a replayed scan answers the same
    and records nothing more."""
    key = idempotency_key(payload)
    if not key:
        raise ValidationError(N_("Send an Idempotency-Key: it is the scan's id"),
                              field="idempotency_key")
    if not 8 <= len(key) <= 80:
        raise ValidationError(N_("An idempotency key is 8 to 80 characters"),
                              field="idempotency_key")
    action = payload["action"]

    def use_case(session: Session):
        if action in ("load", "unload"):
            from ..dispatch import do_scan
            _status, body = do_scan(session, {"mode": action, "unit": payload["unit"],
                                              "into": payload.get("into"),
                                              "node": payload["node"]}, key)
            return 201, {"unit": body["unit"], "kind": body["kind"], "parent": body["into"],
                         "inside": body["inside"], "accepted": body["accepted"],
                         "duplicates": body["duplicates"]}
        milestone = (payload.get("milestone") or "").strip()
        if not milestone:
            raise ValidationError(N_("This field is required"), field="milestone")
        unit = lg.find_unit(session, payload["unit"], field="unit")
        result = lg.scan_event(session, unit.identifier, milestone, node=payload["node"],
                               scan_id=key, time=payload.get("time") or None)
        return 201, {"unit": unit.identifier, "kind": unit.kind,
                     "parent": unit.parent.identifier if unit.parent else None,
                     "inside": len(lg.unit_contents(session, unit)),
                     "accepted": result.accepted, "duplicates": result.duplicates}
    return write(payload, use_case)


# ---------------------------------------------------------------- webhooks

def webhook_json(w: WebhookSubscription, session: Session | None = None) -> dict:
    owner = (session or db()).get(Enterprise, w.owner_id) if w.owner_id else None
    return {"id": w.id, "url": w.url, "owner": owner.customs_code if owner else None,
            "description": w.description, "active": w.active}


def delivery_json(d) -> dict:
    import json
    return {"id": d.id, "subscription_id": d.subscription_id, "shipment_id": d.shipment_id,
            "event": d.event, "status": d.status, "attempts": d.attempts,
            "next_attempt_at": _iso(d.next_attempt_at),
            "last_attempt_at": _iso(d.last_attempt_at), "response_code": d.response_code,
            "error": d.error, "delivered_at": _iso(d.delivered_at),
            "payload": json.loads(d.payload)}


@operation("/webhooks", summary="List webhook subscriptions", tag="tracking",
           response=WEBHOOK, many=True, roles=(*DISPATCH, "owner_viewer"), query=PAGING)
def list_webhooks():
    """Owner tokens see the subscriptions to their own shipments."""
    from wms.core.context import current_actor
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if current_actor().owner_ids is not None:
        stmt = scope_to_owner(stmt.where(WebhookSubscription.owner_id.is_not(None)),
                              WebhookSubscription.owner_id)
    return jsonify(page_of(stmt, webhook_json))


@operation("/webhooks", "POST", summary="Subscribe to shipment status changes",
           tag="tracking", body=WEBHOOK_IN, response=WEBHOOK, status=201,
           roles=(*DISPATCH, "owner_viewer"))
def create_webhook(payload: dict):
    """Each status change is posted as JSON with the HMAC-SHA256 of the body (hex, key: the
    secret) in ``X-WMS-Signature``; failures are retried with exponential back-off and
    listed in the delivery log."""
    def use_case(session: Session):
        subscription = hooks.create_subscription(
            session, url=payload["url"], secret=payload["secret"],
            owner_id=_owner_id(session, payload.get("owner")),
            active=payload.get("active", True), description=payload.get("description"),
            allow_private=current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))
        return 201, webhook_json(subscription, session)
    return write(payload, use_case)


@operation("/webhooks/<subscription_id>/deliveries", summary="A subscription's delivery log",
           tag="tracking", response=DELIVERY, many=True, roles=(*DISPATCH, "owner_viewer"),
           query=(("status", "string", "pending, delivered or failed"), *PAGING))
def list_deliveries(subscription_id: str):
    """Newest first."""
    from wms.logistics.models import WebhookDelivery
    if not subscription_id.isdigit():
        raise NotFound(N_("Subscription %(id)s not found"), field="subscription",
                       id=subscription_id)
    subscription = hooks.get_subscription(db(), int(subscription_id))
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    status = request.args.get("status") or None
    if status:
        if status not in ("pending", "delivered", "failed"):
            raise ValidationError(N_("Must be one of: %(values)s"), field="status",
                                  values="pending, delivered, failed")
        stmt = stmt.where(WebhookDelivery.status == status)
    return jsonify(page_of(stmt.order_by(WebhookDelivery.id.desc()), delivery_json))
