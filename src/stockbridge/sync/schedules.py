"""The periodic scheduler: per active channel, the jobs due at its configured intervals.

Run every minute. For each active channel and each scheduled kind that has a handler,
a job is queued when none of that kind is queued or running for the channel and the
last one was queued at least the channel's interval ago (``SyncIntervals`` in the
channel's settings). Only full reconciles count for the ``reconcile`` schedule: one a
webhook queued for a few publications (payload ``publication_ids``) neither delays nor
replaces the walk of the whole channel. A ``tokens`` job is queued instead when the channel's stored
access token runs out within its ``token_refresh_margin_minutes`` (at most one per
margin, so a refresh that keeps failing does not pile up jobs); a channel whose token
never expires gets none. Once a day a ``cleanup`` job prunes old job records.

The channel rows are locked ``FOR UPDATE SKIP LOCKED`` while deciding (on PostgreSQL;
SQLite serialises writers), so schedulers of several workers never queue a job twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from stockbridge.commerce.channel_schemas import SyncIntervals
from stockbridge.commerce.channels import access_expires_at
from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync.jobs import Waker, enqueue_job
from stockbridge.vault import SecretUnreadable, Vault

logger = logging.getLogger(__name__)

CLEANUP_EVERY = timedelta(days=1)

# Kind -> its interval in a channel's settings.
CHANNEL_SCHEDULES: dict[JobKind, Callable[[SyncIntervals], timedelta]] = {
    JobKind.ORDERS: lambda every: timedelta(seconds=every.order_poll_seconds),
    JobKind.RECONCILE: lambda every: timedelta(minutes=every.inventory_reconcile_minutes),
}

_OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)

#: A job the schedule counts: any but a reconcile of named publications (a webhook's).
_SCHEDULED_WORK: ColumnElement[bool] = or_(
    SyncJob.kind != JobKind.RECONCILE,
    SyncJob.payload["publication_ids"].as_string().is_(None),
)


def schedule_channel_jobs(
    session: Session,
    waker: Waker,
    *,
    kinds: Collection[JobKind],
    now: datetime | None = None,
    vault: Vault | None = None,
) -> list[SyncJob]:
    """Queue the jobs that are due; returns them. ``tokens`` jobs need the ``vault`` the
    channels' tokens are sealed with (without one, none is queued)."""
    now = now or utcnow()
    scheduled = [kind for kind in CHANNEL_SCHEDULES if kind in kinds]
    tokens = vault if JobKind.TOKENS in kinds and vault is not None and vault.ready else None
    if tokens is not None:
        scheduled.append(JobKind.TOKENS)
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
                if kind is JobKind.TOKENS:
                    every = timedelta(minutes=intervals.token_refresh_margin_minutes)
                    due = tokens is not None and _token_expiring(channel, tokens, now + every)
                else:
                    every, due = CHANNEL_SCHEDULES[kind](intervals), True
                if due and not open_ and (last is None or last <= now - every):
                    queued.append(enqueue_job(session, waker, kind=kind, channel_id=channel.id))
    if JobKind.CLEANUP in kinds and _cleanup_due(session, now):
        queued.append(enqueue_job(session, waker, kind=JobKind.CLEANUP))
    return queued


def _intervals(channel: EcomChannel) -> SyncIntervals:
    return SyncIntervals.model_validate(channel.config.get("settings", {}).get("sync", {}))


def _token_expiring(channel: EcomChannel, vault: Vault, by: datetime) -> bool:
    """The channel's access token runs out by ``by`` (one whose secrets cannot be read is
    left alone: its jobs report that)."""
    try:
        expires = access_expires_at(channel, vault)
    except SecretUnreadable:
        logger.warning("channel %s: its stored tokens cannot be read", channel.id)
        return False
    return expires is not None and expires <= by


def _history(
    session: Session, channel_ids: list[int], kinds: list[JobKind]
) -> dict[tuple[int, JobKind], tuple[datetime | None, bool]]:
    """(channel, kind) -> (when the last job was queued, whether one is queued or running),
    of the jobs the schedule counts (:data:`_SCHEDULED_WORK`)."""
    if not channel_ids:
        return {}
    rows = session.execute(
        select(
            SyncJob.channel_id,
            SyncJob.kind,
            func.max(SyncJob.queued_at),
            func.sum(case((SyncJob.status.in_(_OPEN), 1), else_=0)),
        )
        .where(SyncJob.channel_id.in_(channel_ids), SyncJob.kind.in_(kinds), _SCHEDULED_WORK)
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
