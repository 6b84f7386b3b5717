"""The ``sync_jobs`` rows: enqueue, start, progress, finish, fail, cancel, read.

The caller owns the transaction: nothing here commits. :func:`enqueue_job` writes the
row and arranges the queue's wake-up for *after* the commit (a session event), so no
queue or network call happens inside the transaction, and a rolled-back transaction
wakes nobody. A wake-up that is lost (queue down, process killed between commit and
send) only delays the job: the sweeper re-sends it.

State changes are single ``UPDATE ... WHERE status = ...`` statements, so two workers
woken for one job cannot both start it, and a cancelled job is not marked finished.

A run that failed may put its job back in the queue: to be retried no sooner than its
``not_before`` (:func:`retry_job`), or to wait while its channel needs reconnecting
(:func:`hold_job`: jobs of an ``auth_required`` channel are not started; reconnecting it
wakes them, :func:`wake_held_jobs`). A job that has
used up its attempts is *dead* (:func:`bury_job`): a dead letter, listed and replayed by
``sync/on_demand.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, Table, event, func, insert, or_, select, update
from sqlalchemy.orm import Session

from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

_PENDING_KEY = "stockbridge.sync.pending_wakeups"
_JOBS = cast(Table, SyncJob.__table__)
MAX_ERROR_LENGTH = 4000


class Waker(Protocol):
    """Something that can wake workers up for jobs (the queue, see ``sync/queue.py``)."""

    def wake(self, job_ids: Sequence[int]) -> None: ...


class DelayedWaker(Waker, Protocol):
    """A waker that can also wake workers later (a retry after its backoff, a coalesced push)."""

    def wake_later(self, job_ids: Sequence[int], seconds: float) -> None: ...


class JobCancelled(Exception):
    """Raised into a running handler when its job was cancelled meanwhile."""


# --- wake-ups after commit -----------------------------------------------------------


def wake_after_commit(session: Session, waker: Waker, job_id: int) -> None:
    pending: list[tuple[Waker, int]] = session.info.setdefault(_PENDING_KEY, [])
    pending.append((waker, job_id))
    if not event.contains(session, "after_commit", _send_wakeups):
        event.listen(session, "after_commit", _send_wakeups)
        event.listen(session, "after_rollback", _drop_wakeups)


def _send_wakeups(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint was released (SQLAlchemy reports it as a commit too): the job rows
        # are not committed yet, and a worker woken now would find no queued job.
        return
    pending: list[tuple[Waker, int]] = session.info.pop(_PENDING_KEY, [])
    by_waker: dict[int, tuple[Waker, list[int]]] = {}
    for waker, job_id in pending:
        by_waker.setdefault(id(waker), (waker, []))[1].append(job_id)
    for waker, job_ids in by_waker.values():
        try:
            waker.wake(job_ids)
        except Exception:
            # The rows are committed; the sweeper re-sends what never started.
            logger.warning("could not wake workers for jobs %s", job_ids, exc_info=True)


def _drop_wakeups(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


# --- writing -------------------------------------------------------------------------


def enqueue_job(
    session: Session,
    waker: Waker,
    *,
    kind: JobKind,
    channel_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    total: int | None = None,
) -> SyncJob:
    """A new queued job; its workers are woken once the caller's transaction commits."""
    job = SyncJob(
        kind=kind,
        channel_id=channel_id,
        status=JobStatus.QUEUED,
        payload=dict(payload or {}),
        progress_total=total,
        counts={},
        queued_at=utcnow(),
    )
    session.add(job)
    session.flush()
    wake_after_commit(session, waker, job.id)
    return job


def insert_queued_job(
    session: Session,
    waker: Waker,
    *,
    kind: JobKind,
    channel_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """:func:`enqueue_job` as one Core ``INSERT ... RETURNING id``, with no ORM object (for
    a hot path such as a webhook's acknowledgement); the new job's id."""
    job_id: int = session.execute(
        insert(_JOBS)
        .values(
            kind=kind,
            channel_id=channel_id,
            status=JobStatus.QUEUED,
            payload=dict(payload or {}),
            counts={},
            queued_at=utcnow(),
        )
        .returning(_JOBS.c.id)
    ).scalar_one()
    wake_after_commit(session, waker, job_id)
    return job_id


def _transition(
    session: Session,
    job_id: int,
    from_status: JobStatus,
    *conditions: ColumnElement[bool],
    **values: Any,
) -> SyncJob | None:
    result = session.execute(
        update(SyncJob)
        .where(SyncJob.id == job_id, SyncJob.status == from_status, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return None
    return session.get(SyncJob, job_id, populate_existing=True)


def runnable(now: datetime) -> ColumnElement[bool]:
    """A queued job may start now: its retry time has come, and its channel is not held."""
    held = select(EcomChannel.id).where(EcomChannel.status == ChannelStatus.AUTH_REQUIRED)
    return or_(SyncJob.not_before.is_(None), SyncJob.not_before <= now) & or_(
        SyncJob.channel_id.is_(None), SyncJob.channel_id.not_in(held.scalar_subquery())
    )


def wake_held_jobs(session: Session, waker: Waker, channel_id: int) -> list[int]:
    """A channel was reconnected: wake, after commit, its queued jobs that are due (those
    held while it was ``auth_required``) instead of leaving them to the sweeper."""
    now = utcnow()
    held = list(
        session.scalars(
            select(SyncJob.id)
            .where(
                SyncJob.channel_id == channel_id,
                SyncJob.status == JobStatus.QUEUED,
                or_(SyncJob.not_before.is_(None), SyncJob.not_before <= now),
            )
            .order_by(SyncJob.id)
        )
    )
    for job_id in held:
        wake_after_commit(session, waker, job_id)
    return held


def start_job(session: Session, job_id: int) -> SyncJob | None:
    """Claim a queued job for this worker; ``None`` if it is not queued (any more), not
    due yet (a retry), or waits for its channel to be reconnected."""
    now = utcnow()
    return _transition(
        session,
        job_id,
        JobStatus.QUEUED,
        runnable(now),
        status=JobStatus.RUNNING,
        not_before=None,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=SyncJob.attempts + 1,
    )


def heartbeat(session: Session, job_id: int) -> bool:
    """Note that the job's worker is alive; False if the job is no longer running."""
    return _transition(session, job_id, JobStatus.RUNNING, heartbeat_at=utcnow()) is not None


def report_progress(
    session: Session,
    job_id: int,
    *,
    done: int,
    total: int | None = None,
    counts: Mapping[str, Any] | None = None,
) -> SyncJob:
    """Record how far a running job got (also a heartbeat); raises JobCancelled if cancelled."""
    values: dict[str, Any] = {"progress_done": max(done, 0), "heartbeat_at": utcnow()}
    if total is not None:
        values["progress_total"] = max(total, 0)
    if counts is not None:
        values["counts"] = dict(counts)
    job = _transition(session, job_id, JobStatus.RUNNING, **values)
    if job is None:
        raise JobCancelled(f"job {job_id} is no longer running")
    return job


def finish_job(
    session: Session, job_id: int, *, counts: Mapping[str, Any] | None = None
) -> SyncJob | None:
    values: dict[str, Any] = {"status": JobStatus.SUCCEEDED, "finished_at": utcnow(), "error": None}
    if counts is not None:
        values["counts"] = dict(counts)
    job = _transition(session, job_id, JobStatus.RUNNING, **values)
    if job is not None and job.progress_total is not None:
        job.progress_done = job.progress_total
    return job


def fail_job(session: Session, job_id: int, error: str) -> SyncJob | None:
    return _transition(
        session,
        job_id,
        JobStatus.RUNNING,
        status=JobStatus.FAILED,
        finished_at=utcnow(),
        error=error[:MAX_ERROR_LENGTH],
    )


def retry_job(
    session: Session, job_id: int, error: str, *, not_before: datetime | None
) -> SyncJob | None:
    """Put a running job back in the queue, not to start before ``not_before``."""
    now = utcnow()
    return _transition(
        session,
        job_id,
        JobStatus.RUNNING,
        status=JobStatus.QUEUED,
        queued_at=now,
        not_before=not_before,
        started_at=None,
        heartbeat_at=None,
        error=error[:MAX_ERROR_LENGTH],
    )


def hold_job(session: Session, job_id: int, error: str) -> SyncJob | None:
    """Put a running job back in the queue until its channel is reconnected."""
    return retry_job(session, job_id, error, not_before=None)


def bury_job(session: Session, job_id: int, error: str) -> SyncJob | None:
    """A running job that used up its attempts becomes a dead letter."""
    return _transition(
        session,
        job_id,
        JobStatus.RUNNING,
        status=JobStatus.DEAD,
        finished_at=utcnow(),
        error=error[:MAX_ERROR_LENGTH],
    )


def mark_replayed(session: Session, dead_id: int, fresh_id: int) -> bool:
    """Note the job that replays a dead letter; False if it was replayed meanwhile."""
    replayed = _transition(
        session, dead_id, JobStatus.DEAD, SyncJob.replayed_as_id.is_(None), replayed_as_id=fresh_id
    )
    return replayed is not None


def cancel_job(session: Session, job_id: int) -> SyncJob:
    """Cancel a queued or running job; a running handler stops at its next progress report."""
    job = get_job(session, job_id)
    if job.status.finished:
        raise Conflict(f"job {job_id} has already {job.status.value}", status=job.status.value)
    cancelled = _transition(
        session, job_id, job.status, status=JobStatus.CANCELLED, finished_at=utcnow()
    )
    if cancelled is None:
        raise Conflict(f"job {job_id} changed meanwhile; reload and try again")
    return cancelled


# --- reading -------------------------------------------------------------------------


def get_job(session: Session, job_id: int) -> SyncJob:
    job = session.get(SyncJob, job_id)
    if job is None:
        raise NotFound(f"sync job {job_id} does not exist", job_id=job_id)
    return job


def list_jobs(
    session: Session,
    *,
    channel_id: int | None = None,
    kind: JobKind | None = None,
    status: JobStatus | None = None,
    page: int,
    per_page: int,
) -> tuple[list[SyncJob], int]:
    """Newest first."""
    query = select(SyncJob)
    if channel_id is not None:
        query = query.where(SyncJob.channel_id == channel_id)
    if kind is not None:
        query = query.where(SyncJob.kind == kind)
    if status is not None:
        query = query.where(SyncJob.status == status)
    return _page(session, query, page=page, per_page=per_page)


def list_dead_letters(
    session: Session,
    *,
    channel_id: int | None = None,
    kind: JobKind | None = None,
    page: int,
    per_page: int,
) -> tuple[list[SyncJob], int]:
    """Dead jobs not replayed yet, newest first."""
    query = select(SyncJob).where(
        SyncJob.status == JobStatus.DEAD, SyncJob.replayed_as_id.is_(None)
    )
    if channel_id is not None:
        query = query.where(SyncJob.channel_id == channel_id)
    if kind is not None:
        query = query.where(SyncJob.kind == kind)
    return _page(session, query, page=page, per_page=per_page)


def _page(
    session: Session, query: Select[SyncJob], *, page: int, per_page: int
) -> tuple[list[SyncJob], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SyncJob.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total
