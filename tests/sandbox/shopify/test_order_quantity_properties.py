"""Property: whatever buyers and the merchant do to orders, the stock adds up.

Random sequences of purchases (some refused under DENY), partial fulfilments,
cancellations with and without restock, refunds that cancel unshipped units or take
shipped ones back, and over-refunds that must change nothing, run against the sandbox
over HTTP. After every step the level shows exactly what a plain model of Shopify's
rules says: available, committed and on_hand, with on_hand = available + committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.shopify.order_flow import CANCEL, FULFILL, REFUND, order, stock_product
from tests.sandbox.shopify.shop_client import ShopifyClient

STOCK = 4
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "fulfil", "cancel", "refund_cancel", "refund_return", "over"]),
        st.integers(0, 20),  # which order
        st.integers(1, 3),  # how many
        st.booleans(),  # restock on cancel
    ),
    min_size=1,
    max_size=8,
)


@dataclass
class ModelOrder:
    id: str
    line_id: str
    fo_id: str
    fo_line_id: str
    remaining: int
    shipped: int = 0
    returned: int = 0
    cancelled: bool = False


@dataclass
class Model:
    available: int = STOCK
    committed: int = 0
    on_hand: int = STOCK


def _level(shopify: ShopifyClient, item_id: str) -> dict[str, int]:
    state = shopify.http.get("/_sandbox/state").json()
    [level] = [lvl for lvl in state["inventory_levels"].values() if lvl["item_id"] == item_id]
    return {name: level["quantities"][name] for name in ("available", "committed", "on_hand")}


def _refund(shopify: ShopifyClient, o: ModelOrder, quantity: int, restock: str) -> Any:
    line = {"lineItemId": o.line_id, "quantity": quantity, "restockType": restock}
    answer = shopify.data(REFUND, {"input": {"orderId": o.id, "refundLineItems": [line]}})
    return answer["refundCreate"]["userErrors"]


def _step(shopify: ShopifyClient, model: Model, orders: list[ModelOrder], step: Any) -> None:
    kind, pick, quantity, restock = step
    if kind == "buy":
        response = shopify.http.post(
            "/_sandbox/buyers/orders",
            json={"line_items": [{"sku": "PROP-1", "quantity": quantity}]},
        )
        assert response.status_code == (201 if model.available >= quantity else 409)
        if response.status_code == 201:
            found = order(shopify, response.json()["admin_graphql_api_id"])
            fo = found["fulfillmentOrders"]["nodes"][0]
            orders.append(
                ModelOrder(
                    found["id"], found["lineItems"]["nodes"][0]["id"], fo["id"],
                    fo["lineItems"]["nodes"][0]["id"], quantity,
                )
            )  # fmt: skip
            model.available -= quantity
            model.committed += quantity
        return
    if not orders:
        return
    o = orders[pick % len(orders)]
    if kind == "fulfil" and o.remaining and not o.cancelled:
        shipped = min(quantity, o.remaining)
        lines = [{"id": o.fo_line_id, "quantity": shipped}]
        group = {"fulfillmentOrderId": o.fo_id, "fulfillmentOrderLineItems": lines}
        result = shopify.data(FULFILL, {"fulfillment": {"lineItemsByFulfillmentOrder": [group]}})
        assert result["fulfillmentCreate"]["userErrors"] == []
        o.remaining, o.shipped = o.remaining - shipped, o.shipped + shipped
        model.committed -= shipped
        model.on_hand -= shipped
    elif kind == "cancel":
        result = shopify.data(CANCEL, {"orderId": o.id, "reason": "OTHER", "restock": restock})
        errors = result["orderCancel"]["orderCancelUserErrors"]
        assert bool(errors) == (o.cancelled or o.shipped > 0)
        if not errors:
            model.committed -= o.remaining
            if restock:
                model.available += o.remaining
            else:
                model.on_hand -= o.remaining
            o.remaining, o.cancelled = 0, True
    elif kind == "refund_cancel" and o.remaining:
        assert _refund(shopify, o, 1, "CANCEL") == []
        o.remaining -= 1
        model.committed -= 1
        model.available += 1
    elif kind == "refund_return" and o.shipped > o.returned:
        assert _refund(shopify, o, 1, "RETURN") == []
        o.returned += 1
        model.available += 1
        model.on_hand += 1
    elif kind == "over":
        assert _refund(shopify, o, o.remaining + 1, "CANCEL") != []


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_stock_adds_up_over_any_order_history(shopify: ShopifyClient, steps: list[Any]) -> None:
    assert shopify.http.post("/_sandbox/reset").status_code == 204
    item = stock_product(shopify, "PROP-1", [STOCK])["inventoryItem"]["id"]
    model, orders = Model(), []
    for step in steps:
        _step(shopify, model, orders, step)
        level = _level(shopify, item)
        assert level == {
            "available": model.available,
            "committed": model.committed,
            "on_hand": model.on_hand,
        }, step
        assert level["on_hand"] == level["available"] + level["committed"]
        assert level["committed"] == sum(o.remaining for o in orders)
