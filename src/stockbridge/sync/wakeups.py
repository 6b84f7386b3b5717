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
job. The new job's wake-up is delayed by ``STOCKBRIDGE_PUSH_COALESCE_SECONDS``: changes
committed meanwhile join the same queued job, and a burst becomes one push (eBay
allows 250 revisions a day per listing).

Safety net: every minute the scheduler calls :func:`queue_overdue_pushes`, which queues
a push (same rule) for every active channel with published rows dirty for longer than
``OVERDUE`` — whatever a crash between commit and queueing left behind.
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
from stockbridge.sync.jobs import DelayedWaker, Waker, enqueue_job

logger = logging.getLogger(__name__)

OVERDUE = timedelta(seconds=10)


class _Coalescing:
    """A waker that sends its wake-ups ``seconds`` late."""

    def __init__(self, waker: DelayedWaker, seconds: float) -> None:
        self._waker = waker
        self._seconds = seconds

    def wake(self, job_ids: Sequence[int]) -> None:
        if self._seconds > 0:
            self._waker.wake_later(job_ids, self._seconds)
        else:
            self._waker.wake(job_ids)


def queue_pushes(session: Session, waker: Waker, channel_ids: Iterable[int]) -> list[SyncJob]:
    """Queue an ``inventory`` job for each active channel that has none queued; returns them."""
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
        if pending is None:
            job = enqueue_job(session, waker, kind=JobKind.INVENTORY, channel_id=channel_id)
            queued.append(job)
    return queued


def queue_overdue_pushes(
    session: Session, waker: Waker, *, now: datetime | None = None, older_than: timedelta = OVERDUE
) -> list[SyncJob]:
    """The safety net: a push for every channel with rows dirty for longer than ``older_than``."""
    cutoff = (now or utcnow()) - older_than
    channel_ids = session.scalars(
        select(EcomListingChannel.channel_id)
        .where(
            EcomListingChannel.dirty_seq > EcomListingChannel.synced_seq,
            EcomListingChannel.status == PublicationStatus.PUBLISHED,
            EcomListingChannel.dirty_at < cutoff,
        )
        .distinct()
    ).all()
    return queue_pushes(session, waker, channel_ids)


class PushWakeups:
    """Queues push jobs after each commit that marked publications dirty."""

    def __init__(
        self, sessions: sessionmaker[Session], waker: DelayedWaker, *, coalesce_seconds: float
    ) -> None:
        self._sessions = sessions
        self._waker = _Coalescing(waker, coalesce_seconds)

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
                queue_pushes(own, self._waker, channel_ids)
        except Exception:
            # The change is committed; the overdue sweep queues its push a little later.
            logger.warning("could not queue pushes for channels %s", channel_ids, exc_info=True)

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(DIRTY_CHANNELS, None)
