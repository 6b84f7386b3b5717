"""Properties of buyers' orders: stock is conserved, and lastmodifieddate polls are exact."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockbridge.sandbox.ebay.orders import iso_ms
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, running_sandbox
from tests.sandbox.ebay.shop import FULFILLMENT, api, buy, list_item, ship

STOCK = {"LAMP-1": (6, 4), "VASE-1": (3, None)}  # item quantity, offer availableQuantity

buys = st.tuples(st.just("buy"), st.sampled_from(sorted(STOCK)), st.integers(1, 4))
cancels = st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0))


@pytest.fixture(scope="module")
def shop() -> Iterator[tuple[EbayHarness, dict[str, str]]]:
    """The listings of STOCK, shared by every example; SKU -> listing id."""
    with running_sandbox(FakeClock()) as ebay:
        yield ebay, {sku: list_item(ebay, sku, item, offer) for sku, (item, offer) in STOCK.items()}


def check_stock(ebay: EbayHarness, listings: dict[str, str]) -> None:
    state = ebay.get_state()
    for sku, listing_id in listings.items():
        item, offer = STOCK[sku]
        listing = state["listings"][listing_id]
        first_shown = item if offer is None else min(item, offer)
        assert listing["quantity"] + listing["sold_quantity"] == first_shown
        live = sum(
            line["quantity"]
            for order in state["orders"].values()
            if order["cancelled_ms"] is None
            for line in order["line_items"]
            if line["listing_id"] == listing_id
        )
        assert listing["sold_quantity"] == live
        availability = state["inventory_items"][sku]["availability"]
        assert availability["shipToLocationAvailability"]["quantity"] == item - live


@settings(max_examples=15, deadline=None)
@given(steps=st.lists(buys | cancels, max_size=8))
def test_listed_plus_sold_stays_what_was_listed(
    shop: tuple[EbayHarness, dict[str, str]], steps: list[tuple[str, Any, int]]
) -> None:
    ebay, listings = shop
    placed: list[str] = []
    for action, target, quantity in steps:
        if action == "buy":
            answer = buy(ebay, (target, quantity))
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                placed.append(answer.json()["orderId"])
        elif placed:
            order_id = placed[target % len(placed)]
            answer = ebay.http.post(f"/_sandbox/buyers/orders/{order_id}/cancel")
            assert answer.status_code in (200, 409)

    check_stock(ebay, listings)
    # Cancelling what is left gives every unit back for the next example.
    for order_id in placed:
        ebay.http.post(f"/_sandbox/buyers/orders/{order_id}/cancel")
    state = ebay.get_state()
    assert all(state["listings"][lid]["sold_quantity"] == 0 for lid in listings.values())


def test_a_lastmodifieddate_poll_sees_each_change_when_it_happens(ebay: EbayHarness) -> None:
    list_item(ebay, "LAMP-1", 10)
    changes: list[tuple[int, str]] = []  # (ms, order id) of every change

    def at() -> int:
        return round(ebay.clock.now * 1000)

    first = buy(ebay, ("LAMP-1", 2)).json()
    changes.append((at(), first["orderId"]))
    ebay.clock.advance(1.5)
    second = buy(ebay, ("LAMP-1", 1)).json()
    changes.append((at(), second["orderId"]))
    ebay.clock.advance(0.001)
    assert ship(ebay, first["orderId"], (first["lineItems"][0]["lineItemId"], 1)).status_code == 201
    changes.append((at(), first["orderId"]))
    ebay.clock.advance(2)
    refund = {
        "reasonForRefund": "OTHER_ADJUSTMENT",
        "orderLevelRefundAmount": {"currency": "GBP", "value": "1.00"},
    }
    path = f"{FULFILLMENT}/order/{second['orderId']}/issue_refund"
    assert api(ebay, "POST", path, json=refund).status_code == 200
    changes.append((at(), second["orderId"]))
    ebay.clock.advance(3)
    assert ebay.http.post(f"/_sandbox/buyers/orders/{second['orderId']}/cancel").status_code == 200
    changes.append((at(), second["orderId"]))
    ebay.clock.advance(1)

    def poll(start: int, end: int) -> list[str]:
        window = f"lastmodifieddate:[{iso_ms(start)}..{iso_ms(end)}]"
        answer = api(ebay, "GET", f"{FULFILLMENT}/order", params={"filter": window})
        assert answer.status_code == 200, answer.text
        return sorted(order["orderId"] for order in answer.json()["orders"])

    # An order is in a window exactly when its last change falls inside it: poll the
    # instant of each change, the millisecond before it, and the span up to the next.
    last_change = {order_id: ms for ms, order_id in changes}
    instants = sorted({ms for ms, _ in changes})
    windows = [(ms, ms) for ms in instants] + [(ms - 1, ms - 1) for ms in instants]
    windows += [(a, b - 1) for a, b in itertools.pairwise(instants)]
    windows.append((instants[0], instants[-1]))
    for start, end in windows:
        expected = sorted(oid for oid, ms in last_change.items() if start <= ms <= end)
        assert poll(start, end) == expected, (start, end)
