"""Fixtures for the eBay adapter tests: a live eBay sandbox over HTTP, and adapters on it.

The sandbox comes from the sandbox tests' own fixtures (contract mode on when the
official files are beside the repo; a test fails if it leaves a violation behind). An
adapter is connected the way a shop owner connects: ``start_oauth``, the consent
redirect, ``exchange_code``. Its clock is the sandbox's fake clock, so tokens expire
without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from stockbridge.channels.base import ListingPayload, Money, TokenSet
from stockbridge.channels.ebay import EbayAdapter
from stockbridge.channels.registry import ChannelConnection
from stockbridge.statuses import Condition
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    EbayHarness,
    FakeClock,
    clock,
    ebay,
    start_sandbox,
)

__all__ = ["clock", "ebay", "start_sandbox"]

LOCATION_KEY = payloads.LOCATION_KEY
POLICIES = {"fulfillment": "6196930000", "payment": "6196932000", "return": "6196933000"}


@dataclass
class Connected:
    """An adapter, the tokens it handed to ``save_tokens``, and the sandbox behind it."""

    adapter: EbayAdapter
    clock: FakeClock
    saved: list[TokenSet] = field(default_factory=list)


def adapter_clock(clock: FakeClock) -> Callable[[], datetime]:
    return lambda: datetime.fromtimestamp(clock.now, UTC)


def new_adapter(
    harness: EbayHarness,
    *,
    tokens: TokenSet | None = None,
    client_id: str = CLIENT_ID,
    base_url: str | None = None,
    http: httpx.Client | None = None,
    credentials: dict[str, str] | None = None,
    **settings: Any,
) -> Connected:
    saved: list[TokenSet] = []
    connection = ChannelConnection(
        channel_id=1,
        base_url=base_url or harness.base_url,
        credentials={"client_id": client_id, "client_secret": CLIENT_SECRET} | (credentials or {}),
        tokens=tokens,
        settings={
            "marketplace_id": "EBAY_GB",
            "merchant_location_key": LOCATION_KEY,
            "category_id": "112581",
            "policies": POLICIES,
            **settings,
        },
        save_tokens=saved.append,
    )
    adapter = EbayAdapter(connection, http=http, clock=adapter_clock(harness.clock))
    return Connected(adapter=adapter, clock=harness.clock, saved=saved)


def consent(adapter: EbayAdapter, state: str = "session-nonce") -> dict[str, str]:
    """Follow the consent URL as the seller's browser would; returns the callback query."""
    start = adapter.start_oauth(REDIRECT_URI, state)
    answer = httpx.get(start.url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}


def connect(harness: EbayHarness, **settings: Any) -> Connected:
    """A connected adapter: OAuth end to end against the sandbox."""
    connected = new_adapter(harness, **settings)
    connected.adapter.exchange_code(consent(connected.adapter), REDIRECT_URI)
    return connected


@pytest.fixture
def shop(ebay: EbayHarness) -> EbayHarness:
    """A sandbox seller with an enabled shop location to list from."""
    answer = ebay.call("POST", f"/location/{LOCATION_KEY}", json=payloads.location())
    assert answer.status_code == 204, answer.text
    ebay.http.delete("/_sandbox/calls")  # each test counts only its own calls
    return ebay


@pytest.fixture
def connected(shop: EbayHarness) -> Connected:
    return connect(shop)


def listing(sku: str, quantity: int = 5, cents: int = 4999, **extra: Any) -> ListingPayload:
    fields: dict[str, Any] = {
        "sku": sku,
        "title": f"Brass desk lamp {sku}",
        "description": "1960s, rewired.",
        "price": Money(cents, "GBP"),
        "quantity": quantity,
        "condition": Condition.USED,
        "images": ("https://i.ebayimg.com/images/g/lamp/s-l1600.jpg",),
        "brand": "Unbranded",
        "weight_grams": 1200,
    }
    return ListingPayload(**(fields | extra))


def calls(harness: EbayHarness) -> dict[str, int]:
    answer = harness.http.get("/_sandbox/calls", params={"limit": 1000})
    counts: dict[str, int] = answer.json()["counts"]
    return counts


def statuses(harness: EbayHarness) -> list[int]:
    answer = harness.http.get("/_sandbox/calls", params={"limit": 1000})
    return [int(call["status"]) for call in answer.json()["recent"]]


def add_fault(harness: EbayHarness, **rule: Any) -> None:
    answer = harness.http.post("/_sandbox/faults", json=rule)
    assert answer.status_code == 201, answer.text
