"""How the dispatcher's desk and the public tracking page say things: the titles of modes,
statuses, milestones and kinds, times in the right zone, delays, and node names in the
user's language. Shared by both blueprints (tracking imports this; this imports neither).
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from zoneinfo import ZoneInfo

from wms.logistics.events import FLAG_REASONS
from wms.logistics.models import RouteNode
from wms.logistics.shipments import EXCEPTION_STATUSES
from wms.logistics.times import zone_of

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
                "open": _l("Open"), "acknowledged": _l("Acknowledged"),
                "resolved": _l("Resolved")}
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
# The one badge of a shipment (``shipment_progress``): its state, legs and status together.
PROGRESS_TITLES = {"draft": _l("Draft"), "booked": _l("Booked"),
                   "arrived": _l("Arrived at destination"),
                   **{key: STATUS_TITLES[key] for key in ("in_transit", "delivered", "cancelled",
                                                           *EXCEPTION_STATUSES)}}
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
            "kind_titles": KIND_TITLES, "progress_titles": PROGRESS_TITLES,
            "flag_reason": flag_reason}


def flag_reason(event) -> str:
    """Why an event was flagged, in the user's language (the event stores the code; rows
    older than the codes keep their English note, shown as it is)."""
    template = FLAG_REASONS.get(event.flag_reason or "")
    if template is None:
        return event.flag_reason or ""
    return _(template, code=event.source_code)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def fmt_time(value: datetime | None, offset: str | None = None, short: bool = False) -> str:
    if value is None:
        return "—"
    zone = zone_of(offset) or local_zone()
    text = value.astimezone(zone).strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M")
    return f"{text} {offset}" if offset and not short else text


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


def fmt_duration(minutes: int | float | None) -> str:
    """1 d 4 h, 3 h, 45 min: a length of time, no sign."""
    return fmt_delay(abs(minutes))[1:] if minutes is not None else ""


def is_zh() -> bool:
    locale = get_locale()
    return bool(locale) and locale.language == "zh"


def node_name(node: RouteNode | None) -> str:
    if node is None:
        return "—"
    return (node.name_zh or node.name) if is_zh() else node.name


def short_label(node: RouteNode) -> str:
    """A label that fits under a node of the line diagram."""
    if node.iata:
        return node.iata
    if is_zh() and node.name_zh:
        return re.split(r"[（(]", node.name_zh)[0].replace("国际", "")
    name = node.name.split(" (")[0]
    return name if len(name) <= 13 else name.split(" ")[0]


def register(bp) -> None:
    """The titles for this blueprint's templates; the time filters and node names for every
    template (the office pages show shipment times too)."""
    bp.context_processor(titles)
    bp.add_app_template_filter(fmt_time, "dsp_time")
    bp.add_app_template_filter(fmt_iso, "dsp_iso")
    bp.add_app_template_filter(fmt_delay, "dsp_delay")
    bp.add_app_template_filter(fmt_duration, "dsp_duration")
    bp.app_context_processor(lambda: {"dsp_node_name": node_name})
