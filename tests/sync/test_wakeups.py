"""Push jobs queued after commit: one pending per channel, never lost, and the safety net."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    EcomListingChannel,
    JobKind,
    JobStatus,
    PublicationStatus,
    SyncJob,
)
from stockbridge.db.types import utcnow
from stockbridge.pos import inventory
from stockbridge.sync import jobs
from stockbridge.sync.wakeups import PushWakeups, queue_overdue_pushes
from tests.factories import make_publication, make_version
from tests.sync.shops import NoWaker


@pytest.fixture
def waker(sessions: sessionmaker[Session]) -> Iterator[NoWaker]:
    waker = NoWaker()
    wakeups = PushWakeups(sessions, waker, coalesce_seconds=1.5)
    wakeups.install()
    yield waker
    wakeups.remove()


@pytest.fixture
def stocked(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(version id, channel id): a version with stock whose product is published."""
    with transaction(sessions) as session:
        version = make_version(session, on_hand=10)
        publication = make_publication(session, version.product_code)
        return version.id, publication.channel_id


def _receive(sessions: sessionmaker[Session], version_id: int, quantity: int = 1) -> None:
    with transaction(sessions) as session:
        inventory.receive(session, version_id, quantity, actor="test")


def _push_jobs(sessions: sessionmaker[Session], channel_id: int) -> list[SyncJob]:
    with sessions() as session:
        query = select(SyncJob).where(
            SyncJob.channel_id == channel_id, SyncJob.kind == JobKind.INVENTORY
        )
        return list(session.scalars(query.order_by(SyncJob.id)))


def _started(sessions: sessionmaker[Session], job_id: int, seconds_ago: float) -> None:
    """The job starts, as a worker would, with its start time ``seconds_ago``."""
    with transaction(sessions) as session:
        assert jobs.start_job(session, job_id) is not None
        started = utcnow() - timedelta(seconds=seconds_ago)
        session.execute(update(SyncJob).where(SyncJob.id == job_id).values(started_at=started))


def _finished(sessions: sessionmaker[Session], job_id: int) -> None:
    with transaction(sessions) as session:
        assert jobs.finish_job(session, job_id) is not None


def test_a_change_on_a_channel_that_has_not_pushed_lately_is_pushed_at_once(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked

    _receive(sessions, version_id)

    [job] = _push_jobs(sessions, channel_id)
    assert job.status is JobStatus.QUEUED
    assert waker.woken == [job.id]
    assert waker.delayed == []


def test_a_change_within_the_window_of_the_last_push_waits_for_the_window_to_end(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    """Pushes of a channel start at least a window apart: a listing changed again and
    again is revised at most once per window."""
    version_id, channel_id = stocked
    _receive(sessions, version_id)
    [first] = _push_jobs(sessions, channel_id)
    _started(sessions, first.id, seconds_ago=0.5)
    _finished(sessions, first.id)

    _receive(sessions, version_id)

    [_, second] = _push_jobs(sessions, channel_id)
    [(delayed_id, seconds)] = waker.delayed
    assert delayed_id == second.id
    assert 0 < seconds <= 1.5 - 0.5  # what is left of the window since the first started
    assert waker.woken == [first.id]


def test_a_change_a_window_after_the_last_push_started_is_pushed_at_once(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked
    _receive(sessions, version_id)
    [first] = _push_jobs(sessions, channel_id)
    _started(sessions, first.id, seconds_ago=1.6)
    _finished(sessions, first.id)

    _receive(sessions, version_id)

    [_, second] = _push_jobs(sessions, channel_id)
    assert waker.woken == [first.id, second.id]
    assert waker.delayed == []


def test_a_queued_push_absorbs_later_changes(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked

    for _ in range(5):
        _receive(sessions, version_id)

    assert len(_push_jobs(sessions, channel_id)) == 1
    assert len(waker.woken) == 1
    assert waker.delayed == []


def test_a_running_push_does_not_absorb_a_change(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    """The lost wake-up: a started job may have read its rows already, so a change after
    it started needs a job of its own."""
    version_id, channel_id = stocked
    _receive(sessions, version_id)
    [first] = _push_jobs(sessions, channel_id)
    with transaction(sessions) as session:
        assert jobs.start_job(session, first.id) is not None

    _receive(sessions, version_id)

    jobs_now = _push_jobs(sessions, channel_id)
    assert [job.status for job in jobs_now] == [JobStatus.RUNNING, JobStatus.QUEUED]
    # The first started just now: the one behind it is woken when the window ends.
    assert waker.woken == [first.id]
    assert [job_id for job_id, _ in waker.delayed] == [jobs_now[1].id]


def test_a_rolled_back_change_queues_nothing(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked

    def failing_sale() -> None:
        with transaction(sessions) as session:
            inventory.receive(session, version_id, 1, actor="test")
            raise RuntimeError("the sale failed")

    with pytest.raises(RuntimeError):
        failing_sale()

    assert _push_jobs(sessions, channel_id) == []
    assert (waker.woken, waker.delayed) == ([], [])


def test_the_safety_net_queues_pushes_for_rows_dirty_too_long(
    sessions: sessionmaker[Session], stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked
    _receive(sessions, version_id)  # no listener installed: as if the wake-up was lost
    assert _push_jobs(sessions, channel_id) == []
    waker = NoWaker()

    with transaction(sessions) as session:
        assert queue_overdue_pushes(session, waker) == []  # dirty for less than 10 s
    later = utcnow() + timedelta(seconds=11)
    with transaction(sessions) as session:
        [job] = queue_overdue_pushes(session, waker, now=later)
        job_id = job.id
    with transaction(sessions) as session:
        assert queue_overdue_pushes(session, waker, now=later) == []  # one pending is enough

    # The pending job is woken again: its first wake-up may have been lost too.
    assert waker.woken == [job_id, job_id]
    assert waker.delayed == []
    assert [job.channel_id for job in _push_jobs(sessions, channel_id)] == [channel_id]


def test_the_safety_net_wakes_a_push_whose_delayed_wake_up_was_lost(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    """A wake-up held by an in-process timer dies with its process; the job row stays
    queued, and the overdue sweep wakes it."""
    version_id, channel_id = stocked
    _receive(sessions, version_id)
    [first] = _push_jobs(sessions, channel_id)
    _started(sessions, first.id, seconds_ago=0.1)
    _receive(sessions, version_id)  # during the first push: a second, woken late
    [_, second] = _push_jobs(sessions, channel_id)
    assert [job_id for job_id, _ in waker.delayed] == [second.id]
    _finished(sessions, first.id)
    waker.delayed.clear()  # the process holding the timer stopped

    with transaction(sessions) as session:
        later = utcnow() + timedelta(seconds=11)
        assert queue_overdue_pushes(session, waker, now=later) == []

    assert waker.woken[-1] == second.id
    assert len(_push_jobs(sessions, channel_id)) == 2


def test_the_safety_net_leaves_unpublished_rows_alone(
    sessions: sessionmaker[Session], stocked: tuple[int, int]
) -> None:
    version_id, _ = stocked
    _receive(sessions, version_id)
    with transaction(sessions) as session:
        session.execute(update(EcomListingChannel).values(status=PublicationStatus.PENDING))

    with transaction(sessions) as session:
        later = utcnow() + timedelta(minutes=5)
        assert queue_overdue_pushes(session, NoWaker(), now=later) == []
