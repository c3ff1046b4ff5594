"""The shapes of the tracking API's bodies and answers (what openapi.json shows): events,
shipments and legs, the network, unit scans and webhooks."""
from __future__ import annotations

from wms.logistics.events import CSV_COLUMNS
from wms.logistics.models import MODES, NODE_KINDS, SHIPMENT_STATES, STATUSES, UNIT_KINDS
from wms.logistics.transfers import MAX_MINUTES as MAX_TRANSFER_MINUTES

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
    Field("flag_reason", "string", True, "why it is flagged, a code: unknown_code (the "
          "feed's code is not mapped)", nullable=True),
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
UNIT_LOAD_IN = Schema("UnitLoadInput", (
    Field("into", "string", True, "the unit it goes into (container, wagon, train, ULD...)",
          max_length=40),
    Field("node", "string", True, "route node code where the scan happens", max_length=20),
    IDEMPOTENCY,
), "Load a unit into another; the Idempotency-Key is the scan id, as on the scanner.")
UNIT_UNLOAD_IN = Schema("UnitUnloadInput", (
    Field("node", "string", True, "route node code where the scan happens", max_length=20),
    IDEMPOTENCY,
), "Unload a unit from what it is in; the Idempotency-Key is the scan id.")
UNIT_LOADING = Schema("UnitLoadingResult", (
    Field("message", "string", True, "what the loading scanner shows, in your language"),
    Field("unit", "string", True),
    Field("kind", "string", True, enum=UNIT_KINDS),
    Field("into", "string", True, "the unit it went into (load)", nullable=True),
    Field("inside", "integer", True, "units inside it that the scan also applied to"),
    Field("accepted", "integer", True, "1 when recorded now"),
    Field("duplicates", "integer", True, "1 when this scan id was already recorded"),
), "The loading scanner's answer.")

# ---------------------------------------------------------------- registry (units, network)

REGISTERED = ("train", "wagon", "container", "uld", "flight", "bag", "pallet", "parcel")
UNIT_ROW = Schema("TransportUnitRow", (
    *UNIT.fields,
    Field("shipment", "string", True, "the shipment's name it travels on", nullable=True),
    Field("active", "boolean", True, "false once retired"),
), "A registered transport unit.")
UNIT_IN = Schema("TransportUnitInput", (
    Field("kind", "string", True, enum=REGISTERED),
    Field("identifier", "string", True, "checked as its kind is printed: ISO 6346 "
          "(container), IATA ULD (AKE12345CA), UPU receptacle id of 29 characters (bag), S10 "
          "(postal item), SSCC (pallet), UIC check digit (12-digit wagon)", max_length=40),
    Field("shipment", "string", description="the shipment it travels on: id, name or "
          "reference", max_length=60, nullable=True),
), "One unit to register.")
UNITS_IN = Schema("TransportUnitsInput", (
    Field("units", "array", True, "all or nothing; errors name units[i].field",
          items=UNIT_IN, max_items=1000),
    IDEMPOTENCY,
), "Units to register.")
UNITS = Schema("TransportUnitsResult", (
    Field("units", "array", True, items=UNIT_ROW),
), "The units registered.")
UNIT_EDIT = Schema("TransportUnitEdit", (
    Field("identifier", "string", description="a corrected number (only while no event "
          "names the unit)", max_length=40),
    Field("shipment", "string", description="the shipment it travels on; empty string: "
          "none", max_length=60, nullable=True),
), "What may change on a unit.")
NODE_IN = Schema("RouteNodeInput", (
    Field("code", "string", True, "2-20 letters, digits or _ - / .; never changes",
          max_length=20),
    Field("name", "string", True, max_length=120),
    Field("name_zh", "string", max_length=120, nullable=True),
    Field("kind", "string", True, enum=NODE_KINDS),
    Field("country", "string", True, "ISO 3166 alpha-2", max_length=2),
    Field("latitude", "number", True, minimum=-90, maximum=90),
    Field("longitude", "number", True, minimum=-180, maximum=180),
    Field("unlocode", "string", max_length=5, nullable=True),
    Field("iata", "string", max_length=3, nullable=True),
    Field("border", "boolean"),
    Field("gauge_change", "boolean"),
    Field("dwell_hours", "number", minimum=0, maximum=1440),
), "A new route node.")
NODE_EDIT = Schema("RouteNodeEdit", tuple(
    Field(f.name, f.type, f.name in ("name", "kind", "country", "latitude", "longitude"),
          f.description, f.enum, f.items, f.max_length, f.nullable, f.minimum, f.maximum)
    for f in NODE_IN.fields if f.name != "code"), "A node's fields besides its code, all "
    "given (what is left out takes its default).")
LANE = Schema("RouteLane", (
    Field("code", "string", True),
    Field("name", "string", True),
    Field("mode", "string", True, enum=MODES),
    Field("carriage_mode", "string", True, nullable=True),
    Field("active", "boolean", True),
    Field("stops", "array", True, "node codes in order", items="string"),
), "A mode's usual path as ordered stops.")
LANE_FIELDS = (
    Field("name", "string", True, max_length=200),
    Field("mode", "string", True, enum=MODES),
    Field("carriage_mode", "string", description="post only: what carries it", max_length=5,
          nullable=True),
    Field("stops", "array", True, "node codes in order, at least two", items="string",
          max_items=60),
    Field("active", "boolean"),
)
LANE_IN = Schema("RouteLaneInput", (
    Field("code", "string", True, "2-30 letters, digits or _ - / .; never changes",
          max_length=30), *LANE_FIELDS), "A new lane.")
LANE_EDIT = Schema("RouteLaneEdit", LANE_FIELDS, "A lane's fields besides its code.")
SHIPMENT_EDIT = Schema("ShipmentEdit", (
    Field("reference", "string", max_length=60, nullable=True),
    Field("note", "string", max_length=2000, nullable=True),
), "The reference and the note.")
LEG_EDIT = Schema("ShipmentLegEdit", tuple(
    f for f in LEG_IN.fields if f.name in ("carrier_name", "service_ref", "transport_doc",
                                           "house_doc", "planned_departure", "planned_arrival")
), "What may change on a planned leg of a shipment that has not left (left out: kept; an "
   "empty string clears a time).")
TRANSFER_IN = Schema("LegTransferIn", (
    Field("min_connection_minutes", "integer", description="minimum connection time at the hub; "
          "left out: the default for the two legs' modes", minimum=0, maximum=MAX_TRANSFER_MINUTES,
          nullable=True),
    Field("transit_customs", "boolean", description="the goods pass transit customs at the hub"),
    Field("customs_minutes", "integer", description="how long transit customs takes; left out: "
          "240 when there is transit customs", minimum=0, maximum=MAX_TRANSFER_MINUTES,
          nullable=True),
), "The transfer before an onward leg (air to air, rail to air) at the hub where the "
   "previous leg ends.")
RETIRED = Schema("Retired", (
    Field("retired", "integer", True, "how many were retired"),
), "Retired: kept for their history, no longer offered or loaded into.")
