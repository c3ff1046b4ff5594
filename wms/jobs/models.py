"""The record of background work: each periodic job's last run, the failures waiting for a
person, the notices raised for people, and the customs receipt files already applied."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wms.core.db import Base
from wms.core.types import UtcDateTime

OUTCOMES = ("ok", "failed")
RECEIPT_FILE_STATES = ("applied", "rejected")
NOTICE_ROLES = ("dispatcher", "customs_clerk", "returns_clerk", "supervisor")


class JobRun(Base):
    """One periodic job: when it last ran, how it ended, what it handled, when it is due.

    ``lease_until`` is the claim of the worker running it now: a second worker skips the job
    while the lease holds, and the lease of a worker that died runs out by itself."""

    __tablename__ = "job_run"
    __table_args__ = (CheckConstraint("outcome IS NULL OR outcome IN ('ok', 'failed')",
                                      name="outcome"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(10))
    # What the last run handled, as JSON: {"sent": 3}.
    counts: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)


class JobFailure(Base):
    """A run that failed, kept until a person retries it (or a later run succeeds)."""

    __tablename__ = "job_failure"
    __table_args__ = (Index("ix_job_failure_open", "resolved_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Retried by a person, or superseded by a later successful run.
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retried_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))


class Notice(Base):
    """Something a person should act on: a logistics alert, a deadline coming up. One per
    kind and subject, so repeated sweeps raise nothing twice. The message is a template
    with parameters, translated where it is shown."""

    __tablename__ = "job_notice"
    __table_args__ = (UniqueConstraint("kind", "subject_id"),
                      CheckConstraint("role IN (" + ", ".join(repr(r) for r in NOTICE_ROLES)
                                      + ")", name="role"),
                      Index("ix_job_notice_role_id", "role", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # alert_late, alert_no_report, declaration_due, return_apply_due, return_arrive_due
    kind: Mapped[str] = mapped_column(String(24))
    # The role whose desk acts on it.
    role: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id",
                                                            ondelete="CASCADE"), index=True)
    subject_id: Mapped[int]
    reference: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(String(200))
    params: Mapped[str] = mapped_column(Text, default="{}")
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReceiptFile(Base):
    """A customs receipt file taken from the gateway's inbox, by content hash: a file seen
    again (a worker died before moving it aside, two workers read it) is not applied twice."""

    __tablename__ = "customs_receipt_file"
    __table_args__ = (UniqueConstraint("sha256"),
                      CheckConstraint("state IN ('applied', 'rejected')", name="state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
