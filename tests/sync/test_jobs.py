"""Job rows: enqueued with the cause's transaction, woken after commit, claimed once."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import JobKind, JobStatus, SyncJob
from stockbridge.errors import Conflict
from stockbridge.sync import jobs
from stockbridge.sync.jobs import JobCancelled


class RecordingWaker:
    def __init__(self) -> None:
        self.woken: list[int] = []

    def wake(self, job_ids: list[int]) -> None:
        self.woken.extend(job_ids)


def test_the_wake_up_is_sent_only_after_the_commit(sessions: sessionmaker[Session]) -> None:
    waker = RecordingWaker()
    with sessions() as session, session.begin():
        job = jobs.enqueue_job(session, waker, kind=JobKind.CLEANUP)
        assert waker.woken == []
    assert waker.woken == [job.id]


def test_a_rolled_back_enqueue_wakes_nobody_and_leaves_no_row(
    sessions: sessionmaker[Session],
) -> None:
    waker = RecordingWaker()
    with sessions() as session:
        with session.begin():
            jobs.enqueue_job(session, waker, kind=JobKind.CLEANUP)
            session.rollback()
        with session.begin():
            pass  # a later commit of the same session must not send the dropped wake-up
    assert waker.woken == []
    with sessions() as session:
        assert session.query(SyncJob).count() == 0


def test_a_failing_wake_up_does_not_undo_the_commit(sessions: sessionmaker[Session]) -> None:
    class BrokenWaker:
        def wake(self, job_ids: list[int]) -> None:
            raise ConnectionError("queue down")

    with sessions() as session, session.begin():
        job_id = jobs.enqueue_job(session, BrokenWaker(), kind=JobKind.CLEANUP).id
    with sessions() as session:
        assert jobs.get_job(session, job_id).status is JobStatus.QUEUED


def test_a_job_is_claimed_once_then_progresses_and_finishes(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP, total=4).id
    with sessions.begin() as session:
        assert jobs.start_job(session, job_id) is not None
        assert jobs.start_job(session, job_id) is None  # a second wake-up finds it taken
    with sessions.begin() as session:
        job = jobs.report_progress(session, job_id, done=2, counts={"deleted": 2})
        assert (job.progress_done, job.progress_total, job.counts) == (2, 4, {"deleted": 2})
    with sessions.begin() as session:
        job = jobs.finish_job(session, job_id, counts={"deleted": 4})
        assert job is not None
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        assert job.status is JobStatus.SUCCEEDED
        assert (job.progress_done, job.attempts, job.counts) == (4, 1, {"deleted": 4})
        assert job.started_at is not None
        assert job.finished_at is not None


def test_a_cancelled_job_stops_at_its_next_progress_report(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.CLEANUP).id
        jobs.start_job(session, job_id)
    with sessions.begin() as session:
        jobs.cancel_job(session, job_id)
    with sessions.begin() as session, pytest.raises(JobCancelled):
        jobs.report_progress(session, job_id, done=1)
    with sessions.begin() as session:
        assert jobs.finish_job(session, job_id) is None
        with pytest.raises(Conflict):
            jobs.cancel_job(session, job_id)
    with sessions() as session:
        assert jobs.get_job(session, job_id).status is JobStatus.CANCELLED


def test_jobs_are_listed_newest_first_with_filters(sessions: sessionmaker[Session]) -> None:
    waker = RecordingWaker()
    with sessions.begin() as session:
        ids = [jobs.enqueue_job(session, waker, kind=JobKind.CLEANUP).id for _ in range(3)]
        jobs.start_job(session, ids[0])
    with sessions() as session:
        rows, total = jobs.list_jobs(session, page=1, per_page=2)
        assert total == 3
        assert [row.id for row in rows] == [ids[2], ids[1]]
        rows, total = jobs.list_jobs(session, status=JobStatus.RUNNING, page=1, per_page=10)
        assert [row.id for row in rows] == [ids[0]]
        _, total = jobs.list_jobs(session, kind=JobKind.ORDERS, page=1, per_page=10)
        assert total == 0
