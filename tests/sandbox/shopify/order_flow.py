"""What the order tests share: stocking a product, buying through the buyer control API,
and the GraphQL documents an order importer and a fulfilment screen send."""

from __future__ import annotations

from typing import Any

from tests.sandbox.shopify.shop_client import (
    PRODUCT_SET,
    ShopifyClient,
    location_ids,
    product_input,
)

ORDER_FIELDS = """
  id legacyResourceId name number email createdAt updatedAt processedAt
  cancelledAt cancelReason closed currencyCode
  displayFinancialStatus displayFulfillmentStatus returnStatus
  totalPriceSet { shopMoney { amount currencyCode } }
  subtotalPriceSet { shopMoney { amount } }
  totalShippingPriceSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } }
  totalRefundedSet { shopMoney { amount } }
  customer { id displayName defaultEmailAddress { emailAddress } }
  shippingAddress { name address1 city zip countryCodeV2 }
  lineItems(first: 10) {
    nodes {
      id sku quantity currentQuantity refundableQuantity unfulfilledQuantity
      variant { id } originalUnitPriceSet { shopMoney { amount } }
    }
  }
  fulfillmentOrders(first: 5) {
    nodes {
      id status assignedLocation { location { id } }
      lineItems(first: 10) { nodes { id remainingQuantity totalQuantity lineItem { sku } } }
    }
  }
"""

ORDER = f"query ($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"

ORDERS = """
query ($first: Int, $after: String, $last: Int, $before: String, $query: String,
       $sortKey: OrderSortKeys, $reverse: Boolean) {
  orders(first: $first, after: $after, last: $last, before: $before, query: $query,
         sortKey: $sortKey, reverse: $reverse) {
    edges { cursor node { id name updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

FULFILL = """
mutation ($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment {
      id name status totalQuantity
      trackingInfo(first: 5) { company number url }
      fulfillmentLineItems(first: 10) { nodes { id quantity lineItem { sku } } }
    }
    userErrors { field message }
  }
}
"""

CANCEL = """
mutation ($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
          $refundMethod: OrderCancelRefundMethodInput, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock,
              refundMethod: $refundMethod, staffNote: $staffNote, notifyCustomer: false) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

REFUND = """
mutation ($input: RefundInput!) {
  refundCreate(input: $input) {
    refund {
      id totalRefundedSet { shopMoney { amount } }
      refundLineItems(first: 10) {
        nodes {
          quantity restockType restocked location { id } subtotalSet { shopMoney { amount } }
        }
      }
      transactions(first: 5) { nodes { kind status gateway amountSet { shopMoney { amount } } } }
    }
    order { displayFinancialStatus totalRefundedSet { shopMoney { amount } } }
    userErrors { field message }
  }
}
"""


def stock_product(
    shopify: ShopifyClient,
    sku: str,
    quantities: list[int],
    *,
    price: str = "10.00",
    policy: str = "DENY",
) -> dict[str, Any]:
    """A one-variant product stocked at the shop's locations in order; its variant."""
    locations = location_ids(shopify)
    new = product_input(f"Item {sku}", {"One": sku})
    variant = new["variants"][0]
    variant["price"] = price
    variant["inventoryPolicy"] = policy
    variant["inventoryQuantities"] = [
        {"locationId": location, "name": "available", "quantity": quantity}
        for location, quantity in zip(locations, quantities, strict=False)
    ]
    result = shopify.data(PRODUCT_SET, {"input": new})["productSet"]
    assert result["userErrors"] == []
    found: dict[str, Any] = result["product"]["variants"]["nodes"][0]
    return found


def buy(shopify: ShopifyClient, lines: dict[str, int], **extra: Any) -> dict[str, Any]:
    """Place an order through the buyer control API; its orders/create payload."""
    body = {"line_items": [{"sku": sku, "quantity": q} for sku, q in lines.items()], **extra}
    response = shopify.http.post("/_sandbox/buyers/orders", json=body)
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def order(shopify: ShopifyClient, order_id: str) -> dict[str, Any]:
    found: dict[str, Any] = shopify.data(ORDER, {"id": order_id})["order"]
    return found


def levels(shopify: ShopifyClient, item_id: str) -> dict[str, dict[str, int]]:
    """Location id -> {available, committed, on_hand} of an inventory item."""
    data = shopify.data(
        """query ($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 10) { nodes {
             location { id } quantities(names: ["available", "committed", "on_hand"]) {
               name quantity } } } } }""",
        {"id": item_id},
    )
    return {
        node["location"]["id"]: {q["name"]: q["quantity"] for q in node["quantities"]}
        for node in data["inventoryItem"]["inventoryLevels"]["nodes"]
    }


def fulfill_all(shopify: ShopifyClient, order_id: str, **tracking: Any) -> dict[str, Any]:
    """Ship everything of every open fulfilment order of the order, one call each."""
    last: dict[str, Any] = {}
    for fo in order(shopify, order_id)["fulfillmentOrders"]["nodes"]:
        if fo["status"] == "CLOSED":
            continue
        fulfillment: dict[str, Any] = {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]
        }
        if tracking:
            fulfillment["trackingInfo"] = tracking
        last = shopify.data(FULFILL, {"fulfillment": fulfillment})["fulfillmentCreate"]
        assert last["userErrors"] == [], last
    return last


def events(shopify: ShopifyClient, topic: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = shopify.http.get(
        "/_sandbox/events", params={"topic": topic}
    ).json()
    return [event["payload"] for event in found]
