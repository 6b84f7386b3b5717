"""``stockbridge worker`` processes on Redis and PostgreSQL: killed mid-job, and side by side.

A worker killed with SIGKILL leaves its job ``running``; once its heartbeat is stale, the
sweeper of a worker started later (it sweeps as it starts) queues it again, and the job
converges. Two workers never push one channel at once. A worker stopped gracefully leaves
the retries its timer still held on Redis.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ChannelLogStatus,
    EcomChannelLog,
    JobKind,
    JobStatus,
    SyncJob,
)
from stockbridge.db.types import utcnow
from stockbridge.settings import Settings
from stockbridge.sync import jobs
from stockbridge.sync.order_poll import OrderWindow, queue_backfill
from stockbridge.sync.queue import JobQueue
from tests.channels.ebay.conftest import add_fault, shop
from tests.sandbox.ebay.conftest import EbayHarness, ebay, start_sandbox
from tests.sync.conftest import wait_for
from tests.sync.ebay_shop import open_shop as open_order_shop
from tests.sync.ebay_shop import stored
from tests.sync.shops import channel_context, open_shop
from tests.sync.test_push_ebay import clock, ebay_link, quantities
from tests.sync.workers import StartWorker, redis_queue, spawn_worker

__all__ = ["clock", "ebay", "redis_queue", "shop", "spawn_worker", "start_sandbox"]

BULK = "^/sell/inventory/v1/bulk_update_price_quantity"
#: Heartbeats every half second; silent for 3 s, a worker is taken for dead.
CRASH_TIMING = {"sync_heartbeat_seconds": 0.5, "sync_stale_seconds": 3.0}


@pytest.fixture(autouse=True)
def _postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("worker processes share the database: PostgreSQL with Redis")


def worker_settings(queue: JobQueue, encryption_key: str | None, **extra: Any) -> Settings:
    return queue.settings.model_copy(
        update={"encryption_key": encryption_key, **CRASH_TIMING, **extra}
    )


def read_job(sessions: sessionmaker[Session], job_id: int) -> SyncJob:
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        session.expunge(job)
        return job


def running(sessions: sessionmaker[Session], kind: JobKind) -> SyncJob | None:
    with sessions() as session:
        job = session.scalar(
            select(SyncJob).where(SyncJob.kind == kind, SyncJob.status == JobStatus.RUNNING)
        )
        if job is not None:
            session.expunge(job)
        return job


def stale(sessions: sessionmaker[Session], job_id: int) -> bool:
    """The job's last heartbeat is older than the sweeper's patience."""
    job = read_job(sessions, job_id)
    last = job.heartbeat_at or job.started_at
    assert job.status is JobStatus.RUNNING
    assert last is not None
    return last < utcnow() - timedelta(seconds=CRASH_TIMING["sync_stale_seconds"] + 0.5)


def dead_worker_logs(sessions: sessionmaker[Session], job_id: int) -> list[EcomChannelLog]:
    with sessions() as session:
        return list(
            session.scalars(
                select(EcomChannelLog).where(
                    EcomChannelLog.job_id == job_id,
                    EcomChannelLog.status == ChannelLogStatus.RETRYING,
                )
            )
        )


def test_a_push_whose_worker_is_killed_is_swept_and_pushed_by_the_next_worker(
    sessions: sessionmaker[Session],
    shop: EbayHarness,
    redis_queue: JobQueue,
    spawn_worker: StartWorker,
) -> None:
    skus = [f"LAMP-{n}" for n in range(3)]
    lamps = open_shop(sessions, channel_context(), ebay_link(shop, skus, 5),
                      dict.fromkeys(skus, 5), currency="GBP")  # fmt: skip
    settings = worker_settings(redis_queue, lamps.ctx.settings.encryption_key)
    # The first push call is held at eBay long enough to kill its worker meanwhile.
    add_fault(shop, path_pattern=BULK, latency_ms=5000, times=1)
    first = spawn_worker(settings)
    lamps.sell("LAMP-0", 2)  # queued on Redis by this process's push wake-ups

    job = wait_for(lambda: first.alive() and running(sessions, JobKind.INVENTORY), timeout=30)
    wait_for(lambda: shop.http.get("/_sandbox/faults").json()[0]["hits"] == 1, timeout=30)
    first.kill()
    lamps.sell("LAMP-1")  # while nobody pushes: joins the next push

    wait_for(lambda: stale(sessions, job.id), timeout=30)
    second = spawn_worker(settings)

    def finished() -> bool:
        second.alive()
        return all(j.status.finished for j in lamps.push_jobs()) and not lamps.dirty()

    wait_for(finished, timeout=60)
    swept = read_job(sessions, job.id)
    assert (swept.status, swept.attempts) == (JobStatus.SUCCEEDED, 2), swept.error
    assert {j.status for j in lamps.push_jobs()} == {JobStatus.SUCCEEDED}
    [log] = dead_worker_logs(sessions, job.id)
    assert "the worker stopped during attempt 1" in (log.error_message or "")
    assert quantities(shop) == lamps.offered() == {"LAMP-0": 3, "LAMP-1": 4, "LAMP-2": 5}
    # The held call went on to the sandbox after its client died, without its body.
    assert shop.violations.take() == [
        "request POST /sell/inventory/v1/bulk_update_price_quantity: Missing required request body"
    ]


def push_calls(harness: EbayHarness) -> list[tuple[datetime, datetime]]:
    """(start, end) of every bulk quantity call the sandbox answered, in start order."""
    recent = harness.http.get("/_sandbox/calls", params={"limit": 1000}).json()["recent"]
    spans = []
    for call in recent:
        if call["operation"] == "bulkUpdatePriceQuantity":
            end = datetime.fromisoformat(call["at"]).astimezone(UTC)
            spans.append((end - timedelta(milliseconds=call["duration_ms"]), end))
    return sorted(spans)


def ran_together(one: SyncJob, other: SyncJob) -> bool:
    spans = [(job.started_at, job.finished_at) for job in (one, other)]
    (start, end), (other_start, other_end) = spans
    assert start and end and other_start and other_end  # noqa: PT018 (all four are set)
    return start < other_end and other_start < end


def test_two_workers_never_push_one_channel_at_once(
    sessions: sessionmaker[Session],
    shop: EbayHarness,
    redis_queue: JobQueue,
    spawn_worker: StartWorker,
) -> None:
    skus = [f"LAMP-{n}" for n in range(30)]  # two bulk calls a push
    lamps = open_shop(sessions, channel_context(), ebay_link(shop, skus, 5),
                      dict.fromkeys(skus, 5), currency="GBP")  # fmt: skip
    add_fault(shop, path_pattern=BULK, latency_ms=150)  # each call takes a while
    settings = worker_settings(redis_queue, lamps.ctx.settings.encryption_key)
    workers = [spawn_worker(settings), spawn_worker(settings)]
    rounds: list[list[int]] = []

    for round_ in range(3):
        lamps.count({sku: (round_ + n) % 7 for n, sku in enumerate(skus)})
        with transaction(sessions) as session:  # four pushes at once for four threads
            rounds.append(
                [
                    jobs.enqueue_job(
                        session, redis_queue, kind=JobKind.INVENTORY, channel_id=lamps.channel_id
                    ).id
                    for _ in range(4)
                ]
            )

        def settled() -> bool:
            assert all(worker.alive() for worker in workers)
            return all(job.status.finished for job in lamps.push_jobs()) and not lamps.dirty()

        wait_for(settled, timeout=60)

    pushes = lamps.push_jobs()
    assert {job.status for job in pushes} == {JobStatus.SUCCEEDED}
    spans = push_calls(shop)
    overlapping = [(a, b) for a, b in pairwise(spans) if b[0] < a[1]]
    assert not overlapping
    # The jobs of a round did run at the same time (waiting for the lock), so the lock
    # was what kept their calls apart.
    by_id = {job.id: job for job in pushes}
    for ids in rounds:
        assert any(ran_together(by_id[a], by_id[b]) for a in ids for b in ids if a < b)
    assert quantities(shop) == lamps.offered() == {sku: (2 + n) % 7 for n, sku in enumerate(skus)}


def test_a_backfill_whose_worker_is_killed_imports_each_order_once(
    sessions: sessionmaker[Session],
    ebay: EbayHarness,
    clock: Any,
    redis_queue: JobQueue,
    spawn_worker: StartWorker,
) -> None:
    sold = open_order_shop(sessions, ebay, clock, units=100, marketplace={"order_page_size": 10})
    since = datetime.fromtimestamp(clock.now, UTC) - timedelta(minutes=1)
    placed = sold.buy(80)  # eight pages
    add_fault(ebay, path_pattern="^/sell/fulfillment/v1/order$", latency_ms=400)
    settings = worker_settings(redis_queue, sold.settings.encryption_key)
    first = spawn_worker(settings)
    with transaction(sessions) as session:
        job_id = queue_backfill(session, redis_queue, sold.channel_id, OrderWindow(since)).id

    def some_pages_in() -> bool:
        first.alive()
        job = read_job(sessions, job_id)
        return job.cursor is not None and 0 < job.progress_done < len(placed)

    wait_for(some_pages_in, timeout=60)
    first.kill()
    killed_at = read_job(sessions, job_id).progress_done

    wait_for(lambda: stale(sessions, job_id), timeout=30)
    second = spawn_worker(settings)
    job = wait_for(
        lambda: second.alive() and (j := read_job(sessions, job_id)).status.finished and j,
        timeout=90,
    )

    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.error
    assert 0 < killed_at < len(placed)
    after = stored(sessions, sold)
    assert (after.orders, after.distinct_orders) == (80, 80)
    assert after.reserved_lines == after.qty_reserved == 80


def test_a_retry_waiting_in_a_stopped_workers_timer_is_left_on_redis_for_the_next(
    sessions: sessionmaker[Session],
    shop: EbayHarness,
    redis_queue: JobQueue,
    spawn_worker: StartWorker,
) -> None:
    lamps = open_shop(sessions, channel_context(), ebay_link(shop, ["LAMP-0"], 5),
                      {"LAMP-0": 5}, currency="GBP")  # fmt: skip
    settings = worker_settings(redis_queue, lamps.ctx.settings.encryption_key)
    # Told to come back in 45 s: the worker keeps that retry's wake-up in its own timer.
    add_fault(shop, path_pattern=BULK, status=429, retry_after=45, times=1)
    worker = spawn_worker(settings)
    lamps.sell("LAMP-0", 2)

    def retrying() -> SyncJob | None:
        worker.alive()
        queued = [j for j in lamps.push_jobs() if j.status is JobStatus.QUEUED and j.attempts]
        return queued[0] if queued else None

    job = wait_for(retrying, timeout=30)
    assert worker.stop() == 0, worker.output()

    # Huey keeps a task with an eta in its queue until a consumer moves it to the schedule.
    huey = redis_queue.huey
    delayed = [t.args for t in huey.pending() + huey.scheduled() if t.eta is not None]
    assert delayed == [(job.id,)], worker.output()
