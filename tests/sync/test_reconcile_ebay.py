"""Reconciling with the eBay sandbox over HTTP: drift made on eBay's side is repaired."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    EcomConflict,
    EcomOrder,
    JobKind,
    JobStatus,
    ProductCodeVersion,
    SyncJob,
    SyncState,
)
from stockbridge.sync import jobs
from tests.channels.ebay.conftest import add_fault, calls, shop
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, ebay, start_sandbox
from tests.sandbox.ebay.shop import bought
from tests.sync.conftest import wait_for
from tests.sync.shops import NoWaker, Shop, channel_context, hooked_registry, open_shop
from tests.sync.test_push_ebay import ebay_link, offered, quantities

__all__ = ["ebay", "shop", "start_sandbox"]

SKUS = ["LAMP-0", "LAMP-1", "LAMP-2"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=time.time())


@pytest.fixture
def lamps(sessions: sessionmaker[Session], shop: EbayHarness) -> Shop:
    """Three SKUs, 5 on hand and a buffer of 1: 4 offered at 49.99, as eBay shows them."""
    link = ebay_link(shop, SKUS, quantity=4)
    return open_shop(sessions, channel_context(), link, dict.fromkeys(SKUS, 5), currency="GBP",
                     safety_buffer=1)  # fmt: skip


def offer_ids(harness: EbayHarness) -> dict[str, str]:
    return {offer["sku"]: key for key, offer in harness.get_state()["offers"].items()}


def seller_hub_edit(harness: EbayHarness, sku: str, **offer: Any) -> None:
    """The seller changes the SKU on eBay itself (what Seller Hub does through the API)."""
    change: dict[str, Any] = {"offerId": offer_ids(harness)[sku]}
    request: dict[str, Any] = {"sku": sku, "offers": [change]}
    if "quantity" in offer:
        change["availableQuantity"] = offer["quantity"]
        request["shipToLocationAvailability"] = {"quantity": offer["quantity"]}
    if "price" in offer:
        change["price"] = {"value": offer["price"], "currency": "GBP"}
    answer = harness.call("POST", "/bulk_update_price_quantity", json={"requests": [request]})
    assert answer.status_code == 200, answer.text
    harness.http.delete("/_sandbox/calls")


def test_drift_made_on_ebay_is_repaired_and_counted(lamps: Shop, shop: EbayHarness) -> None:
    seller_hub_edit(shop, "LAMP-0", quantity=9)
    seller_hub_edit(shop, "LAMP-1", price="12.34")
    lamps.count({"LAMP-2": 1})  # 1 on hand less the buffer: 0 is offered, eBay still shows 4

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert quantities(shop) == {"LAMP-0": 4, "LAMP-1": 4, "LAMP-2": 0}
    assert offered(shop)["LAMP-1"]["pricingSummary"]["price"]["value"] == "49.99"
    assert (job.counts["drift_quantity"], job.counts["drift_price"]) == (2, 1)
    assert (job.counts["pushed"], job.counts["rejected"], job.counts["missing"]) == (3, 0, 0)
    assert (job.progress_done, job.progress_total) == (3, 3)
    rows = lamps.publications()
    assert {row.sync_state for row in rows.values()} == {SyncState.IN_SYNC}
    assert rows["LAMP-2"].is_dirty is False
    assert rows["LAMP-2"].last_pushed_qty == 0


def test_reconcile_reasserts_every_quantity_in_bulk_even_without_drift(
    lamps: Shop, shop: EbayHarness
) -> None:
    job = lamps.run_push(JobKind.RECONCILE)

    assert (job.counts["drift_quantity"], job.counts["drift_price"]) == (0, 0)
    assert job.counts["pushed"] == 3
    made = calls(shop)
    # The orders brought up to date in one page (none new), items read in one bulk call,
    # each offer once for its price, quantities in one call, and no price call: none
    # differed.
    assert made["getOrders"] == job.counts["orders_pages"] == 1
    assert made["bulkGetInventoryItem"] == 1
    assert made.get("getOffer", 0) + made.get("getOffers", 0) == 3
    assert made["bulkUpdatePriceQuantity"] == 1
    assert job.counts["calls"] + job.counts["orders_pages"] == sum(made.values())
    assert job.counts.get("orders_created", 0) == job.counts.get("rechecked", 0) == 0


def test_a_sku_ebay_does_not_know_is_counted_missing_and_refused(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    link = ebay_link(shop, ["LAMP-0"], quantity=5)
    lamps = open_shop(sessions, channel_context(), link, {"LAMP-0": 5, "GHOST": 2},
                      currency="GBP")  # fmt: skip

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED
    assert (job.counts["missing"], job.counts["rejected"], job.counts["pushed"]) == (1, 1, 1)
    assert lamps.publications()["GHOST"].sync_state is SyncState.ERROR


def sold_on_ebay(harness: EbayHarness, sku: str, quantity: int = 1) -> str:
    """A buyer buys on eBay (the sandbox's buyer control API); no notification is sent."""
    published = harness.call("POST", f"/offer/{offer_ids(harness)[sku]}/publish")
    assert published.status_code == 200, published.text
    order = bought(harness, (sku, quantity))
    harness.http.delete("/_sandbox/calls")
    return str(order["orderId"])


def conflicts_of(shop: Shop) -> list[EcomConflict]:
    with shop.sessions() as session:
        return list(session.scalars(select(EcomConflict)))


def reserved(shop: Shop, sku: str) -> int:
    with shop.sessions() as session:
        version = session.get(ProductCodeVersion, shop.versions[sku])
        assert version is not None
        return version.qty_reserved


def test_a_sale_not_imported_yet_is_imported_first_and_its_unit_not_offered_again(
    lamps: Shop, shop: EbayHarness
) -> None:
    order_id = sold_on_ebay(shop, "LAMP-0")
    assert quantities(shop)["LAMP-0"] == 3  # eBay took the unit off; we still offer 4

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts["orders_created"] == 1
    assert reserved(lamps, "LAMP-0") == 1
    with lamps.sessions() as session:
        [order] = session.scalars(select(EcomOrder)).all()
        assert order.external_id == order_id
    assert quantities(shop) == {"LAMP-0": 3, "LAMP-1": 4, "LAMP-2": 4}  # not raised back
    assert (job.counts["drift_quantity"], job.counts["rechecked"]) == (0, 0)
    assert conflicts_of(lamps) == []
    assert lamps.publications()["LAMP-0"].last_pushed_qty == 3


def test_a_sale_made_while_the_reconcile_runs_is_imported_before_its_batch_is_decided(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    providers, hooks = hooked_registry("ebay")
    link = ebay_link(shop, SKUS, quantity=4)
    lamps = open_shop(sessions, channel_context(providers), link, dict.fromkeys(SKUS, 5),
                      currency="GBP", safety_buffer=1)  # fmt: skip
    reads: list[str] = []

    def buyer_between_import_and_read() -> None:
        if not reads:  # after the reconcile caught up the orders, before it reads eBay
            reads.append(sold_on_ebay(shop, "LAMP-1", quantity=2))

    hooks.before_read = buyer_between_import_and_read

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert (job.counts["rechecked"], job.counts["orders_created"]) == (1, 1)
    assert reserved(lamps, "LAMP-1") == 2
    assert quantities(shop) == {"LAMP-0": 4, "LAMP-1": 2, "LAMP-2": 4}
    assert job.counts["drift_quantity"] == 0
    assert conflicts_of(lamps) == []


def test_fewer_units_on_ebay_with_no_sale_behind_them_is_drift_and_repaired(
    lamps: Shop, shop: EbayHarness
) -> None:
    seller_hub_edit(shop, "LAMP-2", quantity=1)

    job = lamps.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts.get("orders_created", 0) == job.counts["rechecked"] == 0
    assert job.counts["drift_quantity"] == 1
    assert quantities(shop)["LAMP-2"] == 4
    [conflict] = conflicts_of(lamps)
    assert (conflict.sku, conflict.store_value, conflict.marketplace_value) == ("LAMP-2", 4, 1)


def run_webhook_reconcile(lamps: Shop, *skus: str) -> SyncJob:
    """A reconcile of ``skus`` as a webhook queues it, run; its finished row."""
    rows = lamps.publications()
    payload = {"publication_ids": [rows[sku].id for sku in skus], "source": "webhook"}
    with transaction(lamps.sessions) as session:
        job_id = jobs.enqueue_job(session, NoWaker(), kind=JobKind.RECONCILE,
                                  channel_id=lamps.channel_id, payload=payload).id  # fmt: skip
    return lamps.run_push(job_id=job_id)


def test_a_webhook_reconcile_catches_up_the_orders_only_where_ebay_shows_fewer_units(
    lamps: Shop, shop: EbayHarness
) -> None:
    # Most notifications echo a push: eBay shows what stockbridge offers, no orders read.
    echo = run_webhook_reconcile(lamps, "LAMP-0", "LAMP-1")
    assert echo.status is JobStatus.SUCCEEDED, echo.error
    assert "getOrders" not in calls(shop)
    assert "orders_pages" not in echo.counts
    # A sale eBay took off: caught up, read again, and the unit is not offered again.
    sold_on_ebay(shop, "LAMP-0")

    sale = run_webhook_reconcile(lamps, "LAMP-0")

    assert (sale.counts["orders_created"], sale.counts["rechecked"]) == (1, 1)
    assert reserved(lamps, "LAMP-0") == 1
    assert quantities(shop)["LAMP-0"] == 3
    assert (sale.counts["drift_quantity"], conflicts_of(lamps)) == (0, [])


def test_a_sale_during_a_long_reconcile_is_pushed_before_the_reconcile_ends(
    sessions: sessionmaker[Session], shop: EbayHarness
) -> None:
    # The reconcile takes the channel's lock one batch at a time, so a push waits for one
    # batch, not for a walk that takes minutes on a large shop.
    skus = [f"LAMP-{n}" for n in range(60)]  # three batches of 25, 25 and 10
    lamps = open_shop(sessions, channel_context(), ebay_link(shop, skus, 5),
                      dict.fromkeys(skus, 5), currency="GBP")  # fmt: skip
    add_fault(shop, path_pattern="^/sell/inventory/v1/offer", method="GET", latency_ms=60)
    with transaction(sessions) as session:
        walk = jobs.enqueue_job(session, NoWaker(), kind=JobKind.RECONCILE,
                                channel_id=lamps.channel_id).id  # fmt: skip
    with ThreadPoolExecutor(1) as pool:
        reconciled = pool.submit(lamps.run_push, JobKind.RECONCILE, walk)
        wait_for(lambda: job_of(lamps, walk).progress_done >= 25, timeout=60)
        lamps.sell("LAMP-0")  # in the batch already reconciled

        push = lamps.run_push()

        assert push.status is JobStatus.SUCCEEDED, push.error
        assert push.counts["pushed"] == 1
        assert quantities(shop)["LAMP-0"] == 4
        assert job_of(lamps, walk).status is JobStatus.RUNNING
        assert reconciled.result(timeout=60).status is JobStatus.SUCCEEDED
    assert job_of(lamps, walk).progress_done == 60
    assert quantities(shop) == {"LAMP-0": 4} | dict.fromkeys(skus[1:], 5)


def job_of(lamps: Shop, job_id: int) -> SyncJob:
    with lamps.sessions() as session:
        return jobs.get_job(session, job_id)
