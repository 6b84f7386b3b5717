"""The webhook documents and helpers the Shopify webhook tests share."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.sandbox.shopify.shop_client import ShopifyClient
from tests.sandbox.shopify.webhook_receiver import CLIENT_SECRET, Receiver

#: Shopify's 4 hours of retries pass in about 0.15 s.
TIME_SCALE = 1e-5
TIMEOUT_SECONDS = 0.5

SUBSCRIPTION_FIELDS = """
  id legacyResourceId topic uri callbackUrl format includeFields metafieldNamespaces filter
  apiVersion { handle } createdAt updatedAt
"""

CREATE = f"""
mutation Create($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {{
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {{
    webhookSubscription {{ {SUBSCRIPTION_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

UPDATE = f"""
mutation Update($id: ID!, $sub: WebhookSubscriptionInput!) {{
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $sub) {{
    webhookSubscription {{ {SUBSCRIPTION_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

DELETE = """
mutation Delete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}
"""

ONE = f"""
query One($id: ID!) {{ webhookSubscription(id: $id) {{ {SUBSCRIPTION_FIELDS} }} }}
"""

LIST = """
query List($first: Int!, $after: String, $topics: [WebhookSubscriptionTopic!], $uri: String,
           $reverse: Boolean, $query: String) {
  webhookSubscriptions(first: $first, after: $after, topics: $topics, uri: $uri,
                       reverse: $reverse, query: $query) {
    edges { cursor node { id topic uri } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""

INVENTORY_LEVEL_UPDATE = {
    "inventory_item_id": 271878346596884015,
    "location_id": 24826418,
    "available": 6,
    "updated_at": "2026-01-05T09:00:00+00:00",
    "admin_graphql_api_id": "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015",
}


def webhook_config(config: ShopifySandboxConfig, receiver: Receiver) -> ShopifySandboxConfig:
    """The test config with fast retries, a short timeout and the receiver as compliance URL."""
    return replace(
        config,
        client_secret=CLIENT_SECRET,
        webhook_time_scale=TIME_SCALE,
        webhook_timeout_seconds=TIMEOUT_SECONDS,
        compliance_webhook_url=f"{receiver.url}/compliance",
    )


def create(shopify: ShopifyClient, topic: str, **subscription: Any) -> dict[str, Any]:
    """The webhookSubscriptionCreate payload (``webhookSubscription`` and ``userErrors``)."""
    data = shopify.data(CREATE, {"topic": topic, "sub": subscription})
    payload: dict[str, Any] = data["webhookSubscriptionCreate"]
    return payload


def subscribe(shopify: ShopifyClient, topic: str, uri: str, **more: Any) -> dict[str, Any]:
    payload = create(shopify, topic, uri=uri, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    subscription: dict[str, Any] = payload["webhookSubscription"]
    return subscription
