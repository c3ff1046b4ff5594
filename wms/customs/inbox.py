"""Customs' answers come in through one door.

``apply_receipt_file`` parses a receipt file (any CEB receipt type), records each receipt
against the message it answers and hands it to the handler that the sending package
registered for that message type: outbound for inventory lists, returns for return
applications. The packages register themselves, so customs imports none of them.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.errors import N_, NotFound

from . import ceb
from .models import CustomsMessage
from .outbox import record_receipt

ReceiptHandler = Callable[[Session, CustomsMessage, "ceb.CebReceipt"], None]
_handlers: dict[str, ReceiptHandler] = {}

# The modules whose import registers a handler (imported on first use).
HANDLER_MODULES = ("wms.outbound.declare", "wms.returns.declaration")


def handles(*message_types: str) -> Callable[[ReceiptHandler], ReceiptHandler]:
    """Register a handler for receipts that answer messages of these types."""
    def register(handler: ReceiptHandler) -> ReceiptHandler:
        for message_type in message_types:
            _handlers[message_type] = handler
        return handler
    return register


def _load_handlers() -> None:
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def apply_receipt_file(session: Session, xml: bytes) -> list[CustomsMessage]:
    """Import a receipt file: each receipt updates its message, then its handler moves the
    business document. A receipt for a guid never sent is refused and nothing changes."""
    _load_handlers()
    receipts = ceb.parse_receipts(xml)
    guids = {(r.guid or "").upper() for r in receipts}
    messages = {m.guid: m for m in session.scalars(select(CustomsMessage).where(
        CustomsMessage.guid.in_(guids)))}
    for receipt in receipts:
        if (receipt.guid or "").upper() not in messages:
            raise NotFound(N_("No message with guid %(guid)s was sent"), field="guid",
                           guid=receipt.guid)
    raw = xml.decode("utf-8")
    touched = []
    for receipt in receipts:
        message = messages[(receipt.guid or "").upper()]
        record_receipt(session, message, receipt.return_status, receipt.return_info, raw,
                       receipt.return_time)
        touched.append(message)
        handler = _handlers.get(message.message_type)
        if handler is not None and not receipt.format_error:
            handler(session, message, receipt)
    return touched
