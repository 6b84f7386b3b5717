"""Webhook subscriptions made through the API: their queries, their three mutations, and
the rules an address must meet.

A subscription names a topic by its GraphQL enum value (``ORDERS_CREATE``); deliveries
name it the way Shopify's headers do (``orders/create``), and :data:`TOPICS` holds the
pairs for every topic the sandbox emits. Turning events into signed deliveries is
``webhook_delivery``'s job.

User errors follow Shopify's ``UserError`` shape (``field``, ``message``; no code), with
Shopify's messages. The sandbox departs from Shopify in one place, on purpose: it
accepts ``http://`` and local addresses, so that a receiver on this machine can
subscribe, unless ``ShopifySandboxConfig.webhook_https_only`` is set. It delivers
JSON only, so an ``XML`` subscription is refused, and only to HTTP(S) addresses (no
EventBridge or Pub/Sub).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from stockbridge.sandbox.shopify.config import API_VERSION
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.search import Searchable, matches
from stockbridge.sandbox.shopify.state import ShopState, WebhookSubscriptionRecord, gid_number
from stockbridge.sandbox.shopify.webhook_filter import filter_is_valid

#: GraphQL enum value -> the topic as deliveries spell it (``X-Shopify-Topic``).
TOPICS: dict[str, str] = {
    "APP_UNINSTALLED": "app/uninstalled",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_CREATE": "orders/create",
    "ORDERS_FULFILLED": "orders/fulfilled",
    "ORDERS_UPDATED": "orders/updated",
    "PRODUCTS_UPDATE": "products/update",
    "REFUNDS_CREATE": "refunds/create",
}
#: Delivery topic -> GraphQL enum value.
ENUM_OF_TOPIC: dict[str, str] = {topic: enum for enum, topic in TOPICS.items()}

ADDRESS_FIELD = ["webhookSubscription", "callbackUrl"]
NOT_FOUND_MESSAGE = "Webhook subscription does not exist"
TAKEN_MESSAGE = "Address for this topic has already been taken"
INVALID_FILTER_MESSAGE = (
    "The specified filter is invalid, please ensure you specify the field(s) you wish to filter on."
)
#: Host names Shopify refuses as webhook addresses ("a Shopify or an internal domain").
_REFUSED_SUFFIXES = (".internal", ".local", ".localhost", ".myshopify.com", ".shopify.com")


def _ctx(info: Info) -> ResolveContext:
    return info.context


def _user_error(field: list[str], message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


# --- addresses ----------------------------------------------------------------------


def _is_internal(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in ("localhost", "shopify.com", "myshopify.com") or host.endswith(_REFUSED_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def address_errors(uri: str, *, https_only: bool) -> list[dict[str, Any]]:
    """Why ``uri`` cannot receive webhooks; empty when it can.

    ``https_only`` applies Shopify's own rule: HTTPS, and not a local or Shopify host.
    """
    if not uri.strip():
        return [_user_error(ADDRESS_FIELD, "Address can't be blank")]
    try:
        parts = urlsplit(uri.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return [_user_error(ADDRESS_FIELD, "Address is invalid")]
    if parts.scheme not in ("http", "https") or not host:
        return [_user_error(ADDRESS_FIELD, "Address is invalid")]
    errors = []
    if https_only and parts.scheme == "http":
        errors.append(_user_error(ADDRESS_FIELD, "Address protocol http:// is not supported"))
    if https_only and _is_internal(host):
        errors.append(
            _user_error(ADDRESS_FIELD, "Address cannot be a Shopify or an internal domain")
        )
    return errors


# --- reading ------------------------------------------------------------------------


def _search(record: WebhookSubscriptionRecord) -> Searchable:
    return Searchable(
        text={"id": [str(gid_number(record.id))]},
        times={"created_at": record.created_at, "updated_at": record.updated_at},
    )


def resolve_subscriptions(
    _root: None,
    info: Info,
    topics: list[str] | None = None,
    format: str | None = None,
    uri: str | None = None,
    callbackUrl: str | None = None,  # noqa: N803 (GraphQL argument name)
    query: str | None = None,
    reverse: bool = False,
    first: int | None = None,
    after: str | None = None,
) -> dict[str, Any]:
    address = uri if uri is not None else callbackUrl
    state = _ctx(info).state
    with state.lock:  # the delivery thread may remove a failing subscription meanwhile
        records = list(state.webhook_subscriptions.values())
    found = [
        record
        for record in records
        if (topics is None or record.topic in topics)
        and (format is None or record.format == format)
        and (address is None or record.uri == address)
        and matches(query, _search(record))
    ]
    # Created-at order is id order: ids come from one growing counter.
    return connection(
        found, key=lambda r: gid_number(r.id), first=first, after=after, reverse=reverse
    )


def subscriptions_for(state: ShopState, topic: str) -> list[WebhookSubscriptionRecord]:
    """The subscriptions an event of ``topic`` (``orders/create`` spelling) goes to."""
    enum = ENUM_OF_TOPIC.get(topic)
    return [s for s in state.webhook_subscriptions.values() if enum and s.topic == enum]


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "QueryRoot": {
        "webhookSubscription": lambda _root, info, id: _ctx(info).state.webhook_subscriptions.get(
            id
        ),
        "webhookSubscriptions": resolve_subscriptions,
    },
    "WebhookSubscription": {
        "callbackUrl": lambda record, _info: record.uri,
        "apiVersion": lambda _record, _info: {
            "handle": API_VERSION,
            "displayName": API_VERSION,
            "supported": True,
        },
    },
}


# --- mutations ----------------------------------------------------------------------


def _input_errors(
    state: ShopState,
    candidate: WebhookSubscriptionRecord,
    https_only: bool,
) -> list[dict[str, Any]]:
    errors = address_errors(candidate.uri, https_only=https_only)
    if candidate.format != "JSON":
        errors.append(
            _user_error(
                ["webhookSubscription", "format"],
                "Format 'xml' is not delivered by the sandbox. Allowed formats: json",
            )
        )
    taken = any(
        other.id != candidate.id
        and other.topic == candidate.topic
        and other.uri == candidate.uri
        and other.format == candidate.format
        and other.filter == candidate.filter
        for other in state.webhook_subscriptions.values()
    )
    if taken:
        errors.append(_user_error(ADDRESS_FIELD, TAKEN_MESSAGE))
    if candidate.filter is not None and not filter_is_valid(candidate.filter):
        errors.append(_user_error(["webhookSubscription"], INVALID_FILTER_MESSAGE))
    return errors


def _address_of(given: Any) -> str | None:
    # ``uri`` replaced the deprecated ``callbackUrl``; a client may send either.
    uri = given.get("uri")
    return str(uri) if uri is not None else given.get("callbackUrl")


def _apply(record: WebhookSubscriptionRecord, given: Any) -> WebhookSubscriptionRecord:
    changes: dict[str, Any] = {}
    address = _address_of(given)
    if address is not None:
        changes["uri"] = address.strip()
    if given.get("format") is not None:
        changes["format"] = given["format"]
    if given.get("includeFields") is not None:
        changes["include_fields"] = list(given["includeFields"])
    if given.get("metafieldNamespaces") is not None:
        changes["metafield_namespaces"] = list(given["metafieldNamespaces"])
    if "filter" in given:
        changes["filter"] = given["filter"] or None
    return record.model_copy(update=changes)


def resolve_create(_root: None, info: Info, topic: str, webhookSubscription: Any) -> Any:  # noqa: N803
    context = _ctx(info)
    state = context.state
    with state.lock:
        blank = WebhookSubscriptionRecord(
            id="", topic=topic, uri="", created_at=context.now, updated_at=context.now
        )
        candidate = _apply(blank, webhookSubscription)
        errors = _input_errors(state, candidate, context.webhook_https_only)
        if errors:
            return {"webhookSubscription": None, "userErrors": errors}
        record = candidate.model_copy(update={"id": state.new_id("WebhookSubscription")})
        state.webhook_subscriptions[record.id] = record
        context.changed = True
        return {"webhookSubscription": record, "userErrors": []}


def resolve_update(_root: None, info: Info, id: str, webhookSubscription: Any) -> Any:  # noqa: N803
    context = _ctx(info)
    state = context.state
    with state.lock:
        existing = state.webhook_subscriptions.get(id)
        if existing is None:
            missing = [_user_error(["id"], NOT_FOUND_MESSAGE)]
            return {"webhookSubscription": None, "userErrors": missing}
        candidate = _apply(existing, webhookSubscription).model_copy(
            update={"updated_at": context.now}
        )
        errors = _input_errors(state, candidate, context.webhook_https_only)
        if errors:
            return {"webhookSubscription": None, "userErrors": errors}
        state.webhook_subscriptions[id] = candidate
        context.changed = True
        return {"webhookSubscription": candidate, "userErrors": []}


def resolve_delete(_root: None, info: Info, id: str) -> dict[str, Any]:
    context = _ctx(info)
    with context.state.lock:
        if context.state.webhook_subscriptions.pop(id, None) is None:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [_user_error(["id"], NOT_FOUND_MESSAGE)],
            }
        context.changed = True
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {
    "webhookSubscriptionCreate": resolve_create,
    "webhookSubscriptionUpdate": resolve_update,
    "webhookSubscriptionDelete": resolve_delete,
}
