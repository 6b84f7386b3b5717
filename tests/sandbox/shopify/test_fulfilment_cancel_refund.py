"""fulfillmentCreate, orderCancel and refundCreate, and what they do to stock."""

from __future__ import annotations

from typing import Any

from tests.sandbox.shopify.order_flow import (
    CANCEL,
    FULFILL,
    REFUND,
    buy,
    fulfill_all,
    levels,
    order,
    stock_product,
)
from tests.sandbox.shopify.shop_client import ShopifyClient, location_ids


def _placed(shopify: ShopifyClient, quantity: int = 3, stock: int = 5) -> tuple[str, str, str]:
    """(order id, inventory item id, main location id) of a fresh order of MUG-1."""
    main, _ = location_ids(shopify)
    mug = stock_product(shopify, "MUG-1", [stock], price="12.00")
    placed = buy(shopify, {"MUG-1": quantity}, shipping_price="3.00")
    return placed["admin_graphql_api_id"], mug["inventoryItem"]["id"], main


def _fulfil(shopify: ShopifyClient, order_id: str, quantity: int | None) -> dict[str, Any]:
    fo = order(shopify, order_id)["fulfillmentOrders"]["nodes"][0]
    group: dict[str, Any] = {"fulfillmentOrderId": fo["id"]}
    if quantity is not None:
        line = fo["lineItems"]["nodes"][0]["id"]
        group["fulfillmentOrderLineItems"] = [{"id": line, "quantity": quantity}]
    fulfillment = {
        "lineItemsByFulfillmentOrder": [group],
        "notifyCustomer": True,
        "trackingInfo": {
            "company": "Royal Mail",
            "number": "RM123",
            "url": "https://rm.example/RM123",
        },
    }
    result: dict[str, Any] = shopify.data(FULFILL, {"fulfillment": fulfillment})[
        "fulfillmentCreate"
    ]
    return result


def test_partial_then_full_fulfilment_moves_committed_out_of_on_hand(
    shopify: ShopifyClient,
) -> None:
    order_id, item, main = _placed(shopify)
    shopify.clock.advance(10)
    first = _fulfil(shopify, order_id, 1)
    assert first["userErrors"] == []
    shipped = first["fulfillment"]
    assert (shipped["name"], shipped["status"], shipped["totalQuantity"]) == (
        "#1001.1",
        "SUCCESS",
        1,
    )
    assert shipped["trackingInfo"] == [
        {"company": "Royal Mail", "number": "RM123", "url": "https://rm.example/RM123"}
    ]
    found = order(shopify, order_id)
    assert found["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert found["updatedAt"] == "2026-01-05T09:00:10Z"
    fo = found["fulfillmentOrders"]["nodes"][0]
    assert fo["status"] == "IN_PROGRESS"
    assert fo["lineItems"]["nodes"][0]["remainingQuantity"] == 2
    assert levels(shopify, item)[main] == {"available": 2, "committed": 2, "on_hand": 4}
    second = _fulfil(shopify, order_id, None)  # no line items: everything that remains
    assert second["fulfillment"]["totalQuantity"] == 2
    found = order(shopify, order_id)
    assert found["displayFulfillmentStatus"] == "FULFILLED"
    assert found["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert found["lineItems"]["nodes"][0]["unfulfilledQuantity"] == 0
    assert levels(shopify, item)[main] == {"available": 2, "committed": 0, "on_hand": 2}


def test_over_fulfilment_and_closed_or_unknown_orders_are_user_errors(
    shopify: ShopifyClient,
) -> None:
    order_id, item, main = _placed(shopify)
    over = _fulfil(shopify, order_id, 4)
    assert over["fulfillment"] is None
    assert over["userErrors"] == [
        {
            "field": [
                "fulfillment", "lineItemsByFulfillmentOrder", "0",
                "fulfillmentOrderLineItems", "0", "quantity",
            ],
            "message": "Invalid fulfillment order line item quantity requested.",
        }
    ]  # fmt: skip
    assert levels(shopify, item)[main]["committed"] == 3  # nothing shipped
    _fulfil(shopify, order_id, None)
    closed = _fulfil(shopify, order_id, None)
    assert "unfulfillable status= closed" in closed["userErrors"][0]["message"]
    unknown = shopify.data(
        FULFILL,
        {"fulfillment": {"lineItemsByFulfillmentOrder": [
            {"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}
        ]}},
    )["fulfillmentCreate"]  # fmt: skip
    assert unknown["userErrors"][0]["message"] == "Fulfillment order does not exist."


def test_cancel_with_restock_puts_the_units_back_and_refunds(shopify: ShopifyClient) -> None:
    order_id, item, main = _placed(shopify)
    shopify.clock.advance(5)
    result = shopify.data(
        CANCEL,
        {
            "orderId": order_id,
            "reason": "CUSTOMER",
            "restock": True,
            "refundMethod": {"originalPaymentMethodsRefund": True},
            "staffNote": "Buyer changed their mind",
        },
    )["orderCancel"]
    assert result["orderCancelUserErrors"] == []
    assert result["job"]["done"] is True
    found = order(shopify, order_id)
    assert found["cancelledAt"] == found["updatedAt"] == "2026-01-05T09:00:05Z"
    assert (found["cancelReason"], found["closed"]) == ("CUSTOMER", True)
    assert found["displayFinancialStatus"] == "REFUNDED"
    assert found["totalRefundedSet"]["shopMoney"]["amount"] == "39.00"
    assert found["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
    assert levels(shopify, item)[main] == {"available": 5, "committed": 0, "on_hand": 5}
    again = shopify.data(CANCEL, {"orderId": order_id, "reason": "OTHER", "restock": True})
    assert again["orderCancel"]["orderCancelUserErrors"][0]["code"] == "INVALID"


def test_cancel_without_restock_writes_the_units_off(shopify: ShopifyClient) -> None:
    order_id, item, main = _placed(shopify)
    result = shopify.data(CANCEL, {"orderId": order_id, "reason": "FRAUD", "restock": False})
    assert result["orderCancel"]["orderCancelUserErrors"] == []
    assert order(shopify, order_id)["displayFinancialStatus"] == "PAID"  # no refund asked
    assert levels(shopify, item)[main] == {"available": 2, "committed": 0, "on_hand": 2}


def test_cancel_errors(shopify: ShopifyClient) -> None:
    missing = shopify.data(
        CANCEL, {"orderId": "gid://shopify/Order/4040", "reason": "OTHER", "restock": True}
    )["orderCancel"]
    assert missing == {
        "job": None,
        "orderCancelUserErrors": [
            {"field": ["orderId"], "message": "Order does not exist.", "code": "NOT_FOUND"}
        ],
    }
    order_id, _, _ = _placed(shopify)
    _fulfil(shopify, order_id, 1)
    shipped = shopify.data(CANCEL, {"orderId": order_id, "reason": "OTHER", "restock": True})
    assert shipped["orderCancel"]["orderCancelUserErrors"][0]["code"] == "INVALID"


def _refund(shopify: ShopifyClient, **input: Any) -> dict[str, Any]:
    result: dict[str, Any] = shopify.data(REFUND, {"input": input})["refundCreate"]
    return result


def test_refund_cancel_of_unshipped_and_return_of_shipped_units(shopify: ShopifyClient) -> None:
    order_id, item, main = _placed(shopify)
    line = order(shopify, order_id)["lineItems"]["nodes"][0]["id"]
    _fulfil(shopify, order_id, 1)
    refund = _refund(
        shopify,
        orderId=order_id,
        note="one cancelled, one came back",
        refundLineItems=[
            {"lineItemId": line, "quantity": 1, "restockType": "CANCEL"},
            {"lineItemId": line, "quantity": 1, "restockType": "RETURN", "locationId": main},
        ],
        transactions=[
            {"orderId": order_id, "kind": "REFUND", "gateway": "bogus", "amount": "24.00"}
        ],
    )
    assert refund["userErrors"] == []
    assert refund["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "24.00"
    rows = refund["refund"]["refundLineItems"]["nodes"]
    assert [(r["restockType"], r["restocked"], r["location"]) for r in rows] == [
        ("CANCEL", True, {"id": main}),
        ("RETURN", True, {"id": main}),
    ]
    assert refund["refund"]["transactions"]["nodes"][0]["kind"] == "REFUND"
    assert refund["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    # 5 stocked, 3 sold, 1 shipped: then 1 unshipped back on sale, 1 shipped returned.
    assert levels(shopify, item)[main] == {"available": 4, "committed": 1, "on_hand": 5}
    found = order(shopify, order_id)["lineItems"]["nodes"][0]
    assert (found["refundableQuantity"], found["unfulfilledQuantity"]) == (1, 1)


def test_over_refunds_are_user_errors_and_change_nothing(shopify: ShopifyClient) -> None:
    order_id, item, main = _placed(shopify)
    line = order(shopify, order_id)["lineItems"]["nodes"][0]["id"]
    too_many = _refund(
        shopify,
        orderId=order_id,
        refundLineItems=[{"lineItemId": line, "quantity": 4, "restockType": "CANCEL"}],
    )
    assert too_many["refund"] is None
    assert too_many["userErrors"][0]["field"] == ["input", "refundLineItems", "0", "quantity"]
    too_much = _refund(
        shopify,
        orderId=order_id,
        transactions=[
            {"orderId": order_id, "kind": "REFUND", "gateway": "bogus", "amount": "39.01"}
        ],
    )
    assert "greater than the refundable amount 39.00" in too_much["userErrors"][0]["message"]
    unshipped_return = _refund(
        shopify,
        orderId=order_id,
        refundLineItems=[{"lineItemId": line, "quantity": 1, "restockType": "RETURN"}],
    )
    assert unshipped_return["userErrors"][0]["message"].startswith("Only 0 fulfilled units")
    shipping = _refund(shopify, orderId=order_id, shipping={"amount": "3.01"})
    assert shipping["userErrors"][0]["field"] == ["input", "shipping", "amount"]
    missing = _refund(shopify, orderId="gid://shopify/Order/4040")
    assert missing["userErrors"] == [
        {"field": ["input", "orderId"], "message": "Order does not exist."}
    ]
    assert levels(shopify, item)[main] == {"available": 2, "committed": 3, "on_hand": 5}
    assert order(shopify, order_id)["displayFinancialStatus"] == "PAID"


def test_fulfil_all_across_locations(shopify: ShopifyClient) -> None:
    stock_product(shopify, "A-2", [1, 0])
    stock_product(shopify, "B-2", [0, 1])
    placed = buy(shopify, {"A-2": 1, "B-2": 1})
    fulfill_all(shopify, placed["admin_graphql_api_id"], company="DPD", number="D1")
    assert order(shopify, placed["admin_graphql_api_id"])["displayFulfillmentStatus"] == "FULFILLED"
