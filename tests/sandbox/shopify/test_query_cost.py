"""Query cost as Shopify reports it, and the single-query maximum of 1000."""

from __future__ import annotations

from tests.sandbox.shopify.shop_client import ShopifyClient, create_product


def test_every_answer_reports_cost_with_standard_plan_figures(shopify: ShopifyClient) -> None:
    answer = shopify.run("{ shop { name } }")
    assert answer["extensions"]["cost"] == {
        "requestedQueryCost": 1,
        "actualQueryCost": 1,
        "throttleStatus": {
            "maximumAvailable": 2000.0,
            "currentlyAvailable": 1999,
            "restoreRate": 100.0,
        },
    }


def test_connections_are_priced_by_first_and_refunded_by_what_came_back(
    shopify: ShopifyClient,
) -> None:
    create_product(shopify, "Vase", {"S": "VASE-S", "M": "VASE-M"})
    shopify.clock.advance(60)  # refill after the mutation
    answer = shopify.run(
        "{ products(first: 10) { edges { node { id variants(first: 5) { nodes { sku } } } } } }"
    )
    cost = answer["extensions"]["cost"]
    # requested: 2 + 10 x (1 product + 2 + 5 x 1 variant); actual: 2 + 1 x (1 + 2 + 2 x 1)
    assert cost["requestedQueryCost"] == 82
    assert cost["actualQueryCost"] == 7
    assert cost["throttleStatus"]["currentlyAvailable"] == 2000 - 7


def test_a_query_over_1000_points_is_refused_with_max_cost_exceeded(shopify: ShopifyClient) -> None:
    answer = shopify.run(
        "{ products(first: 250) { nodes { id variants(first: 10) { nodes { sku } } } } }"
    )
    assert "data" not in answer
    error = answer["errors"][0]
    assert error["extensions"] == {
        "code": "MAX_COST_EXCEEDED",
        "cost": 3252,
        "maxCost": 1000,
        "documentation": "https://shopify.dev/api/usage/rate-limits",
    }
    assert error["message"].startswith(
        "Query cost is 3252, which exceeds the single query max cost limit (1000)."
    )
    assert answer["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000


def test_fragments_and_variables_are_priced_like_the_inline_query(shopify: ShopifyClient) -> None:
    inline = shopify.run(
        "{ products(first: 20) { nodes { id variants(first: 3) { nodes { sku } } } } }"
    )
    with_fragments = shopify.run(
        """query ($n: Int) { products(first: $n) { nodes { ...P } } }
           fragment P on Product { id variants(first: 3) { nodes { ...V } } }
           fragment V on ProductVariant { sku }""",
        {"n": 20},
    )
    requested = [a["extensions"]["cost"]["requestedQueryCost"] for a in (inline, with_fragments)]
    assert requested == [2 + 20 * (1 + 2 + 3), 2 + 20 * (1 + 2 + 3)]
