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


def test_a_committed_change_queues_one_push_woken_after_the_window(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked

    _receive(sessions, version_id)

    [job] = _push_jobs(sessions, channel_id)
    assert job.status is JobStatus.QUEUED
    assert waker.delayed == [(job.id, 1.5)]
    assert waker.woken == []


def test_a_queued_push_absorbs_later_changes(
    sessions: sessionmaker[Session], waker: NoWaker, stocked: tuple[int, int]
) -> None:
    version_id, channel_id = stocked

    for _ in range(5):
        _receive(sessions, version_id)

    assert len(_push_jobs(sessions, channel_id)) == 1
    assert len(waker.delayed) == 1


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
    assert [job_id for job_id, _ in waker.delayed] == [first.id, jobs_now[1].id]


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
    assert waker.delayed == []


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

    assert waker.woken == [job_id]
    assert [job.channel_id for job in _push_jobs(sessions, channel_id)] == [channel_id]


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
