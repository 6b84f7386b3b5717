"""Backfills (``orders`` jobs with a date range) against a live eBay sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import EcomChannel, JobStatus, SyncJob
from stockbridge.sandbox.ebay.sales import CancelOrder, cancel_order
from stockbridge.sync import jobs
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.order_poll import OrderWindow, queue_backfill
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.runner import run_job
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, clock, ebay, start_sandbox
from tests.sync.ebay_shop import EbayShop, open_shop, stored
from tests.sync.shops import NoWaker
from tests.sync.test_jobs import RecordingWaker

__all__ = ["clock", "ebay", "start_sandbox"]


@pytest.fixture
def shop(sessions: sessionmaker[Session], ebay: EbayHarness, clock: FakeClock) -> EbayShop:
    return open_shop(sessions, ebay, clock, units=5_000)


def sandbox_now(shop: EbayShop) -> datetime:
    return datetime.fromtimestamp(shop.harness.clock.now, UTC)


def backfill(sessions: sessionmaker[Session], shop: EbayShop, window: OrderWindow) -> SyncJob:
    with sessions.begin() as session:
        job_id = queue_backfill(session, RecordingWaker(), shop.channel_id, window).id
    run_job(
        sessions, default_handlers(shop.settings), job_id, waker=NoWaker(), policy=RetryPolicy()
    )
    with sessions() as session:
        return jobs.get_job(session, job_id)


def test_a_backfill_of_5000_orders_completes_with_exact_counts(
    sessions: sessionmaker[Session], shop: EbayShop, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the 5,000-order run is timed on SQLite; PostgreSQL runs it in bench/orders.py")
    since = sandbox_now(shop) - timedelta(minutes=1)
    placed = shop.buy(5_000)

    job = backfill(sessions, shop, OrderWindow(since=since))

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts == {
        "created": 5_000, "updated": 0, "unchanged": 0, "stale": 0,
        "needs_attention": 0, "rejected": 0,
    }  # fmt: skip
    assert job.progress_done == 5_000
    after = stored(sessions, shop)
    assert (after.orders, after.distinct_orders) == (len(placed), 5_000)
    assert after.reserved_lines == after.qty_reserved == 5_000


def test_a_backfill_keeps_to_its_range_and_statuses_and_leaves_the_poll_cursor_alone(
    sessions: sessionmaker[Session], shop: EbayShop
) -> None:
    start = sandbox_now(shop)
    early = shop.buy(2)
    shop.harness.clock.advance(3600)
    middle = shop.buy(2)
    cancel_order(shop.harness.sandbox, middle[0], CancelOrder())
    until = sandbox_now(shop) + timedelta(seconds=1)
    shop.harness.clock.advance(3600)
    shop.buy(3)  # after `until`

    ranged = backfill(sessions, shop, OrderWindow(since=start, until=until))
    cancelled = backfill(
        sessions, shop, OrderWindow(since=start, until=until, statuses=frozenset({"cancelled"}))
    )

    assert ranged.status is JobStatus.SUCCEEDED, ranged.error
    assert (ranged.counts["created"], ranged.counts["skipped"]) == (4, 3)
    assert (cancelled.counts["unchanged"], cancelled.counts["skipped"]) == (1, 6)
    assert stored(sessions, shop).orders == len(early) + len(middle)
    with sessions() as session:
        channel = session.get(EcomChannel, shop.channel_id)
        assert channel is not None
        assert channel.orders_cursor is None
