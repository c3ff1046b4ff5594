"""The jobs that move what the rows say is waiting: customs messages out, receipts in,
webhook deliveries, and the cleanup of old idempotency keys. Each item is handled in its own
transaction, so a worker killed in the middle of a batch loses at most the item in hand,
which stays waiting for the next run."""
from __future__ import annotations

import hashlib
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wms.core.db import run_in_transaction
from wms.core.errors import N_, DomainError
from wms.core.idempotency import IdempotencyKey

from .models import ReceiptFile
from .runner import JobContext, job

BATCH = 200


class JobItemsFailed(RuntimeError):
    """Some items failed (they stay waiting); the run is recorded as failed with the first."""


@job("customs_send", N_("Send draft customs messages"))
def send_customs_messages(ctx: JobContext) -> dict[str, int]:
    from wms.customs.outbox import draft_ids, send_message
    gateway = ctx.customs_gateway()
    sent = errors = 0
    first_error: Exception | None = None
    seen: set[int] = set()
    while True:
        with ctx.sessions() as session:
            ids = [i for i in draft_ids(session, BATCH) if i not in seen]
        if not ids:
            break
        for message_id in ids:
            seen.add(message_id)
            try:
                if run_in_transaction(ctx.sessions,
                                      lambda s, i=message_id: send_message(s, i, gateway)):
                    sent += 1
            except Exception as exc:  # the gateway refused: it stays draft for the next run
                errors += 1
                first_error = first_error or exc
    if first_error is not None:
        raise JobItemsFailed(f"{errors} message(s) not sent (sent {sent}): {first_error}")
    return {"sent": sent}


def apply_file(session: Session, name: str, content: bytes) -> bool:
    """Apply one receipt file through the customs inbox, recording its hash in the same
    transaction; False when a file with this content was applied (or refused) before."""
    from wms.customs.inbox import apply_receipt_file
    from wms.core.db import utcnow
    digest = hashlib.sha256(content).hexdigest()
    if session.scalar(select(ReceiptFile.id).where(ReceiptFile.sha256 == digest)):
        return False
    session.add(ReceiptFile(name=name[:200], sha256=digest, state="applied",
                            received_at=utcnow()))
    session.flush()  # a second worker with the same file stops here, on the unique hash
    apply_receipt_file(session, content)
    return True


def _refuse_file(session: Session, name: str, content: bytes, error: str) -> None:
    from wms.core.db import utcnow
    session.add(ReceiptFile(name=name[:200], sha256=hashlib.sha256(content).hexdigest(),
                            state="rejected", error=error[:2000], received_at=utcnow()))
    session.flush()


@job("customs_receive", N_("Apply customs receipts from the gateway"))
def receive_customs_receipts(ctx: JobContext) -> dict[str, int]:
    gateway = ctx.customs_gateway()
    applied = repeated = rejected = 0
    for received in gateway.receive():
        try:
            if run_in_transaction(ctx.sessions,
                                  lambda s, f=received: apply_file(s, f.name, f.content)):
                applied += 1
            else:
                repeated += 1
            gateway.done(received.name, True)
        except IntegrityError:  # another worker applied it at the same moment
            repeated += 1
        except Exception as exc:  # a file customs' client garbled, a guid never sent
            detail = exc.message if isinstance(exc, DomainError) else str(exc)
            try:
                run_in_transaction(ctx.sessions, lambda s, f=received, d=detail:
                                   _refuse_file(s, f.name, f.content, d))
            except IntegrityError:
                pass
            gateway.done(received.name, False)
            rejected += 1
    return {"applied": applied, "repeated": repeated, "rejected": rejected}


@job("webhooks_deliver", N_("Deliver due webhooks"))
def deliver_webhooks(ctx: JobContext) -> dict[str, int]:
    from wms.logistics.webhooks import DeliveryRun, deliver_one, due_delivery_ids
    post = ctx.webhook_post()
    run = DeliveryRun()
    now = ctx.clock()
    with ctx.sessions() as session:
        ids = due_delivery_ids(session, now, limit=1000)
    for delivery_id in ids:
        run_in_transaction(ctx.sessions,
                           lambda s, i=delivery_id: deliver_one(s, i, post, now, run))
    return {"attempted": run.attempted, "delivered": run.delivered,
            "retrying": run.retrying, "failed": run.failed}


@job("idempotency_cleanup", N_("Remove old idempotency keys"))
def clean_idempotency_keys(ctx: JobContext) -> dict[str, int]:
    """Keys older than ``WMS_IDEMPOTENCY_KEEP_HOURS``: a replay that late would run as a new
    request, so the setting is longer than any handheld stays offline."""
    limit = ctx.clock() - ctx.settings.idempotency_keep

    def clean(session: Session) -> int:
        return session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.created_at < limit)
            .execution_options(synchronize_session=False)).rowcount
    return {"deleted": run_in_transaction(ctx.sessions, clean)}
