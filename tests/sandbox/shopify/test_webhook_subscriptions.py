"""Webhook subscriptions through the GraphQL Admin API: create, read, page, update, delete,
with Shopify's user errors, and kept in the state file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from graphql import GraphQLEnumType

from stockbridge.sandbox.shopify import ShopifySandboxConfig, create_app
from stockbridge.sandbox.shopify.graph import sandbox_schema
from stockbridge.sandbox.shopify.webhooks import TOPICS
from tests.sandbox.servers import serve_in_thread
from tests.sandbox.shopify.contract import validate_against_official
from tests.sandbox.shopify.shop_client import FakeClock, ShopifyClient
from tests.sandbox.shopify.webhook_client import (
    CREATE,
    DELETE,
    LIST,
    ONE,
    UPDATE,
    create,
    subscribe,
)

HOOK = "https://hooks.example.com/shopify"
ADDRESS = ["webhookSubscription", "callbackUrl"]


def test_every_document_here_is_valid_for_shopify() -> None:
    for document in (CREATE, UPDATE, DELETE, ONE, LIST):
        assert validate_against_official(document) == [], document


def test_every_topic_we_serve_has_its_delivery_spelling() -> None:
    topic_enum = sandbox_schema().type_map["WebhookSubscriptionTopic"]
    assert isinstance(topic_enum, GraphQLEnumType)
    assert set(topic_enum.values) == set(TOPICS)
    assert TOPICS["INVENTORY_LEVELS_UPDATE"] == "inventory_levels/update"


def test_create_answers_the_subscription_and_reads_it_back(shopify: ShopifyClient) -> None:
    made = subscribe(
        shopify, "ORDERS_CREATE", HOOK, includeFields=["id", "line_items.sku"], format="JSON"
    )
    assert made["id"].startswith("gid://shopify/WebhookSubscription/")
    assert made["legacyResourceId"] == made["id"].rsplit("/", 1)[1]
    assert made["topic"] == "ORDERS_CREATE"
    assert made["uri"] == made["callbackUrl"] == HOOK
    assert made["format"] == "JSON"
    assert made["includeFields"] == ["id", "line_items.sku"]
    assert made["metafieldNamespaces"] == []
    assert made["filter"] is None
    assert made["apiVersion"] == {"handle": "2025-10"}
    assert made["createdAt"] == made["updatedAt"] == "2026-01-05T09:00:00Z"
    assert shopify.data(ONE, {"id": made["id"]})["webhookSubscription"] == made


def test_the_deprecated_callback_url_still_subscribes(shopify: ShopifyClient) -> None:
    made = create(shopify, "PRODUCTS_UPDATE", callbackUrl=HOOK)["webhookSubscription"]
    assert made["uri"] == HOOK


def test_the_same_address_for_the_same_topic_is_taken(shopify: ShopifyClient) -> None:
    subscribe(shopify, "ORDERS_CREATE", HOOK)
    again = create(shopify, "ORDERS_CREATE", uri=HOOK)
    assert again == {
        "webhookSubscription": None,
        "userErrors": [
            {"field": ADDRESS, "message": "Address for this topic has already been taken"}
        ],
    }
    # Another topic, or another filter, is another subscription.
    subscribe(shopify, "ORDERS_UPDATED", HOOK)
    subscribe(shopify, "ORDERS_CREATE", HOOK, filter="financial_status:paid")
    listed = shopify.data(LIST, {"first": 10})["webhookSubscriptions"]["edges"]
    assert len(listed) == 3


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "Address can't be blank"),
        ("   ", "Address can't be blank"),
        ("not a url", "Address is invalid"),
        ("ftp://hooks.example.com/x", "Address is invalid"),
        ("https://", "Address is invalid"),
        ("https://hooks.example.com:99999/x", "Address is invalid"),
    ],
)
def test_an_unusable_address_is_a_user_error(
    shopify: ShopifyClient, uri: str, message: str
) -> None:
    answer = create(shopify, "ORDERS_CREATE", uri=uri)
    assert answer == {
        "webhookSubscription": None,
        "userErrors": [{"field": ADDRESS, "message": message}],
    }
    assert shopify.sandbox.state.webhook_subscriptions == {}


def test_no_address_at_all_is_blank(shopify: ShopifyClient) -> None:
    answer = create(shopify, "ORDERS_CREATE", format="JSON")
    assert answer["userErrors"] == [{"field": ADDRESS, "message": "Address can't be blank"}]


def test_xml_and_a_filter_without_fields_are_refused(shopify: ShopifyClient) -> None:
    xml = create(shopify, "ORDERS_CREATE", uri=HOOK, format="XML")
    assert xml["userErrors"][0]["field"] == ["webhookSubscription", "format"]
    bare = create(shopify, "ORDERS_CREATE", uri=HOOK, filter="paid")
    assert bare["userErrors"] == [
        {
            "field": ["webhookSubscription"],
            "message": "The specified filter is invalid, please ensure you specify the "
            "field(s) you wish to filter on.",
        }
    ]
    assert shopify.sandbox.state.webhook_subscriptions == {}


@pytest.fixture
def strict_shopify(config: ShopifySandboxConfig, clock: FakeClock) -> ShopifyClient:
    app = create_app(replace(config, webhook_https_only=True))
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url) as http:
        yield ShopifyClient(http, app.state.sandbox, clock)


@pytest.mark.parametrize(
    ("uri", "messages"),
    [
        ("http://hooks.example.com/x", ["Address protocol http:// is not supported"]),
        (
            "http://localhost:8000/webhooks",
            [
                "Address protocol http:// is not supported",
                "Address cannot be a Shopify or an internal domain",
            ],
        ),
        ("https://127.0.0.1/x", ["Address cannot be a Shopify or an internal domain"]),
        ("https://other.myshopify.com/x", ["Address cannot be a Shopify or an internal domain"]),
    ],
)
def test_with_shopifys_https_rule_local_and_plain_http_addresses_are_refused(
    strict_shopify: ShopifyClient, uri: str, messages: list[str]
) -> None:
    answer = create(strict_shopify, "ORDERS_CREATE", uri=uri)
    assert answer["userErrors"] == [{"field": ADDRESS, "message": m} for m in messages]
    assert subscribe(strict_shopify, "ORDERS_CREATE", HOOK)["uri"] == HOOK


def test_update_changes_what_it_is_given(shopify: ShopifyClient, clock: FakeClock) -> None:
    made = subscribe(shopify, "ORDERS_CREATE", HOOK, includeFields=["id"])
    clock.advance(60)
    answer = shopify.data(
        UPDATE, {"id": made["id"], "sub": {"uri": "https://hooks.example.com/v2"}}
    )["webhookSubscriptionUpdate"]
    assert answer["userErrors"] == []
    updated = answer["webhookSubscription"]
    assert updated["uri"] == "https://hooks.example.com/v2"
    assert updated["includeFields"] == ["id"]  # not given: kept
    assert updated["createdAt"] == "2026-01-05T09:00:00Z"
    assert updated["updatedAt"] == "2026-01-05T09:01:00Z"


def test_update_refuses_an_unknown_id_and_a_taken_address(shopify: ShopifyClient) -> None:
    missing = shopify.data(
        UPDATE, {"id": "gid://shopify/WebhookSubscription/999", "sub": {"uri": HOOK}}
    )["webhookSubscriptionUpdate"]
    assert missing == {
        "webhookSubscription": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }
    subscribe(shopify, "ORDERS_CREATE", HOOK)
    other = subscribe(shopify, "ORDERS_CREATE", "https://hooks.example.com/other")
    clash = shopify.data(UPDATE, {"id": other["id"], "sub": {"uri": HOOK}})
    assert clash["webhookSubscriptionUpdate"]["userErrors"][0]["message"] == (
        "Address for this topic has already been taken"
    )
    stored = shopify.sandbox.state.webhook_subscriptions[other["id"]]
    assert stored.uri == "https://hooks.example.com/other"  # unchanged


def test_delete_removes_it_once(shopify: ShopifyClient) -> None:
    made = subscribe(shopify, "ORDERS_CREATE", HOOK)
    gone = shopify.data(DELETE, {"id": made["id"]})["webhookSubscriptionDelete"]
    assert gone == {"deletedWebhookSubscriptionId": made["id"], "userErrors": []}
    assert shopify.data(ONE, {"id": made["id"]}) == {"webhookSubscription": None}
    again = shopify.data(DELETE, {"id": made["id"]})["webhookSubscriptionDelete"]
    assert again == {
        "deletedWebhookSubscriptionId": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
    }


def test_subscriptions_page_by_cursor_and_filter_by_topic_and_uri(shopify: ShopifyClient) -> None:
    made = [
        subscribe(shopify, topic, f"https://hooks.example.com/{n}")
        for n, topic in enumerate(
            ["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CREATE", "APP_UNINSTALLED", "ORDERS_CREATE"]
        )
    ]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = shopify.data(LIST, {"first": 2, "after": after})["webhookSubscriptions"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [m["id"] for m in made]

    orders = shopify.data(LIST, {"first": 10, "topics": ["ORDERS_CREATE"]})
    assert [e["node"]["uri"] for e in orders["webhookSubscriptions"]["edges"]] == [
        "https://hooks.example.com/0",
        "https://hooks.example.com/2",
        "https://hooks.example.com/4",
    ]
    by_uri = shopify.data(LIST, {"first": 10, "uri": "https://hooks.example.com/3"})
    assert [e["node"]["topic"] for e in by_uri["webhookSubscriptions"]["edges"]] == [
        "APP_UNINSTALLED"
    ]
    newest = shopify.data(LIST, {"first": 1, "reverse": True})["webhookSubscriptions"]
    assert newest["edges"][0]["node"]["id"] == made[-1]["id"]
    number = made[1]["id"].rsplit("/", 1)[1]
    by_id = shopify.data(LIST, {"first": 10, "query": f"id:{number}"})["webhookSubscriptions"]
    assert [e["node"]["id"] for e in by_id["edges"]] == [made[1]["id"]]


def test_a_connection_without_first_is_shopifys_error(shopify: ShopifyClient) -> None:
    answer = shopify.run("{ webhookSubscriptions { nodes { id } } }")
    assert answer["errors"][0]["message"] == "you must provide one of first or last"


def test_subscriptions_survive_a_restart_through_the_state_file(
    tmp_path: Path, config: ShopifySandboxConfig
) -> None:
    config.state_file = tmp_path / "shopify.json"
    first = create_app(config)
    with serve_in_thread(first) as base_url, httpx.Client(base_url=base_url) as http:
        made = subscribe(
            ShopifyClient(http, first.state.sandbox, FakeClock()), "ORDERS_CREATE", HOOK
        )
    second = create_app(config)
    with serve_in_thread(second) as base_url, httpx.Client(base_url=base_url) as http:
        client = ShopifyClient(http, second.state.sandbox, FakeClock())
        assert client.data(ONE, {"id": made["id"]})["webhookSubscription"] == made
