"""Redis mode: a separate ``stockbridge worker`` process runs the jobs this process queues."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import JobKind, JobStatus, SyncJob
from stockbridge.sync import jobs
from stockbridge.sync.queue import JobQueue
from tests.sync.conftest import wait_for
from tests.sync.workers import StartWorker, redis_queue, spawn_worker

__all__ = ["redis_queue", "spawn_worker"]


def test_a_worker_process_runs_a_job_queued_on_redis(
    sessions: sessionmaker[Session],
    redis_queue: JobQueue,
    spawn_worker: StartWorker,
    tmp_path: Path,
) -> None:
    assert not redis_queue.in_process
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, redis_queue, kind=JobKind.CLEANUP).id
    assert redis_queue.pending() == 1
    worker = spawn_worker(redis_queue.settings)

    def finished() -> SyncJob | None:
        worker.alive()
        with sessions() as session:
            job = jobs.get_job(session, job_id)
            return job if job.status.finished else None

    job = wait_for(finished, timeout=30)
    assert worker.stop() == 0, worker.output()

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts == {"deleted": 0}
    assert not (tmp_path / "var").exists()  # no SQLite queue file in Redis mode
