"""What several Shopify adapter test modules share: listings and direct sandbox queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from stockbridge.channels.base import ListingPayload, Money
from stockbridge.channels.registry import ChannelConnection
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.sandbox.shopify import API_VERSION, ShopifySandbox

GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
TOKEN = "shpat_adapter_test"
#: The shop owner's own token for direct queries: a bucket of its own, apart from the adapter's.
OWNER_TOKEN = "shpat_owner_test"
TOKENS = frozenset({TOKEN, OWNER_TOKEN})


@dataclass
class RunningSandbox:
    """A sandbox served over HTTP, and a plain client on its control API."""

    url: str
    app_sandbox: ShopifySandbox
    control: httpx.Client

    def calls(self) -> dict[str, int]:
        counts: dict[str, int] = self.control.get("/_sandbox/calls").json()["counts"]
        return counts

    def clear_calls(self) -> None:
        self.control.delete("/_sandbox/calls").raise_for_status()

    def fault(self, **rule: Any) -> None:
        self.control.post("/_sandbox/faults", json=rule).raise_for_status()

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.control.get("/_sandbox/state").json()
        return state

    def connect(self, **settings: Any) -> ShopifyAdapter:
        connection = ChannelConnection(
            channel_id=1,
            base_url=self.url,
            credentials={"access_token": TOKEN},
            settings={"timeout_seconds": 5, **settings},
        )
        return ShopifyAdapter(connection)


def listing(sku: str, quantity: int = 3, cents: int = 1250, **extra: Any) -> ListingPayload:
    return ListingPayload(
        sku=sku,
        title=extra.pop("title", f"Item {sku}"),
        description=extra.pop("description", "A fine thing.\n\nSecond paragraph."),
        price=Money(cents, extra.pop("currency", "GBP")),
        quantity=quantity,
        **extra,
    )


def graphql(sandbox: RunningSandbox, query: str, variables: dict[str, Any] | None = None) -> Any:
    """Ask the sandbox directly, as the shop's own admin would (outside the adapter)."""
    response = sandbox.control.post(
        GRAPHQL_PATH,
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": OWNER_TOKEN},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


AVAILABLE = """
query Available($query: String!, $locationId: ID!, $after: String) {
  productVariants(first: 100, after: $after, query: $query) {
    nodes {
      sku
      price
      product { id status handle title }
      inventoryItem {
        id
        inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { quantity } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def shop_variants(sandbox: RunningSandbox, location_id: str, query: str = "") -> dict[str, Any]:
    """Variants by SKU as the shop shows them, with ``available`` at the location."""
    found: dict[str, Any] = {}
    after = None
    while True:
        variables = {"query": query, "locationId": location_id, "after": after}
        page = graphql(sandbox, AVAILABLE, variables)["productVariants"]
        for node in page["nodes"]:
            level = node["inventoryItem"]["inventoryLevel"]
            node["available"] = level["quantities"][0]["quantity"] if level else None
            found[node["sku"]] = node
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return found


def on_sale(adapter: ShopifyAdapter, skus: dict[str, int], cents: int = 1250) -> None:
    """List and publish each SKU with its stock, so buyers can order it."""
    adapter.upsert_listings([listing(sku, quantity=q, cents=cents) for sku, q in skus.items()])
    for sku in skus:
        adapter.publish(sku)


def buy(sandbox: RunningSandbox, lines: dict[str, int], **extra: Any) -> str:
    """A buyer's order through the sandbox's control API; its GraphQL id."""
    body = {"line_items": [{"sku": sku, "quantity": q} for sku, q in lines.items()], **extra}
    response = sandbox.control.post("/_sandbox/buyers/orders", json=body)
    assert response.status_code == 201, response.text
    order_id: str = response.json()["admin_graphql_api_id"]
    return order_id
