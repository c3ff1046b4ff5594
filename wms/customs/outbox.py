"""The customs message outbox and the seam to customs' network.

Every message for customs is a ``CustomsMessage`` row: built and checked here, sent by a
gateway, answered by receipts that move its state. Customs' network is not reachable from
here, so the one gateway that ships is file-based: it writes each message to an outbox
folder (where the enterprise's signing client picks it up) and reads receipts from an inbox
folder. A network gateway implements the same two methods.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound
from wms.core.scoping import scope_to_owner

from .models import CustomsMessage, CustomsReceipt

# returnStatus -> message state (DOMAIN.md section 3)
STATE_BY_STATUS = {"100": "rejected", "120": "accepted", "300": "accepted", "399": "accepted",
                   "500": "held", "501": "held", "502": "held", "503": "held", "599": "held",
                   "700": "rejected", "800": "released", "899": "released"}


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def queue_message(session: Session, message_type: str, xml: str, *, business_key: str,
                  owner_id: int | None = None, guid: str | None = None) -> CustomsMessage:
    guid = guid or new_guid()
    if session.scalar(select(CustomsMessage.id).where(CustomsMessage.guid == guid)):
        raise Conflict(N_("A message with guid %(guid)s exists already"), field="guid",
                       guid=guid)
    message = CustomsMessage(message_type=message_type, guid=guid, business_key=business_key,
                             owner_id=owner_id, xml=xml, state="draft")
    session.add(message)
    session.flush()
    return message


def messages_query(message_type: str | None = None, state: str | None = None):
    stmt = select(CustomsMessage).order_by(CustomsMessage.id.desc())
    if message_type:
        stmt = stmt.where(CustomsMessage.message_type == message_type)
    if state:
        stmt = stmt.where(CustomsMessage.state == state)
    return scope_to_owner(stmt, CustomsMessage.owner_id)


def get_message(session: Session, guid: str) -> CustomsMessage:
    message = session.scalar(messages_query().where(CustomsMessage.guid == guid.upper()))
    if message is None:
        raise NotFound(N_("No customs message %(guid)s"), field="guid", guid=guid)
    return message


def record_receipt(session: Session, message: CustomsMessage, status: str, info: str | None,
                   raw: str, returned_at=None) -> CustomsReceipt:
    """Keep a receipt and move the message's state by its returnStatus."""
    receipt = CustomsReceipt(message_id=message.id, return_status=status,
                             return_time=returned_at, return_info=info, raw=raw,
                             received_at=utcnow())
    session.add(receipt)
    message.return_status = status
    message.return_info = info
    if status.startswith("-"):
        message.state = "failed"
    elif status in STATE_BY_STATUS:
        message.state = STATE_BY_STATUS[status]
    session.flush()
    return receipt


class CustomsGateway(Protocol):
    def send(self, message: CustomsMessage) -> None: ...

    def receive(self) -> list[bytes]: ...


class FileGateway:
    """Messages out as files ``<type>_<guid>.xml``; receipts in as files, moved aside once
    read so that each is imported once."""

    def __init__(self, outbox: Path, inbox: Path) -> None:
        self.outbox, self.inbox = Path(outbox), Path(inbox)

    def send(self, message: CustomsMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"{message.message_type}_{message.guid}.xml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(message.xml, encoding="utf-8")
        tmp.replace(path)

    def receive(self) -> list[bytes]:
        if not self.inbox.is_dir():
            return []
        done = self.inbox / "imported"
        done.mkdir(exist_ok=True)
        contents = []
        for path in sorted(self.inbox.glob("*.xml")):
            contents.append(path.read_bytes())
            path.replace(done / path.name)
        return contents


def send_pending(session: Session, gateway: CustomsGateway) -> int:
    """Send every draft message; they become ``sent``."""
    pending = session.scalars(select(CustomsMessage).where(CustomsMessage.state == "draft")
                              .order_by(CustomsMessage.id)).all()
    for message in pending:
        gateway.send(message)
        message.state = "sent"
        message.sent_at = utcnow()
    session.flush()
    return len(pending)
