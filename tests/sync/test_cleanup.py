"""The cleanup job keeps dead letters until they have been replayed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import JobKind, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync import jobs
from stockbridge.sync.cleanup import prune_finished_jobs
from stockbridge.sync.context import JobRun
from tests.sync.test_jobs import RecordingWaker


def _old(session: Session, status: JobStatus, **values: object) -> int:
    long_ago = utcnow() - timedelta(days=90)
    job = SyncJob(kind=JobKind.INVENTORY, status=status, queued_at=long_ago,
                  finished_at=long_ago, payload={}, counts={}, **values)  # fmt: skip
    session.add(job)
    session.flush()
    return job.id


def test_old_finished_jobs_go_but_a_dead_letter_stays_until_replayed(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        succeeded = _old(session, JobStatus.SUCCEEDED)
        waiting = _old(session, JobStatus.DEAD)
        fresh = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.INVENTORY).id
        replayed = _old(session, JobStatus.DEAD, replayed_as_id=fresh)
        cleanup = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP).id
        jobs.start_job(session, cleanup)

    counts = prune_finished_jobs(
        JobRun(
            job_id=cleanup,
            kind=JobKind.CLEANUP,
            channel_id=None,
            payload={},
            attempt=1,
            sessions=sessions,
        )
    )

    assert counts == {"deleted": 2}
    with sessions() as session:
        left = set(session.scalars(select(SyncJob.id)))
    assert left == {waiting, fresh, cleanup}
    assert succeeded not in left
    assert replayed not in left
