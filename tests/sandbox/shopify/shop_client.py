"""How the Shopify sandbox tests talk to the sandbox: a GraphQL client over HTTP, a fake
clock, and the documents several test modules share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from stockbridge.sandbox.shopify import API_VERSION, ShopifySandbox

TOKEN = "shpat_test_token"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """Seconds since the epoch, moved only by :meth:`advance`."""

    now: float = field(default_factory=START.timestamp)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class ShopifyClient:
    """An httpx client on the sandbox, speaking GraphQL as an Admin API app does."""

    http: httpx.Client
    sandbox: ShopifySandbox
    clock: FakeClock

    def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str = TOKEN
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return self.http.post(GRAPHQL_PATH, json=body, headers={"X-Shopify-Access-Token": token})

    def run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The full JSON answer of a 200 response."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of an answer that must have no top-level errors."""
        answer = self.run(query, variables)
        assert "errors" not in answer, answer["errors"]
        data: dict[str, Any] = answer["data"]
        return data


PRODUCT_SET = """
mutation Set($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id title handle status updatedAt
      options { name values }
      variants(first: 10) {
        nodes { id sku price title inventoryQuantity inventoryItem { id } }
      }
    }
    userErrors { field message code }
  }
}
"""


def product_input(title: str, skus: dict[str, str], **extra: Any) -> dict[str, Any]:
    """A productSet input with one option "Size" and one variant per (size -> sku)."""
    return {
        "title": title,
        "status": "ACTIVE",
        "productOptions": [{"name": "Size", "values": [{"name": size} for size in skus]}],
        "variants": [
            {"sku": sku, "price": "10.00", "optionValues": [{"optionName": "Size", "name": size}]}
            for size, sku in skus.items()
        ],
        **extra,
    }


def create_product(
    shopify: ShopifyClient, title: str, skus: dict[str, str], **extra: Any
) -> dict[str, Any]:
    result = shopify.data(PRODUCT_SET, {"input": product_input(title, skus, **extra)})["productSet"]
    assert result["userErrors"] == []
    product: dict[str, Any] = result["product"]
    return product


def location_ids(shopify: ShopifyClient) -> list[str]:
    data = shopify.data("{ locations(first: 10) { nodes { id } } }")
    return [node["id"] for node in data["locations"]["nodes"]]
