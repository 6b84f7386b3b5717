"""The ``orders`` job against a live eBay sandbox with webhooks off: polling alone brings
every order in exactly once, page by page from the stored cursor."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import EcomChannel, JobKind, JobStatus
from stockbridge.sync import jobs
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.runner import run_job
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, clock, ebay, start_sandbox
from tests.sync.ebay_shop import EbayShop, open_shop, stored
from tests.sync.shops import NoWaker
from tests.sync.test_jobs import RecordingWaker

__all__ = ["clock", "ebay", "start_sandbox"]


@pytest.fixture
def shop(sessions: sessionmaker[Session], ebay: EbayHarness, clock: FakeClock) -> EbayShop:
    return open_shop(sessions, ebay, clock, units=500)


def poll(sessions: sessionmaker[Session], shop: EbayShop) -> jobs.SyncJob:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(
            session, RecordingWaker(), kind=JobKind.ORDERS, channel_id=shop.channel_id
        ).id
    run_job(
        sessions, default_handlers(shop.settings), job_id, waker=NoWaker(), policy=RetryPolicy()
    )
    with sessions() as session:
        return jobs.get_job(session, job_id)


def test_polling_twice_imports_each_order_once_and_reserves_it_once(
    sessions: sessionmaker[Session], shop: EbayShop
) -> None:
    placed = shop.buy(250)  # three pages of 100

    first = poll(sessions, shop)
    second = poll(sessions, shop)

    assert first.status is JobStatus.SUCCEEDED, first.error
    assert first.counts["created"] == 250
    assert first.progress_done == 250
    assert second.status is JobStatus.SUCCEEDED, second.error
    assert second.counts["created"] == 0
    assert second.counts["unchanged"] == 250  # the overlap window re-reads, harmlessly
    after = stored(sessions, shop)
    assert (after.orders, after.distinct_orders) == (len(placed), len(placed))
    assert after.reserved_lines == after.qty_reserved == 250


def channel_cursor(sessions: sessionmaker[Session], shop: EbayShop) -> str | None:
    with sessions() as session:
        channel = session.get(EcomChannel, shop.channel_id)
        assert channel is not None
        return channel.orders_cursor


def test_the_next_poll_goes_on_from_the_stored_cursor_less_the_overlap(
    sessions: sessionmaker[Session], shop: EbayShop
) -> None:
    shop.buy(3)
    poll(sessions, shop)
    shop.harness.clock.advance(3600)  # beyond the overlap window
    shop.buy(2)
    poll(sessions, shop)
    cursor = channel_cursor(sessions, shop)
    shop.harness.clock.advance(3600)
    shop.buy(1)

    later = poll(sessions, shop)

    # The three first orders lie before the window; the two of the last poll within it.
    assert (later.counts["created"], later.counts["unchanged"]) == (1, 2)
    assert later.progress_done == 3
    newest = channel_cursor(sessions, shop)
    assert cursor is not None
    assert newest is not None
    assert newest > cursor
    assert stored(sessions, shop).orders == 6


def test_two_polls_racing_import_each_order_once(
    sessions: sessionmaker[Session], shop: EbayShop
) -> None:
    shop.buy(150)
    with sessions.begin() as session:
        job_ids = [
            jobs.enqueue_job(
                session, RecordingWaker(), kind=JobKind.ORDERS, channel_id=shop.channel_id
            ).id
            for _ in range(2)
        ]
    handlers = default_handlers(shop.settings)
    racers = [
        threading.Thread(
            target=run_job,
            args=(sessions, handlers, i),
            kwargs={"waker": NoWaker(), "policy": RetryPolicy()},
        )
        for i in job_ids
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=120)

    with sessions() as session:
        finished = [jobs.get_job(session, job_id) for job_id in job_ids]
    assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * 2, [
        job.error for job in finished
    ]
    assert sum(job.counts["created"] for job in finished) == 150
    after = stored(sessions, shop)
    assert (after.orders, after.distinct_orders) == (150, 150)
    assert after.reserved_lines == after.qty_reserved == 150
