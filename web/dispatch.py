"""The dispatcher's desk (``/dispatch``): the board of trains, flights and mail dispatches in
transit, a shipment's timeline, alerts, the route network, event upload, webhooks, and the
loading scanner.

Who sees what: dispatchers and supervisors (admin passes every check) use all of it; goods
owners (``owner_viewer``) read the board, their own shipments and alerts, scoped by the
services, and may make a tracking link for a shipment they see; warehouse operators only use
the loading scanner (``/dispatch/m/load``), since loading is done on the floor.

Everything drawn (the route line diagram, the timeline) is inline SVG made here: no outside
map service. Positions in the SVG are percentages and text is in pixels, so one drawing
reads the same at 360 px and on the desk.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import wraps
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from wms.core.db import utcnow
from wms.core.errors import N_, DomainError, NotFound, ValidationError
from wms.core.scoping import scope_to_owner
from wms.logistics import eta
from wms.logistics import services as lg
from wms.logistics import webhooks as hooks
from wms.logistics.events import CSV_COLUMNS, CSV_REQUIRED, DEPARTURE_MILESTONES
from wms.logistics.models import (MODES, NODE_KINDS, STATUSES, LogisticsAlert, RouteLane,
                                  RouteNode, Shipment, ShipmentLeg, TrackingEvent,
                                  TransportUnit, WebhookDelivery, WebhookSubscription)
from wms.partners.models import Enterprise

from .auth import blueprint_roles
from .db import db
from .errors import translate_error
from .idempotency import write

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")
READERS = ("dispatcher", "supervisor", "owner_viewer")
EDITORS = ("dispatcher", "supervisor")
LOADERS = ("dispatcher", "supervisor", "operator")
blueprint_roles(bp, *READERS, *LOADERS)
LOAD_ENDPOINTS = {"dispatch.load_page", "dispatch.load_scan"}
BOARD_LIMIT = 200
POLL_SECONDS = 30
LINK_DAYS = (1, 7, 30, 90)
WEBHOOK_TIMEOUT = 5.0

MODE_TITLES = {"rail": _l("Rail"), "air": _l("Air"), "post": _l("Mail"), "road": _l("Road"),
               "sea": _l("Sea")}
STATUS_TITLES = {
    "pending": _l("Pending"), "in_transit": _l("In transit"), "on_hold": _l("On hold"),
    "delivery_delayed": _l("Delivery delayed"), "out_for_delivery": _l("Out for delivery"),
    "ready_for_pickup": _l("Ready for pickup"), "delivered": _l("Delivered"),
    "delivery_failed": _l("Delivery failed"), "return_to_sender": _l("Returned to sender"),
    "cancelled": _l("Cancelled"), "unknown": _l("Unknown"),
}
STATE_TITLES = {"draft": _l("Draft"), "booked": _l("Booked"), "in_transit": _l("In transit"),
                "delivered": _l("Delivered"), "cancelled": _l("Cancelled"),
                "planned": _l("Planned"), "arrived": _l("Arrived"),
                "open": _l("Open"), "acknowledged": _l("Acknowledged")}
MILESTONE_TITLES = {
    "booked": _l("Booked"), "posted": _l("Posted"), "received": _l("Received"),
    "prepared": _l("Prepared"), "manifested": _l("Manifested"), "stuffed": _l("Stuffed"),
    "loaded": _l("Loaded"), "departed": _l("Departed"), "arrived": _l("Arrived"),
    "border_crossed": _l("Border crossed"), "gauge_changed": _l("Gauge changed"),
    "transferred": _l("Transferred"), "unloaded": _l("Unloaded"), "stripped": _l("Stripped"),
    "customs_presented": _l("Presented to customs"), "customs_held": _l("Held by customs"),
    "customs_released": _l("Released by customs"), "held": _l("Held"),
    "discrepancy": _l("Discrepancy"), "documents_delivered": _l("Documents delivered"),
    "notified": _l("Consignee notified"), "out_for_delivery": _l("Out for delivery"),
    "ready_for_pickup": _l("Ready for pickup"), "delivery_failed": _l("Delivery failed"),
    "delivered": _l("Delivered"), "returned": _l("Returned"), "terminated": _l("Terminated"),
    "unknown": _l("Unknown code"),
}
CLASSIFIER_TITLES = {"PLN": _l("Planned"), "EST": _l("Estimated"), "ACT": _l("Actual")}
NODE_KIND_TITLES = {
    "rail_terminal": _l("Rail terminal"), "border_station": _l("Border station"),
    "gauge_change": _l("Gauge-change station"), "airport": _l("Airport"),
    "office_of_exchange": _l("Office of exchange"), "warehouse": _l("Warehouse"),
    "road_terminal": _l("Road terminal"), "sea_port": _l("Sea port"),
}
UNIT_TITLES = {"parcel": _l("Parcel"), "bag": _l("Bag"), "pallet": _l("Pallet"),
               "container": _l("Container"), "uld": _l("ULD"), "wagon": _l("Wagon"),
               "train": _l("Train"), "flight": _l("Flight")}
DELIVERY_TITLES = {"pending": _l("Pending"), "delivered": _l("Delivered"),
                   "failed": _l("Failed")}
KIND_TITLES = {"train": _l("Train"), "flight": _l("Flight"), "mail": _l("Mail"),
               "road": _l("Road"), "sea": _l("Sea")}


def titles() -> dict:
    return {"mode_titles": MODE_TITLES, "status_titles": STATUS_TITLES,
            "state_titles": STATE_TITLES, "milestone_titles": MILESTONE_TITLES,
            "classifier_titles": CLASSIFIER_TITLES, "node_kind_titles": NODE_KIND_TITLES,
            "unit_titles": UNIT_TITLES, "delivery_titles": DELIVERY_TITLES,
            "kind_titles": KIND_TITLES}


bp.context_processor(titles)


# ---------------------------------------------------------------- access

@bp.before_request
def operators_only_load():
    """Operators reach the loading scanner and nothing else here."""
    if current_user.is_authenticated and not current_user.has_role(*READERS) \
            and request.endpoint not in LOAD_ENDPOINTS:
        abort(403)
    if request.endpoint in LOAD_ENDPOINTS and not current_user.has_role(*LOADERS):
        abort(403)
    return None


def only(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def is_editor() -> bool:
    return current_user.has_role(*EDITORS)


# ---------------------------------------------------------------- formatting

def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def zone_of(offset: str | None):
    """A fixed offset like +05:00 as a tzinfo (events keep the zone their source gave)."""
    if not offset or not re.match(r"^[+-]\d\d:\d\d$", offset):
        return None
    sign = 1 if offset[0] == "+" else -1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


@bp.app_template_filter("dsp_time")
def fmt_time(value: datetime | None, offset: str | None = None, short: bool = False) -> str:
    if value is None:
        return "—"
    zone = zone_of(offset) or local_zone()
    text = value.astimezone(zone).strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M")
    return f"{text} {offset}" if offset and not short else text


@bp.app_template_filter("dsp_iso")
def fmt_iso(value: str | None, own_zone: bool = False) -> str:
    """An ISO 8601 string (the public view's times) for people: in the local zone, or in
    the zone it carries (as the place reported it)."""
    if not value:
        return "—"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if own_zone and parsed.tzinfo is not None:
        return parsed.strftime("%Y-%m-%d %H:%M ") + parsed.strftime("%z")[:3] + ":" + \
            parsed.strftime("%z")[3:]
    return fmt_time(parsed)


@bp.app_template_filter("dsp_delay")
def fmt_delay(minutes: int | float | None) -> str:
    """+1 d 4 h, −3 h, +45 min."""
    if minutes is None:
        return ""
    minutes = int(round(minutes))
    sign = "+" if minutes >= 0 else "−"
    m = abs(minutes)
    if m >= 24 * 60:
        return sign + _("%(days)s d %(hours)s h", days=m // 1440, hours=(m % 1440) // 60)
    if m >= 60:
        return sign + _("%(hours)s h", hours=round(m / 60))
    return sign + _("%(minutes)s min", minutes=m)


def _zh() -> bool:
    locale = get_locale()
    return bool(locale) and locale.language == "zh"


def node_name(node: RouteNode | None) -> str:
    if node is None:
        return "—"
    return (node.name_zh or node.name) if _zh() else node.name


def short_label(node: RouteNode) -> str:
    """A label that fits under a node of the line diagram."""
    if node.iata:
        return node.iata
    if _zh() and node.name_zh:
        return re.split(r"[（(]", node.name_zh)[0].replace("国际", "")
    name = node.name.split(" (")[0]
    return name if len(name) <= 13 else name.split(" ")[0]


@bp.app_context_processor
def dispatch_helpers():
    return {"dsp_node_name": node_name}


# ---------------------------------------------------------------- route line diagram

PAD = 4.0  # percent of the width left free at each end


@dataclass
class DiagramNode:
    code: str
    label: str
    name: str
    kind: str
    border: bool
    gauge: bool
    x: float
    passed: bool = False
    current: bool = False
    above: bool = True
    arrives: datetime | None = None   # estimated (or actual) arrival at the node
    leaves: datetime | None = None

    @property
    def css(self) -> str:
        kind = "gauge" if self.gauge else "border" if self.border else "stop"
        return " ".join(c for c in ("node", kind, "passed" if self.passed else "",
                                    "current" if self.current else "") if c)


@dataclass
class Diagram:
    nodes: list[DiagramNode]
    marker_x: float | None
    state: str            # waiting, moving, dwelling, overdue, arrived
    between: tuple[str, str] | None = None
    at: str | None = None

    @property
    def done_x(self) -> float:
        return self.marker_x if self.marker_x is not None else PAD


def _x(index: float, count: int) -> float:
    if count <= 1:
        return 50.0
    return round(PAD + index * (100 - 2 * PAD) / (count - 1), 2)


def _anchor(events: list[TrackingEvent], path_ids: list[int],
            departed: datetime | None) -> TrackingEvent | None:
    """The newest understood actual event at a node of this path (since the leg left)."""
    for event in reversed(events):
        if event.flagged or event.node_id not in path_ids:
            continue
        if departed is not None and event.event_time < departed:
            continue
        return event
    return None


def _dwell(node: RouteNode) -> timedelta:
    return timedelta(hours=(node.dwell_hours or 0.0) if (node.border or node.gauge_change)
                     else 0.0)


def leg_schedule(leg: ShipmentLeg, path: list[RouteNode], events: list[TrackingEvent],
                 config=eta.DEFAULT_CONFIG) -> tuple[int, list, list]:
    """(anchor index, arrival times, departure times) along the leg's path, estimated forward
    from the newest actual event on it the way ``estimate_shipment`` does."""
    n = len(path)
    arrives: list[datetime | None] = [None] * n
    leaves: list[datetime | None] = [None] * n
    ids = [p.id for p in path]
    anchor = _anchor(events, ids, leg.actual_departure)
    k = 0
    if anchor is not None:
        k = ids.index(anchor.node_id)
        start = anchor.event_time
        arrives[k] = start
        if anchor.milestone == "arrived" and 0 < k < n - 1:
            start = start + _dwell(path[k])
        elif k == 0 and anchor.milestone not in DEPARTURE_MILESTONES \
                and leg.actual_departure is None and leg.planned_departure:
            start = max(start, leg.planned_departure)
    else:
        start = leg.actual_departure or leg.estimated_departure or leg.planned_departure
        arrives[0] = start
    leaves[k] = start
    if start is None:
        return k, arrives, leaves
    for j in range(k + 1, n):
        arrives[j] = start + timedelta(hours=eta.path_hours(path[k:j + 1], leg.mode, config,
                                                            leg.carriage_mode))
        leaves[j] = arrives[j] + (_dwell(path[j]) if j < n - 1 else timedelta(0))
    return k, arrives, leaves


def route_diagram(session: Session, shipment: Shipment, now: datetime,
                  events: list[TrackingEvent] | None = None) -> Diagram:
    """The shipment's nodes in order (all legs) and where it is estimated to be now."""
    legs = [leg for leg in shipment.legs if leg.state != "cancelled"]
    if events is None:
        events = lg.shipment_events(session, shipment, ("ACT",))
    events = [e for e in events if e.classifier == "ACT"]
    path: list[RouteNode] = []
    offsets: list[int] = []
    paths: list[list[RouteNode]] = []
    for leg in legs:
        p = lg.leg_path(leg)
        if path and path[-1].id == p[0].id:
            offsets.append(len(path) - 1)
            path += p[1:]
        else:
            offsets.append(len(path))
            path += p
        paths.append(p)
    count = len(path)
    nodes = [DiagramNode(code=n.code, label=short_label(n), name=node_name(n), kind=n.kind,
                         border=n.border, gauge=n.gauge_change, x=_x(i, count),
                         above=(i % 2 == 0)) for i, n in enumerate(path)]
    if not legs:
        return Diagram(nodes, None, "waiting")
    current = next((i for i, leg in enumerate(legs) if leg.actual_arrival is None), None)
    for i, leg in enumerate(legs):  # actual times of legs that are done
        if leg.actual_arrival is not None:
            nodes[offsets[i]].leaves = leg.actual_departure
            nodes[offsets[i] + len(paths[i]) - 1].arrives = leg.actual_arrival
    if current is None:
        for n in nodes:
            n.passed = True
        nodes[-1].current = True
        return Diagram(nodes, nodes[-1].x, "arrived", at=nodes[-1].name)
    leg, p, base = legs[current], paths[current], offsets[current]
    k, arrives, leaves = leg_schedule(leg, p, events)
    for j in range(len(p)):
        if j >= k:
            nodes[base + j].arrives = arrives[j] if j > 0 else nodes[base + j].arrives
            nodes[base + j].leaves = leaves[j]
    started = leg.actual_departure is not None or k > 0
    position: float
    state = "moving"
    at = between = None
    if not started:
        position, state, at = 0.0, "waiting", p[0]
    elif leaves[k] is not None and now < leaves[k]:
        position, state, at = float(k), "dwelling", p[k]
    else:
        position, state = float(len(p) - 1) - 0.05, "overdue"
        for j in range(k, len(p) - 1):
            if leaves[j] is None or arrives[j + 1] is None:
                break
            if arrives[j] is not None and arrives[j] <= now < leaves[j]:
                position, state, at = float(j), "dwelling", p[j]
                break
            if leaves[j] <= now < arrives[j + 1]:
                span = (arrives[j + 1] - leaves[j]).total_seconds() or 1.0
                position = j + max(0.0, min(1.0, (now - leaves[j]).total_seconds() / span))
                state, between = "moving", (p[j], p[j + 1])
                break
        if state == "overdue":
            between = (p[-2], p[-1]) if len(p) > 1 else None
            position = max(position, float(k))
    g = base + position
    for i, n in enumerate(nodes):
        n.passed = i <= g + 1e-9
    nodes[int(g)].current = state in ("waiting", "dwelling")
    return Diagram(nodes, _x(g, count), state,
                   between=(node_name(between[0]), node_name(between[1])) if between else None,
                   at=node_name(at) if at is not None else None)


# ---------------------------------------------------------------- timeline

@dataclass
class Bar:
    kind: str              # planned, estimated, actual
    start: datetime | None
    end: datetime | None
    x1: float = 0.0
    x2: float = 0.0
    open: bool = False     # still running (actual departure, no arrival yet)


@dataclass
class TimelineLeg:
    leg: ShipmentLeg
    bars: list[Bar]
    late_minutes: int | None


@dataclass
class Timeline:
    legs: list[TimelineLeg]
    ticks: list[tuple[float, str]]
    now_x: float | None
    points: list[tuple[float, TrackingEvent]]


def shipment_timeline(shipment: Shipment, events: list[TrackingEvent],
                      now: datetime) -> Timeline:
    legs = [leg for leg in shipment.legs]
    times = [t for leg in legs for t in (leg.planned_departure, leg.planned_arrival,
                                          leg.estimated_departure, leg.estimated_arrival,
                                          leg.actual_departure, leg.actual_arrival) if t]
    times += [e.event_time for e in events if e.classifier == "ACT"]
    if not times:
        return Timeline([], [], None, [])
    t0, t1 = min(times), max(times + [now])
    span = (t1 - t0).total_seconds() or 3600.0
    t0 -= timedelta(seconds=span * 0.02)
    span *= 1.04

    def x(t: datetime) -> float:
        return round(2 + 96 * (t - t0).total_seconds() / span, 2)
    out = []
    for leg in legs:
        bars = [Bar("planned", leg.planned_departure, leg.planned_arrival),
                Bar("estimated", leg.estimated_departure, leg.estimated_arrival),
                Bar("actual", leg.actual_departure, leg.actual_arrival)]
        for bar in bars:
            if bar.kind == "actual" and bar.start and not bar.end:
                bar.end, bar.open = now, True
            if bar.start:
                bar.x1 = x(bar.start)
                bar.x2 = max(bar.x1 + 0.6, x(bar.end)) if bar.end else bar.x1
        late = None
        if leg.planned_arrival and (leg.actual_arrival or leg.estimated_arrival):
            late = int(((leg.actual_arrival or leg.estimated_arrival) - leg.planned_arrival)
                       .total_seconds() // 60)
        out.append(TimelineLeg(leg, bars, late))
    zone = local_zone()
    ticks = []
    for i in range(5):
        t = t0 + timedelta(seconds=span * (0.04 + 0.23 * i))
        ticks.append((x(t), t.astimezone(zone).strftime("%m-%d")))
    points = [(x(e.event_time), e) for e in events if e.classifier == "ACT"]
    return Timeline(out, ticks, x(now) if t0 <= now <= t1 + timedelta(seconds=span) else None,
                    points)


# ---------------------------------------------------------------- board

@dataclass
class BoardRow:
    shipment: Shipment
    kind: str                 # train, flight, mail, road, sea
    modes: list[str]
    service_refs: list[str]
    origin: str
    destination: str
    place: str
    planned_arrival: datetime | None
    estimated_arrival: datetime | None
    actual_arrival: datetime | None
    departed: datetime | None
    delay_minutes: int | None
    alerts: list[LogisticsAlert]
    diagram: Diagram | None = None
    owner: str | None = None

    @property
    def late(self) -> bool:
        return bool(self.alerts)


def board_row(session: Session, shipment: Shipment, alerts: list[LogisticsAlert],
              now: datetime, owners: dict[int, str]) -> BoardRow:
    legs = [leg for leg in shipment.legs if leg.state != "cancelled"] or list(shipment.legs)
    modes = list(dict.fromkeys(leg.mode for leg in legs))
    if any(m in ("rail", "road", "sea") for m in modes):
        kind = "train" if "rail" in modes else modes[0]
    else:
        kind = "flight" if "air" in modes else "mail"
    last = legs[-1] if legs else None
    planned = last.planned_arrival if last else None
    estimated = last.estimated_arrival if last else None
    actual = last.actual_arrival if last else None
    delay = None
    if planned and (actual or estimated):
        delay = int(((actual or estimated) - planned).total_seconds() // 60)
    place = node_name(shipment.current_node) if shipment.current_node \
        else (shipment.current_place or "—")
    row = BoardRow(shipment=shipment, kind=kind, modes=modes,
                   service_refs=[leg.service_ref for leg in legs if leg.service_ref],
                   origin=node_name(shipment.origin), destination=node_name(shipment.destination),
                   place=place, planned_arrival=planned, estimated_arrival=estimated,
                   actual_arrival=actual,
                   departed=legs[0].actual_departure if legs else None,
                   delay_minutes=delay, alerts=alerts,
                   owner=owners.get(shipment.owner_id) if shipment.owner_id else None)
    if kind in ("train", "road", "sea"):
        row.diagram = route_diagram(session, shipment, now)
    return row


@dataclass
class BoardFilter:
    mode: str | None = None
    status: str | None = None
    late: bool = False

    @classmethod
    def from_args(cls, args) -> "BoardFilter":
        mode = args.get("mode") or None
        status = args.get("status") or None
        return cls(mode=mode if mode in MODES else None,
                   status=status if status in STATUSES else None,
                   late=args.get("late") in ("1", "on", "true", "yes"))

    def args(self) -> dict:
        out = {}
        if self.mode:
            out["mode"] = self.mode
        if self.status:
            out["status"] = self.status
        if self.late:
            out["late"] = "1"
        return out


def board_query(f: BoardFilter):
    stmt = scope_to_owner(select(Shipment).where(Shipment.state.in_(("booked", "in_transit"))),
                          Shipment.owner_id)
    if f.mode:
        stmt = stmt.where(exists().where(ShipmentLeg.shipment_id == Shipment.id,
                                         ShipmentLeg.mode == f.mode))
    if f.status:
        stmt = stmt.where(Shipment.status == f.status)
    if f.late:
        stmt = stmt.where(exists().where(LogisticsAlert.shipment_id == Shipment.id,
                                         LogisticsAlert.state == "open"))
    return stmt.order_by(Shipment.id.desc())


def board_rows(session: Session, f: BoardFilter, now: datetime) -> list[BoardRow]:
    shipments = session.scalars(board_query(f).limit(BOARD_LIMIT)).all()
    ids = [s.id for s in shipments]
    alerts: dict[int, list[LogisticsAlert]] = {}
    if ids:
        for alert in session.scalars(select(LogisticsAlert).where(
                LogisticsAlert.shipment_id.in_(ids), LogisticsAlert.state == "open")
                .order_by(LogisticsAlert.id)):
            alerts.setdefault(alert.shipment_id, []).append(alert)
    owners = {}
    owner_ids = {s.owner_id for s in shipments if s.owner_id}
    if owner_ids and current_user.has_role(*EDITORS):
        owners = dict(session.execute(select(Enterprise.id, Enterprise.name)
                                      .where(Enterprise.id.in_(owner_ids))).all())
    rows = [board_row(session, s, alerts.get(s.id, []), now, owners) for s in shipments]
    far = datetime.max.replace(tzinfo=timezone.utc)
    rows.sort(key=lambda r: (not r.late, r.estimated_arrival or far, r.shipment.id))
    return rows


def board_context(f: BoardFilter) -> dict:
    now = utcnow()
    rows = board_rows(db(), f, now)
    return dict(rows=rows, now=now, filter=f,
                alert_count=len(lg.list_alerts(db())), updated=fmt_time(now))


@bp.get("/")
def index():
    f = BoardFilter.from_args(request.args)
    context = board_context(f)
    interval = int(current_app.config.get("DISPATCH_POLL_SECONDS", POLL_SECONDS))
    return render_template("dispatch/index.html", modes=MODES, statuses=STATUSES,
                           json_url=url_for("dispatch.board_json", **f.args()),
                           interval=interval, **context)


@bp.get("/board.json")
def board_json():
    """The board's rows as an HTML fragment (rendered by the same template as the page) and
    a summary per shipment, for dispatch.js to swap in without reloading."""
    f = BoardFilter.from_args(request.args)
    context = board_context(f)
    html = render_template("dispatch/_board_rows.html", **context)
    return jsonify(updated=context["updated"], generated_at=context["now"].isoformat(),
                   count=len(context["rows"]), alerts=context["alert_count"], html=html,
                   rows=[{"id": r.shipment.id, "name": r.shipment.name,
                          "status": r.shipment.status, "place": r.place,
                          "estimated_arrival": r.estimated_arrival.isoformat()
                          if r.estimated_arrival else None,
                          "delay_minutes": r.delay_minutes, "late": r.late,
                          "position": r.diagram.marker_x if r.diagram else None}
                         for r in context["rows"]])


# ---------------------------------------------------------------- shipment page

@dataclass
class UnitNode:
    unit: TransportUnit
    children: list["UnitNode"] = field(default_factory=list)


def unit_tree(session: Session, shipment: Shipment) -> tuple[list, dict[int, TransportUnit]]:
    """The shipment's units nested (container → pallets → parcels), the outermost grouped
    by the unit they travel in when that is not the shipment's own (a train): a list of
    (outer unit or None, [UnitNode]) and the outer unit of each root."""
    units = session.scalars(select(TransportUnit).where(TransportUnit.shipment_id == shipment.id)
                            .order_by(TransportUnit.kind, TransportUnit.identifier)).all()
    nodes = {u.id: UnitNode(u) for u in units}
    roots: list[UnitNode] = []
    outer: dict[int, TransportUnit] = {}
    for u in units:
        if u.parent_id in nodes:
            nodes[u.parent_id].children.append(nodes[u.id])
        else:
            roots.append(nodes[u.id])
            if u.parent_id is not None:
                outer[u.id] = u.parent
    groups: dict[int | None, list[UnitNode]] = {}
    for node in roots:
        groups.setdefault(node.unit.parent_id, []).append(node)
    return [(outer[nodes[0].unit.id] if key is not None else None, nodes)
            for key, nodes in groups.items()], outer


def shipment_context(shipment: Shipment, **extra) -> dict:
    session = db()
    now = utcnow()
    events = lg.shipment_events(session, shipment)
    actual = [e for e in events if e.classifier == "ACT"]
    roots, outer = unit_tree(session, shipment)
    units = {u.id: u for u in session.scalars(select(TransportUnit).where(
        TransportUnit.id.in_({e.unit_id for e in events if e.unit_id} or {0})))}
    owner = session.get(Enterprise, shipment.owner_id) if shipment.owner_id else None
    return dict(s=shipment, diagram=route_diagram(session, shipment, now, actual),
                timeline=shipment_timeline(shipment, actual, now), events=events,
                units=units, roots=roots, outer=outer, owner=owner, now=now,
                alerts=lg.list_alerts(session, state=None, shipment_id=shipment.id),
                link_days=LINK_DAYS, can_edit=is_editor(), **extra)


@bp.get("/shipments/<int:shipment_id>")
def shipment(shipment_id: int):
    s = lg.get_shipment(db(), shipment_id)
    return render_template("dispatch/shipment.html", **shipment_context(s))


@bp.post("/shipments/<int:shipment_id>/link")
def shipment_link(shipment_id: int):
    """A signed, expiring, read-only link for the customer, shown on the page to copy."""
    from .tracking import tracking_url
    s = lg.get_shipment(db(), shipment_id)
    days = request.form.get("days", type=int)
    if days not in LINK_DAYS:
        days = 7
    if s.state == "draft":
        flash(_("A draft shipment has no tracking page yet: book it first."), "error")
        return redirect(url_for("dispatch.shipment", shipment_id=s.id))
    url, expires = tracking_url(s.id, timedelta(days=days))
    return render_template("dispatch/shipment.html",
                           **shipment_context(s, link_url=url, link_expires=expires))


@bp.post("/shipments/<int:shipment_id>/packages")
@only(*EDITORS)
def shipment_package(shipment_id: int):
    """A warehouse package joins the shipment by its SSCC (no retyping), optionally into one
    of the shipment's units."""
    session = db()
    s = lg.get_shipment(session, shipment_id)
    sscc = (request.form.get("sscc") or "").strip()
    into = (request.form.get("into") or "").strip()
    try:
        parent = lg.find_unit(session, into, field="into") if into else None
        unit = lg.unit_for_package(session, sscc, shipment=s, parent=parent)
    except DomainError as exc:
        session.rollback()
        flash(_("%(field)s: %(message)s", field=exc.field or "sscc",
                message=translate_error(exc)), "error")
        return redirect(url_for("dispatch.shipment", shipment_id=shipment_id) + "#units")
    session.commit()
    flash(_("%(kind)s %(identifier)s joined the shipment.",
            kind=UNIT_TITLES.get(unit.kind, unit.kind), identifier=unit.identifier), "ok")
    return redirect(url_for("dispatch.shipment", shipment_id=shipment_id) + "#units")


# ---------------------------------------------------------------- alerts

@bp.get("/alerts")
def alerts():
    state = request.args.get("state", "open")
    if state not in ("open", "acknowledged", "all"):
        state = "open"
    rows = lg.list_alerts(db(), state=None if state == "all" else state)
    rows.sort(key=lambda a: (a.state != "open", -a.delay_minutes))
    return render_template("dispatch/alerts.html", rows=rows, state=state,
                           can_edit=is_editor())


@bp.post("/alerts/<int:alert_id>/ack")
@only(*EDITORS)
def alert_ack(alert_id: int):
    session = db()
    note = (request.form.get("note") or "").strip()[:300] or None
    try:
        alert = lg.acknowledge_alert(session, alert_id, note=note)
    except DomainError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        session.commit()
        flash(_("Alert on %(name)s acknowledged.", name=alert.shipment.name), "ok")
    target = request.form.get("next") or ""
    if not target.startswith("/dispatch/") or target.startswith("//"):
        target = url_for("dispatch.alerts")
    return redirect(target)


# ---------------------------------------------------------------- route network

class NodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Optional(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, NODE_KIND_TITLES[k])
                                            for k in NODE_KINDS])
    country = StringField(_l("Country (2 letters)"), validators=[DataRequired(),
                                                                 Length(max=2)])
    unlocode = StringField(_l("UN/LOCODE"), validators=[Optional(), Length(max=5)])
    iata = StringField(_l("IATA airport code"), validators=[Optional(), Length(max=3)])
    latitude = StringField(_l("Latitude"), validators=[DataRequired(), Length(max=20)])
    longitude = StringField(_l("Longitude"), validators=[DataRequired(), Length(max=20)])
    border = BooleanField(_l("Border station"))
    gauge_change = BooleanField(_l("Gauge change"))
    dwell_hours = StringField(_l("Dwell at this node (hours)"), default="0",
                              validators=[Optional(), Length(max=10)])
    active = BooleanField(_l("Active"), default=True)


def _number(value: str | None, name: str, low: float, high: float) -> float:
    try:
        number = float((value or "").strip().replace(",", "."))
    except ValueError:
        raise ValidationError(N_("Enter a number"), field=name) from None
    if not (low <= number <= high):
        raise ValidationError(N_("Coordinates out of range"), field=name) \
            if name in ("latitude", "longitude") \
            else ValidationError(N_("Dwell cannot be negative"), field=name)
    return number


def update_node(session: Session, node: RouteNode, form: NodeForm) -> None:
    """Edit a node at the desk. (``wms.logistics`` has ``create_node`` but no update; the
    same checks are made here. The code is the key feeds use and does not change.)"""
    if form.kind.data not in NODE_KINDS:
        raise ValidationError(N_("Unknown node kind %(kind)s"), field="kind", kind=form.kind.data)
    country = (form.country.data or "").strip().upper()
    if not re.match(r"^[A-Z]{2}$", country):
        raise ValidationError(N_("A country code is 2 letters"), field="country")
    unlocode = (form.unlocode.data or "").strip().upper().replace(" ", "") or None
    if unlocode and not lg.UNLOCODE.match(unlocode):
        raise ValidationError(N_("A UN/LOCODE is 2 letters and 3 letters or digits"),
                              field="unlocode")
    iata = (form.iata.data or "").strip().upper() or None
    if iata and not re.match(r"^[A-Z]{3}$", iata):
        raise ValidationError(N_("An IATA airport code is 3 letters"), field="iata")
    node.name = form.name.data.strip()
    node.name_zh = (form.name_zh.data or "").strip() or None
    node.kind = form.kind.data
    node.country = country
    node.unlocode = unlocode
    node.iata = iata
    node.latitude = _number(form.latitude.data, "latitude", -90, 90)
    node.longitude = _number(form.longitude.data, "longitude", -180, 180)
    node.border = bool(form.border.data)
    node.gauge_change = bool(form.gauge_change.data)
    node.dwell_hours = _number(form.dwell_hours.data or "0", "dwell_hours", 0, 24 * 60)
    node.active = bool(form.active.data)
    session.flush()


def _form_error(form: FlaskForm, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, translate_error(exc)]
    else:
        flash(translate_error(exc), "error")


@bp.get("/network/nodes")
def nodes():
    kind = request.args.get("kind") or None
    stmt = select(RouteNode).order_by(RouteNode.active.desc(), RouteNode.code)
    if kind in NODE_KINDS:
        stmt = stmt.where(RouteNode.kind == kind)
    return render_template("dispatch/nodes.html", rows=db().scalars(stmt).all(), kind=kind,
                           kinds=NODE_KINDS, can_edit=is_editor())


@bp.route("/network/nodes/new", methods=["GET", "POST"])
@only(*EDITORS)
def node_new():
    form = NodeForm()
    if form.validate_on_submit():
        session = db()
        try:
            if not (form.code.data or "").strip():
                raise ValidationError(N_("This field is required"), field="code")
            node = lg.create_node(
                session, code=form.code.data, name=form.name.data.strip(), kind=form.kind.data,
                country=form.country.data, unlocode=form.unlocode.data or None,
                iata=form.iata.data or None,
                latitude=_number(form.latitude.data, "latitude", -90, 90),
                longitude=_number(form.longitude.data, "longitude", -180, 180),
                border=bool(form.border.data), gauge_change=bool(form.gauge_change.data),
                dwell_hours=_number(form.dwell_hours.data or "0", "dwell_hours", 0, 24 * 60),
                name_zh=(form.name_zh.data or "").strip() or None)
            node.active = bool(form.active.data)
            session.flush()
        except DomainError as exc:
            session.rollback()
            _form_error(form, exc)
            return render_template("dispatch/node_form.html", form=form, node=None), exc.status
        session.commit()
        flash(_("Node %(code)s added.", code=node.code), "ok")
        return redirect(url_for("dispatch.nodes"))
    status = 422 if form.is_submitted() else 200
    return render_template("dispatch/node_form.html", form=form, node=None), status


@bp.route("/network/nodes/<int:node_id>/edit", methods=["GET", "POST"])
@only(*EDITORS)
def node_edit(node_id: int):
    session = db()
    node = session.get(RouteNode, node_id)
    if node is None:
        abort(404)
    form = NodeForm(obj=node) if request.method == "GET" else NodeForm()
    if request.method == "GET":
        form.latitude.data = str(node.latitude)
        form.longitude.data = str(node.longitude)
        form.dwell_hours.data = f"{node.dwell_hours:g}"
    if form.validate_on_submit():
        try:
            update_node(session, node, form)
        except DomainError as exc:
            session.rollback()
            _form_error(form, exc)
            return render_template("dispatch/node_form.html", form=form, node=node), exc.status
        session.commit()
        flash(_("Node %(code)s saved.", code=node.code), "ok")
        return redirect(url_for("dispatch.nodes"))
    status = 422 if form.is_submitted() else 200
    return render_template("dispatch/node_form.html", form=form, node=node), status


@dataclass
class LaneView:
    lane: RouteLane
    stops: list[tuple[RouteNode, float | None]]   # node, km from the previous stop
    km: float
    hours: float


@bp.get("/network/lanes")
def lanes():
    config = eta.DEFAULT_CONFIG
    rows = []
    for lane in db().scalars(select(RouteLane).order_by(RouteLane.mode, RouteLane.code)):
        path = [s.node for s in lane.stops]
        carriage = config.carriage(lane.mode, lane.carriage_mode)
        hops = [None] + [eta.geodesic_km(a, b) * config.detour[carriage]
                         for a, b in zip(path, path[1:])]
        rows.append(LaneView(lane, list(zip(path, hops)),
                             eta.path_km(path, lane.mode, config, lane.carriage_mode),
                             eta.path_hours(path, lane.mode, config, lane.carriage_mode)))
    return render_template("dispatch/lanes.html", rows=rows, config=config)


# ---------------------------------------------------------------- events: CSV upload

class UploadForm(FlaskForm):
    source = StringField(_l("Source"), default="rail:",
                         validators=[DataRequired(), Length(max=40)])
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the CSV here"), validators=[Optional(),
                                                                  Length(max=2_000_000)])


def _csv_text(form: UploadForm) -> str:
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(N_("The file is not UTF-8 or GB18030 text"), field="file")
    return form.text.data or ""


@bp.route("/events/upload", methods=["GET", "POST"])
@only(*EDITORS)
def upload():
    form = UploadForm()
    result = error = error_field = None
    status = 200
    if form.validate_on_submit():
        session = db()
        try:
            text = _csv_text(form)
            if not text.strip():
                raise ValidationError(N_("Choose a file or paste the CSV"), field="file")
            result = lg.ingest_csv(session, form.source.data.strip(), text)
        except DomainError as exc:
            session.rollback()
            error, error_field, status = translate_error(exc), exc.field, exc.status
        else:
            session.commit()
    elif form.is_submitted():
        status = 422
    return render_template("dispatch/upload.html", form=form, result=result, error=error,
                           error_field=error_field, columns=CSV_COLUMNS,
                           required=CSV_REQUIRED), status


# ---------------------------------------------------------------- webhooks

def _resolve(host: str) -> list[str]:
    import socket
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answers; it is not followed somewhere else (a 3xx is a failed attempt)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def http_post(url: str, body: bytes, headers: dict, timeout: float = WEBHOOK_TIMEOUT,
              allow_private: bool = False) -> int:
    """POST with the standard library; only http and https; the status code, or raises on a
    network failure (``deliver_due`` records it and retries with back-off)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("only http and https URLs are delivered")
    if not allow_private and not hooks.public_host(parts.hostname, resolve=_resolve):
        raise ValueError("webhooks are delivered to public addresses only")
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, data=body, headers={**headers,
                                                          "User-Agent": "lanzhou-wms-webhook"},
                                 method="POST")
    try:
        with opener.open(req, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def poster():
    """The HTTP poster ``deliver_due`` uses (tests put a fake in app.config)."""
    if current_app.config.get("WEBHOOK_POST"):
        return current_app.config["WEBHOOK_POST"]
    allow = current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False)
    return lambda url, body, headers: http_post(url, body, headers, allow_private=allow)


class SubscriptionForm(FlaskForm):
    url = StringField(_l("URL (https://…)"), validators=[DataRequired(), Length(max=500)])
    secret = StringField(_l("Secret (at least 16 characters)"),
                         validators=[DataRequired(), Length(max=200)])
    owner = SelectField(_l("Shipments of"), default="")
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])


def subscription_form() -> SubscriptionForm:
    form = SubscriptionForm()
    owners = db().scalars(scope_to_owner(select(Enterprise).order_by(Enterprise.customs_code),
                                         Enterprise.id)).all()
    form.owner.choices = [SelectChoice("", _("All owners"))] + [
        SelectChoice(str(e.id), f"{e.customs_code} {e.name}") for e in owners
        if "owner" in e.roles]
    return form


def _subscriptions():
    return db().scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()


@bp.route("/webhooks", methods=["GET", "POST"])
@only(*EDITORS)
def webhooks():
    form = subscription_form()
    status = 200
    if form.validate_on_submit():
        session = db()
        try:
            subscription = hooks.create_subscription(
                session, url=form.url.data, secret=form.secret.data,
                owner_id=int(form.owner.data) if form.owner.data else None,
                description=(form.description.data or "").strip() or None,
                allow_private=current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))
        except DomainError as exc:
            session.rollback()
            _form_error(form, exc)
            status = exc.status
        else:
            session.commit()
            flash(_("Subscription %(id)s created: %(url)s", id=subscription.id,
                    url=subscription.url), "ok")
            return redirect(url_for("dispatch.webhooks"))
    elif form.is_submitted():
        status = 422
    owners = dict(db().execute(select(Enterprise.id, Enterprise.name)).all())
    return render_template("dispatch/webhooks.html", form=form, rows=_subscriptions(),
                           owners=owners), status


@bp.post("/webhooks/<int:subscription_id>/active")
@only(*EDITORS)
def webhook_active(subscription_id: int):
    session = db()
    active = request.form.get("active") == "1"
    hooks.set_subscription_active(session, subscription_id, active)
    session.commit()
    flash(_("Subscription %(id)s activated.", id=subscription_id) if active
          else _("Subscription %(id)s deactivated.", id=subscription_id), "ok")
    return redirect(url_for("dispatch.webhooks"))


@bp.get("/webhooks/deliveries")
@only(*EDITORS)
def deliveries():
    subscription_id = request.args.get("subscription", type=int)
    status = request.args.get("status") or None
    if status not in (None, "pending", "delivered", "failed"):
        status = None
    rows = hooks.delivery_log(db(), subscription_id=subscription_id, status=status, limit=200)
    due = db().scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())).all()
    return render_template("dispatch/deliveries.html", rows=rows, status=status,
                           subscription_id=subscription_id, subscriptions=_subscriptions(),
                           due=len(due))


@bp.post("/webhooks/deliver")
@only(*EDITORS)
def deliver_now():
    """Attempt every delivery that is due, now, with the real HTTP poster."""
    session = db()
    run = hooks.deliver_due(session, poster())
    session.commit()
    flash(_("Attempted %(attempted)s: %(delivered)s delivered, %(retrying)s to retry, "
            "%(failed)s failed.", attempted=run.attempted, delivered=run.delivered,
            retrying=run.retrying, failed=run.failed), "ok" if not run.failed else "error")
    return redirect(url_for("dispatch.deliveries"))


# ---------------------------------------------------------------- loading scanner

def do_scan(session: Session, payload: dict, key: str) -> tuple[int, dict]:
    """Load a unit into another, or unload it, at a node; ``key`` is the scan id, so a
    replayed scan is a duplicate and changes nothing."""
    mode = payload.get("mode") or "load"
    if mode not in ("load", "unload"):
        raise ValidationError(N_("Must be one of: %(values)s"), field="mode",
                              values="load, unload")
    unit_code = str(payload.get("unit") or "").strip()
    node = str(payload.get("node") or "").strip()
    if not node:
        raise ValidationError(N_("Choose the place where you scan"), field="node")
    lg.get_node(session, node, "node")
    if not unit_code:
        raise ValidationError(N_("Scan a unit"), field="unit")
    into = None
    if mode == "load":
        into_code = str(payload.get("into") or "").strip()
        if not into_code:
            raise ValidationError(N_("Scan the unit it goes into"), field="into")
        into = lg.find_unit(session, into_code, field="into")
    try:
        unit = lg.find_unit(session, unit_code, field="unit")
    except NotFound:
        # A warehouse package (SSCC) becomes a transport unit on its first scan, and joins
        # the shipment of what it is loaded into: nobody retypes it.
        if not re.match(r"^(\(00\))?\d{18}$", unit_code.replace(" ", "")):
            raise
        unit = lg.unit_for_package(session, unit_code,
                                   shipment=into.shipment if into is not None else None)
    if mode == "load":
        result = lg.scan_load(session, unit.identifier, into.identifier, node=node,
                              scan_id=key)
        message = _("%(unit)s loaded into %(into)s", unit=unit.identifier,
                    into=into.identifier)
    else:
        result = lg.scan_unload(session, unit.identifier, node=node, scan_id=key)
        message = _("%(unit)s unloaded", unit=unit.identifier)
    inside = len(lg.unit_contents(session, unit))
    if inside:
        message += " " + _("(with %(n)s units inside)", n=inside)
    if result.duplicates and not result.accepted:
        message = _("Already recorded: %(message)s", message=message)
    return 201, {"message": message, "accepted": result.accepted,
                 "duplicates": result.duplicates, "unit": unit.identifier,
                 "kind": unit.kind, "into": into.identifier if into else None,
                 "inside": inside}


@bp.get("/m/load")
def load_page():
    nodes_ = lg.list_nodes(db())
    return render_template("dispatch/load.html", nodes=nodes_,
                           urls={"scan": url_for("dispatch.load_scan")},
                           i18n=load_strings())


@bp.post("/m/api/scan")
def load_scan():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(N_("Send a JSON object"))
    from .idempotency import idempotency_key
    key = idempotency_key(payload)
    if key is not None and (not isinstance(key, str) or not 8 <= len(key) <= 80):
        raise ValidationError(N_("An idempotency key is 8 to 80 characters"),
                              field="idempotency_key")
    if key is None:
        key = str(uuid.uuid4())
        return write({**payload, "idempotency_key": key}, lambda s: do_scan(s, payload, key))
    return write(payload, lambda s: do_scan(s, payload, key))


def load_strings() -> dict[str, str]:
    return {
        "scan_unit": _("Scan the unit to load (parcel, pallet, container…)"),
        "scan_into": _("Scan the unit it goes into"),
        "scan_unload": _("Scan the unit to unload"),
        "choose_node": _("Choose the place first"),
        "queued": _("No network: saved on this device, it will be sent when the network is "
                    "back."),
        "sent": _("Sent from this device:"),
        "session": _("Your session has ended: log in again. The waiting scans are kept."),
        "server": _("The server could not answer; the scan stays in the queue."),
        "offline": _("Offline"),
        "online": _("Online"),
        "load": _("Load"),
        "unload": _("Unload"),
    }
