"""eBay notifications: registration, the endpoint challenge, and signed deliveries.

The endpoint is a small app served over HTTP that hands every request to the adapter's
``parse_webhook``, as the webhook route does: eBay's sandbox challenges it when the
destination is created and delivers signed notifications to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from stockbridge.channels.base import (
    WebhookChallenge,
    WebhookEvent,
    WebhookRequest,
    verifying_offline,
)
from stockbridge.channels.ebay import EbayAdapter
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.sandbox.ebay.oauth import API_SCOPE
from tests.channels.ebay.conftest import Connected, calls, connect, new_adapter
from tests.sandbox.ebay.conftest import EbayHarness
from tests.sandbox.servers import serve_in_thread

TOKEN = "stockbridge-verification_0123456789abcdef"
EMAIL = "alerts@shop.example"


@dataclass
class Endpoint:
    url: str
    received: list[tuple[WebhookRequest, WebhookEvent]] = field(default_factory=list)
    refused: list[ChannelError] = field(default_factory=list)

    def wait_for(self, count: int, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, self.refused


def endpoint_app(adapter: EbayAdapter, endpoint: Endpoint) -> FastAPI:
    app = FastAPI()

    @app.api_route("/ebay/notifications", methods=["GET", "POST"])
    async def notify(request: Request) -> Response:
        hook = WebhookRequest(
            method=request.method,
            url=str(request.url),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.body(),
            query=dict(request.query_params),
        )
        try:
            outcome = await run_in_threadpool(adapter.parse_webhook, hook)
        except ChannelError as error:
            endpoint.refused.append(error)
            return Response(status_code=412)
        if isinstance(outcome, WebhookChallenge):
            return JSONResponse(dict(outcome.response_body))
        endpoint.received.append((hook, outcome))
        return Response(status_code=204)

    return app


@pytest.fixture
def seller(shop: EbayHarness) -> Connected:
    return connect(shop, credentials={"verification_token": TOKEN, "alert_email": EMAIL})


@pytest.fixture
def endpoint(seller: Connected) -> Iterator[Endpoint]:
    found = Endpoint(url="")
    with serve_in_thread(endpoint_app(seller.adapter, found)) as base_url:
        found.url = f"{base_url}/ebay/notifications"
        yield found


def test_registration_makes_one_destination_and_the_subscriptions_and_repeats_harmlessly(
    seller: Connected, shop: EbayHarness, endpoint: Endpoint
) -> None:
    first = seller.adapter.register_webhooks(endpoint.url)
    again = seller.adapter.register_webhooks(endpoint.url)

    assert first == again
    held = shop.get_state()["notification"]
    assert held["alert_email"] == EMAIL
    [destination] = held["destinations"].values()
    assert destination["endpoint"] == endpoint.url
    assert destination["verification_token"] == TOKEN
    subscriptions = held["subscriptions"]
    assert set(first) == set(subscriptions)
    assert {s["topic_id"] for s in subscriptions.values()} == {
        "MARKETPLACE_ACCOUNT_DELETION",
        "ORDER_CONFIRMATION",
    }
    assert all(s["status"] == "ENABLED" for s in subscriptions.values())
    counts = calls(shop)
    assert counts["createDestination"] == 1
    assert counts["createSubscription"] == 2


def test_a_disabled_subscription_is_enabled_again_on_registration(
    seller: Connected, shop: EbayHarness, endpoint: Endpoint
) -> None:
    ids = seller.adapter.register_webhooks(endpoint.url)
    answer = shop.token_call({"grant_type": "client_credentials", "scope": API_SCOPE})
    app_token = answer.json()["access_token"]
    for subscription_id in ids:
        disabled = shop.http.post(
            f"/commerce/notification/v1/subscription/{subscription_id}/disable",
            headers={"Authorization": f"Bearer {app_token}"},
        )
        assert disabled.status_code == 204, disabled.text
    held = shop.get_state()["notification"]["subscriptions"]
    assert all(s["status"] == "DISABLED" for s in held.values())

    assert seller.adapter.register_webhooks(endpoint.url) == ids
    held = shop.get_state()["notification"]["subscriptions"]
    assert all(s["status"] == "ENABLED" for s in held.values())


def test_registration_needs_the_verification_token_and_alert_email(
    connected: Connected, shop: EbayHarness
) -> None:
    with pytest.raises(ChannelError) as raised:
        connected.adapter.register_webhooks("https://shop.example/ebay")
    assert raised.value.category is ChannelErrorCategory.VALIDATION
    assert shop.get_state()["notification"]["destinations"] == {}


def test_the_challenge_is_answered_with_the_hash_of_code_token_and_endpoint(
    seller: Connected,
) -> None:
    url = "https://shop.example/ebay/notifications"
    answer = seller.adapter.parse_webhook(
        WebhookRequest("GET", f"{url}?challenge_code=abc123", {}, b"", {"challenge_code": "abc123"})
    )

    expected = hashlib.sha256(f"abc123{TOKEN}{url}".encode()).hexdigest()
    assert answer == WebhookChallenge(response_body={"challengeResponse": expected})
    # The code is read from the URL when the caller passed no parsed query.
    assert (
        seller.adapter.parse_webhook(WebhookRequest("GET", f"{url}?challenge_code=abc123", {}, b""))
        == answer
    )


def deleted(shop: EbayHarness, user_id: str) -> None:
    answer = shop.http.post(
        "/_sandbox/notifications/account-deletion",
        json={"username": f"user_{user_id}", "userId": user_id},
    )
    assert answer.status_code == 201, answer.text


def test_a_signed_delivery_is_verified_and_read_with_one_key_fetch(
    seller: Connected, shop: EbayHarness, endpoint: Endpoint
) -> None:
    seller.adapter.register_webhooks(endpoint.url)
    deleted(shop, "gone1")
    deleted(shop, "gone2")
    endpoint.wait_for(2)

    events = [event for _, event in endpoint.received]
    assert {event.resource_id for event in events} == {"gone1", "gone2"}
    assert all(event.topic == "MARKETPLACE_ACCOUNT_DELETION" for event in events)
    assert all(event.occurred_at is not None for event in events)
    assert events[0].delivery_id != events[1].delivery_id
    assert events[0].delivery_id == events[0].payload["notification"]["notificationId"]
    assert calls(shop)["getPublicKey"] == 1
    assert endpoint.refused == []

    # A repeat of a delivery reads the same: the webhook log de-duplicates on delivery_id.
    hook, event = endpoint.received[0]
    assert seller.adapter.parse_webhook(hook) == event


def test_a_new_connection_verifies_with_a_known_key_without_building_an_http_client(
    seller: Connected, shop: EbayHarness, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    seller.adapter.register_webhooks(endpoint.url)
    deleted(shop, "gone5")
    endpoint.wait_for(1)
    hook, event = endpoint.received[0]
    made: list[httpx.Client] = []

    class Counted(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", Counted)
    fresh = new_adapter(shop, credentials={"verification_token": TOKEN}).adapter

    assert fresh.parse_webhook(hook) == event
    assert made == []
    assert calls(shop)["getPublicKey"] == 1
    fresh.close()


def header(signature: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(signature).encode()).decode()


def forged(hook: WebhookRequest, **changes: str) -> WebhookRequest:
    """The delivery with its signature header's fields changed."""
    signature = json.loads(base64.b64decode(hook.headers["x-ebay-signature"])) | changes
    return replace(hook, headers={**hook.headers, "x-ebay-signature": header(signature)})


def test_forged_tampered_unknown_or_unsigned_deliveries_are_refused(
    seller: Connected, shop: EbayHarness, endpoint: Endpoint
) -> None:
    seller.adapter.register_webhooks(endpoint.url)
    deleted(shop, "gone3")
    endpoint.wait_for(1)
    hook, _ = endpoint.received[0]
    stranger = ec.generate_private_key(ec.SECP256R1())
    foreign = base64.b64encode(stranger.sign(hook.body, ec.ECDSA(hashes.SHA1()))).decode()

    attempts = {
        "forged": forged(hook, signature=foreign),
        "tampered": replace(hook, body=hook.body.replace(b"gone3", b"gone4")),
        "unknown kid": forged(hook, kid="0" * 32),
        "no header": replace(
            hook, headers={k: v for k, v in hook.headers.items() if k != "x-ebay-signature"}
        ),
        "not base64": replace(hook, headers={**hook.headers, "x-ebay-signature": "%%%"}),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ChannelError) as raised:
            seller.adapter.parse_webhook(attempt)
        assert raised.value.category is ChannelErrorCategory.AUTH_FAILED, name


def test_a_key_id_ebay_does_not_know_is_asked_for_once_then_refused_without_asking(
    seller: Connected, shop: EbayHarness, endpoint: Endpoint
) -> None:
    seller.adapter.register_webhooks(endpoint.url)
    deleted(shop, "gone6")
    endpoint.wait_for(1)
    hook, _ = endpoint.received[0]
    asked_before = calls(shop)["getPublicKey"]
    made_up = forged(hook, kid=f"made-up-{time.time_ns()}")

    for _ in range(3):
        with pytest.raises(ChannelError) as raised:
            seller.adapter.parse_webhook(made_up)
        assert raised.value.category is ChannelErrorCategory.AUTH_FAILED
    # Refused without the network too: the batch verifying offline needs no call.
    with verifying_offline(), pytest.raises(ChannelError):
        seller.adapter.parse_webhook(made_up)

    assert calls(shop)["getPublicKey"] == asked_before + 1
