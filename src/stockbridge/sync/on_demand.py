"""Jobs queued because a person asked: a channel's sync now, and the replay of a dead letter.

Both refuse (409) rather than queue a job that could not run: a channel that was
removed or needs reconnecting, or a kind that has no handler yet.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus, SyncJob
from stockbridge.errors import Conflict, NotFound
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.jobs import Waker, enqueue_job, get_job, mark_replayed


class SyncRequestKind(StrEnum):
    """What ``POST /api/ecom/channels/{id}/sync`` may ask for."""

    INVENTORY = "inventory"
    PRICES = "prices"
    LISTINGS = "listings"
    ORDERS = "orders"
    RECONCILE = "reconcile"  # read back and repair; brings the orders up to date first
    ALL = "all"  # one job per kind above that has a handler

    def job_kinds(self, handlers: JobHandlers) -> list[JobKind]:
        if self is not SyncRequestKind.ALL:
            return [JobKind(self.value)]
        kinds = [JobKind(kind.value) for kind in SyncRequestKind if kind is not self]
        return [kind for kind in kinds if handlers.get(kind) is not None]


def request_channel_sync(
    session: Session,
    waker: Waker,
    handlers: JobHandlers,
    channel_id: int,
    kind: SyncRequestKind,
) -> list[SyncJob]:
    """Queue the jobs a manual sync asks for; they are woken after the caller commits."""
    channel = _syncable_channel(session, channel_id)
    kinds = kind.job_kinds(handlers)
    missing = [job_kind.value for job_kind in kinds if handlers.get(job_kind) is None]
    if missing or not kinds:
        named = missing[0] if missing else "any of inventory, prices, listings, orders, reconcile"
        raise Conflict(f"no handler for kind {named} yet", kind=kind.value)
    return [enqueue_job(session, waker, kind=job_kind, channel_id=channel.id) for job_kind in kinds]


def replay_dead_letter(
    session: Session, waker: Waker, handlers: JobHandlers, job_id: int
) -> SyncJob:
    """A fresh job with the dead one's kind, channel and payload; the dead one is marked
    as replayed by it (and leaves the dead letters)."""
    dead = get_job(session, job_id)
    if dead.status is not JobStatus.DEAD:
        raise Conflict(
            f"sync job {job_id} is {dead.status.value}, not a dead letter", status=dead.status.value
        )
    if dead.replayed_as_id is not None:
        raise Conflict(
            f"sync job {job_id} was already replayed as job {dead.replayed_as_id}",
            replayed_as_id=dead.replayed_as_id,
        )
    if dead.channel_id is not None:
        _syncable_channel(session, dead.channel_id)
    if handlers.get(dead.kind) is None:
        raise Conflict(f"no handler for kind {dead.kind.value} yet", kind=dead.kind.value)
    fresh = enqueue_job(
        session, waker, kind=dead.kind, channel_id=dead.channel_id, payload=dead.payload
    )
    if not mark_replayed(session, dead.id, fresh.id):
        raise Conflict(f"sync job {job_id} was replayed meanwhile; reload it")
    return fresh


def _syncable_channel(session: Session, channel_id: int) -> EcomChannel:
    channel = session.get(EcomChannel, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id} does not exist", channel_id=channel_id)
    if channel.deleted_at is not None:
        raise Conflict(f"channel {channel_id} was removed", channel_id=channel_id)
    if channel.status is ChannelStatus.AUTH_REQUIRED:
        raise Conflict(
            f"channel {channel_id} needs reconnecting first ({channel.last_error})",
            channel_id=channel_id,
            channel_status=channel.status.value,
        )
    return channel
