"""The endpoint as Shopify exposes it: version in the path, token auth, shop and locations."""

from __future__ import annotations

from stockbridge.sandbox.shopify.app import INVALID_TOKEN_MESSAGE
from tests.sandbox.shopify.shop_client import TOKEN, ShopifyClient


def test_a_missing_or_wrong_token_is_refused_with_shopifys_401(shopify: ShopifyClient) -> None:
    missing = shopify.http.post(
        "/admin/api/2025-10/graphql.json", json={"query": "{ shop { name } }"}
    )
    wrong = shopify.post("{ shop { name } }", token="shpat_wrong")
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json() == {"errors": INVALID_TOKEN_MESSAGE}


def test_an_unserved_api_version_is_not_found(shopify: ShopifyClient) -> None:
    response = shopify.http.post(
        "/admin/api/2023-01/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": TOKEN},
    )
    assert response.status_code == 404


def test_a_body_without_query_is_a_400(shopify: ShopifyClient) -> None:
    response = shopify.http.post(
        "/admin/api/2025-10/graphql.json",
        json={"variables": {}},
        headers={"X-Shopify-Access-Token": TOKEN},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_shop_answers_the_configured_shop(shopify: ShopifyClient) -> None:
    data = shopify.data(
        "{ shop { id name myshopifyDomain currencyCode ianaTimezone url createdAt } }"
    )
    shop = data["shop"]
    assert shop["id"] == "gid://shopify/Shop/1"
    assert shop["name"] == "Stockbridge Sandbox"
    assert shop["myshopifyDomain"] == "stockbridge-sandbox.myshopify.com"
    assert shop["url"] == "https://stockbridge-sandbox.myshopify.com"
    assert shop["currencyCode"] == "GBP"
    assert shop["createdAt"] == "2026-01-05T09:00:00Z"


def test_locations_page_with_first_and_after(shopify: ShopifyClient) -> None:
    query = """
      query ($after: String) {
        locations(first: 1, after: $after) {
          edges { cursor node { id name isActive legacyResourceId } }
          pageInfo { hasNextPage hasPreviousPage endCursor }
        }
      }
    """
    first = shopify.data(query)["locations"]
    assert [e["node"]["name"] for e in first["edges"]] == ["Main Street"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    node = first["edges"][0]["node"]
    assert node["legacyResourceId"] == node["id"].rsplit("/", 1)[1]
    second = shopify.data(query, {"after": first["pageInfo"]["endCursor"]})["locations"]
    assert [e["node"]["name"] for e in second["edges"]] == ["Warehouse"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True


def test_a_connection_without_first_is_refused_as_shopify_does(shopify: ShopifyClient) -> None:
    answer = shopify.run("{ locations { nodes { id } } }")
    assert answer["errors"][0]["message"] == "you must provide one of first or last"


def test_operation_name_picks_one_of_several_operations(shopify: ShopifyClient) -> None:
    document = "query A { shop { name } } query B { locations(first: 1) { nodes { name } } }"
    headers = {"X-Shopify-Access-Token": TOKEN}
    url = "/admin/api/2025-10/graphql.json"
    chosen = shopify.http.post(url, json={"query": document, "operationName": "B"}, headers=headers)
    assert chosen.json()["data"] == {"locations": {"nodes": [{"name": "Main Street"}]}}
    unnamed = shopify.http.post(url, json={"query": document}, headers=headers).json()
    assert unnamed["errors"][0]["message"].startswith("Must provide operation name")


def test_syntax_and_variable_errors_are_graphql_errors_with_status_200(
    shopify: ShopifyClient,
) -> None:
    syntax = shopify.run("{ shop { name }")
    assert "Syntax Error" in syntax["errors"][0]["message"]
    wrong_type = shopify.run(
        "query ($n: Int) { locations(first: $n) { nodes { id } } }", {"n": "x"}
    )
    assert "$n" in wrong_type["errors"][0]["message"]
