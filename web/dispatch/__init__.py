"""The dispatcher's desk (``/dispatch``), one blueprint in rooms: the board, shipments and
alerts, the route network, event upload, webhooks and the loading scanner.

Views parse, call one door in ``wms.logistics``, commit and render; what they show is read
through ``wms.logistics.queries``. Who may see what is in ``access``.
"""
from __future__ import annotations

from . import (board, events, labels, lanes, loading, network, shipment_forms,  # noqa: F401
               shipments, transfer_forms, units, webhooks)  # (views)
from .access import bp
from .format import register

register(bp)

__all__ = ["bp"]
