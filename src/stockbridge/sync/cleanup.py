"""The built-in ``cleanup`` job: delete finished job records older than the retention.

Scheduled once a day by ``sync/schedules``. Deletes in batches, one short transaction
each, reporting progress after every batch. A dead letter is kept until it has been
replayed: it is work nobody has redone yet.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select

from stockbridge.db.engine import transaction
from stockbridge.db.models import JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync.context import JobRun

DEFAULT_RETENTION_DAYS = 30
BATCH_SIZE = 500
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def prune_finished_jobs(run: JobRun) -> dict[str, int]:
    days = int(run.payload.get("retention_days", DEFAULT_RETENTION_DAYS))
    cutoff = utcnow() - timedelta(days=days)
    replayed = and_(SyncJob.status == JobStatus.DEAD, SyncJob.replayed_as_id.is_not(None))
    old = (
        or_(SyncJob.status.in_(FINISHED), replayed),
        SyncJob.finished_at < cutoff,
        SyncJob.id != run.job_id,
    )
    with transaction(run.sessions) as session:
        total = session.scalar(select(func.count()).select_from(SyncJob).where(*old)) or 0
    run.progress(0, total)
    deleted = 0
    while deleted < total:
        with transaction(run.sessions) as session:
            batch = select(SyncJob.id).where(*old).order_by(SyncJob.id).limit(BATCH_SIZE)
            ids = list(session.scalars(batch))
            if not ids:
                break
            session.execute(delete(SyncJob).where(SyncJob.id.in_(ids)))
        deleted += len(ids)
        run.count("deleted", len(ids))
        run.progress(deleted, total)
    run.counts.setdefault("deleted", 0)
    return run.counts
