"""Sync job records: what the job queue was asked to do, and how far it got.

A row is written in the same transaction as the change that needs the job; the queue
message that follows the commit only wakes a worker up (see ``sync/jobs.py``). So the
table, not the queue, says which work is outstanding, and the sweeper can re-queue
anything a crash left behind.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from stockbridge.db.models.base import Base
from stockbridge.db.types import BigId, JsonDoc, UTCDateTime, json_default_dict, str_enum, utcnow


class JobKind(StrEnum):
    """What a job does; each kind has one handler (``sync/handlers.py``)."""

    INVENTORY = "inventory"  # push dirty quantities
    PRICES = "prices"  # push dirty prices
    LISTINGS = "listings"  # create / update / end listings on a marketplace
    ORDERS = "orders"  # poll a marketplace for new and changed orders
    RECONCILE = "reconcile"  # re-assert every quantity on a marketplace
    RETURNS = "returns"  # poll returns and refunds
    CLEANUP = "cleanup"  # prune old finished job records
    WEBHOOK = "webhook"  # process one logged webhook delivery
    TOKENS = "tokens"  # refresh a channel's access token before it runs out


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEAD = "dead"  # failed after using up its attempts: a dead letter, to replay

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def unsuccessful(self) -> bool:
        return self in (JobStatus.FAILED, JobStatus.DEAD)


class SyncJob(Base):
    __tablename__ = "sync_jobs"
    __table_args__ = (
        CheckConstraint("progress_done >= 0", name="progress_done_not_negative"),
        CheckConstraint(
            "progress_total IS NULL OR progress_total >= 0", name="progress_total_not_negative"
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The sweeper's and the scheduler's look-ups.
        Index(None, "status", "queued_at"),
        Index(None, "channel_id", "kind", "queued_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind))
    # NULL for jobs of the whole installation (cleanup).
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("ecom_channels.id"))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus))
    # What the handler needs beyond kind and channel (e.g. listing ids); plain JSON.
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    progress_done: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    progress_total: Mapped[int | None] = mapped_column(BigInteger)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    # How far a resumable job got (an adapter cursor): a re-run after a crash goes on from it.
    cursor: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A queued job waiting to be retried is not run before this time.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A dead letter that was replayed: the fresh job that replaced it.
    replayed_as_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_jobs.id", ondelete="SET NULL")
    )
