"""Sell Fulfillment: getOrder and getOrders (filters, orderIds, paging), auth and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from stockbridge.sandbox.ebay.config import FULFILLMENT_SPEC
from stockbridge.sandbox.ebay.oauth import SELL_FULFILLMENT_READONLY, SELL_INVENTORY
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, running_sandbox
from tests.sandbox.ebay.official import unknown_fields
from tests.sandbox.ebay.shop import FULFILLMENT, api, bought, error_id, get_order, list_item, ship

ORDERS = f"{FULFILLMENT}/order"


@pytest.fixture
def shop(ebay: EbayHarness) -> EbayHarness:
    """Two live listings on EBAY_GB: LAMP-1 (5 in stock, price 49.99), VASE-1 (3, 20.00)."""
    list_item(ebay, "LAMP-1", 5)
    list_item(ebay, "VASE-1", 3, price="20.00")
    return ebay


def test_an_order_reads_as_ebay_shows_it(shop: EbayHarness) -> None:
    placed = bought(shop, ("LAMP-1", 2), ("VASE-1", 1))

    order = get_order(shop, placed["orderId"])

    assert re.fullmatch(r"\d{2}-\d{5}-\d{5}", order["orderId"])
    assert order["creationDate"] == order["lastModifiedDate"] == "2026-09-21T14:13:20.000Z"
    assert (order["orderFulfillmentStatus"], order["orderPaymentStatus"]) == ("NOT_STARTED", "PAID")
    assert order["cancelStatus"] == {"cancelState": "NONE_REQUESTED", "cancelRequests": []}
    assert order["pricingSummary"]["total"] == {"currency": "GBP", "value": "119.98"}
    assert order["paymentSummary"]["totalDueSeller"]["value"] == "119.98"
    assert order["paymentSummary"]["refunds"] == []
    assert order["buyer"]["username"]
    ship_to = order["fulfillmentStartInstructions"][0]["shippingStep"]
    assert ship_to["shippingServiceCode"] == "UK_RoyalMailSecondClassStandard"
    assert ship_to["shipTo"]["contactAddress"]["countryCode"] == "GB"
    lamp, vase = order["lineItems"]
    listings = shop.get_state()["listings"]
    assert lamp["legacyItemId"] in listings
    assert (lamp["sku"], lamp["quantity"], lamp["lineItemFulfillmentStatus"]) == (
        "LAMP-1",
        2,
        "NOT_STARTED",
    )
    assert lamp["title"] == "Brass lamp LAMP-1"
    assert lamp["lineItemCost"] == {"currency": "GBP", "value": "99.98"}
    assert vase["total"] == {"currency": "GBP", "value": "20.00"}
    assert lamp["lineItemId"] != vase["lineItemId"]


@pytest.mark.usefixtures("official_contracts")
def test_orders_use_only_official_fields(shop: EbayHarness) -> None:
    placed = bought(shop, ("LAMP-1", 1))
    shop.http.post(f"/_sandbox/buyers/orders/{placed['orderId']}/cancel")
    listed = api(shop, "GET", ORDERS).json()

    assert unknown_fields(FULFILLMENT_SPEC, "OrderSearchPagedCollection", listed) == []
    order = get_order(shop, placed["orderId"])
    assert unknown_fields(FULFILLMENT_SPEC, "Order", order) == []


def test_get_orders_pages_oldest_first(shop: EbayHarness) -> None:
    ids = []
    for _ in range(5):
        ids.append(bought(shop, ("LAMP-1", 1))["orderId"])
        shop.clock.advance(60)

    first = api(shop, "GET", ORDERS, params={"limit": "2"}).json()
    second = api(shop, "GET", ORDERS, params={"limit": "2", "offset": "2"}).json()
    last = api(shop, "GET", ORDERS, params={"limit": "2", "offset": "4"}).json()

    assert [o["orderId"] for o in first["orders"] + second["orders"] + last["orders"]] == ids
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    assert first["href"].endswith(f"{ORDERS}?limit=2&offset=0")
    assert first["next"].endswith(f"{ORDERS}?limit=2&offset=2")
    assert "prev" not in first
    assert second["prev"].endswith("offset=0")
    assert second["next"].endswith("offset=4")
    assert "next" not in last
    assert api(shop, "GET", ORDERS).json()["limit"] == 50


def test_get_orders_by_ids_ignores_the_rest(shop: EbayHarness) -> None:
    one = bought(shop, ("LAMP-1", 1))["orderId"]
    bought(shop, ("VASE-1", 1))

    listed = api(
        shop, "GET", ORDERS, params={"orderIds": f"{one},99-99999-99999", "filter": "junk"}
    ).json()

    assert [o["orderId"] for o in listed["orders"]] == [one]
    too_many = ",".join(f"12-00000-{n:05d}" for n in range(51))
    answer = api(shop, "GET", ORDERS, params={"orderIds": too_many})
    assert (answer.status_code, error_id(answer)) == (400, 30900)


def test_filter_by_creation_date_and_fulfillment_status(shop: EbayHarness) -> None:
    early = bought(shop, ("LAMP-1", 1))
    shop.clock.advance(3600)
    late = bought(shop, ("LAMP-1", 1))
    lamp_line = late["lineItems"][0]["lineItemId"]
    assert ship(shop, late["orderId"], (lamp_line, 1)).status_code == 201

    def ids(filter_text: str) -> list[str]:
        answer = api(shop, "GET", ORDERS, params={"filter": filter_text})
        assert answer.status_code == 200, answer.text
        return [order["orderId"] for order in answer.json()["orders"]]

    assert ids("creationdate:[2026-09-21T14:13:20.000Z..2026-09-21T14:13:20.000Z]") == [
        early["orderId"]
    ]
    assert ids("creationdate:[2026-09-21T14:13:20.001Z..]") == [late["orderId"]]
    assert ids("orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}") == [early["orderId"]]
    assert ids("orderfulfillmentstatus:{FULFILLED|IN_PROGRESS}") == [late["orderId"]]
    both = "creationdate:[2026-09-21T00:00:00Z..],orderfulfillmentstatus:{FULFILLED|IN_PROGRESS}"
    assert ids(both) == [late["orderId"]]
    # With both dates given, eBay uses creationdate only.
    assert ids(
        "creationdate:[2026-09-21T00:00:00Z..],lastmodifieddate:[2026-09-21T15:00:00Z..]"
    ) == [early["orderId"], late["orderId"]]


def test_without_a_filter_only_the_last_90_days(shop: EbayHarness) -> None:
    old = bought(shop, ("LAMP-1", 1))["orderId"]
    shop.clock.advance(91 * 24 * 3600)
    del shop.tokens["seller"]  # expired meanwhile; the app would have refreshed it
    new = bought(shop, ("LAMP-1", 1))["orderId"]

    assert [o["orderId"] for o in api(shop, "GET", ORDERS).json()["orders"]] == [new]
    listed = api(shop, "GET", ORDERS, params={"filter": "creationdate:[2026-01-01T00:00:00Z..]"})
    assert [o["orderId"] for o in listed.json()["orders"]] == [old, new]


@pytest.fixture(scope="module")
def quiet_shop() -> Iterator[EbayHarness]:
    """One sandbox for the read-only error cases below (they change nothing)."""
    with running_sandbox(FakeClock()) as ebay:
        yield ebay


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter": "status:{PAID}"}, 30700),
        ({"filter": "orderfulfillmentstatus:{NOT_STARTED}"}, 30800),
        ({"filter": "creationdate:2026-09-01T00:00:00Z"}, 30800),
        ({"filter": "creationdate:[yesterday..]"}, 30810),
        ({"filter": "lastmodifieddate:[..2026-09-01T00:00:00Z]"}, 30820),
        ({"filter": "creationdate:[2026-09-02T00:00:00Z..2026-09-01T00:00:00Z]"}, 30840),
        ({"filter": "creationdate:[2027-01-01T00:00:00Z..]"}, 30850),
        ({"limit": "201"}, 31100),
        ({"limit": "0"}, 31100),
        ({"offset": "-1"}, 31000),
        ({"fieldGroups": "EVERYTHING"}, 32800),
    ],
)
def test_bad_get_orders_parameters(
    quiet_shop: EbayHarness, params: dict[str, str], expected: int
) -> None:
    answer = api(quiet_shop, "GET", ORDERS, params=params)

    assert (answer.status_code, error_id(answer)) == (400, expected)
    assert answer.json()["errors"][0]["domain"] == "API_FULFILLMENT"


def test_unknown_and_malformed_order_ids(shop: EbayHarness) -> None:
    unknown = api(shop, "GET", f"{ORDERS}/99-99999-99999")
    malformed = api(shop, "GET", f"{ORDERS}/not-an-order")

    assert (unknown.status_code, error_id(unknown)) == (404, 32100)
    assert (malformed.status_code, error_id(malformed)) == (400, 32100)
    listing = api(shop, "GET", f"{ORDERS}/99-99999-99999/shipping_fulfillment")
    assert (listing.status_code, error_id(listing)) == (400, 32100)


def test_tokens_and_scopes(shop: EbayHarness) -> None:
    order_id = bought(shop, ("LAMP-1", 1))["orderId"]
    readonly = shop.user_token([SELL_FULFILLMENT_READONLY])
    inventory_only = shop.user_token([SELL_INVENTORY])
    line = get_order(shop, order_id)["lineItems"][0]["lineItemId"]
    body = {"lineItems": [{"lineItemId": line, "quantity": 1}]}
    create = f"{ORDERS}/{order_id}/shipping_fulfillment"

    assert api(shop, "GET", f"{ORDERS}/{order_id}", token=readonly).status_code == 200
    denied = api(shop, "POST", create, token=readonly, json=body)
    assert (denied.status_code, error_id(denied)) == (403, 1100)
    assert api(shop, "GET", ORDERS, token=inventory_only).status_code == 403
    bad = api(shop, "GET", ORDERS, token="v^1.1#not-a-token")
    assert (bad.status_code, error_id(bad)) == (401, 1001)
    assert shop.http.get(ORDERS).status_code == 401
