"""Redis mode: a separate ``stockbridge worker`` process runs the jobs this process queues."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import JobKind, JobStatus, SyncJob
from stockbridge.sync import jobs
from stockbridge.sync.queue import JobQueue
from tests.sync.conftest import MakeQueue, wait_for

REDIS_URL = os.environ.get("STOCKBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_queue(make_queue: MakeQueue) -> Iterator[JobQueue]:
    redis.Redis.from_url(REDIS_URL).ping()
    queue = make_queue(redis_url=REDIS_URL)
    yield queue
    forget_redis_queue(queue)


def forget_redis_queue(queue: JobQueue) -> None:
    """Delete the Redis keys of a test's queue."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"huey.*{queue.settings.queue_name}*"):
        client.delete(key)
    client.close()


def _start_worker(queue: JobQueue, database_url: str, cwd: Path) -> subprocess.Popen[str]:
    clean = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
    return subprocess.Popen(
        [sys.executable, "-m", "stockbridge", "worker", "--threads", "2"],
        env={
            **clean,
            "STOCKBRIDGE_DATABASE_URL": database_url,
            "STOCKBRIDGE_REDIS_URL": REDIS_URL,
            "STOCKBRIDGE_QUEUE_NAME": queue.settings.queue_name,
        },
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_worker_process_runs_a_job_queued_on_redis(
    sessions: sessionmaker[Session], database_url: str, redis_queue: JobQueue, tmp_path: Path
) -> None:
    assert not redis_queue.in_process
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, redis_queue, kind=JobKind.CLEANUP).id
    assert redis_queue.pending() == 1
    worker = _start_worker(redis_queue, database_url, tmp_path)
    try:

        def finished() -> SyncJob | None:
            assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
            with sessions() as session:
                job = jobs.get_job(session, job_id)
                return job if job.status.finished else None

        job = wait_for(finished, timeout=30)
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts == {"deleted": 0}
    assert worker.returncode == 0, output
    assert not (tmp_path / "var").exists()  # no SQLite queue file in Redis mode
