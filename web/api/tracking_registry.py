"""The objects a dispatcher keeps over the API: transport units registered, corrected and
retired; route nodes and lanes made, edited and retired; a shipment's reference, note and
planned legs edited, a leg appended, a draft booked or a shipment cancelled. Each route
calls the same door as the desk's form, so both refuse the same things naming the same
fields."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.errors import N_, NotFound, ValidationError
from wms.core.parsing import parse_id
from wms.logistics.lanes import (LaneFields, create_lane, retire_lanes, retire_nodes,
                                 update_lane)
from wms.logistics.models import RouteLane, RouteNode, TransportUnit
from wms.logistics.network import NodeFields, create_node, get_node, update_node
from wms.logistics.registry import (REGISTERED_KINDS, UnitInput, get_unit, list_units,
                                    register_units, retire_units, update_unit)
from wms.logistics.shipment_edits import LegEdit, append_leg, update_leg, update_shipment
from wms.logistics.shipments import LegInput, book_shipment, cancel_shipment, resolve_shipment
from wms.logistics.transfers import plan_transfer

from ..db import db
from ..idempotency import write
from .core import operation, page_of
from .tracking import node_json, shipment_detail_json
from .tracking_schemas import (DISPATCH, LANE, LANE_EDIT, LANE_IN, LEG_EDIT, LEG_IN, NODE,
                               NODE_EDIT, NODE_IN, PAGING, RETIRED, SHIPMENT_DETAIL,
                               SHIPMENT_EDIT, TRANSFER_IN, UNIT_EDIT, UNIT_ROW, UNITS, UNITS_IN)


def unit_json(u: TransportUnit) -> dict:
    return {"id": u.id, "kind": u.kind, "identifier": u.identifier, "scheme": u.scheme,
            "parent": u.parent.identifier if u.parent else None, "status": u.status,
            "place": u.current_node.code if u.current_node else u.current_place,
            "shipment": (u.shipment.name or str(u.shipment.id)) if u.shipment else None,
            "active": u.active}


def lane_json(lane: RouteLane) -> dict:
    return {"code": lane.code, "name": lane.name, "mode": lane.mode,
            "carriage_mode": lane.carriage_mode, "active": lane.active,
            "stops": [s.node.code for s in lane.stops]}


# ---------------------------------------------------------------- units

@operation("/transport-units", summary="Registered transport units", tag="tracking",
           response=UNIT_ROW, many=True,
           query=(("kind", "string", "one of " + ", ".join(REGISTERED_KINDS)),
                  ("q", "string", "part of the number"),
                  ("retired", "boolean", "include retired units"), *PAGING))
def list_transport_units():
    """Newest first; owner tokens see the units of their own shipments."""
    kind = request.args.get("kind") or None
    if kind is not None and kind not in REGISTERED_KINDS:
        raise ValidationError(N_("Must be one of: %(values)s"), field="kind",
                              values=", ".join(REGISTERED_KINDS))
    stmt = list_units(db(), kind=kind, q=(request.args.get("q") or "")[:40] or None,
                      retired=request.args.get("retired") in ("1", "true", "yes"))
    return jsonify(page_of(stmt, unit_json))


@operation("/transport-units", "POST", summary="Register transport units", tag="tracking",
           body=UNITS_IN, response=UNITS, status=201, roles=DISPATCH)
def register_transport_units(payload: dict):
    """All or nothing; a number already registered for its kind is a 409 naming
    ``units[i].identifier``. Each number is checked as its kind is printed."""
    def use_case(session: Session):
        units = register_units(session, [UnitInput(u["kind"], u["identifier"], u.get("shipment"))
                                         for u in payload["units"]], many=True)
        return 201, {"units": [unit_json(u) for u in units]}
    return write(payload, use_case)


@operation("/transport-units/<unit_id>", "PATCH", summary="Correct a transport unit",
           tag="tracking", body=UNIT_EDIT, response=UNIT_ROW, roles=DISPATCH)
def edit_transport_unit(unit_id: str, payload: dict):
    """The number can be corrected until an event names the unit (409 after)."""
    number = parse_id(unit_id, "unit")

    def use_case(session: Session):
        return 200, unit_json(update_unit(session, number, identifier=payload.get("identifier"),
                                          shipment=payload.get("shipment")))
    return write(payload, use_case)


@operation("/transport-units/<unit_id>/retire", "POST", summary="Retire a transport unit",
           tag="tracking", response=RETIRED, roles=DISPATCH)
def retire_transport_unit(unit_id: str):
    """An empty unit that is in no other; nothing is loaded into it afterwards (409)."""
    number = parse_id(unit_id, "unit")
    get_unit(db(), number)
    return write({}, lambda session: (200, {"retired": retire_units(session, [number])}))


# ---------------------------------------------------------------- nodes

def _node_fields(payload: dict) -> NodeFields:
    return NodeFields(name=payload["name"], kind=payload["kind"], country=payload["country"],
                      latitude=payload["latitude"], longitude=payload["longitude"],
                      unlocode=payload.get("unlocode"), iata=payload.get("iata"),
                      border=bool(payload.get("border")),
                      gauge_change=bool(payload.get("gauge_change")),
                      dwell_hours=payload.get("dwell_hours", 0), name_zh=payload.get("name_zh"))


@operation("/tracking/nodes", "POST", summary="Add a route node", tag="tracking", body=NODE_IN,
           response=NODE, status=201, roles=DISPATCH)
def create_route_node(payload: dict):
    def use_case(session: Session):
        return 201, node_json(create_node(session, code=payload["code"],
                                          **vars(_node_fields(payload))))
    return write(payload, use_case)


@operation("/tracking/nodes/<code>", "PATCH", summary="Edit a route node", tag="tracking",
           body=NODE_EDIT, response=NODE, roles=DISPATCH)
def edit_route_node(code: str, payload: dict):
    """Everything but the code, which feeds and legs name."""
    def use_case(session: Session):
        node = get_node(session, code, "code")
        return 200, node_json(update_node(session, node.id, _node_fields(payload)))
    return write(payload, use_case)


@operation("/tracking/nodes/<code>/retire", "POST", summary="Retire a route node",
           tag="tracking", response=RETIRED, roles=DISPATCH)
def retire_route_node(code: str):
    """Refused (409) while an active lane stops there."""
    def use_case(session: Session):
        return 200, {"retired": retire_nodes(session, [get_node(session, code, "code").id])}
    return write({}, use_case)


# ---------------------------------------------------------------- lanes

def _lane(session: Session, code: str) -> RouteLane:
    lane = session.scalar(select(RouteLane).where(RouteLane.code == code.strip().upper()))
    if lane is None:
        raise NotFound(N_("No lane %(code)s"), field="code", code=code)
    return lane


def _lane_fields(payload: dict) -> LaneFields:
    return LaneFields(name=payload["name"], mode=payload["mode"], stops=payload["stops"],
                      carriage_mode=payload.get("carriage_mode"),
                      active=payload.get("active", True))


@operation("/tracking/lanes", summary="The route network's lanes", tag="tracking",
           response=LANE, many=True, query=PAGING)
def list_route_lanes():
    return jsonify(page_of(select(RouteLane).order_by(RouteLane.mode, RouteLane.code),
                           lane_json))


@operation("/tracking/lanes", "POST", summary="Add a lane", tag="tracking", body=LANE_IN,
           response=LANE, status=201, roles=DISPATCH)
def create_route_lane(payload: dict):
    """Stops name active nodes; an error names ``stops`` and the node."""
    def use_case(session: Session):
        return 201, lane_json(create_lane(session, payload["code"], _lane_fields(payload)))
    return write(payload, use_case)


@operation("/tracking/lanes/<code>", "PATCH", summary="Edit a lane", tag="tracking",
           body=LANE_EDIT, response=LANE, roles=DISPATCH)
def edit_route_lane(code: str, payload: dict):
    def use_case(session: Session):
        lane = update_lane(session, _lane(session, code).id, _lane_fields(payload))
        session.refresh(lane)
        return 200, lane_json(lane)
    return write(payload, use_case)


@operation("/tracking/lanes/<code>/retire", "POST", summary="Retire a lane", tag="tracking",
           response=RETIRED, roles=DISPATCH)
def retire_route_lane(code: str):
    """No longer chosen for new legs; kept for the legs that ran on it."""
    def use_case(session: Session):
        return 200, {"retired": retire_lanes(session, [_lane(session, code).id])}
    return write({}, use_case)


# ---------------------------------------------------------------- shipments

@operation("/shipments/<ref>", "PATCH", summary="Edit a shipment's reference and note",
           tag="tracking", body=SHIPMENT_EDIT, response=SHIPMENT_DETAIL, roles=DISPATCH)
def edit_shipment(ref: str, payload: dict):
    def use_case(session: Session):
        shipment = update_shipment(session, resolve_shipment(session, ref),
                                   reference=payload.get("reference"), note=payload.get("note"))
        return 200, shipment_detail_json(session, shipment)
    return write(payload, use_case)


@operation("/shipments/<ref>/legs/<seq>", "PATCH", summary="Edit a planned leg",
           tag="tracking", body=LEG_EDIT, response=SHIPMENT_DETAIL, roles=DISPATCH)
def edit_leg(ref: str, seq: str, payload: dict):
    """Only a planned leg of a shipment that has not left (409 otherwise); a booked
    shipment is estimated again."""
    number = parse_id(seq, "seq")

    def use_case(session: Session):
        shipment = resolve_shipment(session, ref)
        update_leg(session, shipment, number, LegEdit(**payload))
        return 200, shipment_detail_json(session, shipment)
    return write(payload, use_case)


@operation("/shipments/<ref>/legs/<seq>/transfer", "PUT",
           summary="Plan the transfer before an onward leg", tag="tracking", body=TRANSFER_IN,
           response=SHIPMENT_DETAIL, roles=DISPATCH)
def plan_leg_transfer(ref: str, seq: str, payload: dict):
    """Air to air or rail to air at the hub where the previous leg ends: the minimum
    connection time and an optional transit customs step; the shipment is estimated again
    and a connection it cannot make raises an alert. Planned again, it is changed."""
    number = parse_id(seq, "seq")

    def use_case(session: Session):
        shipment = resolve_shipment(session, ref)
        plan_transfer(session, shipment, number,
                      min_connection_minutes=payload.get("min_connection_minutes"),
                      transit_customs=bool(payload.get("transit_customs")),
                      customs_minutes=payload.get("customs_minutes"))
        return 200, shipment_detail_json(session, shipment)
    return write(payload, use_case)


@operation("/shipments/<ref>/legs", "POST", summary="Append a leg", tag="tracking",
           body=LEG_IN, response=SHIPMENT_DETAIL, status=201, roles=DISPATCH)
def append_shipment_leg(ref: str, payload: dict):
    """It starts where the last leg ends (422 naming ``from_node`` otherwise)."""
    def use_case(session: Session):
        shipment = resolve_shipment(session, ref)
        append_leg(session, shipment, LegInput(**payload))
        return 201, shipment_detail_json(session, shipment)
    return write(payload, use_case)


@operation("/shipments/<ref>/book", "POST", summary="Book a draft shipment", tag="tracking",
           response=SHIPMENT_DETAIL, roles=DISPATCH)
def book_draft_shipment(ref: str):
    def use_case(session: Session):
        shipment = book_shipment(session, resolve_shipment(session, ref))
        return 200, shipment_detail_json(session, shipment)
    return write({}, use_case)


@operation("/shipments/<ref>/cancel", "POST", summary="Cancel a shipment that has not left",
           tag="tracking", response=SHIPMENT_DETAIL, roles=DISPATCH)
def cancel_planned_shipment(ref: str):
    def use_case(session: Session):
        shipment = resolve_shipment(session, ref)
        cancel_shipment(session, shipment)
        return 200, shipment_detail_json(session, shipment)
    return write({}, use_case)
