"""The topics the sandbox itself emits: app/uninstalled (which also revokes the app's
tokens and deletes its subscriptions) and the three mandatory compliance topics."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest

from stockbridge.sandbox.shopify import ShopifySandboxConfig, create_app
from tests.sandbox.servers import serve_in_thread
from tests.sandbox.shopify.shop_client import FakeClock, ShopifyClient
from tests.sandbox.shopify.webhook_client import LIST, subscribe, webhook_config
from tests.sandbox.shopify.webhook_receiver import Receiver, wait_until


@pytest.fixture
def config(config: ShopifySandboxConfig, receiver: Receiver) -> ShopifySandboxConfig:
    return webhook_config(config, receiver)


def _one_delivered(receiver: Receiver, topic: str) -> dict[str, Any]:
    [received] = wait_until(lambda: receiver.got(topic))
    assert received.verified
    assert received.status == 200
    body: dict[str, Any] = json.loads(received.body)
    return body


def test_uninstalling_announces_it_then_revokes_tokens_and_subscriptions(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    subscribe(shopify, "APP_UNINSTALLED", f"{receiver.url}/uninstalled")
    subscribe(shopify, "ORDERS_CREATE", f"{receiver.url}/orders")
    answer = shopify.http.post("/_sandbox/app/uninstall")
    assert answer.status_code == 200
    assert answer.json()["topic"] == "app/uninstalled"

    shop = _one_delivered(receiver, "app/uninstalled")
    assert shop["id"] == 1
    assert shop["myshopify_domain"] == shop["domain"] == "stockbridge-sandbox.myshopify.com"
    assert shop["name"] == "Stockbridge Sandbox"
    assert shop["currency"] == "GBP"

    refused = shopify.post("{ shop { name } }")
    assert refused.status_code == 401
    assert shopify.sandbox.state.webhook_subscriptions == {}

    assert shopify.http.post("/_sandbox/reset").status_code == 204  # installed again
    assert shopify.data(LIST, {"first": 5}) == {
        "webhookSubscriptions": {
            "edges": [],
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
        }
    }


def test_customers_data_request_reaches_the_compliance_url(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    request = {
        "customer": {"id": 42, "email": "ada@example.com", "phone": None},
        "orders": [1001, 1002],
    }
    answer = shopify.http.post("/_sandbox/compliance/customers_data_request", json=request)
    assert answer.status_code == 200
    body = _one_delivered(receiver, "customers/data_request")
    assert body == {
        "shop_id": 1,
        "shop_domain": "stockbridge-sandbox.myshopify.com",
        "customer": {"id": 42, "email": "ada@example.com", "phone": None},
        "orders_requested": [1001, 1002],
        "data_request": {"id": body["data_request"]["id"]},
    }
    assert isinstance(body["data_request"]["id"], int)
    assert receiver.got()[0].path == "/compliance"


def test_customers_redact_and_shop_redact_have_shopifys_payloads(
    shopify: ShopifyClient, receiver: Receiver
) -> None:
    assert shopify.http.post("/_sandbox/compliance/customers_redact").status_code == 200
    redact = _one_delivered(receiver, "customers/redact")
    assert set(redact) == {"shop_id", "shop_domain", "customer", "orders_to_redact"}
    assert set(redact["customer"]) == {"id", "email", "phone"}
    assert shopify.http.post("/_sandbox/compliance/shop_redact").status_code == 200
    assert _one_delivered(receiver, "shop/redact") == {
        "shop_id": 1,
        "shop_domain": "stockbridge-sandbox.myshopify.com",
    }


def test_a_malformed_compliance_request_is_refused(shopify: ShopifyClient) -> None:
    answer = shopify.http.post(
        "/_sandbox/compliance/customers_redact", json={"customer": {"id": "x"}}
    )
    assert answer.status_code == 422
    assert shopify.http.get("/_sandbox/events").json() == []


def test_without_a_compliance_url_nothing_is_sent(
    config: ShopifySandboxConfig, clock: FakeClock, receiver: Receiver
) -> None:
    app = create_app(replace(config, compliance_webhook_url=None))
    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url) as http:
        assert http.post("/_sandbox/compliance/shop_redact").status_code == 200
        assert [e["topic"] for e in http.get("/_sandbox/events").json()] == ["shop/redact"]
        assert http.get("/_sandbox/deliveries").json() == []
    assert receiver.got() == []
