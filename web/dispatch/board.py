"""The board of trains, flights and mail dispatches in transit, and its JSON for the page to
refresh itself without reloading."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from wms.core.db import utcnow
from wms.logistics.models import MODES, STATUSES
from wms.logistics.queries import BoardFilter, BoardRow, board_rows, list_alerts
from wms.logistics.shipments import shipment_progress

from ..db import db
from .access import EDITORS, bp
from .drawing import Diagram, route_diagram
from .format import fmt_time, node_name
from .map import corridor_map, map_network

POLL_SECONDS = 30


def board_filter(args) -> BoardFilter:
    """The filter from the query string; values the board does not know are ignored."""
    mode = args.get("mode") or None
    status = args.get("status") or None
    return BoardFilter(mode=mode if mode in MODES else None,
                       status=status if status in STATUSES else None,
                       late=args.get("late") in ("1", "on", "true", "yes"))


def filter_args(f: BoardFilter) -> dict:
    out = {}
    if f.mode:
        out["mode"] = f.mode
    if f.status:
        out["status"] = f.status
    if f.late:
        out["late"] = "1"
    return out


@dataclass
class BoardLine:
    """A board row as drawn: the domain's row with names and the diagram."""

    row: BoardRow
    origin: str
    destination: str
    place: str
    diagram: Diagram | None
    progress: str = "booked"

    def __getattr__(self, name):
        return getattr(self.row, name)

    @property
    def late_tag(self) -> bool:
        """The red "late" tag: an open late or no-report alert, and the difference shown
        beside it not early (the tag reads the same number as the difference)."""
        return any(a.kind in ("late", "no_report") for a in self.row.alerts) and \
            (self.row.delay_minutes is None or self.row.delay_minutes > 0) and \
            self.progress not in ("delivered", "cancelled")

    @property
    def missed_connection(self) -> bool:
        return any(a.kind == "connection" for a in self.row.alerts)


def _line(row: BoardRow) -> BoardLine:
    s = row.shipment
    place = node_name(s.current_node) if s.current_node else (s.current_place or "—")
    return BoardLine(row, node_name(s.origin), node_name(s.destination), place,
                     route_diagram(row.position) if row.position is not None else None,
                     progress=shipment_progress(s))


def board_context(f: BoardFilter) -> dict:
    now = utcnow()
    session = db()
    rows = [_line(r) for r in board_rows(session, f, now,
                                         with_owners=current_user.has_role(*EDITORS))]
    lanes, nodes = map_network(session)
    placed = [(r.shipment, r.row.position, (r.service_refs or [r.shipment.name])[0])
              for r in rows]
    return dict(rows=rows, now=now, filter=f, alert_count=len(list_alerts(session)),
                updated=fmt_time(now), map=corridor_map(lanes, nodes, placed, now))


@bp.get("/")
def index():
    f = board_filter(request.args)
    context = board_context(f)
    interval = int(current_app.config.get("DISPATCH_POLL_SECONDS", POLL_SECONDS))
    return render_template("dispatch/index.html", modes=MODES, statuses=STATUSES,
                           json_url=url_for("dispatch.board_json", **filter_args(f)),
                           interval=interval, filtered=bool(filter_args(f)), **context)


@bp.get("/board.json")
def board_json():
    """The board's rows as an HTML fragment (rendered by the same template as the page) and
    a summary per shipment, for dispatch.js to swap in without reloading."""
    f = board_filter(request.args)
    context = board_context(f)
    html = render_template("dispatch/_board_rows.html", **context)
    # Only the markers move: the countries and lanes stay as the page drew them.
    markers = render_template("dispatch/_map_units.html", **context)
    return jsonify(updated=context["updated"], generated_at=context["now"].isoformat(),
                   map_units=markers,
                   count=len(context["rows"]), alerts=context["alert_count"], html=html,
                   rows=[{"id": r.shipment.id, "name": r.shipment.name,
                          "status": r.shipment.status, "progress": r.progress,
                          "place": r.place,
                          "estimated_arrival": r.estimated_arrival.isoformat()
                          if r.estimated_arrival else None,
                          "delay_minutes": r.delay_minutes, "late": r.late_tag,
                          "position": r.diagram.marker_x if r.diagram else None}
                         for r in context["rows"]])
