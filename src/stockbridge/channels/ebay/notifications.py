"""Commerce Notification registration: alert email, one destination, the subscriptions.

:func:`register` is safe to call again and again: it sets the alert email
(updateConfig, which every other Notification call needs first), reuses the
destination whose endpoint is the callback URL (updating its verification token or
status when they differ; creating it otherwise, which makes eBay challenge the
endpoint at once, so the endpoint must already answer), then, for each of
:data:`WANTED_TOPICS` that getTopics offers, reuses the subscription of that topic and
schema version (enabling it and pointing it at the destination when needed) or
creates it ENABLED.

Tokens: config, destinations, topics and APPLICATION topics (MARKETPLACE_ACCOUNT_DELETION)
take the app's token; USER topics (ORDER_CONFIRMATION) the seller's, with
``commerce.notification.subscription``. eBay keeps one subscription per topic and
version for the whole application.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stockbridge.channels.ebay.client import Api, EbayClient, created_id
from stockbridge.errors import ChannelError, ChannelErrorCategory

NOTIFICATION = "/commerce/notification/v1"
#: The topics stockbridge listens to: the account deletion every app must honour, and
#: new orders (a hint to poll early; polling stays the backbone).
WANTED_TOPICS = ("MARKETPLACE_ACCOUNT_DELETION", "ORDER_CONFIRMATION")
DESTINATION_NAME = "stockbridge"
PAGE_LIMIT = "100"


def _pages(client: EbayClient, path: str, key: str) -> Iterator[Mapping[str, Any]]:
    """Every entry of a Notification list, following ``continuation_token``."""
    params = {"limit": PAGE_LIMIT}
    while True:
        body = client.json(Api.NOTIFICATION, "GET", f"{NOTIFICATION}{path}", params=params)
        yield from body.get(key) or []
        token = _continuation(str(body.get("next") or ""))
        if not token:
            return
        params = {"limit": PAGE_LIMIT, "continuation_token": token}


def _continuation(next_url: str) -> str | None:
    _, _, query = next_url.partition("?")
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name == "continuation_token" and value:
            return value
    return None


def _created_id(client: EbayClient, path: str, body: Mapping[str, Any]) -> str:
    answer = client.request(Api.NOTIFICATION, "POST", f"{NOTIFICATION}{path}", json=body)
    return created_id(answer, f"a {path.strip('/')}")


def _destination(app: EbayClient, endpoint: str, verification_token: str) -> str:
    wanted = {
        "name": DESTINATION_NAME,
        "status": "ENABLED",
        "deliveryConfig": {"endpoint": endpoint, "verificationToken": verification_token},
    }
    for found in _pages(app, "/destination", "destinations"):
        config = found.get("deliveryConfig") or {}
        if config.get("endpoint") != endpoint:
            continue
        destination_id = str(found["destinationId"])
        if found.get("status") != "ENABLED" or config.get("verificationToken") != (
            verification_token
        ):
            path = f"{NOTIFICATION}/destination/{destination_id}"
            app.request(Api.NOTIFICATION, "PUT", path, json=wanted | {"name": found.get("name")})
        return destination_id
    return _created_id(app, "/destination", wanted)


def _schema_version(topic: Mapping[str, Any]) -> str:
    versions = [
        str(payload["schemaVersion"])
        for payload in topic.get("supportedPayloads") or []
        if payload.get("schemaVersion") and not payload.get("deprecated")
    ]
    return max(versions, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))


def _subscription(
    client: EbayClient,
    existing: list[Mapping[str, Any]],
    topic_id: str,
    version: str,
    destination_id: str,
) -> str:
    payload = {"format": "JSON", "schemaVersion": version, "deliveryProtocol": "HTTPS"}
    wanted = {"status": "ENABLED", "destinationId": destination_id, "payload": payload}
    for found in existing:
        if (
            found.get("topicId") != topic_id
            or (found.get("payload") or {}).get("schemaVersion") != version
        ):
            continue
        subscription_id = str(found["subscriptionId"])
        if found.get("status") != "ENABLED" or found.get("destinationId") != destination_id:
            path = f"{NOTIFICATION}/subscription/{subscription_id}"
            client.request(Api.NOTIFICATION, "PUT", path, json=wanted)
        return subscription_id
    return _created_id(client, "/subscription", wanted | {"topicId": topic_id})


def register(
    app: EbayClient,
    seller: EbayClient,
    endpoint: str,
    verification_token: str,
    alert_email: str,
) -> list[str]:
    """Make eBay deliver :data:`WANTED_TOPICS` to ``endpoint``; the subscription ids."""
    if not verification_token or not alert_email:
        raise ChannelError(
            "eBay notifications need the connection's verification_token and alert_email",
            category=ChannelErrorCategory.VALIDATION,
        )
    app.request(Api.NOTIFICATION, "PUT", f"{NOTIFICATION}/config", json={"alertEmail": alert_email})
    destination_id = _destination(app, endpoint, verification_token)
    topics = {str(t.get("topicId")): t for t in _pages(app, "/topic", "topics")}
    existing = list(_pages(app, "/subscription", "subscriptions"))
    ids = []
    for topic_id in WANTED_TOPICS:
        topic = topics.get(topic_id)
        if topic is None:
            continue
        client = app if topic.get("scope") == "APPLICATION" else seller
        version = _schema_version(topic)
        ids.append(_subscription(client, existing, topic_id, version, destination_id))
    return ids
