"""Webhook subscriptions and verified deliveries, and the install flow's callback checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from stockbridge.channels.base import WebhookEvent, WebhookRequest
from stockbridge.channels.registry import ChannelConnection
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.channels.shopify.auth import DEFAULT_SCOPES, callback_hmac, verify_callback
from stockbridge.channels.shopify.webhooks import TOPICS
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.channels.shopify.helpers import TOKEN, TOKENS, RunningSandbox, graphql
from tests.sandbox.shopify.webhook_receiver import (
    CLIENT_SECRET,
    Receiver,
    serve_receiver,
    wait_until,
)

SECRET_CREDENTIALS = {"access_token": TOKEN, "client_id": "app-id", "client_secret": CLIENT_SECRET}


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    return ShopifySandboxConfig(
        access_tokens=TOKENS, client_id=SECRET_CREDENTIALS["client_id"], client_secret=CLIENT_SECRET
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as running:
        yield running


def _app_adapter(base_url: str) -> ShopifyAdapter:
    return ShopifyAdapter(
        ChannelConnection(channel_id=1, base_url=base_url, credentials=SECRET_CREDENTIALS)
    )


def _request(headers: dict[str, str], body: bytes) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        url="https://shop.example/webhooks/shopify",
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
    )


def test_register_subscribes_every_topic_once(sandbox: RunningSandbox, receiver: Receiver) -> None:
    adapter = _app_adapter(sandbox.url)
    callback = f"{receiver.url}/webhooks/shopify"

    first = adapter.register_webhooks(callback)
    again = adapter.register_webhooks(callback)

    assert len(first) == len(TOPICS)
    assert again == first
    data = graphql(sandbox, "{ webhookSubscriptions(first: 50) { nodes { topic uri } } }")
    topics = sorted(n["topic"] for n in data["webhookSubscriptions"]["nodes"])
    assert topics == sorted(TOPICS)


def test_a_real_delivery_verifies_and_a_repeat_keeps_its_id(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    adapter = _app_adapter(sandbox.url)
    adapter.register_webhooks(f"{receiver.url}/webhooks/shopify")
    payload = {"inventory_item_id": 1007, "location_id": 1001, "available": 0}
    sandbox.app_sandbox.control.events.publish("inventory_levels/update", payload)
    sandbox.control.post("/_sandbox/deliveries/faults", json={"duplicate_rate": 1.0})
    sandbox.app_sandbox.control.events.publish("inventory_levels/update", payload)

    deliveries = wait_until(
        lambda: len(receiver.got("inventory_levels/update")) >= 3 and receiver.got()
    )
    events = [adapter.parse_webhook(_request(d.headers, d.body)) for d in deliveries]

    assert all(isinstance(e, WebhookEvent) for e in events)
    first = events[0]
    assert isinstance(first, WebhookEvent)
    assert first.topic == "inventory_levels/update"
    assert first.payload["available"] == 0
    assert first.resource_id == "1007"
    assert first.occurred_at is not None
    ids = [e.delivery_id for e in events if isinstance(e, WebhookEvent)]
    assert len(set(ids)) < len(ids)  # the duplicate came with its delivery's id


def test_forged_and_tampered_deliveries_are_refused(
    sandbox: RunningSandbox, receiver: Receiver
) -> None:
    adapter = _app_adapter(sandbox.url)
    adapter.register_webhooks(f"{receiver.url}/webhooks/shopify")
    sandbox.app_sandbox.control.events.publish("inventory_levels/update", {"available": 3})
    [delivery] = wait_until(lambda: receiver.got("inventory_levels/update"))
    forged_signature = base64.b64encode(
        hmac.new(b"not-the-secret", delivery.body, hashlib.sha256).digest()
    ).decode()

    cases = [
        _request(delivery.headers, delivery.body.replace(b"3", b"9")),  # tampered body
        _request({**delivery.headers, "x-shopify-hmac-sha256": forged_signature}, delivery.body),
        _request({k: v for k, v in delivery.headers.items() if "hmac" not in k}, delivery.body),
    ]
    for forged in cases:
        with pytest.raises(ChannelError) as refused:
            adapter.parse_webhook(forged)
        assert refused.value.category is ChannelErrorCategory.AUTH_FAILED
    genuine = adapter.parse_webhook(_request(delivery.headers, delivery.body))
    assert isinstance(genuine, WebhookEvent)


# --- the install flow -------------------------------------------------------------------


def _callback(shop: str, state: str = "nonce-1", secret: str = CLIENT_SECRET) -> dict[str, str]:
    query = {"code": "abc123", "shop": shop, "state": state, "timestamp": "1767600000"}
    return {**query, "hmac": callback_hmac(query, secret)}


def test_start_oauth_sends_the_owner_to_the_shops_authorize_page() -> None:
    adapter = _app_adapter("https://lamps.myshopify.com")

    start = adapter.start_oauth("https://stock.example/oauth/shopify", "nonce-1")

    parts = urlsplit(start.url)
    assert (parts.netloc, parts.path) == ("lamps.myshopify.com", "/admin/oauth/authorize")
    query = parse_qs(parts.query)
    assert query["client_id"] == ["app-id"]
    assert query["state"] == ["nonce-1"]
    assert query["redirect_uri"] == ["https://stock.example/oauth/shopify"]
    assert "write_inventory" in query["scope"][0].split(",")


def test_a_good_callback_gives_its_code() -> None:
    query = _callback("lamps.myshopify.com")

    code = verify_callback(
        query,
        client_secret=CLIENT_SECRET,
        base_url="https://lamps.myshopify.com",
        expected_state="nonce-1",
    )

    assert code == "abc123"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (_callback("lamps.myshopify.com", state="another"), "state"),
        (_callback("lamps.myshopify.com", secret="wrong-secret"), "hmac"),
        ({**_callback("lamps.myshopify.com"), "code": "swapped"}, "hmac"),
        (_callback("other.myshopify.com"), "shop"),
        (_callback("lamps.myshopify.com.evil.example"), "shop"),
    ],
)
def test_a_bad_callback_is_refused_before_any_exchange(query: dict[str, str], field: str) -> None:
    with pytest.raises(ChannelError) as refused:
        verify_callback(
            query,
            client_secret=CLIENT_SECRET,
            base_url="https://lamps.myshopify.com",
            expected_state="nonce-1",
        )

    assert refused.value.category is ChannelErrorCategory.AUTH_FAILED
    assert refused.value.extra["field"] == field


def test_exchange_code_refuses_a_wrong_hmac_without_calling_shopify(
    sandbox: RunningSandbox,
) -> None:
    adapter = _app_adapter(sandbox.url)
    sandbox.clear_calls()

    with pytest.raises(ChannelError) as refused:
        adapter.exchange_code(
            _callback("stockbridge-sandbox.myshopify.com", secret="wrong"), "https://x/cb"
        )

    assert refused.value.category is ChannelErrorCategory.AUTH_FAILED
    assert sandbox.calls() == {}


def test_the_install_flow_end_to_end_gives_a_token_that_works(sandbox: RunningSandbox) -> None:
    adapter = _app_adapter(sandbox.url)
    redirect = "https://stock.example/oauth/shopify"
    start = adapter.start_oauth(redirect, "nonce-9")

    consent = sandbox.control.get(start.url, follow_redirects=False)  # the owner approves

    assert consent.status_code == 302
    location = consent.headers["location"]
    assert location.startswith(redirect + "?")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["state"] == "nonce-9"
    # The caller holds the state it issued; a callback carrying another is refused.
    options = {"client_secret": CLIENT_SECRET, "base_url": sandbox.url}
    assert verify_callback(query, expected_state="nonce-9", **options) == query["code"]
    with pytest.raises(ChannelError) as foreign:
        verify_callback(query, expected_state="nonce-1", **options)
    assert foreign.value.extra["field"] == "state"
    with pytest.raises(ChannelError) as forged:  # the code swapped under the same hmac
        adapter.exchange_code({**query, "code": "0" * len(query["code"])}, redirect)
    assert forged.value.extra["field"] == "hmac"

    tokens = adapter.exchange_code(query, redirect)

    assert set(tokens.scopes) == set(DEFAULT_SCOPES)
    installed = ShopifyAdapter(
        ChannelConnection(
            channel_id=2, base_url=sandbox.url, credentials={"access_token": tokens.access_token}
        )
    )
    assert installed.test_connection().account_id.startswith("gid://shopify/Shop/")
    with pytest.raises(ChannelError):  # a code buys one token only
        adapter.exchange_code(query, redirect)
