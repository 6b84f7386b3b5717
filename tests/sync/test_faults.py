"""The sync engine under marketplace faults, against the eBay sandbox over HTTP.

Errors, rate limits and hung calls injected at random, tokens that expire mid-push or
are revoked: every job ends succeeded (retried as often as it took), nothing is lost,
and the marketplace ends showing exactly what stockbridge offers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce import channels
from stockbridge.db.engine import transaction
from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus
from stockbridge.sync import jobs
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.queue import JobQueue
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.runner import run_job
from tests.channels.ebay.conftest import add_fault, calls, consent, new_adapter, shop
from tests.sandbox.ebay.conftest import REDIRECT_URI, EbayHarness, ebay, start_sandbox
from tests.sync.conftest import queue_settings, wait_for
from tests.sync.ebay_shop import open_shop as open_order_shop
from tests.sync.shops import NoWaker, Shop, channel_context, hooked_registry, open_shop
from tests.sync.test_push_ebay import clock, ebay_link, quantities

__all__ = ["clock", "ebay", "shop", "start_sandbox"]

BULK = "^/sell/inventory/v1/bulk_update_price_quantity"
#: Retries in tenths of a second, and enough of them to outlast a 30 % fault rate.
FAST_RETRIES = RetryPolicy(max_attempts=40, base_seconds=0.2, cap_seconds=1.0)


def lamp_shop(
    sessions: sessionmaker[Session], harness: EbayHarness, count: int, **rules: Any
) -> Shop:
    skus = [f"LAMP-{n}" for n in range(count)]
    return open_shop(sessions, channel_context(), ebay_link(harness, skus, 5),
                     dict.fromkeys(skus, 5), currency="GBP", **rules)  # fmt: skip


def stored_tokens(shop: Shop) -> Any:
    with shop.sessions() as session:
        return channels.read_link(shop.ctx, channels.get_channel(session, shop.channel_id)).tokens


def channel_status(shop: Shop) -> ChannelStatus:
    with shop.sessions() as session:
        channel = session.get(EcomChannel, shop.channel_id)
        assert channel is not None
        return channel.status


@pytest.fixture
def faulty_queue(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> Iterator[Any]:
    """Start an in-process queue for a shop, with fast retries."""
    made: list[JobQueue] = []

    def start(lamps: Shop) -> JobQueue:
        settings = queue_settings(database_url).model_copy(update={"push_coalesce_seconds": 0.2})
        queue = JobQueue(settings, sessions, default_handlers(lamps.ctx),
                         sqlite_path=tmp_path / "queue.db", retry_policy=FAST_RETRIES)  # fmt: skip
        made.append(queue)
        queue.start_in_process(periodic=False)
        return queue

    yield start
    for queue in made:
        queue.close()


def test_under_30_percent_faults_every_push_ends_succeeded_with_no_drift(
    sessions: sessionmaker[Session], shop: EbayHarness, faulty_queue: Any
) -> None:
    # A hung call outlasts the adapter's 1 s timeout; 429s name a Retry-After of 1 s.
    lamps = lamp_shop(sessions, shop, 8, marketplace={"timeout_seconds": 1})
    faults = [
        {"status": 503, "seed": 4},
        {"status": 429, "retry_after": 1, "seed": 2},
        {"hang": True, "hang_seconds": 3, "seed": 23},
    ]
    # Three draws of 11.2 % each: 30 % of calls hit by one. These seeds hit each kind
    # within the first five calls, so every kind is met however the pushes coalesce.
    for fault in faults:
        add_fault(shop, path_pattern=BULK, rate=0.112, **fault)
    faulty_queue(lamps)
    rng = random.Random(7)

    for _ in range(40):  # a stream of POS changes while pushes run and fail
        sku = f"LAMP-{rng.randrange(8)}"
        if rng.random() < 0.5 and lamps.on_hand(sku) > 0:
            lamps.sell(sku)
        else:
            lamps.count({sku: rng.randrange(12)})
        time.sleep(rng.uniform(0, 0.1))

    def converged() -> bool:
        finished = all(job.status.finished for job in lamps.push_jobs())
        return finished and not lamps.dirty()

    wait_for(converged, timeout=90)
    pushes = lamps.push_jobs()
    assert {job.status for job in pushes} == {JobStatus.SUCCEEDED}, [j.error for j in pushes]
    assert quantities(shop) == lamps.offered()
    # The faults did happen, and were retried through.
    hits = [rule["hits"] for rule in shop.http.get("/_sandbox/faults").json()]
    assert all(hits), hits
    assert sum(job.attempts - 1 for job in pushes) >= 1


def test_an_access_token_expiring_mid_push_is_refreshed_stored_and_reused(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    providers, hooks = hooked_registry("ebay")
    skus = [f"LAMP-{n}" for n in range(30)]  # two bulk calls: 25 + 5
    lamps = open_shop(sessions, channel_context(providers), ebay_link(shop, skus, 5),
                      dict.fromkeys(skus, 5), currency="GBP")  # fmt: skip
    before = stored_tokens(lamps)
    lamps.count(dict.fromkeys(skus, 3))
    sent: list[int] = []

    def expire_after_the_first_call() -> None:
        sent.append(1)
        if len(sent) == 2:  # the token runs out on eBay's clock between the two calls
            shop.clock.advance(2 * 3600 + 1)

    hooks.before_push = expire_after_the_first_call
    first = lamps.run_push()

    assert first.status is JobStatus.SUCCEEDED, first.error
    assert first.counts["pushed"] == 30
    assert set(quantities(shop).values()) == {3}
    assert calls(shop)["getToken:refresh_token"] == 1
    after = stored_tokens(lamps)
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token  # eBay answers no new one

    lamps.count({"LAMP-0": 1})
    second = lamps.run_push()

    assert second.status is JobStatus.SUCCEEDED, second.error
    assert quantities(shop)["LAMP-0"] == 1
    assert calls(shop)["getToken:refresh_token"] == 1  # the stored token was used as is


def test_an_orders_poll_stores_the_token_it_refreshed(
    sessions: sessionmaker[Session], ebay: EbayHarness, clock: Any
) -> None:
    sold = open_order_shop(sessions, ebay, clock, units=5)
    sold.buy(2)
    clock.advance(2 * 3600 + 1)  # the stored access token has run out on eBay

    def poll() -> Any:
        with transaction(sessions) as session:
            job_id = jobs.enqueue_job(
                session, NoWaker(), kind=JobKind.ORDERS, channel_id=sold.channel_id
            ).id
        handlers = default_handlers(sold.settings)
        run_job(sessions, handlers, job_id, waker=NoWaker(), policy=FAST_RETRIES)
        with sessions() as session:
            return jobs.get_job(session, job_id)

    assert poll().status is JobStatus.SUCCEEDED
    assert poll().status is JobStatus.SUCCEEDED
    assert calls(ebay)["getToken:refresh_token"] == 1


def test_a_revoked_grant_holds_the_channel_and_its_pushes_until_reconnected(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    lamps = lamp_shop(sessions, shop, 3)
    assert shop.http.post("/_sandbox/oauth/revoke").status_code == 200
    lamps.count({"LAMP-0": 2})  # its push meets a refused token, and a refused refresh

    held = lamps.run_push()

    assert (held.status, held.attempts) == (JobStatus.QUEUED, 1)
    assert channel_status(lamps) is ChannelStatus.AUTH_REQUIRED
    assert calls(shop)["getToken:refresh_token"] == 1
    lamps.count({"LAMP-1": 1})  # changes go on while the channel waits
    assert lamps.run_push(job_id=held.id).attempts == 1  # held: not even started
    assert lamps.dirty() == ["LAMP-0", "LAMP-1"]
    assert quantities(shop) == {"LAMP-0": 5, "LAMP-1": 5, "LAMP-2": 5}

    # The owner reconnects (what the OAuth callback does): the held job is woken.
    seller = new_adapter(shop)
    tokens = seller.adapter.exchange_code(consent(seller.adapter), REDIRECT_URI)
    waker = NoWaker()
    with transaction(sessions) as session:
        channels.connect_tokens(session, lamps.ctx, lamps.channel_id, tokens)
        woken = jobs.wake_held_jobs(session, waker, lamps.channel_id)
    assert woken == waker.woken == [held.id]

    done = lamps.run_push(job_id=held.id)

    assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 2), done.error
    assert channel_status(lamps) is ChannelStatus.ACTIVE
    assert lamps.dirty() == []
    assert quantities(shop) == lamps.offered() == {"LAMP-0": 2, "LAMP-1": 1, "LAMP-2": 5}
