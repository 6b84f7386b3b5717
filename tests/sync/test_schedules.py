"""The scheduler queues each channel's periodic jobs at the channel's own intervals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus
from stockbridge.db.types import utcnow
from stockbridge.sync import jobs
from stockbridge.sync.schedules import schedule_channel_jobs
from tests.sync.test_jobs import RecordingWaker


def _channel(session: Session, *, status: ChannelStatus = ChannelStatus.ACTIVE) -> int:
    channel = EcomChannel(
        name="Shop", provider="shopify", status=status, currency="EUR",
        config={"settings": {"sync": {"order_poll_seconds": 120}}},
    )  # fmt: skip
    session.add(channel)
    session.flush()
    return channel.id


def _kinds(queued: list[object]) -> list[tuple[JobKind, int | None]]:
    return sorted((job.kind, job.channel_id) for job in queued)  # type: ignore[attr-defined]


def test_due_jobs_are_queued_once_per_interval(sessions: sessionmaker[Session]) -> None:
    waker = RecordingWaker()
    kinds = {JobKind.ORDERS, JobKind.RECONCILE}
    with sessions.begin() as session:
        channel_id = _channel(session)
        _channel(session, status=ChannelStatus.PAUSED)  # never scheduled
    with sessions.begin() as session:
        first = schedule_channel_jobs(session, waker, kinds=kinds)
        assert _kinds(first) == [(JobKind.ORDERS, channel_id), (JobKind.RECONCILE, channel_id)]
        orders_id = next(job.id for job in first if job.kind is JobKind.ORDERS)
    with sessions.begin() as session:  # still queued: nothing piles up
        assert schedule_channel_jobs(session, waker, kinds=kinds) == []
    with sessions.begin() as session:
        jobs.start_job(session, orders_id)
        jobs.finish_job(session, orders_id)
    with sessions.begin() as session:  # finished, but its interval (120 s) has not passed
        assert schedule_channel_jobs(session, waker, kinds=kinds) == []
    with sessions.begin() as session:
        later = utcnow() + timedelta(seconds=121)
        again = schedule_channel_jobs(session, waker, kinds=kinds, now=later)
        assert _kinds(again) == [(JobKind.ORDERS, channel_id)]
    assert len(waker.woken) == 3


def test_only_kinds_with_a_handler_are_scheduled(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _channel(session)
    with sessions.begin() as session:
        queued = schedule_channel_jobs(session, RecordingWaker(), kinds={JobKind.CLEANUP})
        assert _kinds(queued) == [(JobKind.CLEANUP, None)]
    with sessions.begin() as session:  # cleanup runs once a day
        assert schedule_channel_jobs(session, RecordingWaker(), kinds={JobKind.CLEANUP}) == []
    with sessions() as session:
        rows, _ = jobs.list_jobs(session, page=1, per_page=10)
        assert [row.status for row in rows] == [JobStatus.QUEUED]


def test_reconciles_a_webhook_queued_do_not_hold_up_the_full_reconcile(
    sessions: sessionmaker[Session],
) -> None:
    waker = RecordingWaker()
    kinds = {JobKind.RECONCILE}
    with sessions.begin() as session:
        channel_id = _channel(session)
        [full] = schedule_channel_jobs(session, waker, kinds=kinds)
        full_id = full.id
    with sessions.begin() as session:
        jobs.start_job(session, full_id)
        jobs.finish_job(session, full_id)
    # A webhook reconcile of one publication every few minutes, one of them still queued.
    minute = timedelta(minutes=1)
    payload = {"publication_ids": [7], "source": "webhook"}
    for minutes in (5, 10, 14):
        with sessions.begin() as session:
            partial = jobs.enqueue_job(
                session, waker, kind=JobKind.RECONCILE, channel_id=channel_id, payload=payload
            )
            partial.queued_at = full.queued_at + minutes * minute
    with sessions.begin() as session:  # the 15 minutes since the full one have not passed
        assert schedule_channel_jobs(session, waker, kinds=kinds, now=utcnow() + 10 * minute) == []
    with sessions.begin() as session:
        due = schedule_channel_jobs(session, waker, kinds=kinds, now=utcnow() + 16 * minute)
        assert _kinds(due) == [(JobKind.RECONCILE, channel_id)]
        assert due[0].payload == {}
