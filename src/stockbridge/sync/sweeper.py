"""The sweeper: re-queues the jobs a crash or a lost wake-up left behind.

Run every minute. Two kinds of row are left behind:

- *queued* but not started within the grace period: its wake-up was lost (queue down,
  process killed between commit and send), so it is sent again;
- *running* with a stale heartbeat: its worker died mid-run, so the job is queued again,
  or failed once it has used up its attempts (a job that crashes its worker every time
  must not do so forever).

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

from stockbridge.db.models import JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync.jobs import Waker, wake_after_commit

QUEUED_GRACE = timedelta(minutes=2)
STALE_HEARTBEAT = timedelta(minutes=2)
MAX_ATTEMPTS = 3
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
    max_attempts: int = MAX_ATTEMPTS,
) -> SweepOutcome:
    now = now or utcnow()
    last_alive = func.coalesce(SyncJob.heartbeat_at, SyncJob.started_at, SyncJob.queued_at)
    left_behind = (
        select(SyncJob)
        .where(
            or_(
                and_(SyncJob.status == JobStatus.QUEUED, SyncJob.queued_at < now - queued_grace),
                and_(SyncJob.status == JobStatus.RUNNING, last_alive < now - stale_after),
            )
        )
        .order_by(SyncJob.id)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    )
    outcome = SweepOutcome()
    for job in session.scalars(left_behind):
        if job.status is JobStatus.RUNNING and job.attempts >= max_attempts:
            job.status = JobStatus.FAILED
            job.finished_at = now
            job.error = (
                f"the worker stopped during the job {job.attempts} times (no heartbeat "
                f"since {last_alive_of(job).isoformat()}); given up"
            )
            outcome.gave_up.append(job.id)
            continue
        job.status = JobStatus.QUEUED
        job.queued_at = now
        job.started_at = job.heartbeat_at = None
        wake_after_commit(session, waker, job.id)
        outcome.requeued.append(job.id)
    session.flush()
    return outcome


def last_alive_of(job: SyncJob) -> datetime:
    return job.heartbeat_at or job.started_at or job.queued_at
