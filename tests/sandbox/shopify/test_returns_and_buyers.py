"""Returns (buyer requests and the merchant's mutations) and the buyer control API."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.sandbox.shopify.order_flow import buy, fulfill_all, levels, order, stock_product
from tests.sandbox.shopify.shop_client import ShopifyClient, location_ids

RETURN_FIELDS = """
  return {
    id name status requestApprovedAt closedAt totalQuantity decline { reason note }
    order { returnStatus }
    returnLineItems(first: 5) {
      nodes { quantity returnReason customerNote fulfillmentLineItem { lineItem { sku } } }
    }
  }
  userErrors { field message code }
"""


def _shipped_order(shopify: ShopifyClient, quantity: int = 2) -> dict[str, Any]:
    stock_product(shopify, "BOOT-1", [5])
    placed = buy(shopify, {"BOOT-1": quantity})
    fulfill_all(shopify, placed["admin_graphql_api_id"])
    return placed


def _fulfillment_line(shopify: ShopifyClient, order_id: str) -> str:
    data = shopify.data(
        "query ($id: ID!) { order(id: $id) { fulfillments(first: 5) { "
        "fulfillmentLineItems(first: 5) { nodes { id } } } } }",
        {"id": order_id},
    )
    line: str = data["order"]["fulfillments"][0]["fulfillmentLineItems"]["nodes"][0]["id"]
    return line


def test_a_buyer_requests_a_return_and_the_merchant_approves_and_closes_it(
    shopify: ShopifyClient,
) -> None:
    placed = _shipped_order(shopify)
    requested = shopify.http.post(
        f"/_sandbox/buyers/orders/{placed['id']}/returns",
        json={"line_items": [{"sku": "BOOT-1", "quantity": 1, "reason": "SIZE_TOO_SMALL"}]},
    )
    assert requested.status_code == 201, requested.text
    return_id = requested.json()["admin_graphql_api_id"]
    assert requested.json()["status"] == "requested"
    assert order(shopify, placed["admin_graphql_api_id"])["returnStatus"] == "RETURN_REQUESTED"
    shopify.clock.advance(60)
    approved = shopify.data(
        f"mutation ($input: ReturnApproveRequestInput!) {{ returnApproveRequest(input: $input) "
        f"{{ {RETURN_FIELDS} }} }}",
        {"input": {"id": return_id, "notifyCustomer": True}},
    )["returnApproveRequest"]
    assert approved["userErrors"] == []
    ret = approved["return"]
    assert (ret["status"], ret["requestApprovedAt"]) == ("OPEN", "2026-01-05T09:01:00Z")
    assert ret["order"]["returnStatus"] == "IN_PROGRESS"
    assert ret["returnLineItems"]["nodes"] == [
        {
            "quantity": 1,
            "returnReason": "SIZE_TOO_SMALL",
            "customerNote": None,
            "fulfillmentLineItem": {"lineItem": {"sku": "BOOT-1"}},
        }
    ]
    close = f"mutation ($id: ID!) {{ returnClose(id: $id) {{ {RETURN_FIELDS} }} }}"
    closed = shopify.data(close, {"id": return_id})["returnClose"]["return"]
    assert (closed["status"], closed["order"]["returnStatus"]) == ("CLOSED", "RETURNED")
    again = shopify.data(close, {"id": return_id})["returnClose"]
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    reopen = f"mutation ($id: ID!) {{ returnReopen(id: $id) {{ {RETURN_FIELDS} }} }}"
    assert shopify.data(reopen, {"id": return_id})["returnReopen"]["return"]["status"] == "OPEN"


def test_return_request_decline_and_create_through_graphql(shopify: ShopifyClient) -> None:
    placed = _shipped_order(shopify)
    order_id = placed["admin_graphql_api_id"]
    fli = _fulfillment_line(shopify, order_id)
    request = (
        f"mutation ($input: ReturnRequestInput!) {{ returnRequest(input: $input) "
        f"{{ {RETURN_FIELDS} }} }}"
    )
    line = {"fulfillmentLineItemId": fli, "quantity": 2, "returnReason": "DEFECTIVE",
            "customerNote": "Sole came off"}  # fmt: skip
    requested = shopify.data(request, {"input": {"orderId": order_id, "returnLineItems": [line]}})
    ret = requested["returnRequest"]["return"]
    assert (ret["status"], ret["name"], ret["totalQuantity"]) == ("REQUESTED", "#1001-R1", 2)
    over = shopify.data(request, {"input": {"orderId": order_id, "returnLineItems": [line]}})
    assert over["returnRequest"]["userErrors"][0]["code"] == "GREATER_THAN"
    declined = shopify.data(
        f"mutation ($input: ReturnDeclineRequestInput!) {{ returnDeclineRequest(input: $input) "
        f"{{ {RETURN_FIELDS} }} }}",
        {"input": {"id": ret["id"], "declineReason": "FINAL_SALE", "declineNote": "Sale item"}},
    )["returnDeclineRequest"]["return"]
    assert declined["status"] == "DECLINED"
    assert declined["decline"] == {"reason": "FINAL_SALE", "note": "Sale item"}
    created = shopify.data(
        f"mutation ($r: ReturnInput!) {{ returnCreate(returnInput: $r) {{ {RETURN_FIELDS} }} }}",
        {"r": {"orderId": order_id, "returnLineItems": [
            {"fulfillmentLineItemId": fli, "quantity": 1, "returnReasonNote": "merchant opened"}
        ]}},
    )["returnCreate"]  # fmt: skip
    assert created["userErrors"] == []
    assert created["return"]["status"] == "OPEN"
    cancel = f"mutation ($id: ID!) {{ returnCancel(id: $id) {{ {RETURN_FIELDS} }} }}"
    cancelled = shopify.data(cancel, {"id": created["return"]["id"]})["returnCancel"]["return"]
    assert cancelled["status"] == "CANCELED"
    read = shopify.data("query ($id: ID!) { return(id: $id) { status } }", {"id": ret["id"]})
    assert read == {"return": {"status": "DECLINED"}}
    unknown = shopify.data(cancel, {"id": "gid://shopify/Return/9"})["returnCancel"]
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"


def test_an_unshipped_order_cannot_be_returned(shopify: ShopifyClient) -> None:
    stock_product(shopify, "HAT-1", [5])
    placed = buy(shopify, {"HAT-1": 1})
    response = shopify.http.post(
        f"/_sandbox/buyers/orders/{placed['id']}/returns",
        json={"line_items": [{"sku": "HAT-1", "quantity": 1}]},
    )
    assert response.status_code == 409
    assert "shipped" in response.json()["errors"]


def test_deny_refuses_a_short_order_and_continue_oversells(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    stock_product(shopify, "DENY-1", [1])
    refused = shopify.http.post(
        "/_sandbox/buyers/orders", json={"line_items": [{"sku": "DENY-1", "quantity": 2}]}
    )
    assert refused.status_code == 409
    assert "Not enough stock of 'DENY-1'" in refused.json()["errors"]
    assert shopify.http.get("/_sandbox/state").json()["orders"] == {}
    over = stock_product(shopify, "CONT-1", [1], policy="CONTINUE")
    buy(shopify, {"CONT-1": 3})
    assert levels(shopify, over["inventoryItem"]["id"])[main] == {
        "available": -2,
        "committed": 3,
        "on_hand": 1,
    }
    unknown = shopify.http.post(
        "/_sandbox/buyers/orders", json={"line_items": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert unknown.status_code == 422
    bad = shopify.http.post("/_sandbox/buyers/orders", json={"line_items": []})
    assert bad.status_code == 422


def test_two_buyers_racing_for_the_last_unit_one_gets_it(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    last = stock_product(shopify, "LAST-1", [1])
    start = threading.Barrier(2)
    statuses: list[int] = []

    def race() -> None:
        start.wait()
        response = shopify.http.post(
            "/_sandbox/buyers/orders", json={"line_items": [{"sku": "LAST-1", "quantity": 1}]}
        )
        statuses.append(response.status_code)

    racers = [threading.Thread(target=race) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(statuses) == [201, 409]
    assert levels(shopify, last["inventoryItem"]["id"])[main]["available"] == 0


def test_the_buyer_generator_places_orders_until_stopped(shopify: ShopifyClient) -> None:
    stock_product(shopify, "GEN-1", [1000])
    started = shopify.http.post("/_sandbox/buyers/generator", json={"per_minute": 6000, "seed": 3})
    assert started.json()["running"] is True
    deadline = time.monotonic() + 10
    while shopify.http.get("/_sandbox/buyers/generator").json()["placed"] < 5:
        assert time.monotonic() < deadline, "the generator placed too few orders"
        time.sleep(0.02)
    stopped = shopify.http.delete("/_sandbox/buyers/generator").json()
    assert stopped["running"] is False
    placed = len(shopify.http.get("/_sandbox/state").json()["orders"])
    assert placed == stopped["placed"] >= 5
    assert len(shopify.http.get("/_sandbox/state").json()["orders"]) == placed  # it stopped


def test_a_buyer_cancels_an_order(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    item = stock_product(shopify, "CAN-1", [2])["inventoryItem"]["id"]
    placed = buy(shopify, {"CAN-1": 2})
    response = shopify.http.post(f"/_sandbox/buyers/orders/{placed['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "customer"
    assert response.json()["financial_status"] == "refunded"
    assert levels(shopify, item)[main]["available"] == 2
    again = shopify.http.post(f"/_sandbox/buyers/orders/{placed['id']}/cancel")
    assert again.status_code == 409
    missing = shopify.http.post("/_sandbox/buyers/orders/99999/cancel")
    assert missing.status_code == 404
