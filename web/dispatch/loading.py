"""The loading scanner (``/dispatch/m/load``): load a unit into another, or unload it, at a
node. The page's JavaScript (static, the scanner helper's) posts to ``/dispatch/m/api/scan``;
the JSON answer's fields stay as they are."""
from __future__ import annotations

import uuid

from flask import render_template, request, url_for
from flask_babel import gettext as _

from wms.core.errors import N_, ValidationError
from wms.logistics.loading import scan_unit
from wms.logistics.network import list_nodes

from ..db import db
from ..idempotency import idempotency_key, write
from .access import bp


def scan_key(payload: dict) -> str | None:
    """The scan's id: its idempotency key, 8 to 80 characters, when one is sent."""
    key = idempotency_key(payload)
    if key is not None and (not isinstance(key, str) or not 8 <= len(key) <= 80):
        raise ValidationError(N_("An idempotency key is 8 to 80 characters"),
                              field="idempotency_key")
    return key


@bp.get("/m/load")
def load_page():
    return render_template("dispatch/load.html", nodes=list_nodes(db()),
                           urls={"scan": url_for("dispatch.load_scan")},
                           i18n=load_strings())


@bp.post("/m/api/scan")
def load_scan():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationError(N_("Send a JSON object"))
    mode = payload.get("mode") or "load"
    if mode not in ("load", "unload"):
        raise ValidationError(N_("Must be one of: %(values)s"), field="mode",
                              values="load, unload")
    key = scan_key(payload)
    if key is None:
        key = str(uuid.uuid4())
        payload = {**payload, "idempotency_key": key}

    def use_case(session):
        return 201, scan_unit(session, mode, payload.get("unit"), into=payload.get("into"),
                              node=payload.get("node"), scan_id=key).as_answer(_)
    return write(payload, use_case)


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
