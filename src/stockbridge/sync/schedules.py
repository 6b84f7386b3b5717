"""The periodic scheduler: per active channel, the jobs due at its configured intervals.

Run every minute. For each active channel and each scheduled kind that has a handler,
a job is queued when none of that kind is queued or running for the channel and the
last one was queued at least the channel's interval ago (``SyncIntervals`` in the
channel's settings). Once a day a ``cleanup`` job prunes old job records.

The channel rows are locked ``FOR UPDATE SKIP LOCKED`` while deciding (on PostgreSQL;
SQLite serialises writers), so schedulers of several workers never queue a job twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from stockbridge.commerce.channel_schemas import SyncIntervals
from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync.jobs import Waker, enqueue_job

CLEANUP_EVERY = timedelta(days=1)

# Kind -> its interval in a channel's settings.
CHANNEL_SCHEDULES: dict[JobKind, Callable[[SyncIntervals], timedelta]] = {
    JobKind.ORDERS: lambda every: timedelta(seconds=every.order_poll_seconds),
    JobKind.RECONCILE: lambda every: timedelta(minutes=every.inventory_reconcile_minutes),
}

_OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)


def schedule_channel_jobs(
    session: Session,
    waker: Waker,
    *,
    kinds: Collection[JobKind],
    now: datetime | None = None,
) -> list[SyncJob]:
    """Queue the jobs that are due; returns them."""
    now = now or utcnow()
    scheduled = [kind for kind in CHANNEL_SCHEDULES if kind in kinds]
    queued: list[SyncJob] = []
    if scheduled:
        channels = session.scalars(
            select(EcomChannel)
            .where(EcomChannel.status == ChannelStatus.ACTIVE, EcomChannel.deleted_at.is_(None))
            .order_by(EcomChannel.id)
            .with_for_update(skip_locked=True)
        ).all()
        history = _history(session, [channel.id for channel in channels], scheduled)
        for channel in channels:
            intervals = _intervals(channel)
            for kind in scheduled:
                last, open_ = history.get((channel.id, kind), (None, False))
                if not open_ and (last is None or last <= now - CHANNEL_SCHEDULES[kind](intervals)):
                    queued.append(enqueue_job(session, waker, kind=kind, channel_id=channel.id))
    if JobKind.CLEANUP in kinds and _cleanup_due(session, now):
        queued.append(enqueue_job(session, waker, kind=JobKind.CLEANUP))
    return queued


def _intervals(channel: EcomChannel) -> SyncIntervals:
    return SyncIntervals.model_validate(channel.config.get("settings", {}).get("sync", {}))


def _history(
    session: Session, channel_ids: list[int], kinds: list[JobKind]
) -> dict[tuple[int, JobKind], tuple[datetime | None, bool]]:
    """(channel, kind) -> (when the last job was queued, whether one is queued or running)."""
    if not channel_ids:
        return {}
    rows = session.execute(
        select(
            SyncJob.channel_id,
            SyncJob.kind,
            func.max(SyncJob.queued_at),
            func.sum(case((SyncJob.status.in_(_OPEN), 1), else_=0)),
        )
        .where(SyncJob.channel_id.in_(channel_ids), SyncJob.kind.in_(kinds))
        .group_by(SyncJob.channel_id, SyncJob.kind)
    ).all()
    return {
        (channel_id, JobKind(kind)): (last, bool(open_count))
        for channel_id, kind, last, open_count in rows
        if channel_id is not None
    }


def _cleanup_due(session: Session, now: datetime) -> bool:
    recent = session.scalar(
        select(func.count())
        .select_from(SyncJob)
        .where(SyncJob.kind == JobKind.CLEANUP, SyncJob.queued_at > now - CLEANUP_EVERY)
    )
    return not recent
