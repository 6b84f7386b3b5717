"""Fulfilment, cancellation, refunds and returns through the Shopify adapter, on the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stockbridge.channels.base import (
    Fulfilment,
    FulfilmentLine,
    Money,
    Refund,
    ReturnDecision,
)
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.channels.shopify.order_changes import cancel_reason
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.statuses import FulfillmentStatus, PaymentStatus, ReturnStatus
from tests.channels.shopify.helpers import RunningSandbox, buy, graphql, on_sale

SHIPPED = """
query Shipped($id: ID!) {
  order(id: $id) {
    cancelReason
    fulfillments(first: 5) {
      id trackingInfo(first: 1) { company number url }
      fulfillmentLineItems(first: 10) { nodes { quantity lineItem { sku } } }
    }
    refunds(first: 10) { id note refundLineItems(first: 5) { nodes { quantity restockType } } }
  }
}
"""


def _shop_order(sandbox: RunningSandbox, order_id: str) -> dict[str, Any]:
    found: dict[str, Any] = graphql(sandbox, SHIPPED, {"id": order_id})["order"]
    return found


def _lines(adapter: ShopifyAdapter, order_id: str) -> dict[str, str]:
    """SKU -> line item id of an order, as the importer stored them."""
    return {line.sku or "": line.external_id for line in adapter.get_order(order_id).lines}


def _placed(adapter: ShopifyAdapter, sandbox: RunningSandbox) -> tuple[str, dict[str, str]]:
    on_sale(adapter, {"MUG": 10, "CUP": 10})
    order_id = buy(sandbox, {"MUG": 3, "CUP": 1}, shipping_price="3.00")
    return order_id, _lines(adapter, order_id)


def _parcel(order_id: str, *lines: FulfilmentLine) -> Fulfilment:
    return Fulfilment(
        order_external_id=order_id,
        lines=lines,
        carrier="Royal Mail",
        tracking_number="RM123",
        tracking_url="https://rm.example/RM123",
    )


# --- fulfil ---------------------------------------------------------------------------


def test_a_partial_then_a_full_fulfilment_ship_with_tracking(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    order_id, lines = _placed(adapter, sandbox)

    first = adapter.fulfil(_parcel(order_id, FulfilmentLine(lines["MUG"], 2)))

    assert adapter.get_order(order_id).fulfillment_status is FulfillmentStatus.PARTIALLY_FULFILLED
    [shipped] = _shop_order(sandbox, order_id)["fulfillments"]
    assert shipped["id"] == first
    assert shipped["trackingInfo"] == [
        {"company": "Royal Mail", "number": "RM123", "url": "https://rm.example/RM123"}
    ]
    assert shipped["fulfillmentLineItems"]["nodes"] == [{"quantity": 2, "lineItem": {"sku": "MUG"}}]

    second = adapter.fulfil(_parcel(order_id))  # no lines: all that remains

    assert second != first
    assert adapter.get_order(order_id).fulfillment_status is FulfillmentStatus.FULFILLED


def test_shipping_more_than_remains_is_refused_and_ships_nothing(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    order_id, lines = _placed(adapter, sandbox)
    sandbox.clear_calls()

    with pytest.raises(ChannelError) as refused:
        adapter.fulfil(_parcel(order_id, FulfilmentLine(lines["MUG"], 4)))

    assert refused.value.category is ChannelErrorCategory.VALIDATION
    assert refused.value.extra["short"] == {lines["MUG"]: 1}
    assert "fulfillmentCreate" not in sandbox.calls()
    assert _shop_order(sandbox, order_id)["fulfillments"] == []


def test_fulfilling_an_unknown_order_is_not_found(adapter: ShopifyAdapter) -> None:
    with pytest.raises(ChannelError) as missing:
        adapter.fulfil(_parcel("gid://shopify/Order/999999"))

    assert missing.value.category is ChannelErrorCategory.NOT_FOUND


# --- cancel ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("customer", "CUSTOMER"), ("Out of stock", "INVENTORY"), ("fraud", "FRAUD"), ("?", "OTHER")],
)
def test_cancel_reasons_map_to_shopifys_enum(reason: str, expected: str) -> None:
    assert cancel_reason(reason) == expected


def test_cancel_refunds_and_marks_the_order_cancelled(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    order_id, _ = _placed(adapter, sandbox)

    adapter.cancel(order_id, "customer")

    order = adapter.get_order(order_id)
    assert order.cancelled
    assert order.payment_status is PaymentStatus.REFUNDED
    assert _shop_order(sandbox, order_id)["cancelReason"] == "CUSTOMER"
    with pytest.raises(ChannelError) as again:
        adapter.cancel(order_id, "customer")
    assert again.value.category is ChannelErrorCategory.VALIDATION


def test_cancelling_a_shipped_order_is_refused(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    order_id, _ = _placed(adapter, sandbox)
    adapter.fulfil(_parcel(order_id))

    with pytest.raises(ChannelError) as refused:
        adapter.cancel(order_id, "staff")

    assert refused.value.category is ChannelErrorCategory.VALIDATION
    assert not adapter.get_order(order_id).cancelled


# --- refund ---------------------------------------------------------------------------


def test_a_refund_is_made_once_per_key(adapter: ShopifyAdapter, sandbox: RunningSandbox) -> None:
    order_id, lines = _placed(adapter, sandbox)
    refund = Refund(
        order_external_id=order_id,
        idempotency_key="ret-7",
        lines=(FulfilmentLine(lines["CUP"], 1),),
        amount=Money(500, "GBP"),
    )

    first = adapter.refund(refund)
    again = adapter.refund(refund)  # a retry after a lost answer

    assert again == first
    [made] = _shop_order(sandbox, order_id)["refunds"]
    assert made["id"] == first
    assert made["note"] == "stockbridge-refund:ret-7"
    assert made["refundLineItems"]["nodes"] == [{"quantity": 1, "restockType": "NO_RESTOCK"}]
    assert adapter.get_order(order_id).payment_status is PaymentStatus.PARTIALLY_REFUNDED
    other = adapter.refund(Refund(order_id, "ret-8", amount=Money(100, "GBP")))
    assert other != first
    assert len(_shop_order(sandbox, order_id)["refunds"]) == 2


@pytest.mark.parametrize(
    ("refund", "field"),
    [
        (Refund("ORDER", "k1"), None),  # neither lines nor an amount
        (Refund("ORDER", "k2", amount=Money(100, "EUR")), "amount.currency"),
        (Refund("ORDER", "k3", amount=Money(0, "GBP")), "amount"),
    ],
)
def test_a_bad_refund_is_refused_unsent(
    adapter: ShopifyAdapter, sandbox: RunningSandbox, refund: Refund, field: str | None
) -> None:
    order_id, _ = _placed(adapter, sandbox)
    sandbox.clear_calls()

    with pytest.raises(ChannelError) as refused:
        adapter.refund(Refund(order_id, refund.idempotency_key, refund.lines, refund.amount))

    assert refused.value.category is ChannelErrorCategory.VALIDATION
    assert refused.value.extra.get("field") == field
    assert "refundCreate" not in sandbox.calls()


def test_refunding_more_than_was_paid_is_refused_by_shopify(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    order_id, _ = _placed(adapter, sandbox)

    with pytest.raises(ChannelError) as refused:
        adapter.refund(Refund(order_id, "too-much", amount=Money(1_000_000, "GBP")))

    assert refused.value.category is ChannelErrorCategory.VALIDATION
    assert _shop_order(sandbox, order_id)["refunds"] == []


# --- returns --------------------------------------------------------------------------


def _ask_return(sandbox: RunningSandbox, order_id: str, sku: str, note: str) -> None:
    number = order_id.rsplit("/", 1)[-1]
    body = {"line_items": [{"sku": sku, "quantity": 1, "reason": "DEFECTIVE", "note": note}]}
    response = sandbox.control.post(f"/_sandbox/buyers/orders/{number}/returns", json=body)
    assert response.status_code == 201, response.text


def test_returns_are_read_and_decided(adapter: ShopifyAdapter, sandbox: RunningSandbox) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    order_id, lines = _placed(adapter, sandbox)
    buy(sandbox, {"MUG": 1})  # an order without a return stays out
    adapter.fulfil(_parcel(order_id))
    _ask_return(sandbox, order_id, "MUG", "Handle broke")
    _ask_return(sandbox, order_id, "CUP", "Chipped")

    requested = sorted(adapter.returns_since(since), key=lambda r: r.external_id)

    assert [r.status for r in requested] == [ReturnStatus.REQUESTED] * 2
    assert {r.order_external_id for r in requested} == {order_id}
    mug, cup = requested
    assert mug.lines == (FulfilmentLine(lines["MUG"], 1),)
    assert mug.reason == "defective Handle broke"
    assert mug.requested_at.tzinfo is not None

    adapter.decide_return(mug.external_id, ReturnDecision.APPROVE)
    adapter.decide_return(cup.external_id, ReturnDecision.DECLINE)

    decided = {r.external_id: r.status for r in adapter.returns_since(since)}
    assert decided == {mug.external_id: ReturnStatus.APPROVED, cup.external_id: ReturnStatus.DENIED}
    with pytest.raises(ChannelError) as again:
        adapter.decide_return(cup.external_id, ReturnDecision.APPROVE)
    assert again.value.category is ChannelErrorCategory.VALIDATION


def test_deciding_an_unknown_return_is_not_found(adapter: ShopifyAdapter) -> None:
    with pytest.raises(ChannelError) as missing:
        adapter.decide_return("gid://shopify/Return/999999", ReturnDecision.APPROVE)

    assert missing.value.category is ChannelErrorCategory.NOT_FOUND
