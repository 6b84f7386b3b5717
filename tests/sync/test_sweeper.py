"""The sweeper re-queues what a crash left behind, once, even with sweepers racing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ChannelLogStatus, EcomChannelLog, JobKind, JobStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.sync import jobs
from stockbridge.sync.retry import DEFAULT_MAX_ATTEMPTS as MAX_ATTEMPTS
from stockbridge.sync.sweeper import STALE_HEARTBEAT, sweep_stale_jobs
from tests.factories import make_channel
from tests.sync.conftest import MakeQueue, wait_for
from tests.sync.test_jobs import RecordingWaker


def _crashed_run(sessions: sessionmaker[Session], *, attempts: int = 1) -> int:
    """A job whose worker died: left running, its last heartbeat long ago."""
    stale = utcnow() - STALE_HEARTBEAT - timedelta(minutes=5)
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP).id
        jobs.start_job(session, job_id)
        session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(started_at=stale, heartbeat_at=stale, attempts=attempts)
        )
    return job_id


def test_a_crashed_run_is_requeued_exactly_once(sessions: sessionmaker[Session]) -> None:
    job_id = _crashed_run(sessions)
    waker = RecordingWaker()

    with sessions.begin() as session:
        first = sweep_stale_jobs(session, waker)
    with sessions.begin() as session:
        second = sweep_stale_jobs(session, waker)

    assert first.requeued == [job_id]
    assert second.requeued == []
    assert waker.woken == [job_id]
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        assert job.status is JobStatus.QUEUED
        assert job.started_at is None
        assert job.heartbeat_at is None


def test_a_requeued_crashed_run_is_run_again_by_a_consumer(
    sessions: sessionmaker[Session], make_queue: MakeQueue
) -> None:
    job_id = _crashed_run(sessions)
    queue = make_queue()
    queue.start_in_process(periodic=False)

    with sessions.begin() as session:
        sweep_stale_jobs(session, queue)

    def finished() -> SyncJob | None:
        with sessions() as session:
            job = jobs.get_job(session, job_id)
            return job if job.status.finished else None

    job = wait_for(finished)
    assert job.status is JobStatus.SUCCEEDED
    assert job.attempts == 2


def test_a_job_that_keeps_crashing_its_worker_becomes_a_dead_letter(
    sessions: sessionmaker[Session],
) -> None:
    job_id = _crashed_run(sessions, attempts=MAX_ATTEMPTS)
    waker = RecordingWaker()
    with sessions.begin() as session:
        outcome = sweep_stale_jobs(session, waker)
    assert outcome.gave_up == [job_id]
    assert waker.woken == []
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        assert job.status is JobStatus.DEAD
        assert "given up" in (job.error or "")


def test_a_queued_job_whose_wake_up_was_lost_is_woken_again_after_the_grace(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP).id
    waker = RecordingWaker()
    with sessions.begin() as session:
        assert sweep_stale_jobs(session, waker).requeued == []  # still within its grace
    with sessions.begin() as session:
        later = utcnow() + timedelta(minutes=10)
        assert sweep_stale_jobs(session, waker, now=later).requeued == [job_id]
    assert waker.woken == [job_id]


def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP).id
        jobs.start_job(session, job_id)
    with sessions.begin() as session:
        assert sweep_stale_jobs(session, RecordingWaker()).requeued == []


@pytest.mark.postgres_only
def test_two_sweepers_racing_requeue_a_crashed_run_once(
    sessions: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: there is no race to lose")
    job_id = _crashed_run(sessions)
    first_waker, second_waker = RecordingWaker(), RecordingWaker()
    second_outcome: list[list[int]] = []

    def second_sweeper() -> None:
        with sessions.begin() as session:
            second_outcome.append(sweep_stale_jobs(session, second_waker).requeued)

    with sessions.begin() as session:
        # The first sweeper holds its row locks (not committed yet) while the second runs:
        # SKIP LOCKED lets the second pass over the row instead of waiting for it.
        first = sweep_stale_jobs(session, first_waker)
        racer = threading.Thread(target=second_sweeper)
        racer.start()
        racer.join(timeout=10)
        assert not racer.is_alive(), "the second sweeper waited for the first one's locks"
    assert first.requeued == [job_id]
    assert second_outcome == [[]]
    assert first_waker.woken == [job_id]
    assert second_waker.woken == []


def test_a_crashed_run_on_a_channel_is_logged_retrying_then_dead(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        channel_id = make_channel(session).id
        job_id = jobs.enqueue_job(
            session, RecordingWaker(), kind=JobKind.INVENTORY, channel_id=channel_id
        ).id
    stale = utcnow() - STALE_HEARTBEAT - timedelta(minutes=5)
    statuses = []
    for _ in range(MAX_ATTEMPTS):
        with sessions.begin() as session:
            assert jobs.start_job(session, job_id) is not None
            session.execute(update(SyncJob).where(SyncJob.id == job_id).values(heartbeat_at=stale))
        with sessions.begin() as session:
            sweep_stale_jobs(session, RecordingWaker())
            statuses = list(
                session.scalars(
                    select(EcomChannelLog.status)
                    .where(EcomChannelLog.job_id == job_id)
                    .order_by(EcomChannelLog.id)
                )
            )
    assert statuses == [ChannelLogStatus.RETRYING] * (MAX_ATTEMPTS - 1) + [ChannelLogStatus.DEAD]
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        assert (job.status, job.attempts) == (JobStatus.DEAD, MAX_ATTEMPTS)
        assert f"given up after {MAX_ATTEMPTS} attempts" in (job.error or "")
