"""Calls to the sandbox's Commerce Notification API, as an eBay client makes them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from stockbridge.sandbox.ebay.topics import SUBSCRIPTION_SCOPE
from tests.sandbox.ebay.conftest import EbayHarness
from tests.sandbox.ebay.notify_receiver import VERIFICATION_TOKEN

BASE = "/commerce/notification/v1"
ACCOUNT_DELETION = "MARKETPLACE_ACCOUNT_DELETION"
JSON_PAYLOAD = {"format": "JSON", "schemaVersion": "1.0", "deliveryProtocol": "HTTPS"}


@dataclass
class Notify:
    ebay: EbayHarness
    app_token: str

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.app_token}"}
        if "json" in kwargs or "content" in kwargs:
            headers["Content-Type"] = "application/json"
        return self.ebay.http.request(method, BASE + path, headers=headers, **kwargs)

    def configure(self, email: str = "alerts@stockbridge.example") -> None:
        answer = self.call("PUT", "/config", json={"alertEmail": email})
        assert answer.status_code == 204, answer.text

    def create_destination(self, endpoint: str, **changes: Any) -> httpx.Response:
        body = destination_body(endpoint) | changes
        return self.call("POST", "/destination", json=body)

    def destination(self, endpoint: str) -> str:
        answer = self.create_destination(endpoint)
        assert answer.status_code == 201, answer.text
        return answer.headers["Location"].rsplit("/", 1)[-1]

    def subscribe(
        self, destination_id: str, topic: str = ACCOUNT_DELETION, token: str | None = None
    ) -> str:
        answer = self.call(
            "POST", "/subscription", token=token, json=subscription_body(destination_id, topic)
        )
        assert answer.status_code == 201, answer.text
        return answer.headers["Location"].rsplit("/", 1)[-1]

    def announce_deletion(self, **user: str) -> dict[str, Any]:
        answer = self.ebay.http.post("/_sandbox/notifications/account-deletion", json=user)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def deliveries(self) -> list[dict[str, Any]]:
        answer = self.ebay.http.get("/_sandbox/deliveries")
        assert answer.status_code == 200
        found: list[dict[str, Any]] = answer.json()
        return found

    def user_token(self) -> str:
        return self.ebay.user_token([SUBSCRIPTION_SCOPE])


def destination_body(endpoint: str) -> dict[str, Any]:
    return {
        "name": "Stockbridge shop",
        "status": "ENABLED",
        "deliveryConfig": {"endpoint": endpoint, "verificationToken": VERIFICATION_TOKEN},
    }


def subscription_body(destination_id: str, topic: str = ACCOUNT_DELETION) -> dict[str, Any]:
    return {
        "topicId": topic,
        "status": "ENABLED",
        "destinationId": destination_id,
        "payload": dict(JSON_PAYLOAD),
    }


def app_token(ebay: EbayHarness) -> str:
    answer = ebay.token_call({"grant_type": "client_credentials"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
