"""Shopify webhooks: subscribing to the topics stockbridge needs, and verifying a delivery.

:func:`ensure_subscriptions` reads the subscriptions the app already has for the
callback and creates only the missing ones (``webhookSubscriptionCreate``), so calling
it again never makes a duplicate.

A delivery is accepted only when ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of
the raw body keyed with the app's client secret, compared in constant time, before the
body is parsed. ``X-Shopify-Webhook-Id`` becomes the delivery id repeats are
de-duplicated on (DESIGN.md section 4); the topic, trigger time and resource id come
from the other ``X-Shopify-*`` headers and the payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from stockbridge.channels.base import WebhookEvent, WebhookRequest
from stockbridge.channels.shopify.client import ShopifyGraphQLClient, error_from_user_errors
from stockbridge.channels.shopify.documents import (
    WEBHOOK_SUBSCRIPTION_CREATE,
    WEBHOOK_SUBSCRIPTIONS,
)
from stockbridge.errors import ChannelError, ChannelErrorCategory

#: GraphQL topic names stockbridge needs: orders, refunds, returns, stock, products
#: (listings changed in the shop's admin), and losing the install.
TOPICS: tuple[str, ...] = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "REFUNDS_CREATE",
    "RETURNS_REQUEST",
    "INVENTORY_LEVELS_UPDATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "APP_UNINSTALLED",
)
SUBSCRIPTIONS_PAGE = 50


def ensure_subscriptions(client: ShopifyGraphQLClient, callback_url: str) -> list[str]:
    """Subscribes ``callback_url`` to every topic in :data:`TOPICS` it lacks; returns the
    subscription ids (existing and new), in the order of :data:`TOPICS`."""
    existing: dict[str, str] = {}
    after: str | None = None
    while True:
        data = client.execute(
            WEBHOOK_SUBSCRIPTIONS,
            {"first": SUBSCRIPTIONS_PAGE, "after": after, "topics": list(TOPICS)},
        )
        page = data["webhookSubscriptions"]
        for node in page["nodes"]:
            if node["uri"] == callback_url:
                existing[node["topic"]] = node["id"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    ids: list[str] = []
    for topic in TOPICS:
        if topic in existing:
            ids.append(existing[topic])
            continue
        result = client.execute(
            WEBHOOK_SUBSCRIPTION_CREATE,
            {"topic": topic, "subscription": {"uri": callback_url, "format": "JSON"}},
        )["webhookSubscriptionCreate"]
        if result["userErrors"]:
            raise error_from_user_errors("webhookSubscriptionCreate", result["userErrors"])
        ids.append(result["webhookSubscription"]["id"])
    return ids


def _refused(message: str) -> ChannelError:
    return ChannelError(message, category=ChannelErrorCategory.AUTH_FAILED)


def verify_shopify_hmac(secret: str, body: bytes, header: str | None) -> bool:
    """Is ``header`` base64(HMAC-SHA256(secret, body))? Constant-time."""
    if not header:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.strip().encode())


def _triggered_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_delivery(request: WebhookRequest, client_secret: str) -> WebhookEvent:
    """A verified :class:`WebhookEvent`, or AUTH_FAILED (forged) / VALIDATION (malformed)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not verify_shopify_hmac(client_secret, request.body, headers.get("x-shopify-hmac-sha256")):
        raise _refused("the webhook's X-Shopify-Hmac-Sha256 does not verify")
    delivery_id = headers.get("x-shopify-webhook-id")
    topic = headers.get("x-shopify-topic")
    if not delivery_id or not topic:
        raise ChannelError(
            "the webhook lacks X-Shopify-Webhook-Id or X-Shopify-Topic",
            category=ChannelErrorCategory.VALIDATION,
        )
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError as error:
        raise ChannelError(
            "the webhook's body is not JSON", category=ChannelErrorCategory.VALIDATION
        ) from error
    if not isinstance(payload, dict):
        raise ChannelError(
            "the webhook's body is not a JSON object", category=ChannelErrorCategory.VALIDATION
        )
    resource = payload.get("admin_graphql_api_id") or payload.get("id")
    if resource is None and "inventory_item_id" in payload:
        resource = payload["inventory_item_id"]
    return WebhookEvent(
        delivery_id=delivery_id,
        topic=topic,
        occurred_at=_triggered_at(headers.get("x-shopify-triggered-at")),
        resource_id=str(resource) if resource is not None else None,
        payload=payload,
    )
