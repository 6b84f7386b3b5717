"""The events announced for webhooks: Shopify's topic names and REST-shaped payloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from stockbridge.sandbox.shopify import ShopifySandboxConfig, create_app
from tests.sandbox.servers import serve_in_thread
from tests.sandbox.shopify.order_flow import (
    REFUND,
    buy,
    events,
    fulfill_all,
    order,
    stock_product,
)
from tests.sandbox.shopify.shop_client import (
    PRODUCT_SET,
    FakeClock,
    ShopifyClient,
    location_ids,
)


def _topics(shopify: ShopifyClient) -> list[str]:
    return [event["topic"] for event in shopify.http.get("/_sandbox/events").json()]


def test_a_purchase_announces_the_order_and_the_inventory_level(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    variant = stock_product(shopify, "EV-1", [4], price="7.50")
    before = len(_topics(shopify))
    placed = buy(shopify, {"EV-1": 2}, shipping_price="2.50")
    assert _topics(shopify)[before:] == ["inventory_levels/update", "orders/create", "orders/paid"]
    [created] = events(shopify, "orders/create")
    assert created == placed
    assert isinstance(created["id"], int)
    assert created["admin_graphql_api_id"] == f"gid://shopify/Order/{created['id']}"
    assert (created["name"], created["order_number"], created["number"]) == ("#1001", 1001, 1)
    assert created["total_price"] == "17.50"
    assert created["subtotal_price"] == "15.00"
    assert created["currency"] == "GBP"
    assert created["financial_status"] == "paid"
    assert created["fulfillment_status"] is None
    assert created["created_at"] == "2026-01-05T09:00:00+00:00"  # shop time zone, offset
    [line] = created["line_items"]
    assert line["sku"] == "EV-1"
    assert (line["quantity"], line["fulfillable_quantity"], line["price"]) == (2, 2, "7.50")
    assert line["variant_id"] == int(variant["id"].rsplit("/", 1)[1])
    [level] = events(shopify, "inventory_levels/update")[-1:]
    assert level == {
        "inventory_item_id": int(variant["inventoryItem"]["id"].rsplit("/", 1)[1]),
        "location_id": int(main.rsplit("/", 1)[1]),
        "available": 2,
        "updated_at": "2026-01-05T09:00:00+00:00",
        "admin_graphql_api_id": (
            f"gid://shopify/InventoryLevel/{main.rsplit('/', 1)[1]}"
            f"?inventory_item_id={variant['inventoryItem']['id'].rsplit('/', 1)[1]}"
        ),
    }


def test_fulfilment_refund_and_cancel_topics(shopify: ShopifyClient) -> None:
    stock_product(shopify, "EV-2", [5])
    placed = buy(shopify, {"EV-2": 2})
    order_id = placed["admin_graphql_api_id"]
    before = len(_topics(shopify))
    fulfill_all(shopify, order_id, company="DPD", number="D-1")
    assert _topics(shopify)[before:] == [
        "orders/updated",
        "orders/fulfilled",
        "fulfillments/create",
    ]
    [fulfilled] = events(shopify, "orders/fulfilled")
    assert fulfilled["fulfillment_status"] == "fulfilled"
    assert fulfilled["fulfillments"][0]["tracking_number"] == "D-1"
    line = order(shopify, order_id)["lineItems"]["nodes"][0]["id"]
    shopify.data(
        REFUND,
        {"input": {
            "orderId": order_id,
            "refundLineItems": [{"lineItemId": line, "quantity": 1, "restockType": "RETURN"}],
            "transactions": [{"orderId": order_id, "kind": "REFUND", "gateway": "bogus",
                              "amount": "10.00"}],
        }},
    )  # fmt: skip
    [refund] = events(shopify, "refunds/create")
    assert refund["order_id"] == placed["id"]
    assert refund["restock"] is True
    assert refund["refund_line_items"][0]["restock_type"] == "return"
    assert refund["refund_line_items"][0]["subtotal"] == "10.00"
    assert refund["transactions"][0]["kind"] == "refund"
    assert refund["transactions"][0]["amount"] == "10.00"
    assert events(shopify, "orders/updated")[-1]["financial_status"] == "partially_refunded"
    other = buy(shopify, {"EV-2": 1})
    shopify.http.post(f"/_sandbox/buyers/orders/{other['id']}/cancel")
    [cancelled] = events(shopify, "orders/cancelled")
    assert (cancelled["id"], cancelled["cancel_reason"]) == (other["id"], "customer")
    assert cancelled["cancelled_at"] is not None


def test_inventory_mutations_and_product_set_announce_too(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    variant = stock_product(shopify, "EV-3", [1])
    assert events(shopify, "products/create")[-1]["variants"][0]["sku"] == "EV-3"
    shopify.data(
        """mutation ($input: InventoryAdjustQuantitiesInput!) {
             inventoryAdjustQuantities(input: $input) { userErrors { code } } }""",
        {"input": {"name": "available", "reason": "received", "changes": [
            {"inventoryItemId": variant["inventoryItem"]["id"], "locationId": main, "delta": 4}
        ]}},
    )  # fmt: skip
    assert events(shopify, "inventory_levels/update")[-1]["available"] == 5
    product_id = shopify.sandbox.state.variants[variant["id"]].product_id
    shopify.data(
        PRODUCT_SET,
        {"identifier": {"id": product_id}, "input": {"title": "Renamed"}},
    )
    updated = events(shopify, "products/update")[-1]
    assert (updated["title"], updated["status"]) == ("Renamed", "active")
    assert updated["variants"][0]["inventory_quantity"] == 5
    assert isinstance(updated["id"], int)


def test_orders_and_their_parts_survive_a_restart(
    tmp_path: Path, config: ShopifySandboxConfig
) -> None:
    config.state_file = tmp_path / "shop.json"
    first = create_app(config)
    with serve_in_thread(first) as url, httpx.Client(base_url=url) as http:
        client = ShopifyClient(http, first.state.sandbox, FakeClock())
        stock_product(client, "KEEP-1", [3])
        placed = buy(client, {"KEEP-1": 2})
        fulfill_all(client, placed["admin_graphql_api_id"])
        before: dict[str, Any] = order(client, placed["admin_graphql_api_id"])
    second = create_app(config)
    with serve_in_thread(second) as url, httpx.Client(base_url=url) as http:
        client = ShopifyClient(http, second.state.sandbox, FakeClock())
        assert order(client, placed["admin_graphql_api_id"]) == before
        assert before["displayFulfillmentStatus"] == "FULFILLED"
        again = buy(client, {"KEEP-1": 1})
        assert again["name"] == "#1002"  # numbering goes on
