"""What the runner does with a failed run, by the category of the ChannelError raised.

The handlers are registered here and raise on purpose: no marketplace is involved. The
runner is called directly, as a worker calls it, so each outcome can be read at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelStatus,
    EcomChannel,
    EcomChannelLog,
    JobKind,
    JobStatus,
    SyncJob,
)
from stockbridge.db.types import utcnow
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.sync import jobs, runner
from stockbridge.sync.context import JobRun
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.schedules import schedule_channel_jobs
from stockbridge.sync.sweeper import sweep_stale_jobs
from tests.factories import make_channel
from tests.sync.test_jobs import RecordingWaker

POLICY = RetryPolicy(max_attempts=3, base_seconds=10, cap_seconds=60)


class DelayRecordingWaker(RecordingWaker):
    def __init__(self) -> None:
        super().__init__()
        self.later: list[tuple[int, float]] = []

    def wake_later(self, job_ids: Sequence[int], seconds: float) -> None:
        self.later.extend((job_id, seconds) for job_id in job_ids)


def raising(error: Exception) -> Callable[[JobRun], None]:
    def handler(run: JobRun) -> None:
        run.count("pushed", 2)
        run.progress(2, 5)
        raise error

    return handler


def handlers_for(
    handler: Callable[[JobRun], object], kind: JobKind = JobKind.INVENTORY
) -> JobHandlers:
    handlers = JobHandlers()
    handlers.add(kind, handler)  # type: ignore[arg-type]
    return handlers


def channel_error(category: ChannelErrorCategory, retry_after: float | None = None) -> ChannelError:
    return ChannelError(f"marketplace said {category}", category=category, retry_after=retry_after)


def queue_job(sessions: sessionmaker[Session], *, channel_id: int | None = None) -> int:
    with sessions.begin() as session:
        if channel_id is None:
            channel_id = make_channel(session).id
        return jobs.enqueue_job(
            session, RecordingWaker(), kind=JobKind.INVENTORY, channel_id=channel_id
        ).id


def run(sessions: sessionmaker[Session], handlers: JobHandlers, job_id: int) -> DelayRecordingWaker:
    waker = DelayRecordingWaker()
    runner.run_job(sessions, handlers, job_id, waker=waker, policy=POLICY, heartbeat_seconds=60)
    return waker


def read(sessions: sessionmaker[Session], job_id: int) -> SyncJob:
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        session.expunge(job)
        return job


def logs(sessions: sessionmaker[Session], job_id: int) -> list[EcomChannelLog]:
    with sessions() as session:
        rows = session.scalars(
            select(EcomChannelLog)
            .where(EcomChannelLog.job_id == job_id)
            .order_by(EcomChannelLog.id)
        ).all()
        session.expunge_all()
        return list(rows)


def make_due(sessions: sessionmaker[Session], job_id: int) -> None:
    """Let a retry's backoff pass (instead of waiting for it)."""
    with sessions.begin() as session:
        session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(not_before=utcnow() - timedelta(seconds=1))
        )


@pytest.mark.parametrize(
    "category", [ChannelErrorCategory.TRANSIENT, ChannelErrorCategory.RATE_LIMITED]
)
def test_a_retryable_error_puts_the_job_back_with_a_backoff(
    sessions: sessionmaker[Session], category: ChannelErrorCategory
) -> None:
    job_id = queue_job(sessions)
    before = utcnow()

    waker = run(sessions, handlers_for(raising(channel_error(category))), job_id)

    job = read(sessions, job_id)
    assert job.status is JobStatus.QUEUED
    assert job.attempts == 1
    assert job.error == f"ChannelError: marketplace said {category}"
    assert job.not_before is not None
    [(woken, delay)] = waker.later
    assert woken == job_id
    assert 0 <= delay <= POLICY.base_seconds  # first retry: jitter up to the base
    assert (
        before + timedelta(seconds=delay) <= job.not_before <= utcnow() + timedelta(seconds=delay)
    )
    [log] = logs(sessions, job_id)
    assert log.status is ChannelLogStatus.RETRYING
    assert log.error_message == job.error
    assert log.details["attempt"] == 1
    assert log.details["counts"] == {"pushed": 2}
    assert log.details["retry_at"] == job.not_before.isoformat()
    assert log.records_processed == 2


def test_a_retry_is_not_started_before_its_time_and_counts_its_attempt(
    sessions: sessionmaker[Session],
) -> None:
    job_id = queue_job(sessions)
    outcomes: list[str] = []

    def flaky(run_: JobRun) -> dict[str, int]:
        outcomes.append(f"attempt {run_.attempt}")
        if run_.attempt == 1:
            raise channel_error(ChannelErrorCategory.TRANSIENT)
        return {"pushed": 5}

    handlers = handlers_for(flaky)
    run(sessions, handlers, job_id)
    run(sessions, handlers, job_id)  # woken early (a re-sent message): not due yet
    assert outcomes == ["attempt 1"]
    assert read(sessions, job_id).status is JobStatus.QUEUED

    make_due(sessions, job_id)
    run(sessions, handlers, job_id)

    job = read(sessions, job_id)
    assert outcomes == ["attempt 1", "attempt 2"]
    assert (job.status, job.attempts, job.counts, job.not_before) == (
        JobStatus.SUCCEEDED, 2, {"pushed": 5}, None,
    )  # fmt: skip
    assert [log.status for log in logs(sessions, job_id)] == [
        ChannelLogStatus.RETRYING,
        ChannelLogStatus.SUCCESS,
    ]


def test_a_rate_limit_waits_at_least_its_retry_after(sessions: sessionmaker[Session]) -> None:
    job_id = queue_job(sessions)
    error = channel_error(ChannelErrorCategory.RATE_LIMITED, retry_after=45)

    waker = run(sessions, handlers_for(raising(error)), job_id)

    [(_, delay)] = waker.later
    assert delay >= 45
    job = read(sessions, job_id)
    assert job.not_before is not None
    assert job.not_before >= utcnow() + timedelta(seconds=40)


def test_a_job_that_keeps_failing_becomes_a_dead_letter_after_its_attempts(
    sessions: sessionmaker[Session],
) -> None:
    job_id = queue_job(sessions)
    handlers = handlers_for(raising(channel_error(ChannelErrorCategory.TRANSIENT)))

    for _ in range(POLICY.max_attempts):
        make_due(sessions, job_id)
        run(sessions, handlers, job_id)

    job = read(sessions, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, POLICY.max_attempts)
    assert job.finished_at is not None
    with sessions() as session:
        dead, total = jobs.list_dead_letters(session, page=1, per_page=10)
        assert ([row.id for row in dead], total) == ([job_id], 1)
    assert [log.status for log in logs(sessions, job_id)] == [
        ChannelLogStatus.RETRYING,
        ChannelLogStatus.RETRYING,
        ChannelLogStatus.DEAD,
    ]


@pytest.mark.parametrize(
    "error",
    [
        channel_error(ChannelErrorCategory.VALIDATION),
        channel_error(ChannelErrorCategory.NOT_FOUND),
        channel_error(ChannelErrorCategory.CRITICAL),
        KeyError("sku"),  # not a ChannelError: a bug, which retrying does not heal
    ],
    ids=["validation", "not_found", "critical", "other exception"],
)
def test_an_error_that_retrying_cannot_fix_fails_the_job_at_once(
    sessions: sessionmaker[Session], error: Exception
) -> None:
    job_id = queue_job(sessions)

    waker = run(sessions, handlers_for(raising(error)), job_id)

    job = read(sessions, job_id)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.error == f"{type(error).__name__}: {error}"
    assert waker.later == []
    [log] = logs(sessions, job_id)
    assert (log.status, log.error_message) == (ChannelLogStatus.FAILED, job.error)
    assert log.status.level.value == "error"


def test_an_auth_failure_holds_the_channel_and_its_jobs_until_it_is_reconnected(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        channel_id = make_channel(session).id
    job_id = queue_job(sessions, channel_id=channel_id)
    other_id = queue_job(sessions, channel_id=channel_id)
    ran: list[int] = []

    def handler(run_: JobRun) -> None:
        ran.append(run_.job_id)
        if run_.job_id == job_id and run_.attempt == 1:
            raise channel_error(ChannelErrorCategory.AUTH_FAILED)

    handlers = handlers_for(handler)
    waker = run(sessions, handlers, job_id)

    with sessions() as session:
        channel = session.get(EcomChannel, channel_id)
        assert channel is not None
        assert channel.status is ChannelStatus.AUTH_REQUIRED
        assert channel.last_error == "auth_failed: marketplace said auth_failed"
    job = read(sessions, job_id)
    assert (job.status, job.not_before, job.attempts) == (JobStatus.QUEUED, None, 1)
    assert waker.later == []
    [log] = logs(sessions, job_id)
    assert log.status is ChannelLogStatus.AUTH_REQUIRED

    # Held: neither it nor the channel's other jobs start, the sweeper does not wake
    # them however old they are, and the scheduler queues nothing for the channel.
    run(sessions, handlers, other_id)
    run(sessions, handlers, job_id)
    assert ran == [job_id]
    later = utcnow() + timedelta(hours=1)
    with sessions.begin() as session:
        assert sweep_stale_jobs(session, RecordingWaker(), now=later).requeued == []
        kinds = {JobKind.ORDERS, JobKind.RECONCILE}
        assert schedule_channel_jobs(session, RecordingWaker(), kinds=kinds, now=later) == []

    with sessions.begin() as session:  # what the OAuth callback and a passing test do
        session.execute(
            update(EcomChannel)
            .where(EcomChannel.id == channel_id)
            .values(status=ChannelStatus.ACTIVE)
        )
    sweeper_waker = RecordingWaker()
    with sessions.begin() as session:
        requeued = sweep_stale_jobs(session, sweeper_waker, now=later).requeued
    assert sorted(requeued) == sorted([job_id, other_id])
    for woken in sweeper_waker.woken:
        run(sessions, handlers, woken)
    assert sorted(ran) == sorted([job_id, job_id, other_id])
    assert read(sessions, job_id).status is JobStatus.SUCCEEDED
    assert read(sessions, other_id).status is JobStatus.SUCCEEDED


def test_the_sweeper_leaves_a_retry_alone_until_it_is_due_and_late(
    sessions: sessionmaker[Session],
) -> None:
    job_id = queue_job(sessions)
    run(sessions, handlers_for(raising(channel_error(ChannelErrorCategory.TRANSIENT))), job_id)
    not_before = read(sessions, job_id).not_before
    assert not_before is not None
    waker = RecordingWaker()
    with sessions.begin() as session:
        # Queued long ago by its first attempt's standard, but its retry is not due.
        assert (
            sweep_stale_jobs(session, waker, now=not_before - timedelta(seconds=1)).requeued == []
        )
        assert (
            sweep_stale_jobs(session, waker, now=not_before + timedelta(seconds=30)).requeued == []
        )
    with sessions.begin() as session:  # due, and its delayed wake-up never came
        late = not_before + timedelta(minutes=5)
        assert sweep_stale_jobs(session, waker, now=late).requeued == [job_id]
    assert waker.woken == [job_id]


def test_a_successful_run_with_failed_records_is_logged_as_partial(
    sessions: sessionmaker[Session],
) -> None:
    job_id = queue_job(sessions)

    run(sessions, handlers_for(lambda run_: {"pushed": 3, "failed": 1}), job_id)

    [log] = logs(sessions, job_id)
    assert (log.status, log.records_failed) == (ChannelLogStatus.PARTIAL, 1)
    assert log.details["counts"] == {"pushed": 3, "failed": 1}
    assert log.completed_at is not None
    assert log.completed_at >= log.started_at


def test_a_job_cancelled_while_running_is_logged_as_cancelled(
    sessions: sessionmaker[Session],
) -> None:
    job_id = queue_job(sessions)

    def cancelled_meanwhile(run_: JobRun) -> None:
        with sessions.begin() as session:
            jobs.cancel_job(session, run_.job_id)
        run_.progress(1, 2)

    run(sessions, handlers_for(cancelled_meanwhile), job_id)

    assert read(sessions, job_id).status is JobStatus.CANCELLED
    assert [log.status for log in logs(sessions, job_id)] == [ChannelLogStatus.CANCELLED]


def test_a_job_without_a_channel_writes_no_channel_log(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP).id

    run(sessions, handlers_for(lambda run_: {"deleted": 0}, JobKind.CLEANUP), job_id)

    assert read(sessions, job_id).status is JobStatus.SUCCEEDED
    with sessions() as session:
        assert session.scalars(select(EcomChannelLog)).all() == []
