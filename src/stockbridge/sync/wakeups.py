"""Push jobs for the channels whose publications a committed transaction marked dirty.

``mark_listings_dirty`` notes the channels it touched on the session
(``pos.outbox.DIRTY_CHANNELS``). Once that transaction **commits**, :class:`PushWakeups`
(a listener on the session factory, installed by the job queue) queues an ``inventory``
job per channel in a transaction of its own; a rolled-back transaction queues nothing.

At most one push per channel is *pending*. The rule, and why it loses nothing:

- a job of the channel that is still ``queued`` (not started) absorbs the change: it
  reads the dirty rows only after it has started, and it starts after this check, so it
  sees every change committed before the check;
- a ``running`` job does not absorb it (it may have read its rows already), so a new
  job is queued behind it.

The channel row is locked while deciding (PostgreSQL), so two commits at once queue one
job.

When the new job is woken is the coalescing rule (leading edge, then a window): at
once if the channel's last push started ``STOCKBRIDGE_PUSH_COALESCE_SECONDS`` ago or
more (a lone sale goes out within one push's time); else when that window since the
last push's start ends. Changes committed meanwhile join the queued job, so a channel's
pushes start at least one window apart, and a burst becomes at most two pushes: the
first with what was committed before it started, the second with all the rest. A
listing is therefore revised at most once per push and at most once per window (eBay
allows 250 revisions a day per listing; see docs/sync.md).

Safety net: every minute the scheduler calls :func:`queue_overdue_pushes`: for every
active channel with published rows dirty for longer than ``OVERDUE`` it queues a push
(same rule), or wakes again the one that is queued, at once: whatever a crash between
commit and queueing, or a wake-up timer lost with its process, left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ChannelStatus,
    EcomChannel,
    EcomListingChannel,
    JobKind,
    JobStatus,
    PublicationStatus,
    SyncJob,
)
from stockbridge.db.types import utcnow
from stockbridge.pos.outbox import DIRTY_CHANNELS
from stockbridge.sync.jobs import DelayedWaker, enqueue_job, wake_after_commit

logger = logging.getLogger(__name__)

OVERDUE = timedelta(seconds=10)


class _WakeIn:
    """A waker for one job: its wake-up sent ``seconds`` late (at once for 0)."""

    def __init__(self, waker: DelayedWaker, seconds: float) -> None:
        self._waker = waker
        self._seconds = seconds

    def wake(self, job_ids: Sequence[int]) -> None:
        if self._seconds > 0:
            self._waker.wake_later(job_ids, self._seconds)
        else:
            self._waker.wake(job_ids)


def window_left(session: Session, channel_id: int, window: float, now: datetime) -> float:
    """Seconds until ``window`` has passed since the channel's last push started (0: now)."""
    if window <= 0:
        return 0.0
    started = session.scalar(
        select(SyncJob.started_at)
        .where(SyncJob.channel_id == channel_id, SyncJob.kind == JobKind.INVENTORY)
        .order_by(SyncJob.queued_at.desc(), SyncJob.id.desc())
        .limit(1)
    )
    if started is None:
        return 0.0
    left = window - (now - started).total_seconds()
    return min(max(left, 0.0), window)


def queue_pushes(
    session: Session,
    waker: DelayedWaker,
    channel_ids: Iterable[int],
    *,
    window: float = 0.0,
    wake_pending: bool = False,
    now: datetime | None = None,
) -> list[SyncJob]:
    """Queue an ``inventory`` job for each active channel that has none queued, woken by
    the coalescing rule (module docstring); returns them. ``wake_pending``: a job already
    queued is woken again at once (a second wake-up runs nothing twice)."""
    now = now or utcnow()
    queued: list[SyncJob] = []
    for channel_id in sorted(set(channel_ids)):
        channel = session.scalar(
            select(EcomChannel).where(EcomChannel.id == channel_id).with_for_update()
        )
        if channel is None or channel.status is not ChannelStatus.ACTIVE or channel.deleted_at:
            continue
        pending = session.scalar(
            select(SyncJob.id).where(
                SyncJob.channel_id == channel_id,
                SyncJob.kind == JobKind.INVENTORY,
                SyncJob.status == JobStatus.QUEUED,
            )
        )
        if pending is not None:
            if wake_pending:
                wake_after_commit(session, waker, pending)
            continue
        delay = window_left(session, channel_id, window, now)
        job = enqueue_job(
            session, _WakeIn(waker, delay), kind=JobKind.INVENTORY, channel_id=channel_id
        )
        queued.append(job)
    return queued


def queue_overdue_pushes(
    session: Session,
    waker: DelayedWaker,
    *,
    now: datetime | None = None,
    older_than: timedelta = OVERDUE,
) -> list[SyncJob]:
    """The safety net: a push, woken at once, for every channel with rows dirty for longer
    than ``older_than`` (its queued push woken again if it has one); returns new jobs."""
    now = now or utcnow()
    channel_ids = session.scalars(
        select(EcomListingChannel.channel_id)
        .where(
            EcomListingChannel.dirty_seq > EcomListingChannel.synced_seq,
            EcomListingChannel.status == PublicationStatus.PUBLISHED,
            EcomListingChannel.dirty_at < now - older_than,
        )
        .distinct()
    ).all()
    return queue_pushes(session, waker, channel_ids, wake_pending=True, now=now)


class PushWakeups:
    """Queues push jobs after each commit that marked publications dirty."""

    def __init__(
        self, sessions: sessionmaker[Session], waker: DelayedWaker, *, coalesce_seconds: float
    ) -> None:
        self._sessions = sessions
        self._waker = waker
        self._window = coalesce_seconds

    def install(self) -> None:
        if not event.contains(self._sessions, "after_commit", self._after_commit):
            event.listen(self._sessions, "after_commit", self._after_commit)
            event.listen(self._sessions, "after_rollback", self._after_rollback)

    def remove(self) -> None:
        if event.contains(self._sessions, "after_commit", self._after_commit):
            event.remove(self._sessions, "after_commit", self._after_commit)
            event.remove(self._sessions, "after_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint released: the transaction itself has not committed yet
        channel_ids: set[int] = session.info.pop(DIRTY_CHANNELS, set())
        if not channel_ids:
            return
        try:
            with transaction(self._sessions) as own:
                queue_pushes(own, self._waker, channel_ids, window=self._window)
        except Exception:
            # The change is committed; the overdue sweep queues its push a little later.
            logger.warning("could not queue pushes for channels %s", channel_ids, exc_info=True)

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(DIRTY_CHANNELS, None)
