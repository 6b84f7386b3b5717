"""The channel log: one ``ecom_channel_logs`` row per job run on a channel, and reading it.

A run's row is written in the transaction that records its outcome (succeeded, partly
failed, failed, retrying, waiting for a reconnect, dead, cancelled), so a job's history
and its row never disagree. Its ``operation`` is the job's kind as a channel operation;
``details`` carries the kind, the attempt, the counts and, for a retry, when it runs
again. Jobs of the whole installation (``cleanup``) have no channel and no log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    EcomChannel,
    EcomChannelLog,
    JobKind,
    LogLevel,
    SyncJob,
)
from stockbridge.db.types import utcnow
from stockbridge.errors import NotFound
from stockbridge.pos.catalog import Page, paginate

KIND_OPERATIONS: dict[JobKind, ChannelOperation] = {
    JobKind.INVENTORY: ChannelOperation.INVENTORY_PUSH,
    JobKind.PRICES: ChannelOperation.PRICE_PUSH,
    JobKind.LISTINGS: ChannelOperation.LISTING_SYNC,
    JobKind.ORDERS: ChannelOperation.ORDER_POLL,
    JobKind.RECONCILE: ChannelOperation.RECONCILE,
    JobKind.RETURNS: ChannelOperation.RETURN_SYNC,
    JobKind.TOKENS: ChannelOperation.TOKEN_REFRESH,
}


def record_job_run(
    session: Session,
    job: SyncJob,
    status: ChannelLogStatus,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> EcomChannelLog | None:
    """The log row of a job run that just ended; none for a job without a channel."""
    operation = KIND_OPERATIONS.get(job.kind)
    if job.channel_id is None or operation is None:
        return None
    now = utcnow()
    details: dict[str, Any] = {
        "kind": job.kind.value,
        "attempt": job.attempts,
        "counts": job.counts,
    }
    if retry_at is not None:
        details["retry_at"] = retry_at.isoformat()
    row = EcomChannelLog(
        channel_id=job.channel_id,
        job_id=job.id,
        operation=operation,
        status=status,
        records_processed=job.progress_done,
        records_failed=int(job.counts.get("failed", 0)),
        error_message=error,
        details=details,
        started_at=job.started_at or now,
        completed_at=now,
    )
    session.add(row)
    return row


def success_status(counts: dict[str, Any]) -> ChannelLogStatus:
    return ChannelLogStatus.PARTIAL if counts.get("failed") else ChannelLogStatus.SUCCESS


@dataclass(frozen=True)
class LogFilter:
    level: LogLevel | None = None
    operation: ChannelOperation | None = None
    since: datetime | None = None
    until: datetime | None = None


def channel_logs(
    session: Session, channel_id: int, filters: LogFilter, *, page: int, per_page: int
) -> Page[EcomChannelLog]:
    """A channel's log rows, newest first (a removed channel's logs stay readable)."""
    if session.get(EcomChannel, channel_id) is None:
        raise NotFound(f"channel {channel_id} does not exist", channel_id=channel_id)
    query = select(EcomChannelLog).where(EcomChannelLog.channel_id == channel_id)
    if filters.level is not None:
        query = query.where(EcomChannelLog.status.in_(filters.level.statuses))
    if filters.operation is not None:
        query = query.where(EcomChannelLog.operation == filters.operation)
    if filters.since is not None:
        query = query.where(EcomChannelLog.started_at >= filters.since)
    if filters.until is not None:
        query = query.where(EcomChannelLog.started_at < filters.until)
    query = query.order_by(EcomChannelLog.started_at.desc(), EcomChannelLog.id.desc())
    return paginate(session, query, page=page, per_page=per_page)
