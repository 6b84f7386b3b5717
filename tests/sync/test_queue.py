"""Jobs run by a real Huey consumer (threads in this process) reach their final state."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.api.app import create_app
from stockbridge.db.models import ChannelLogStatus, EcomChannelLog, JobKind, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.settings import Settings
from stockbridge.sync import jobs
from stockbridge.sync import queue as queue_module
from stockbridge.sync.context import JobRun
from stockbridge.sync.handlers import JobHandlers, default_handlers
from stockbridge.sync.queue import TIMER_LIMIT_SECONDS, JobQueue
from stockbridge.sync.retry import RetryPolicy
from tests.factories import make_channel
from tests.sync.conftest import MakeQueue, queue_settings, wait_for
from tests.sync.workers import REDIS_URL, forget_redis_queue


def _status(sessions: sessionmaker[Session], job_id: int) -> SyncJob | None:
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        return job if job.status.finished else None


def test_an_enqueued_job_is_run_by_the_consumer_and_succeeds(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    queue = make_queue()
    long_ago = utcnow() - timedelta(days=90)
    with sessions.begin() as session:
        for _ in range(3):  # old records the cleanup job prunes
            session.add(
                SyncJob(kind=JobKind.ORDERS, status=JobStatus.SUCCEEDED, queued_at=long_ago,
                        finished_at=long_ago, payload={}, counts={})
            )  # fmt: skip
        job_id = jobs.enqueue_job(session, queue, kind=JobKind.CLEANUP).id
    assert queue.pending() == 1
    queue.start_in_process(periodic=False)

    job = wait_for(lambda: _status(sessions, job_id))

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts == {"deleted": 3}
    assert (job.progress_done, job.progress_total, job.attempts) == (3, 3, 1)
    with sessions() as session:
        assert session.query(SyncJob).count() == 1


def test_a_handler_that_raises_fails_its_job_with_the_error(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    handlers = JobHandlers()

    @handlers.register(JobKind.LISTINGS)
    def explode(run: JobRun) -> None:
        run.progress(1, 10)
        raise RuntimeError(f"listing {run.payload['listing_ids'][0]} is broken")

    queue = make_queue(handlers=handlers)
    queue.start_in_process(periodic=False)
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(
            session, queue, kind=JobKind.LISTINGS, payload={"listing_ids": [7]}
        ).id

    job = wait_for(lambda: _status(sessions, job_id))

    assert job.status is JobStatus.FAILED
    assert job.error == "RuntimeError: listing 7 is broken"
    assert (job.progress_done, job.progress_total) == (1, 10)


def test_a_kind_without_a_handler_fails_with_a_message_saying_so(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    queue = make_queue(handlers=default_handlers(Settings()))
    queue.start_in_process(periodic=False)
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, queue, kind=JobKind.RETURNS).id

    job = wait_for(lambda: _status(sessions, job_id))

    assert job.status is JobStatus.FAILED
    assert job.error == "no handler is registered for jobs of kind 'returns'"


def test_a_long_job_keeps_its_heartbeat_fresh(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    handlers = JobHandlers()
    beats: list[object] = []

    @handlers.register(JobKind.INVENTORY)
    def wait_for_two_beats(run: JobRun) -> dict[str, int]:
        def beat_seen() -> bool:
            with sessions() as session:
                job = jobs.get_job(session, run.job_id)
                if job.heartbeat_at not in beats:
                    beats.append(job.heartbeat_at)
            return len(beats) >= 3

        wait_for(beat_seen)
        return {"pushed": 1}

    queue = make_queue(handlers=handlers, heartbeat_seconds=0.05)
    queue.start_in_process(periodic=False)
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, queue, kind=JobKind.INVENTORY).id

    job = wait_for(lambda: _status(sessions, job_id))

    assert job.status is JobStatus.SUCCEEDED
    assert job.counts == {"pushed": 1}


def test_the_served_app_runs_the_consumer_while_it_is_up(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    queue = make_queue()
    app = create_app(session_factory=sessions, job_queue=queue, run_jobs=True)
    with TestClient(app):
        with sessions.begin() as session:
            job_id = jobs.enqueue_job(session, queue, kind=JobKind.CLEANUP).id
        job = wait_for(lambda: _status(sessions, job_id))
    assert job.status is JobStatus.SUCCEEDED


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_a_transient_failure_is_retried_by_a_delayed_message_until_it_succeeds(
    sessions: sessionmaker[Session],
    make_queue: MakeQueue,
    storage: str,
    request: pytest.FixtureRequest,
) -> None:
    handlers = JobHandlers()
    attempts: list[int] = []

    @handlers.register(JobKind.INVENTORY)
    def flaky(run: JobRun) -> dict[str, int]:
        attempts.append(run.attempt)
        if run.attempt < 3:
            raise ChannelError("503 from the marketplace", category=ChannelErrorCategory.TRANSIENT)
        return {"pushed": 4}

    queue = make_queue(
        handlers=handlers,
        redis_url=REDIS_URL if storage == "redis" else None,
        in_process=storage == "sqlite",
        retry_policy=RetryPolicy(max_attempts=5, base_seconds=0.2, cap_seconds=0.5),
    )
    if storage == "redis":
        request.addfinalizer(lambda: forget_redis_queue(queue))
    queue.start_in_process(periodic=False)
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(
            session, queue, kind=JobKind.INVENTORY, channel_id=make_channel(session).id
        ).id

    job = wait_for(lambda: _status(sessions, job_id))

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert attempts == [1, 2, 3]
    assert (job.attempts, job.counts) == (3, {"pushed": 4})
    with sessions() as session:
        statuses = session.scalars(
            select(EcomChannelLog.status)
            .where(EcomChannelLog.job_id == job_id)
            .order_by(EcomChannelLog.id)
        ).all()
    assert statuses == [
        ChannelLogStatus.RETRYING,
        ChannelLogStatus.RETRYING,
        ChannelLogStatus.SUCCESS,
    ]


def test_an_idle_consumer_takes_a_job_queued_in_its_process_without_polling(
    sessions: sessionmaker[Session], make_queue: MakeQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle SQLite consumers wait for this process's enqueue: with polls a minute apart,
    the job still runs well within the deadline."""
    monkeypatch.setattr(queue_module, "MAX_POLL_SECONDS", 60.0)
    queue = make_queue()
    queue.start_in_process(periodic=False)
    with sessions.begin() as session:  # the first job makes both consumer threads idle
        first = jobs.enqueue_job(session, queue, kind=JobKind.CLEANUP).id
    wait_for(lambda: _status(sessions, first))
    with sessions.begin() as session:
        second = jobs.enqueue_job(session, queue, kind=JobKind.CLEANUP).id

    job = wait_for(lambda: _status(sessions, second), timeout=15)

    assert job.status is JobStatus.SUCCEEDED


def test_stopping_an_idle_consumer_ends_its_threads_without_waiting_for_a_poll(
    sessions: sessionmaker[Session], make_queue: MakeQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle workers waiting for an enqueue see the stop at once: with polls a minute apart
    and a 20 s shutdown timeout, every consumer thread has ended when the stop returns."""
    monkeypatch.setattr(queue_module, "MAX_POLL_SECONDS", 60.0)
    queue = make_queue()
    before = set(threading.enumerate())
    queue.start_in_process(periodic=False)
    started = set(threading.enumerate()) - before
    with sessions.begin() as session:  # a job done leaves both workers idle in a dequeue
        job_id = jobs.enqueue_job(session, queue, kind=JobKind.CLEANUP).id
    wait_for(lambda: _status(sessions, job_id))

    queue.stop_in_process(timeout=20)

    assert started, "the consumer started threads"
    assert [thread.name for thread in started if thread.is_alive()] == []


def test_a_short_delayed_wake_up_is_kept_by_the_timer_and_runs_the_job(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    queue = make_queue()
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, _NoWake(), kind=JobKind.CLEANUP).id

    queue.wake_later([job_id], 0.3)

    assert (queue.timers_pending(), queue.pending()) == (1, 0)
    queue.start_in_process(periodic=False)
    job = wait_for(lambda: _status(sessions, job_id))
    assert job.status is JobStatus.SUCCEEDED
    assert queue.timers_pending() == 0


def test_a_long_delay_is_left_to_huey_and_a_closing_queue_hands_its_timers_there_too(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "queue.db"
    settings = queue_settings(database_url)
    queue = JobQueue(settings, sessions, sqlite_path=path)
    queue.wake_later([1], TIMER_LIMIT_SECONDS + 60)  # a retry after a long backoff
    queue.wake_later([2], 30)
    # Huey keeps a message with an eta; a consumer moves it to its schedule.
    assert (queue.pending(), queue.timers_pending()) == (1, 1)

    queue.close()  # the process stops: the timer's wake-up must not be lost with it

    again = JobQueue(settings, sessions, sqlite_path=path)
    try:
        assert again.pending() == 2
    finally:
        again.close()


class _NoWake:
    def wake(self, job_ids: Sequence[int]) -> None:
        pass
