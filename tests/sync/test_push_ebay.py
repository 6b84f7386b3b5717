"""Pushing stock and prices to the eBay sandbox over HTTP: sales, bursts, races, refusals."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce.channels import ChannelLink
from stockbridge.db.engine import transaction
from stockbridge.db.models import EcomListingChannel, JobKind, JobStatus, SyncState
from stockbridge.settings import Settings
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.queue import JobQueue
from stockbridge.sync.wakeups import PushWakeups
from tests.channels.ebay.conftest import calls, consent, listing, new_adapter, shop
from tests.sandbox.ebay.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    EbayHarness,
    FakeClock,
    ebay,
    start_sandbox,
)
from tests.sync.conftest import queue_settings, wait_for
from tests.sync.shops import NoWaker, Shop, channel_context, hooked_registry, open_shop

__all__ = ["ebay", "shop", "start_sandbox"]


@pytest.fixture
def clock() -> FakeClock:
    """The sandbox's clock on real time: the push's adapter checks token expiry on it."""
    return FakeClock(now=time.time())


def ebay_link(harness: EbayHarness, skus: list[str], quantity: int) -> ChannelLink:
    """The seller connected by OAuth, with the SKUs listed (items and offers) on the sandbox."""
    seller = new_adapter(harness)
    tokens = seller.adapter.exchange_code(consent(seller.adapter), REDIRECT_URI)
    seller.adapter.upsert_listings([listing(sku, quantity=quantity) for sku in skus])
    harness.http.delete("/_sandbox/calls")
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return ChannelLink(None, "ebay", harness.base_url, credentials, tokens)


def offered(harness: EbayHarness) -> dict[str, dict[str, Any]]:
    """Each SKU's offer body as the sandbox holds it."""
    return {offer["sku"]: offer["body"] for offer in harness.get_state()["offers"].values()}


def quantities(harness: EbayHarness) -> dict[str, int]:
    return {sku: body["availableQuantity"] for sku, body in offered(harness).items()}


@pytest.fixture
def lamps(sessions: sessionmaker[Session], shop: EbayHarness) -> Shop:
    skus = [f"LAMP-{n}" for n in range(3)]
    link = ebay_link(shop, skus, quantity=4)
    return open_shop(sessions, channel_context(), link, dict.fromkeys(skus, 5), currency="GBP",
                     safety_buffer=1)  # fmt: skip


@pytest.fixture
def running_queue(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, lamps: Shop
) -> Iterator[JobQueue]:
    settings = queue_settings(database_url).model_copy(update={"push_coalesce_seconds": 0.5})
    queue = JobQueue(
        settings, sessions, default_handlers(lamps.ctx), sqlite_path=tmp_path / "queue.db"
    )
    queue.start_in_process(periodic=False)
    yield queue
    queue.close()


def test_a_pos_sale_reaches_ebay_through_the_queue(
    running_queue: JobQueue, lamps: Shop, shop: EbayHarness
) -> None:
    lamps.sell("LAMP-1", 2)

    wait_for(lambda: quantities(shop)["LAMP-1"] == 5 - 2 - 1)
    wait_for(lambda: lamps.push_jobs()[-1].status is JobStatus.SUCCEEDED)
    assert quantities(shop) == {"LAMP-0": 4, "LAMP-1": 2, "LAMP-2": 4}
    assert lamps.publications()["LAMP-1"].is_dirty is False
    assert lamps.publications()["LAMP-1"].last_pushed_qty == 2
    assert calls(shop)["bulkUpdatePriceQuantity"] == 1


def test_sales_in_a_row_each_reach_ebay_and_none_is_left_queued(
    running_queue: JobQueue, lamps: Shop, shop: EbayHarness
) -> None:
    for left in (4, 3, 2, 1):
        lamps.sell("LAMP-0")
        wait_for(lambda left=left: quantities(shop)["LAMP-0"] == left - 1)
    wait_for(lambda: all(job.status.finished for job in lamps.push_jobs()))
    assert all(job.status is JobStatus.SUCCEEDED for job in lamps.push_jobs())


def test_a_burst_of_1000_changes_is_one_push_in_full_bulk_calls(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path, shop: EbayHarness
) -> None:
    skus = [f"SKU-{n:03d}" for n in range(100)]
    many = open_shop(sessions, channel_context(), ebay_link(shop, skus, 10),
                     dict.fromkeys(skus, 10), currency="GBP")  # fmt: skip
    settings = queue_settings(database_url).model_copy(update={"push_coalesce_seconds": 1})
    queue = JobQueue(settings, sessions, default_handlers(many.ctx), sqlite_path=tmp_path / "q.db")
    try:
        # 1,000 changes: every SKU counted 10 times, in 50 commits of 20 changes, all
        # while the first push job is still queued (its consumer starts after them).
        for change in range(1000 // 20):
            round_, part = divmod(change, 5)
            many.count({sku: (round_ + n) % 9 for n, sku in enumerate(skus) if n % 5 == part})
        queue.start_in_process(periodic=False)
        wanted = {sku: (9 + n) % 9 for n, sku in enumerate(skus)}
        wait_for(lambda: quantities(shop) == wanted, timeout=60)
        wait_for(lambda: all(job.status.finished for job in many.push_jobs()), timeout=30)
    finally:
        queue.close()
    pushes = many.push_jobs()
    assert [job.status for job in pushes] == [JobStatus.SUCCEEDED]
    assert pushes[0].counts["pushed"] == 100
    # 100 SKUs at eBay's 25 a call: 4 bulk calls, each full; one revision per listing.
    assert calls(shop)["bulkUpdatePriceQuantity"] == 4


def test_a_sale_during_the_push_is_pushed_by_the_next_one(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    providers, hooks = hooked_registry("ebay")
    link = ebay_link(shop, ["LAMP-0"], quantity=5)
    lamps = open_shop(sessions, channel_context(providers), link, {"LAMP-0": 5}, currency="GBP")
    lamps.sell("LAMP-0")  # dirty: 4 to push
    waker = NoWaker()
    wakeups = PushWakeups(sessions, waker, coalesce_seconds=0)
    wakeups.install()
    try:
        sold_meanwhile = threading.Event()

        def sale_between_read_and_clear() -> None:
            if not sold_meanwhile.is_set():
                sold_meanwhile.set()
                lamps.sell("LAMP-0")  # committed while the push is at eBay

        hooks.before_push = sale_between_read_and_clear
        first = lamps.run_push()
        assert first.status is JobStatus.SUCCEEDED
        assert first.counts["changed_meanwhile"] == 1
        assert quantities(shop)["LAMP-0"] == 4  # what was read
        assert lamps.publications()["LAMP-0"].is_dirty  # the second sale is not lost
        # The first push was running, so it did not absorb the sale: a new job is queued.
        queued = [job for job in lamps.push_jobs() if job.status is JobStatus.QUEUED]
        assert [job.id for job in queued] == waker.woken

        second = lamps.run_push(job_id=queued[0].id)
    finally:
        wakeups.remove()
    assert second.counts["pushed"] == 1
    assert quantities(shop)["LAMP-0"] == 3
    assert lamps.publications()["LAMP-0"].is_dirty is False


def test_only_one_push_per_channel_sends_at_a_time(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    providers, hooks = hooked_registry("ebay")
    skus = [f"LAMP-{n}" for n in range(30)]
    lamps = open_shop(sessions, channel_context(providers), ebay_link(shop, skus, 5),
                      dict.fromkeys(skus, 5), currency="GBP")  # fmt: skip
    lamps.count(dict.fromkeys(skus, 2))
    hooks.before_push = lambda: time.sleep(0.2)  # long enough for the other to try
    results: list[Any] = []
    pushers = [threading.Thread(target=lambda: results.append(lamps.run_push())) for _ in "ab"]
    for pusher in pushers:
        pusher.start()
    for pusher in pushers:
        pusher.join(timeout=60)

    assert hooks.most_at_once == 1
    assert sorted(job.counts["pushed"] for job in results) == [0, 30]
    assert calls(shop)["bulkUpdatePriceQuantity"] == 2  # 30 SKUs once: 25 + 5
    assert set(quantities(shop).values()) == {2}


def test_a_refused_sku_is_marked_and_does_not_block_the_batch(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    link = ebay_link(shop, ["LAMP-0", "LAMP-1"], quantity=5)
    lamps = open_shop(sessions, channel_context(), link, {"LAMP-0": 5, "LAMP-1": 5, "GHOST": 5},
                      currency="GBP")  # fmt: skip
    lamps.count({"LAMP-0": 1, "LAMP-1": 2, "GHOST": 3})

    job = lamps.run_push()

    assert job.status is JobStatus.SUCCEEDED
    assert (job.counts["pushed"], job.counts["rejected"]) == (2, 1)
    assert quantities(shop) == {"LAMP-0": 1, "LAMP-1": 2}
    rows = lamps.publications()
    assert rows["GHOST"].sync_state is SyncState.ERROR
    assert "25702" in (rows["GHOST"].last_error or "")
    assert rows["GHOST"].is_dirty is False  # retried by its next change or the reconcile
    assert {rows["LAMP-0"].sync_state, rows["LAMP-1"].sync_state} == {SyncState.IN_SYNC}


def test_a_price_change_is_pushed_with_the_channel_rule(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    link = ebay_link(shop, ["LAMP-0", "LAMP-1"], quantity=5)
    rule = {"mode": "percentage", "percentage": "12.5"}
    lamps = open_shop(sessions, channel_context(), link, {"LAMP-0": 5, "LAMP-1": 5},
                      currency="GBP", price_cents=4999, price_rule=rule)  # fmt: skip
    lamps.reprice("LAMP-0", 3999)

    job = lamps.run_push()

    assert job.counts["pushed"] == 1
    # 3999 * 1.125 = 4498.875 -> 4499 cents.
    assert offered(shop)["LAMP-0"]["pricingSummary"]["price"] == {
        "value": "44.99",
        "currency": "GBP",
    }
    assert offered(shop)["LAMP-1"]["pricingSummary"]["price"]["value"] == "49.99"
    assert lamps.publications()["LAMP-0"].last_pushed_price_cents == 4499
    # One call for the quantity, one for the price.
    assert calls(shop)["bulkUpdatePriceQuantity"] == 2

    repeat = lamps.run_push(JobKind.PRICES)  # nothing dirty: nothing sent
    assert repeat.counts["pushed"] == 0


def test_settings_default_coalescing_window_is_one_second() -> None:
    assert Settings().push_coalesce_seconds == 1.0


def test_a_stored_offer_id_made_stale_on_ebay_is_looked_up_and_the_sale_pushed(
    sessions: sessionmaker[Session], lamps: Shop, shop: EbayHarness
) -> None:
    offers = shop.get_state()["offers"]
    ids = {offer["sku"]: key for key, offer in offers.items()}
    with transaction(sessions) as session:  # as the listings job records them
        for row in session.scalars(select(EcomListingChannel)):
            row.external_id = ids[row.external_sku or ""]
    old = offers[ids["LAMP-0"]]
    assert shop.call("DELETE", f"/offer/{ids['LAMP-0']}").status_code == 204
    keys = {"sku": "LAMP-0", "marketplaceId": old["marketplace_id"], "format": old["format"]}
    assert shop.call("POST", "/offer", json=old["body"] | keys).status_code == 201
    shop.http.delete("/_sandbox/calls")
    lamps.sell("LAMP-0")
    lamps.sell("LAMP-1")

    job = lamps.run_push()

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert (job.counts["pushed"], job.counts["rejected"]) == (2, 0)
    assert quantities(shop) == {"LAMP-0": 3, "LAMP-1": 3, "LAMP-2": 4}
    assert calls(shop) == {"bulkUpdatePriceQuantity": 2, "getOffers": 1}
    rows = lamps.publications()
    assert rows["LAMP-0"].sync_state is SyncState.IN_SYNC
    assert rows["LAMP-0"].last_error is None
    new_id = next(key for key, o in shop.get_state()["offers"].items() if o["sku"] == "LAMP-0")
    assert rows["LAMP-0"].external_id == new_id != ids["LAMP-0"]
    assert rows["LAMP-0"].external_refs["offer_id"] == new_id
    shop.http.delete("/_sandbox/calls")
    lamps.sell("LAMP-0")
    assert lamps.run_push().counts["pushed"] == 1
    assert calls(shop) == {"bulkUpdatePriceQuantity": 1}  # the stored new id: no look-up
    assert quantities(shop)["LAMP-0"] == 2
