"""The customs message outbox and the seam to customs' network.

Every message for customs is a ``CustomsMessage`` row: built and checked here, sent by a
gateway, answered by receipts that move its state. Customs' network is not reachable from
here, so the one gateway that ships is file-based: it writes each message to an outbox
folder (where the enterprise's signing client picks it up) and reads receipts from an inbox
folder. A network gateway implements the same methods; ``WMS_CUSTOMS_GATEWAY`` names it.

A message is sent once: sending claims the draft row with a state check (an UPDATE that
only a draft matches, after a ``FOR UPDATE SKIP LOCKED`` read on PostgreSQL), so of two
workers that pick the same message only one sends it. The claim and the new state commit
together after the gateway took the message; a worker that dies in between leaves it draft,
and the next sweep sends it again under the same guid and file name.
"""
from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, update
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
    from wms.jobs.queue import kick_after_commit
    kick_after_commit(session, "customs_send")
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


@dataclass(frozen=True)
class ReceivedFile:
    name: str
    content: bytes


class CustomsGateway(Protocol):
    def send(self, message: CustomsMessage) -> None: ...

    def receive(self) -> list[ReceivedFile]: ...

    def done(self, name: str, applied: bool) -> None: ...


class FileGateway:
    """Messages out as files ``<type>_<guid>.xml`` (sending again overwrites the same file);
    receipts in as files, moved to ``imported/`` (or ``rejected/``) only once applied, so a
    worker that dies while applying one leaves it in the inbox for the next poll."""

    def __init__(self, outbox: Path, inbox: Path) -> None:
        self.outbox, self.inbox = Path(outbox), Path(inbox)

    def send(self, message: CustomsMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"{message.message_type}_{message.guid}.xml"
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        tmp.write_text(message.xml, encoding="utf-8")
        tmp.replace(path)

    def receive(self) -> list[ReceivedFile]:
        if not self.inbox.is_dir():
            return []
        files = []
        for path in sorted(self.inbox.glob("*.xml")):
            try:
                files.append(ReceivedFile(path.name, path.read_bytes()))
            except FileNotFoundError:  # another worker moved it aside meanwhile
                continue
        return files

    def done(self, name: str, applied: bool) -> None:
        folder = self.inbox / ("imported" if applied else "rejected")
        folder.mkdir(exist_ok=True)
        try:
            (self.inbox / name).replace(folder / name)
        except FileNotFoundError:
            pass


def gateway_from(spec: str) -> CustomsGateway:
    """``file:OUT_DIR,IN_DIR`` for the file gateway; ``package.module:factory`` for another
    (the enterprise's signing client), built by calling the factory."""
    kind, _, rest = spec.partition(":")
    if kind == "file":
        outbox, _, inbox = rest.partition(",")
        if not outbox or not inbox:
            raise ValueError("WMS_CUSTOMS_GATEWAY=file:OUT_DIR,IN_DIR needs both folders")
        return FileGateway(Path(outbox), Path(inbox))
    if not rest:
        raise ValueError("WMS_CUSTOMS_GATEWAY is file:OUT_DIR,IN_DIR or module:factory")
    return getattr(importlib.import_module(kind), rest)()


def draft_ids(session: Session, limit: int | None = None) -> list[int]:
    stmt = select(CustomsMessage.id).where(CustomsMessage.state == "draft")
    return list(session.scalars(stmt.order_by(CustomsMessage.id).limit(limit)))


def send_message(session: Session, message_id: int, gateway: CustomsGateway) -> bool:
    """Send one draft message in the caller's transaction; False when it is no longer a
    draft or another worker holds it. Commit right after: the claim holds until then."""
    locked = session.scalar(select(CustomsMessage.id).where(
        CustomsMessage.id == message_id, CustomsMessage.state == "draft")
        .with_for_update(skip_locked=True))
    if locked is None:
        return False
    now = utcnow()
    claimed = session.execute(update(CustomsMessage).where(
        CustomsMessage.id == message_id, CustomsMessage.state == "draft")
        .values(sent_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    message = session.get(CustomsMessage, message_id, populate_existing=True)
    message.state = "sent"
    session.flush()
    gateway.send(message)
    return True


def send_pending(session: Session, gateway: CustomsGateway) -> int:
    """Send every draft message in this transaction (the demo loaders); they become
    ``sent``. Background work sends each in its own transaction instead."""
    return sum(send_message(session, message_id, gateway) for message_id in draft_ids(session))
