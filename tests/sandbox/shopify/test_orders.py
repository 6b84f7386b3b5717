"""Orders placed by buyers, as an order importer reads them: order, orders, search, pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.sandbox.shopify.order_flow import (
    ORDERS,
    buy,
    levels,
    order,
    stock_product,
)
from tests.sandbox.shopify.shop_client import START, ShopifyClient, location_ids


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_a_placed_order_reads_back_with_what_an_importer_needs(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    lamp = stock_product(shopify, "LAMP-1", [5], price="49.99")
    placed = buy(
        shopify,
        {"LAMP-1": 2},
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        shipping_price="4.99",
    )
    found = order(shopify, placed["admin_graphql_api_id"])
    assert found["name"] == "#1001"
    assert found["number"] == 1001
    assert found["legacyResourceId"] == str(placed["id"])
    assert found["email"] == "ada@example.com"
    assert found["createdAt"] == found["updatedAt"] == "2026-01-05T09:00:00Z"
    assert (found["cancelledAt"], found["closed"]) == (None, False)
    assert found["displayFinancialStatus"] == "PAID"
    assert found["displayFulfillmentStatus"] == "UNFULFILLED"
    assert found["returnStatus"] == "NO_RETURN"
    assert found["totalPriceSet"]["shopMoney"] == {"amount": "104.97", "currencyCode": "GBP"}
    assert found["subtotalPriceSet"]["shopMoney"]["amount"] == "99.98"
    assert found["totalShippingPriceSet"]["shopMoney"]["amount"] == "4.99"
    # VAT at 20% is included in the prices: 104.97 x 0.2 / 1.2, line by line.
    assert found["totalTaxSet"]["shopMoney"]["amount"] == "17.49"
    assert found["customer"]["displayName"] == "Ada Lovelace"
    assert found["customer"]["defaultEmailAddress"] == {"emailAddress": "ada@example.com"}
    assert found["shippingAddress"]["countryCodeV2"] == "GB"
    [line] = found["lineItems"]["nodes"]
    assert line["sku"] == "LAMP-1"
    assert line["variant"] == {"id": lamp["id"]}
    assert (line["quantity"], line["refundableQuantity"], line["unfulfilledQuantity"]) == (2, 2, 2)
    assert line["originalUnitPriceSet"]["shopMoney"]["amount"] == "49.99"
    [fo] = found["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "OPEN"
    assert fo["assignedLocation"]["location"]["id"] == main
    assert fo["lineItems"]["nodes"][0]["remainingQuantity"] == 2
    # The purchase commits the units at the fulfilling location: available drops.
    assert levels(shopify, lamp["inventoryItem"]["id"])[main] == {
        "available": 3,
        "committed": 2,
        "on_hand": 5,
    }


def test_a_returning_buyer_is_the_same_customer(shopify: ShopifyClient) -> None:
    stock_product(shopify, "CUP-1", [5])
    first = buy(shopify, {"CUP-1": 1}, email="sam@example.com")
    second = buy(shopify, {"CUP-1": 1}, email="sam@example.com")
    assert first["customer"]["id"] == second["customer"]["id"]


def test_each_line_ships_from_a_location_that_has_it(shopify: ShopifyClient) -> None:
    main, warehouse = location_ids(shopify)
    stock_product(shopify, "A-1", [3, 0])
    stock_product(shopify, "B-1", [0, 4])
    placed = buy(shopify, {"A-1": 2, "B-1": 3})
    found = order(shopify, placed["admin_graphql_api_id"])
    where = {
        fo["lineItems"]["nodes"][0]["lineItem"]["sku"]: fo["assignedLocation"]["location"]["id"]
        for fo in found["fulfillmentOrders"]["nodes"]
    }
    assert where == {"A-1": main, "B-1": warehouse}


def test_orders_page_forwards_and_backwards(shopify: ShopifyClient) -> None:
    stock_product(shopify, "PAGE-1", [50])
    names = []
    for _ in range(5):
        names.append(buy(shopify, {"PAGE-1": 1})["name"])
        shopify.clock.advance(1)
    first = shopify.data(ORDERS, {"first": 2})["orders"]
    assert [e["node"]["name"] for e in first["edges"]] == names[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    second = shopify.data(ORDERS, {"first": 2, "after": first["pageInfo"]["endCursor"]})["orders"]
    assert [e["node"]["name"] for e in second["edges"]] == names[2:4]
    last = shopify.data(ORDERS, {"last": 2})["orders"]
    assert [e["node"]["name"] for e in last["edges"]] == names[3:]
    assert (last["pageInfo"]["hasPreviousPage"], last["pageInfo"]["hasNextPage"]) == (True, False)
    before = shopify.data(ORDERS, {"last": 2, "before": last["pageInfo"]["startCursor"]})
    assert [e["node"]["name"] for e in before["orders"]["edges"]] == names[1:3]
    newest = shopify.data(ORDERS, {"first": 1, "sortKey": "CREATED_AT", "reverse": True})
    assert [e["node"]["name"] for e in newest["orders"]["edges"]] == [names[-1]]


def test_orders_filter_by_time_status_and_financial_status(shopify: ShopifyClient) -> None:
    stock_product(shopify, "F-1", [10])
    early = buy(shopify, {"F-1": 1})
    shopify.clock.advance(3600)
    late = buy(shopify, {"F-1": 1})
    cancel = shopify.http.post(f"/_sandbox/buyers/orders/{late['id']}/cancel")
    assert cancel.status_code == 200, cancel.text

    def names(query: str) -> list[str]:
        found = shopify.data(ORDERS, {"first": 10, "query": query})["orders"]["edges"]
        return [edge["node"]["name"] for edge in found]

    half_hour = _instant(START + timedelta(minutes=30))
    assert names(f"created_at:>'{half_hour}'") == [late["name"]]
    assert names(f"created_at:<='{half_hour}'") == [early["name"]]
    assert names("status:open") == [early["name"]]
    assert names("status:cancelled") == [late["name"]]
    assert names("financial_status:refunded") == [late["name"]]
    assert names("financial_status:paid fulfillment_status:unfulfilled") == [early["name"]]
    assert names("sku:F-1") == [early["name"], late["name"]]


def test_an_updated_at_poll_sees_each_changed_order_exactly_when_it_changed(
    shopify: ShopifyClient,
) -> None:
    stock_product(shopify, "POLL-1", [20])
    seen_at = START - timedelta(seconds=1)

    def poll() -> list[str]:
        nonlocal seen_at
        query = f"updated_at:>'{_instant(seen_at)}'"
        edges = shopify.data(ORDERS, {"first": 50, "query": query, "sortKey": "UPDATED_AT"})
        seen_at = datetime.fromtimestamp(shopify.clock(), UTC)
        shopify.clock.advance(1)
        return [edge["node"]["name"] for edge in edges["orders"]["edges"]]

    a = buy(shopify, {"POLL-1": 1})
    b = buy(shopify, {"POLL-1": 1})
    assert poll() == [a["name"], b["name"]]
    assert poll() == []
    fulfilled = order(shopify, a["admin_graphql_api_id"])["fulfillmentOrders"]["nodes"][0]["id"]
    shopify.data(
        "mutation ($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) "
        "{ userErrors { message } } }",
        {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fulfilled}]}},
    )
    assert poll() == [a["name"]]
    c = buy(shopify, {"POLL-1": 1})
    assert shopify.http.post(f"/_sandbox/buyers/orders/{b['id']}/cancel").status_code == 200
    assert poll() == [b["name"], c["name"]]
    assert poll() == []


def test_an_unknown_or_malformed_order_id_is_null(shopify: ShopifyClient) -> None:
    data = shopify.data(
        'query { a: order(id: "gid://shopify/Order/999") { id } b: order(id: "nonsense") { id } }'
    )
    assert data == {"a": None, "b": None}


def test_orders_need_first_or_last_and_cost_by_first(shopify: ShopifyClient) -> None:
    answer = shopify.run("{ orders { nodes { id } } }")
    assert answer["errors"][0]["message"] == "you must provide one of first or last"
    priced = shopify.run(
        "{ orders(first: 10) { nodes { id name lineItems(first: 5) { nodes { sku } } } } }"
    )
    assert priced["extensions"]["cost"]["requestedQueryCost"] == 2 + 10 * (1 + 2 + 5)
