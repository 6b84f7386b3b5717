"""Buyers (control API): sales come off the listed quantity; cancels and returns; events."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.sandbox.ebay.conftest import EbayHarness, StartSandbox
from tests.sandbox.ebay.shop import bought, buy, error_id, get_order, list_item, ship

DEADLINE_SECONDS = 10.0


def quantities(ebay: EbayHarness, listing_id: str) -> tuple[int, int, int | None, int]:
    """(shown, item, offer availableQuantity, sold) of one listing."""
    state = ebay.get_state()
    listing = state["listings"][listing_id]
    item = state["inventory_items"][listing["sku"]]["availability"]["shipToLocationAvailability"]
    offer = state["offers"][listing["offer_id"]]["body"].get("availableQuantity")
    return listing["quantity"], item["quantity"], offer, listing["sold_quantity"]


def test_a_sale_comes_off_item_and_offer(ebay: EbayHarness) -> None:
    listing_id = list_item(ebay, "LAMP-1", 5, offer_quantity=3)

    order = bought(ebay, ("LAMP-1", 2))

    assert quantities(ebay, listing_id) == (1, 3, 1, 2)
    offer = ebay.call("GET", "/offer?sku=LAMP-1").json()["offers"][0]
    assert offer["listing"]["soldQuantity"] == 2
    [event] = ebay.http.get("/_sandbox/events", params={"topic": "ORDER_CREATED"}).json()
    assert event["payload"]["orderId"] == order["orderId"]
    assert event["payload"]["lineItems"][0]["quantity"] == 2


def test_buying_by_listing_id_and_without_offer_quantity(ebay: EbayHarness) -> None:
    listing_id = list_item(ebay, "LAMP-1", 4)

    answer = ebay.http.post(
        "/_sandbox/buyers/orders",
        json={"lines": [{"listing_id": listing_id, "quantity": 4}], "buyer": {"username": "jo_b"}},
    )

    assert answer.status_code == 201, answer.text
    assert answer.json()["buyer"]["username"] == "jo_b"
    assert quantities(ebay, listing_id) == (0, 0, None, 4)


def test_more_than_listed_is_refused_and_changes_nothing(ebay: EbayHarness) -> None:
    listing_id = list_item(ebay, "LAMP-1", 5, offer_quantity=2)
    list_item(ebay, "VASE-1", 3)

    answer = buy(ebay, ("VASE-1", 1), ("LAMP-1", 3))

    assert answer.status_code == 409
    assert (error_id(answer), answer.json()["errors"][0]["domain"]) == (0, "SANDBOX")
    assert "shows 2 unit(s); 3 asked for" in answer.json()["errors"][0]["message"]
    assert quantities(ebay, listing_id) == (2, 5, 2, 0)
    assert ebay.get_state()["orders"] == {}
    assert buy(ebay, ("NOPE", 1)).status_code == 404
    assert ebay.http.post("/_sandbox/buyers/orders", json={"lines": []}).status_code == 400


def test_an_ended_listing_sells_nothing(ebay: EbayHarness) -> None:
    list_item(ebay, "LAMP-1", 5)
    offer_id = ebay.call("GET", "/offer?sku=LAMP-1").json()["offers"][0]["offerId"]
    assert ebay.call("POST", f"/offer/{offer_id}/withdraw").status_code == 200

    answer = buy(ebay, ("LAMP-1", 1))

    assert answer.status_code == 409
    assert "ended" in answer.json()["errors"][0]["message"]


def test_cancel_puts_the_units_back_and_refunds(ebay: EbayHarness) -> None:
    listing_id = list_item(ebay, "LAMP-1", 5, offer_quantity=3)
    order = bought(ebay, ("LAMP-1", 2))
    ebay.clock.advance(30)

    cancelled = ebay.http.post(
        f"/_sandbox/buyers/orders/{order['orderId']}/cancel", json={"reason": "FOUND_CHEAPER"}
    )

    assert cancelled.status_code == 200, cancelled.text
    assert quantities(ebay, listing_id) == (3, 5, 3, 0)
    seen = get_order(ebay, order["orderId"])
    assert seen["cancelStatus"]["cancelState"] == "CANCELED"
    assert seen["cancelStatus"]["cancelRequests"][0]["cancelReason"] == "FOUND_CHEAPER"
    assert seen["orderPaymentStatus"] == "FULLY_REFUNDED"
    assert seen["lastModifiedDate"] == "2026-09-21T14:13:50.000Z"
    topics = [e["topic"] for e in ebay.http.get("/_sandbox/events").json()]
    assert topics == ["ORDER_CREATED", "ORDER_CANCELLED"]
    again = ebay.http.post(f"/_sandbox/buyers/orders/{order['orderId']}/cancel")
    assert again.status_code == 409


def test_a_shipped_order_cannot_be_cancelled_but_can_be_returned(ebay: EbayHarness) -> None:
    list_item(ebay, "LAMP-1", 5)
    order = bought(ebay, ("LAMP-1", 2))
    line = order["lineItems"][0]["lineItemId"]
    returns = f"/_sandbox/buyers/orders/{order['orderId']}/returns"
    too_early = ebay.http.post(returns, json={"line_item_id": line, "quantity": 1})
    assert ship(ebay, order["orderId"], (line, 2)).status_code == 201

    refused = ebay.http.post(f"/_sandbox/buyers/orders/{order['orderId']}/cancel")
    opened = ebay.http.post(
        returns, json={"line_item_id": line, "quantity": 1, "reason": "NOT_AS_DESCRIBED"}
    )
    more = ebay.http.post(returns, json={"line_item_id": line, "quantity": 2})

    assert too_early.status_code == 409
    assert refused.status_code == 409
    assert opened.status_code == 201, opened.text
    record = opened.json()
    assert (record["order_id"], record["line_item_id"], record["quantity"]) == (
        order["orderId"],
        line,
        1,
    )
    assert (record["reason"], record["status"]) == ("NOT_AS_DESCRIBED", "OPEN")
    assert more.status_code == 409  # only one shipped unit is left to return
    assert ebay.get_state()["returns"] == {record["return_id"]: record}
    [event] = ebay.http.get("/_sandbox/events", params={"topic": "RETURN_OPENED"}).json()
    assert event["payload"]["return_id"] == record["return_id"]


def test_no_returns_policy_refuses_returns(ebay: EbayHarness) -> None:
    no_returns = {"fulfillmentPolicyId": "6196930000", "paymentPolicyId": "6196932000"}
    list_item(ebay, "LAMP-1", 5, listingPolicies=no_returns | {"returnPolicyId": "6196933001"})
    order = bought(ebay, ("LAMP-1", 1))
    line = order["lineItems"][0]["lineItemId"]
    assert ship(ebay, order["orderId"], (line, 1)).status_code == 201

    answer = ebay.http.post(
        f"/_sandbox/buyers/orders/{order['orderId']}/returns", json={"line_item_id": line}
    )

    assert answer.status_code == 409
    assert "no returns" in answer.json()["errors"][0]["message"]


def test_two_buyers_racing_for_the_last_unit(ebay: EbayHarness) -> None:
    listing_id = list_item(ebay, "LAMP-1", 1)
    start = threading.Barrier(8)

    def attempt(_: int) -> int:
        start.wait()
        return buy(ebay, ("LAMP-1", 1)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))

    assert statuses == [201] + [409] * 7
    assert quantities(ebay, listing_id) == (0, 0, None, 1)
    assert len(ebay.get_state()["orders"]) == 1


def test_the_buyer_generator_places_orders(start_sandbox: StartSandbox) -> None:
    ebay = start_sandbox(buyers_per_minute=6000, buyers_seed=3)
    listing_id = list_item(ebay, "LAMP-1", 50)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while len(ebay.get_state()["orders"]) < 5:
            assert time.monotonic() < deadline, "the generator placed too few orders"
            time.sleep(0.02)
    finally:
        assert ebay.http.delete("/_sandbox/buyers/generator").status_code == 204
    state = ebay.get_state()
    sold = sum(line["quantity"] for o in state["orders"].values() for line in o["line_items"])
    assert state["listings"][listing_id]["sold_quantity"] == sold
    assert state["listings"][listing_id]["quantity"] == 50 - sold
    assert ebay.http.get("/_sandbox/buyers/generator").json()["running"] is False


def test_generator_is_started_over_http_and_off_by_default(ebay: EbayHarness) -> None:
    assert ebay.http.get("/_sandbox/buyers/generator").json()["running"] is False
    started = ebay.http.post("/_sandbox/buyers/generator", json={"per_minute": 60, "seed": 1})
    try:
        assert started.json()["running"] is True
    finally:
        ebay.http.delete("/_sandbox/buyers/generator")


def test_orders_round_trip_through_the_state_file(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    state_file = tmp_path / "ebay.json"
    first = start_sandbox(state_file=state_file)
    list_item(first, "LAMP-1", 5)
    order = bought(first, ("LAMP-1", 2))
    line = order["lineItems"][0]["lineItemId"]
    assert ship(first, order["orderId"], (line, 2)).status_code == 201
    first.http.post(
        f"/_sandbox/buyers/orders/{order['orderId']}/returns", json={"line_item_id": line}
    )
    before = first.get_state()

    second = start_sandbox(state_file=state_file)

    after = second.get_state()
    for part in ("orders", "fulfillments", "refunds", "returns", "policies", "listings"):
        assert after[part] == before[part], part
    second.tokens = dict(first.tokens)
    assert get_order(second, order["orderId"])["orderFulfillmentStatus"] == "FULFILLED"
