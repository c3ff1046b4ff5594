"""Shipments, tracking events, the route network, handheld unit scans and webhooks over the
API.

Events come in batches from one source and are idempotent by source and source event id:
a batch sent twice is recorded once, the second answer counting every event a duplicate.
A batch is all or nothing; an error names the event and field (``events[3].time``) or, for
CSV, the line and column (``line 4: time``). A code nobody mapped is kept and flagged, not
refused. Scans take their scan id from the Idempotency-Key, so a replay changes nothing;
``/transport-units/{code}/load`` and ``/unload`` are the loading scanner's own door, with its
keys, error codes and answer.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from wms.core.db import utcnow
from wms.core.errors import N_, NotFound, ValidationError
from wms.core.parsing import ascii_id
from wms.logistics.events import IngestResult, ingest_csv, ingest_events as ingest
from wms.logistics.links import issue_tracking_link
from wms.logistics.loading import scan_unit as scan
from wms.logistics.models import RouteNode, Shipment, ShipmentLeg, WebhookSubscription
from wms.logistics.network import leg_path
from wms.logistics.queries import (BoardFilter, deliveries_query, event_units,
                                   has_open_alert, list_alerts, nodes_query, shipment_events,
                                   shipment_units, shipments_query, subscriptions_query)
from wms.logistics.shipments import LegInput, create_shipment as create, owner_by_code, \
    resolve_shipment
from wms.logistics.times import in_zone
from wms.logistics.webhooks import create_subscription, get_subscription
from wms.partners.models import Enterprise

from ..db import db
from ..idempotency import idempotency_key, write
from .core import operation, page_of
from .tracking_schemas import (CSV_BODY, DELIVERY, DISPATCH, EVENTS_BODY, INGEST, LINK,
                               LINK_IN, MAX_EVENTS, NODE, PAGING, SCAN, SCAN_IN, SHIPMENT,
                               SHIPMENT_DETAIL, SHIPMENT_IN, UNIT_LOAD_IN, UNIT_LOADING,
                               UNIT_UNLOAD_IN, WEBHOOK, WEBHOOK_IN)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ingest_json(result: IngestResult) -> dict:
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
        return 200, ingest_json(ingest(session, source.strip(), events))
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
        return 200, ingest_json(ingest_csv(session, source, text))
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
            "path": [n.code for n in leg_path(leg)], "distance_km": leg.distance_km,
            "departure": {"planned": _iso(leg.planned_departure),
                          "estimated": _iso(leg.estimated_departure),
                          "actual": _iso(leg.actual_departure)},
            "arrival": {"planned": _iso(leg.planned_arrival),
                        "estimated": _iso(leg.estimated_arrival),
                        "actual": _iso(leg.actual_arrival)},
            "delay_minutes": delay}


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
            "late": has_open_alert(session, s.id), "legs": [leg_json(leg) for leg in legs]}


def shipment_detail_json(session: Session, s: Shipment) -> dict:
    body = shipment_json(s, session)
    body["alerts"] = [{"id": a.id, "state": a.state, "leg_seq": a.leg.seq,
                       "planned_arrival": _iso(a.planned_arrival),
                       "estimated_arrival": _iso(a.estimated_arrival),
                       "delay_minutes": a.delay_minutes}
                      for a in list_alerts(session, state=None, shipment_id=s.id)]
    body["units"] = [{"id": u.id, "kind": u.kind, "identifier": u.identifier,
                      "scheme": u.scheme, "parent": u.parent.identifier if u.parent else None,
                      "status": u.status,
                      "place": u.current_node.code if u.current_node else u.current_place}
                     for u in shipment_units(session, s)]
    events = shipment_events(session, s)
    units = event_units(session, events)
    body["timeline"] = [{"id": e.id, "time": in_zone(e.event_time, e.time_zone),
                         "classifier": e.classifier, "milestone": e.milestone,
                         "status": e.status, "source": e.source, "source_code": e.source_code,
                         "flagged": e.flagged, "flag_reason": e.flag_reason,
                         "node": e.node.code if e.node else e.unlocode,
                         "unit": units[e.unit_id].identifier if e.unit_id in units else None}
                        for e in events]
    return body


@operation("/shipments", summary="List shipments", tag="tracking", response=SHIPMENT,
           many=True, query=(("state", "string", "draft, booked, in_transit, delivered, "
                                                  "cancelled"),
                             ("status", "string", "carrier-style status, e.g. on_hold"),
                             ("mode", "string", "only shipments with a leg of this mode"),
                             ("late", "boolean", "only shipments with an open late alert"),
                             *PAGING))
def list_shipments():
    """Newest first; owner tokens see their own shipments only."""
    f = BoardFilter(state=request.args.get("state") or None,
                    status=request.args.get("status") or None,
                    mode=request.args.get("mode") or None,
                    late=request.args.get("late") in ("1", "true", "yes"))
    return jsonify(page_of(shipments_query(f).options(selectinload(Shipment.legs)),
                           shipment_json))


@operation("/shipments/<ref>", summary="One shipment with legs, ETAs, alerts, units and "
           "timeline", tag="tracking", response=SHIPMENT_DETAIL)
def get_shipment(ref: str):
    return jsonify(shipment_detail_json(db(), resolve_shipment(db(), ref)))


@operation("/shipments", "POST", summary="Create a shipment with its legs", tag="tracking",
           body=SHIPMENT_IN, response=SHIPMENT_DETAIL, status=201, roles=DISPATCH)
def create_shipment(payload: dict):
    """Legs run in order, each starting where the previous ends; the lane is found by mode
    and nodes unless given. Booked at once unless ``book`` is false (then a draft without a
    name). Errors name the field: ``legs[1].from_node``, ``legs[0].transport_doc``."""
    def use_case(session: Session):
        legs = [LegInput(mode=leg["mode"], from_node=leg["from_node"], to_node=leg["to_node"],
                         carrier_name=leg.get("carrier_name"),
                         service_ref=leg.get("service_ref"),
                         transport_doc=leg.get("transport_doc"), house_doc=leg.get("house_doc"),
                         planned_departure=leg.get("planned_departure"),
                         planned_arrival=leg.get("planned_arrival"), lane=leg.get("lane"),
                         carriage_mode=leg.get("carriage_mode")) for leg in payload["legs"]]
        shipment = create(session, owner_id=owner_by_code(session, payload.get("owner")),
                          warehouse_code=payload.get("warehouse") or None,
                          reference=payload.get("reference"), note=payload.get("note"),
                          legs=legs, book=payload.get("book", True), leg_fields="always")
        return 201, shipment_detail_json(session, shipment)
    return write(payload, use_case)


@operation("/shipments/<ref>/tracking-link", "POST", summary="Make a tracking link for the "
           "customer", tag="tracking", body=LINK_IN, response=LINK, status=201,
           roles=(*DISPATCH, "owner_viewer"))
def tracking_link(ref: str, payload: dict):
    """A signed, expiring, read-only page showing the status and timeline only. Nothing is
    stored, so a link cannot be withdrawn before it expires: keep it short."""
    shipment = resolve_shipment(db(), ref)
    days = payload.get("expires_in_days", 7)
    if not 1 <= days <= 90:
        raise ValidationError(N_("Between %(low)s and %(high)s"), field="expires_in_days",
                              low=1, high=90)
    token, expires = issue_tracking_link(shipment, timedelta(days=days),
                                         current_app.config["SECRET_KEY"], utcnow())
    url = url_for("tracking.page", token=token, _external=True)
    return jsonify(url=url, token=token, expires_at=expires.isoformat()), 201


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
    return jsonify(page_of(nodes_query(request.args.get("kind") or None), node_json))


# ---------------------------------------------------------------- scans

@operation("/tracking/units/scan", "POST", summary="Scan a unit: load, unload or a "
           "milestone", tag="tracking", body=SCAN_IN, response=SCAN, status=201,
           roles=("operator", *DISPATCH))
def scan_unit(payload: dict):
    """The scan applies to the unit and everything inside it. The Idempotency-Key (header
    or ``idempotency_key``) is required and is the scan id: a replayed scan answers the same
    and records nothing more."""
    key = _scan_id(payload)
    action = payload["action"]

    def use_case(session: Session):
        result = scan(session, action, payload["unit"], into=payload.get("into"),
                      milestone=payload.get("milestone"), node=payload["node"], scan_id=key,
                      time=payload.get("time") or None)
        return 201, {"unit": result.unit.identifier, "kind": result.unit.kind,
                     "parent": result.into.identifier if result.into
                     else (result.unit.parent.identifier if result.unit.parent else None),
                     "inside": result.inside, "accepted": result.accepted,
                     "duplicates": result.duplicates}
    return write(payload, use_case)


def _scan_id(payload: dict) -> str:
    """The Idempotency-Key (header or ``idempotency_key``), required: it is the scan id."""
    key = idempotency_key(payload)
    if not key:
        raise ValidationError(N_("Send an Idempotency-Key: it is the scan's id"),
                              field="idempotency_key")
    if not isinstance(key, str) or not 8 <= len(key) <= 80:
        raise ValidationError(N_("An idempotency key is 8 to 80 characters"),
                              field="idempotency_key")
    return key


@operation("/transport-units/<code>/load", "POST", summary="Load a unit into another",
           tag="tracking", body=UNIT_LOAD_IN, response=UNIT_LOADING, status=201,
           roles=("operator", *DISPATCH))
def load_unit(code: str, payload: dict):
    """What the loading scanner does: the unit and everything in it go into ``into`` at
    ``node``. A warehouse package's SSCC becomes a unit on its first scan and joins the
    shipment of what it goes into. (What is loaded is named in the path: parcels, pallets,
    containers, ULDs and wagons have no slash in their numbers; the train or flight they go
    into is named in the body.) The Idempotency-Key is the scan id: a replay answers
    ``duplicates: 1`` and changes nothing. Errors name ``node``, ``unit`` or ``into``."""
    key = _scan_id(payload)

    def use_case(session: Session):
        return 201, scan(session, "load", code, into=payload["into"], node=payload["node"],
                         scan_id=key).as_answer(_)
    return write(payload, use_case)


@operation("/transport-units/<code>/unload", "POST", summary="Unload a unit from what it "
           "is in", tag="tracking", body=UNIT_UNLOAD_IN, response=UNIT_LOADING, status=201,
           roles=("operator", *DISPATCH))
def unload_unit(code: str, payload: dict):
    """What the loading scanner does in unload mode, with the same keys and errors."""
    key = _scan_id(payload)

    def use_case(session: Session):
        return 201, scan(session, "unload", code, node=payload["node"],
                         scan_id=key).as_answer(_)
    return write(payload, use_case)


# ---------------------------------------------------------------- webhooks

def webhook_json(w: WebhookSubscription, session: Session | None = None) -> dict:
    owner = (session or db()).get(Enterprise, w.owner_id) if w.owner_id else None
    return {"id": w.id, "url": w.url, "owner": owner.customs_code if owner else None,
            "description": w.description, "active": w.active}


def delivery_json(d) -> dict:
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
    return jsonify(page_of(subscriptions_query(), webhook_json))


@operation("/webhooks", "POST", summary="Subscribe to shipment status changes",
           tag="tracking", body=WEBHOOK_IN, response=WEBHOOK, status=201,
           roles=(*DISPATCH, "owner_viewer"))
def create_webhook(payload: dict):
    """Each status change is posted as JSON with the HMAC-SHA256 of the body (hex, key: the
    secret) in ``X-WMS-Signature``; failures are retried with exponential back-off and
    listed in the delivery log."""
    def use_case(session: Session):
        subscription = create_subscription(
            session, url=payload["url"], secret=payload["secret"],
            owner_id=owner_by_code(session, payload.get("owner")),
            active=payload.get("active", True), description=payload.get("description"),
            allow_private=current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))
        return 201, webhook_json(subscription, session)
    return write(payload, use_case)


@operation("/webhooks/<subscription_id>/deliveries", summary="A subscription's delivery log",
           tag="tracking", response=DELIVERY, many=True, roles=(*DISPATCH, "owner_viewer"),
           query=(("status", "string", "pending, delivered or failed"), *PAGING))
def list_deliveries(subscription_id: str):
    """Newest first."""
    if not ascii_id(subscription_id):
        raise NotFound(N_("Subscription %(id)s not found"), field="subscription",
                       id=subscription_id)
    subscription = get_subscription(db(), ascii_id(subscription_id))
    stmt = deliveries_query(subscription, request.args.get("status") or None)
    return jsonify(page_of(stmt, delivery_json))
