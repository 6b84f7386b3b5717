"""Shipping, refunds, cancellation and returns on eBay, against the sandbox."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest

from stockbridge.channels.base import (
    Fulfilment,
    FulfilmentLine,
    Money,
    Refund,
    ReturnDecision,
)
from stockbridge.channels.ebay import EbayAdapter, provider
from stockbridge.channels.ebay.auth import SCOPES
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.statuses import FulfillmentStatus, PaymentStatus
from tests.channels.ebay.conftest import Connected, calls, connect
from tests.channels.ebay.test_orders import buy, now, stocked
from tests.sandbox.ebay.conftest import EbayHarness


@pytest.fixture
def order(connected: Connected, shop: EbayHarness) -> dict[str, Any]:
    """An order of two lamps and one shade, each 49.99."""
    stocked(connected, "LAMP-1", "SHADE-1")
    return buy(shop, ("LAMP-1", 2), ("SHADE-1", 1))


def line_ids(order: dict[str, Any]) -> list[str]:
    return [str(line["lineItemId"]) for line in order["lineItems"]]


def test_part_of_an_order_ships_then_the_rest(
    connected: Connected, shop: EbayHarness, order: dict[str, Any]
) -> None:
    lamp, shade = line_ids(order)
    adapter = connected.adapter
    shop.clock.advance(3600)

    first = adapter.fulfil(
        Fulfilment(
            order["orderId"],
            (FulfilmentLine(lamp, 1),),
            carrier="RoyalMail",
            tracking_number="AB123456789GB",
            shipped_at=now(shop) - timedelta(minutes=30),
        )
    )
    assert adapter.get_order(order["orderId"]).fulfillment_status is (
        FulfillmentStatus.PARTIALLY_FULFILLED
    )
    second = adapter.fulfil(
        Fulfilment(
            order["orderId"],
            (FulfilmentLine(lamp, 1), FulfilmentLine(shade, 1)),
            carrier="RoyalMail",
            tracking_number="AB987654321GB",
        )
    )

    assert first != second
    assert adapter.get_order(order["orderId"]).fulfillment_status is FulfillmentStatus.FULFILLED
    shipped = shop.get_state()["fulfillments"]
    assert shipped[first]["shipped_date"].startswith(
        (now(shop) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    )
    assert shipped[first]["tracking_number"] == "AB123456789GB"
    assert shipped[first]["carrier"] == "RoyalMail"
    assert {(line["line_item_id"], line["quantity"]) for line in shipped[second]["lines"]} == {
        (lamp, 1),
        (shade, 1),
    }


def test_shipping_more_than_was_bought_is_refused(
    connected: Connected, order: dict[str, Any]
) -> None:
    lamp, _ = line_ids(order)
    with pytest.raises(ChannelError) as raised:
        connected.adapter.fulfil(
            Fulfilment(order["orderId"], (FulfilmentLine(lamp, 3),), "RoyalMail", "AB1GB")
        )
    assert raised.value.category is ChannelErrorCategory.VALIDATION


def test_a_refund_by_amount_and_one_by_line(
    connected: Connected, shop: EbayHarness, order: dict[str, Any]
) -> None:
    _, shade = line_ids(order)
    adapter = connected.adapter

    by_amount = adapter.refund(
        Refund(order["orderId"], "refund-1", amount=Money(500, "GBP"), reason="other")
    )
    by_line = adapter.refund(
        Refund(order["orderId"], "refund-2", lines=(FulfilmentLine(shade, 1),), reason="return")
    )

    refunds = shop.get_state()["refunds"]
    assert refunds[by_amount]["amount_cents"] == 500
    assert refunds[by_line]["amount_cents"] == 4999
    assert refunds[by_line]["line_item_id"] == shade
    assert refunds[by_line]["reason"] == "BUYER_RETURN"
    assert refunds[by_amount]["comment"] == "stockbridge refund refund-1"
    assert adapter.get_order(order["orderId"]).payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_the_same_refund_key_twice_refunds_once(
    connected: Connected, shop: EbayHarness, order: dict[str, Any]
) -> None:
    refund = Refund(order["orderId"], "refund-7", amount=Money(1000, "GBP"))

    first = connected.adapter.refund(refund)
    again = connected.adapter.refund(refund)
    # Another adapter in the same process (a second worker thread) knows it too.
    other = connect(shop).adapter.refund(refund)

    assert first == again == other
    assert len(shop.get_state()["refunds"]) == 1
    assert calls(shop)["issueRefund"] == 1


def test_two_threads_refunding_with_one_key_refund_once(
    shop: EbayHarness, order: dict[str, Any]
) -> None:
    adapters = [connect(shop).adapter for _ in range(4)]
    refund = Refund(order["orderId"], "refund-race", amount=Money(300, "GBP"))
    start = threading.Barrier(len(adapters))

    def race(adapter: EbayAdapter) -> str:
        start.wait()
        return adapter.refund(refund)

    with ThreadPoolExecutor(len(adapters)) as pool:
        got = list(pool.map(race, adapters))

    assert len(set(got)) == 1
    assert list(shop.get_state()["refunds"]) == got[:1]


class DropIssueRefundAnswer(httpx.BaseTransport):
    """Lets issueRefund reach the sandbox, then loses its answer (a read timeout)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.url.path.endswith("/issue_refund"):
            response.read()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def test_a_refund_whose_answer_was_lost_is_found_on_the_order_not_sent_twice(
    shop: EbayHarness, order: dict[str, Any]
) -> None:
    adapter = connect(shop, http=httpx.Client(transport=DropIssueRefundAnswer())).adapter

    refund_id = adapter.refund(Refund(order["orderId"], "refund-9", amount=Money(700, "GBP")))

    refunds = shop.get_state()["refunds"]
    assert list(refunds) == [refund_id]
    assert refunds[refund_id]["amount_cents"] == 700


def test_a_refund_over_what_was_paid_is_refused(
    connected: Connected, order: dict[str, Any]
) -> None:
    with pytest.raises(ChannelError) as raised:
        connected.adapter.refund(Refund(order["orderId"], "too-much", amount=Money(10**6, "GBP")))
    assert raised.value.category is ChannelErrorCategory.VALIDATION


def test_a_refund_of_nothing_or_an_unknown_line_is_refused_before_any_refund(
    connected: Connected, shop: EbayHarness, order: dict[str, Any]
) -> None:
    for refund in (
        Refund(order["orderId"], "empty"),
        Refund(order["orderId"], "ghost", lines=(FulfilmentLine("10000000009999", 1),)),
    ):
        with pytest.raises(ChannelError) as raised:
            connected.adapter.refund(refund)
        assert raised.value.category is ChannelErrorCategory.VALIDATION
    assert calls(shop).get("issueRefund", 0) == 0


def test_refunds_are_in_the_scopes_the_seller_grants() -> None:
    assert "https://api.ebay.com/oauth/api_scope/sell.finances" in SCOPES


def test_cancel_and_returns_are_declared_absent_and_fail_clearly(
    connected: Connected, shop: EbayHarness, order: dict[str, Any]
) -> None:
    assert provider.capabilities.cancellation is False
    assert provider.capabilities.returns is False
    adapter = connected.adapter
    attempts = [
        lambda: adapter.cancel(order["orderId"], "out of stock"),
        lambda: next(iter(adapter.returns_since(now(shop)))),
        lambda: adapter.decide_return("5000000001", ReturnDecision.APPROVE),
    ]
    for attempt in attempts:
        with pytest.raises(ChannelError) as raised:
            attempt()
        assert raised.value.category is ChannelErrorCategory.CRITICAL
        assert "not offered by eBay's APIs" in raised.value.detail
