"""Signed webhook deliveries from the Shopify sandbox to a receiver over real HTTP:
Shopify's headers and HMAC, retries on errors and timeouts with the same webhook id,
duplicate and out-of-order faults, includeFields and filter, and the removal of a
subscription after 8 failed deliveries in a row."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sandbox.shopify.webhook_delivery import RETRY_DELAYS, shopify_hmac
from tests.sandbox.shopify.shop_client import ShopifyClient
from tests.sandbox.shopify.webhook_client import (
    INVENTORY_LEVEL_UPDATE,
    LIST,
    UPDATE,
    subscribe,
    webhook_config,
)
from tests.sandbox.shopify.webhook_receiver import (
    CLIENT_SECRET,
    Receiver,
    verify_shopify_hmac,
    wait_until,
)

TOPIC = "inventory_levels/update"


@pytest.fixture
def config(config: ShopifySandboxConfig, receiver: Receiver) -> ShopifySandboxConfig:
    return webhook_config(config, receiver)


def publish(
    shopify: ShopifyClient, payload: dict[str, Any] | None = None, topic: str = TOPIC
) -> int:
    """Announce an event on the sandbox's log, as its order and inventory code does."""
    return shopify.sandbox.control.events.publish(topic, payload or INVENTORY_LEVEL_UPDATE).id


def deliveries(shopify: ShopifyClient) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = shopify.http.get("/_sandbox/deliveries").json()
    return answer


def settled(shopify: ShopifyClient, count: int) -> list[dict[str, Any]]:
    """Wait until ``count`` deliveries exist and none is pending; answer them."""

    def done() -> list[dict[str, Any]] | None:
        found = deliveries(shopify)
        finished = len(found) == count and all(d["status"] != "pending" for d in found)
        return found if finished else None

    found: list[dict[str, Any]] = wait_until(done)
    return found


def test_a_delivery_is_signed_and_carries_shopifys_headers(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks/a")
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks/b")
    publish(shopify)
    assert [d["status"] for d in settled(shopify, 2)] == ["delivered", "delivered"]
    got = sorted(receiver.got(), key=lambda r: r.path)
    assert [r.path for r in got] == ["/hooks/a", "/hooks/b"]
    for received in got:
        assert received.verified
        assert received.status == 200
        assert json.loads(received.body) == INVENTORY_LEVEL_UPDATE
        headers = received.headers
        assert headers["content-type"] == "application/json"
        assert headers["x-shopify-topic"] == TOPIC
        assert headers["x-shopify-shop-domain"] == "stockbridge-sandbox.myshopify.com"
        assert headers["x-shopify-api-version"] == "2025-10"
        assert headers["x-shopify-triggered-at"] == "2026-01-05T09:00:00Z"
        assert headers["x-shopify-hmac-sha256"] == shopify_hmac(CLIENT_SECRET, received.body)
    # One event: one event id for every subscriber, one webhook id per delivery.
    assert got[0].headers["x-shopify-event-id"] == got[1].headers["x-shopify-event-id"]
    assert got[0].webhook_id != got[1].webhook_id


def test_the_receiver_rejects_a_tampered_body(shopify: ShopifyClient, receiver: Receiver) -> None:
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks")
    publish(shopify)
    settled(shopify, 1)
    genuine = receiver.got()[0]
    tampered = genuine.body.replace(b'"available":6', b'"available":60')
    assert tampered != genuine.body
    signature = genuine.headers["x-shopify-hmac-sha256"]
    assert not verify_shopify_hmac(CLIENT_SECRET, tampered, signature)
    assert not verify_shopify_hmac("another-secret", genuine.body, signature)
    replay = httpx.post(
        f"{receiver.url}/hooks",
        content=tampered,
        headers={k: v for k, v in genuine.headers.items() if k.startswith("x-shopify")},
    )
    assert replay.status_code == 401


def test_an_event_without_subscribers_is_not_delivered(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    subscribe(shopify, "ORDERS_CREATE", f"{receiver.url}/orders")
    publish(shopify)
    assert shopify.http.post("/_sandbox/deliveries/drain").json() == {"drained": True}
    assert deliveries(shopify) == []
    assert receiver.got() == []


def test_a_500_is_retried_with_the_same_webhook_id(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    receiver.statuses.extend([500, 503])
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks")
    publish(shopify)
    [delivery] = settled(shopify, 1)
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    got = receiver.got()
    assert [r.status for r in got] == [500, 503, 200]
    assert len({r.webhook_id for r in got}) == 1
    assert len({r.body for r in got}) == 1  # the original payload, each time


def test_a_receiver_slower_than_the_timeout_is_retried(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    receiver.holds.append(1.0)  # past the 0.5 s timeout of the test config
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks")
    publish(shopify)
    [delivery] = settled(shopify, 1)
    first, second = delivery["attempts"]
    assert first["status_code"] is None
    assert "Timeout" in first["error"]
    assert second["status_code"] == 200
    wait_until(lambda: len(receiver.got()) == 2)
    assert len({r.webhook_id for r in receiver.got()}) == 1


def test_the_retry_schedule_is_shopifys_eight_retries_over_four_hours() -> None:
    assert len(RETRY_DELAYS) == 8
    assert sum(RETRY_DELAYS) == 4 * 3600
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)


def test_a_duplicate_fault_posts_the_same_webhook_twice(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    assert shopify.http.post("/_sandbox/deliveries/faults", json={"duplicate_rate": 1.0}).is_success
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks")
    publish(shopify)
    settled(shopify, 1)
    first, second = wait_until(lambda: receiver.got() if len(receiver.got()) == 2 else None)
    assert first.webhook_id == second.webhook_id
    assert first.body == second.body
    assert second.verified


def test_a_reorder_fault_sends_waiting_deliveries_newest_first(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    assert shopify.http.post("/_sandbox/deliveries/faults", json={"reorder": True}).is_success
    receiver.holds.append(0.3)  # the first delivery holds the sender while more queue up
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/hooks")
    publish(shopify, {**INVENTORY_LEVEL_UPDATE, "available": 1})
    wait_until(lambda: receiver.got())
    for available in (2, 3, 4):
        publish(shopify, {**INVENTORY_LEVEL_UPDATE, "available": available})
    settled(shopify, 4)
    order = [json.loads(r.body)["available"] for r in receiver.got()]
    assert order == [1, 4, 3, 2]


def test_include_fields_cut_the_payload_and_a_filter_picks_events(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    subscribe(
        shopify,
        "INVENTORY_LEVELS_UPDATE",
        f"{receiver.url}/small",
        includeFields=["inventory_item_id", "available"],
    )
    subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/empty", filter="available:<=0")
    publish(shopify)
    publish(shopify, {**INVENTORY_LEVEL_UPDATE, "available": 0})
    settled(shopify, 3)
    small = [json.loads(r.body) for r in receiver.got() if r.path == "/small"]
    assert small == [
        {"inventory_item_id": 271878346596884015, "available": 6},
        {"inventory_item_id": 271878346596884015, "available": 0},
    ]
    empty = [json.loads(r.body) for r in receiver.got() if r.path == "/empty"]
    assert empty == [{**INVENTORY_LEVEL_UPDATE, "available": 0}]
    assert all(r.verified for r in receiver.got())


def test_retries_go_to_the_address_the_event_was_made_for(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    receiver.holds.append(1.0)  # the first attempt times out
    made = subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/old")
    publish(shopify)
    wait_until(lambda: receiver.got())
    moved = shopify.data(UPDATE, {"id": made["id"], "sub": {"uri": f"{receiver.url}/new"}})
    assert moved["webhookSubscriptionUpdate"]["userErrors"] == []
    settled(shopify, 1)
    wait_until(lambda: len(receiver.got()) == 2)
    assert [r.path for r in receiver.got()] == ["/old", "/old"]


def _subscription_ids(shopify: ShopifyClient) -> list[str]:
    page = shopify.data(LIST, {"first": 10})["webhookSubscriptions"]
    return [edge["node"]["id"] for edge in page["edges"]]


def test_eight_failed_deliveries_in_a_row_remove_the_subscription(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    receiver.statuses.extend([500] * 1000)
    made = subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/down")
    for _ in range(7):
        publish(shopify)
    failed = settled(shopify, 7)
    assert all(d["status"] == "failed" and len(d["attempts"]) == 9 for d in failed)
    assert _subscription_ids(shopify) == [made["id"]]
    assert shopify.sandbox.state.webhook_subscriptions[made["id"]].consecutive_failures == 7
    publish(shopify)
    settled(shopify, 8)
    assert _subscription_ids(shopify) == []
    publish(shopify)  # nobody is subscribed any more
    assert shopify.http.post("/_sandbox/deliveries/drain").json() == {"drained": True}
    assert len(deliveries(shopify)) == 8


def test_a_success_resets_the_count_of_failures(shopify: ShopifyClient, receiver: Receiver) -> None:
    receiver.statuses.extend([500] * 9 * 3)  # three deliveries fail every attempt
    made = subscribe(shopify, "INVENTORY_LEVELS_UPDATE", f"{receiver.url}/flaky")
    for _ in range(3):
        publish(shopify)
    settled(shopify, 3)
    record = shopify.sandbox.state.webhook_subscriptions[made["id"]]
    assert record.consecutive_failures == 3
    publish(shopify)
    assert settled(shopify, 4)[-1]["status"] == "delivered"
    assert wait_until(lambda: record.consecutive_failures == 0) is True
