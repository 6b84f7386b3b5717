"""Shopify orders arriving by webhook, end to end: a buyer orders on the Shopify sandbox,
the sandbox delivers signed webhooks over HTTP to our endpoint, the ``webhook`` job
re-fetches the order and imports it. One order, one reservation, whatever the
deliveries' number, order or timing, or when they are lost and only the poll brings
the orders."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from stockbridge.db.models import (
    EcomListingChannel,
    EcomWebhookLog,
    JobKind,
    OrderStatus,
    SyncJob,
    WebhookStatus,
)
from stockbridge.sync.jobs import get_job
from tests.sandbox.shopify.shop_client import ShopifyClient
from tests.sandbox.shopify.webhook_receiver import serve_receiver
from tests.webhooks.conftest import SECRET, SKU, ShopifyStore, Stock, paused_context

FORWARDED = ("content-type", "x-shopify-topic", "x-shopify-hmac-sha256",
             "x-shopify-shop-domain", "x-shopify-api-version", "x-shopify-webhook-id",
             "x-shopify-event-id", "x-shopify-triggered-at")  # fmt: skip


@pytest.fixture
def shopify_url(shopify_client: ShopifyClient) -> str:
    """The channel is on this test's own sandbox (the module-wide one holds no orders)."""
    return str(shopify_client.http.base_url).rstrip("/")


def reserved(quantity: int, orders: int = 1) -> Stock:
    """The stock after ``orders`` orders of ``quantity`` were each reserved once (10 held)."""
    return Stock(
        orders=orders,
        items=orders,
        allocated=quantity * orders,
        on_hand=10,
        reserved=quantity * orders,
        reserve_entries=orders,
        reserved_by_ledger=quantity * orders,
    )


def order_logs(store: ShopifyStore, *topics: str) -> list[EcomWebhookLog]:
    return [log for log in store.app.logs() if log.event_type in topics]


@pytest.mark.parametrize("subscribed", [False])
def test_one_real_delivery_sent_ten_times_at_once_is_one_order_reserved_once(
    shopify_store: ShopifyStore,
) -> None:
    # The shop delivers to a receiver of ours; its delivery, byte for byte, goes on to
    # the endpoint from ten threads at once.
    with serve_receiver(secret=SECRET) as receiver:
        shopify_store.app.adapter().register_webhooks(f"{receiver.url}/hooks")
        placed = shopify_store.buy(3)
        shopify_store.drain()
    [delivery] = receiver.got("orders/create")
    assert delivery.verified
    headers = {name: delivery.headers[name] for name in FORWARDED}

    def send(_: int) -> httpx.Response:
        endpoint = shopify_store.app.endpoint("shopify")
        return httpx.post(endpoint, content=delivery.body, headers=headers, timeout=10)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))

    assert [answer.status_code for answer in answers] == [200] * 10
    assert sum(answer.json()["duplicate"] for answer in answers) == 9
    [log] = shopify_store.app.logs()
    assert (log.delivery_id, log.event_type) == (delivery.webhook_id, "orders/create")
    assert shopify_store.app.run_queued_webhook_jobs() == 1
    assert shopify_store.stock() == reserved(3)
    stored = shopify_store.order(placed["admin_graphql_api_id"])
    assert stored.status is OrderStatus.PENDING
    assert [log.status for log in shopify_store.app.logs()] == [WebhookStatus.PROCESSED]


def test_an_order_bought_on_the_shop_arrives_by_webhook_and_is_reserved(
    shopify_store: ShopifyStore,
) -> None:
    placed = shopify_store.buy(2, email="ada@buyers.example")
    shopify_store.drain()
    shopify_store.app.wait_for_logs(1, topic="orders/create")

    shopify_store.app.run_queued_webhook_jobs()

    assert shopify_store.stock() == reserved(2)
    stored = shopify_store.order(placed["admin_graphql_api_id"])
    assert (stored.status, stored.customer_email) == (OrderStatus.PENDING, "ada@buyers.example")
    assert {log.status for log in shopify_store.app.logs()} == {WebhookStatus.PROCESSED}


def cancel_on_shop(store: ShopifyStore, placed: dict[str, Any]) -> None:
    answer = store.shop.http.post(f"/_sandbox/buyers/orders/{placed['id']}/cancel")
    assert answer.status_code == 200, answer.text


def test_deliveries_processed_newest_first_end_with_the_newest_state(
    shopify_store: ShopifyStore,
) -> None:
    placed = shopify_store.buy(2)
    shopify_store.drain()
    shopify_store.app.wait_for_logs(1, topic="orders/create")
    cancel_on_shop(shopify_store, placed)
    shopify_store.drain()
    shopify_store.app.wait_for_logs(1, topic="orders/cancelled")
    create = order_logs(shopify_store, "orders/create")
    updates = order_logs(shopify_store, "orders/updated", "orders/cancelled")
    assert updates, "the cancellation was delivered"

    for log in [*reversed(updates), *create]:  # the create is processed last
        shopify_store.app.run_job(shopify_store.app.job_of(log.id))

    stored = shopify_store.order(placed["admin_graphql_api_id"])
    assert stored.status is OrderStatus.CANCELLED
    stock = shopify_store.stock()
    assert (stock.orders, stock.reserved, stock.reserve_entries) == (1, 0, 0)
    again = order_logs(shopify_store, "orders/create", "orders/updated", "orders/cancelled")
    assert set(statuses(again)) == {WebhookStatus.PROCESSED}


def statuses(logs: Sequence[EcomWebhookLog]) -> list[WebhookStatus]:
    return [log.status for log in logs]


def test_a_delivery_that_fetched_the_order_before_a_cancel_does_not_undo_it(
    shopify_store: ShopifyStore,
) -> None:
    placed = shopify_store.buy(2)
    shopify_store.drain()
    [create] = shopify_store.app.wait_for_logs(1, topic="orders/create")
    first_jobs = shopify_store.app.webhook_jobs()
    ctx, hooks = paused_context(shopify_store.app, "shopify")
    create_job = shopify_store.app.job_of(create.id)
    late = threading.Thread(target=shopify_store.app.run_job, args=(create_job, ctx))
    late.start()
    try:
        assert hooks.fetched.wait(10), "the create's job did not fetch the order"
        # While that job holds the open order, the buyer cancels and the cancellation's
        # deliveries are processed in full.
        cancel_on_shop(shopify_store, placed)
        shopify_store.drain()
        shopify_store.app.wait_for_logs(1, topic="orders/cancelled")
        for job_id in shopify_store.app.webhook_jobs():
            if job_id not in first_jobs:
                shopify_store.app.run_job(job_id)
        assert shopify_store.order(placed["admin_graphql_api_id"]).status is (OrderStatus.CANCELLED)
    finally:
        hooks.release.set()
        late.join(30)

    [held] = hooks.answered
    assert not held.cancelled  # it read the order before the cancel
    stored = shopify_store.order(placed["admin_graphql_api_id"])
    assert stored.status is OrderStatus.CANCELLED
    assert stored.marketplace_updated_at is not None
    assert stored.marketplace_updated_at > held.updated_at
    stock = shopify_store.stock()
    assert (stock.orders, stock.reserved, stock.reserve_entries) == (1, 0, 0)
    with shopify_store.app.sessions() as session:
        assert get_job(session, create_job).counts == {"stale": 1}
    again = order_logs(shopify_store, "orders/create", "orders/updated", "orders/cancelled")
    assert set(statuses(again)) == {WebhookStatus.PROCESSED}


@pytest.mark.parametrize("store_units", [2])
def test_an_oversold_order_by_webhook_needs_attention_and_queues_a_push_at_once(
    shopify_store: ShopifyStore,
) -> None:
    # The shop still shows 20 and sells 3; the store holds 2.
    placed = shopify_store.buy(3)
    shopify_store.drain()
    shopify_store.app.wait_for_logs(1, topic="orders/create")

    shopify_store.app.run_queued_webhook_jobs()

    stored = shopify_store.order(placed["admin_graphql_api_id"])
    assert stored.status is OrderStatus.NEEDS_ATTENTION
    assert stored.attention_reason is not None
    assert f"SKU {SKU}): sold 3, only 2 in stock reserved (oversold)" in stored.attention_reason
    stock = shopify_store.stock()
    assert (stock.on_hand, stock.reserved, stock.allocated) == (2, 2, 2)
    with shopify_store.app.sessions() as session:
        publication = session.get(EcomListingChannel, shopify_store.publication_id)
        assert publication is not None
        assert publication.is_dirty
        pushes = session.scalars(
            select(SyncJob).where(
                SyncJob.kind == JobKind.INVENTORY,
                SyncJob.channel_id == shopify_store.app.channel_id,
            )
        ).all()
    assert len(pushes) == 1


def test_a_delivery_replayed_after_the_buyer_is_redacted_brings_no_personal_data_back(
    shopify_store: ShopifyStore,
) -> None:
    email = "grace@buyers.example"
    placed = shopify_store.buy(1, email=email, first_name="Grace", last_name="Hopper")
    shopify_store.drain()
    [create] = shopify_store.app.wait_for_logs(1, topic="orders/create")
    shopify_store.app.run_queued_webhook_jobs()
    external_id = placed["admin_graphql_api_id"]
    assert shopify_store.order(external_id).customer_email == email
    redact = {"shop_id": 1, "customer": {"id": 5, "email": email},
              "orders_to_redact": [placed["id"]]}  # fmt: skip
    assert shopify_store.app.shopify("customers/redact", redact).status_code == 200
    shopify_store.app.run_queued_webhook_jobs()

    # The replay re-fetches the order from the shop, which still has the buyer's data.
    replayed = httpx.post(
        f"{shopify_store.app.url}/api/ecom/webhooks/{create.id}/replay",
        headers=shopify_store.app.admin,
        timeout=10,
    )
    assert replayed.status_code == 200, replayed.text
    shopify_store.app.run_queued_webhook_jobs()

    stored = shopify_store.order(external_id)
    assert (stored.customer_name, stored.customer_email) == (None, None)
    assert (stored.shipping_address, stored.billing_address) == (None, None)
    assert email not in str(stored.raw)
    assert "Hopper" not in str(stored.raw)
    with shopify_store.app.sessions() as session:
        log = session.get(EcomWebhookLog, create.id)
        assert log is not None
        assert log.status is WebhookStatus.PROCESSED
        assert email not in str(log.payload)
    assert shopify_store.stock() == reserved(1)


@pytest.mark.parametrize("store_units", [100])
def test_with_every_delivery_lost_the_poll_imports_each_order_once(
    shopify_store: ShopifyStore,
) -> None:
    shop = shopify_store.shop.http
    assert shop.post("/_sandbox/deliveries/faults", json={"drop_rate": 1.0}).is_success
    placed = [shopify_store.buy(1) for _ in range(25)]  # pages of 10
    shopify_store.drain()

    first = shopify_store.app.poll_orders()
    # Between two polls: one order is cancelled, two more are placed.
    cancel_on_shop(shopify_store, placed[3])
    placed += [shopify_store.buy(2) for _ in range(2)]
    shopify_store.drain()
    second = shopify_store.app.poll_orders()
    third = shopify_store.app.poll_orders()

    assert first == {"created": 25}
    assert (second["created"], second["updated"]) == (2, 1)
    assert "created" not in third
    assert "updated" not in third
    delivered = shop.get("/_sandbox/deliveries").json()
    assert delivered
    assert {d["status"] for d in delivered} == {"dropped"}
    assert shopify_store.app.logs() == []
    stock = shopify_store.stock()
    assert (stock.orders, stock.items, stock.reserve_entries) == (27, 27, 27)
    assert stock.reserved == 24 + 2 * 2  # the cancelled order's unit released
    cancelled = shopify_store.order(placed[3]["admin_graphql_api_id"])
    assert cancelled.status is OrderStatus.CANCELLED


@pytest.mark.parametrize("subscribed", [False])
def test_with_no_subscription_the_poll_imports_each_order_once(
    shopify_store: ShopifyStore,
) -> None:
    placed = [shopify_store.buy(1) for _ in range(3)]

    first = shopify_store.app.poll_orders()
    cancel_on_shop(shopify_store, placed[0])
    second = shopify_store.app.poll_orders()

    assert first == {"created": 3}
    assert second == {"updated": 1, "unchanged": 2}  # one page: every order is read again
    assert shopify_store.stock().reserved == 2
