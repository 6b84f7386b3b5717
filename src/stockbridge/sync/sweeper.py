"""The sweeper: re-queues the jobs a crash or a lost wake-up left behind.

Run every minute. Two kinds of row are left behind:

- *queued* but not started within the grace period after it became due (its
  ``queued_at``, or for a retry its ``not_before``): its wake-up was lost (queue down,
  process killed between commit and send), so it is sent again. A retry that is not
  due yet is left alone, and so are the jobs of a channel that needs reconnecting:
  once it is active again, the next sweep wakes them;
- *running* with a stale heartbeat: its worker died mid-run, so the job is queued again,
  or becomes a dead letter once it has used up its attempts (the same
  ``STOCKBRIDGE_SYNC_MAX_ATTEMPTS`` as retries: a job that crashes its worker every time
  must not do so forever). Either way the run gets its channel log row.

Rows are taken ``FOR UPDATE SKIP LOCKED`` (on PostgreSQL; SQLite serialises writers), so
sweepers of several workers racing each other re-queue every row once; and a re-queued
row gets a fresh ``queued_at``, so the next sweep leaves it alone until its grace period
has passed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from stockbridge.db.models import ChannelLogStatus, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync.channel_logs import record_job_run
from stockbridge.sync.jobs import Waker, runnable, wake_after_commit
from stockbridge.sync.retry import DEFAULT_MAX_ATTEMPTS

QUEUED_GRACE = timedelta(minutes=2)
STALE_HEARTBEAT = timedelta(minutes=2)
SWEEP_BATCH = 500


@dataclass
class SweepOutcome:
    requeued: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)


def sweep_stale_jobs(
    session: Session,
    waker: Waker,
    *,
    now: datetime | None = None,
    queued_grace: timedelta = QUEUED_GRACE,
    stale_after: timedelta = STALE_HEARTBEAT,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> SweepOutcome:
    now = now or utcnow()
    last_alive = func.coalesce(SyncJob.heartbeat_at, SyncJob.started_at, SyncJob.queued_at)
    due_since = func.coalesce(SyncJob.not_before, SyncJob.queued_at)
    left_behind = (
        select(SyncJob)
        .where(
            or_(
                and_(
                    SyncJob.status == JobStatus.QUEUED,
                    due_since < now - queued_grace,
                    runnable(now),
                ),
                and_(SyncJob.status == JobStatus.RUNNING, last_alive < now - stale_after),
            )
        )
        .order_by(SyncJob.id)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    )
    outcome = SweepOutcome()
    for job in session.scalars(left_behind):
        if job.status is JobStatus.RUNNING and _end_dead_run(
            session, job, now, max_attempts, outcome
        ):
            continue
        job.status = JobStatus.QUEUED
        job.queued_at = now
        job.started_at = job.heartbeat_at = None
        wake_after_commit(session, waker, job.id)
        outcome.requeued.append(job.id)
    session.flush()
    return outcome


def _end_dead_run(
    session: Session, job: SyncJob, now: datetime, max_attempts: int, outcome: SweepOutcome
) -> bool:
    """A run whose worker died: log it, and bury the job if it has no attempts left
    (True: buried)."""
    error = f"the worker stopped during attempt {job.attempts} (no heartbeat since " + (
        f"{last_alive_of(job).isoformat()})"
    )
    if job.attempts >= max_attempts:
        job.status = JobStatus.DEAD
        job.finished_at = now
        job.error = f"{error}; given up after {job.attempts} attempts"
        outcome.gave_up.append(job.id)
        record_job_run(session, job, ChannelLogStatus.DEAD, error=job.error)
        return True
    record_job_run(session, job, ChannelLogStatus.RETRYING, error=error)
    return False


def last_alive_of(job: SyncJob) -> datetime:
    return job.heartbeat_at or job.started_at or job.queued_at
