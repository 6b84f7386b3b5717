"""The order side and the webhook side together: a buyer's order reaches a receiver, signed."""

from __future__ import annotations

import json

import pytest

from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.sandbox.shopify.order_flow import buy, fulfill_all, stock_product
from tests.sandbox.shopify.shop_client import ShopifyClient
from tests.sandbox.shopify.webhook_client import subscribe, webhook_config
from tests.sandbox.shopify.webhook_receiver import Receiver, wait_until


@pytest.fixture
def config(config: ShopifySandboxConfig, receiver: Receiver) -> ShopifySandboxConfig:
    return webhook_config(config, receiver)


def test_a_buyers_order_and_its_fulfilment_are_delivered_signed(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    for topic in ("ORDERS_CREATE", "INVENTORY_LEVELS_UPDATE", "ORDERS_FULFILLED"):
        subscribe(shopify, topic, f"{receiver.url}/hooks")
    stock_product(shopify, "HOOK-1", [3])

    placed = buy(shopify, {"HOOK-1": 2})
    created = wait_until(lambda: receiver.got("orders/create"))
    levels = wait_until(lambda: receiver.got("inventory_levels/update"))

    [delivery] = created
    assert delivery.verified
    body = json.loads(delivery.body)
    assert body["id"] == placed["id"]
    assert [(line["sku"], line["quantity"]) for line in body["line_items"]] == [("HOOK-1", 2)]
    assert all(level.verified for level in levels)
    assert {json.loads(level.body)["available"] for level in levels} >= {1}

    fulfill_all(shopify, body["admin_graphql_api_id"])
    [fulfilled] = wait_until(lambda: receiver.got("orders/fulfilled"))
    assert fulfilled.verified
    assert json.loads(fulfilled.body)["id"] == placed["id"]
