"""eBay adapter: quantities for 1,000 SKUs batched (set_quantities) versus one call per SKU.

Starts the eBay sandbox over real HTTP on a free local port, connects an
:class:`~stockbridge.channels.ebay.EbayAdapter` through OAuth, creates 1,000 SKUs with
their offers (``upsert_listings``), then sets every SKU's quantity twice in the same
run: once through ``set_quantities`` with all 1,000 levels (bulkUpdatePriceQuantity, 25
a call), once as 1,000 single-SKU pushes. Calls are read from the sandbox's
``/_sandbox/calls``; seconds are wall time. Contract mode follows
``$STOCKBRIDGE_SANDBOX_CONTRACTS`` (off when unset, which makes every call faster).

    .venv/bin/python -m bench.adapters_ebay

``run()`` returns the figures as a dict; the module prints them as JSON.
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from stockbridge.channels.base import ListingPayload, Money, StockLevel, TokenSet
from stockbridge.channels.ebay import EbayAdapter
from stockbridge.channels.ebay.client import Api
from stockbridge.channels.registry import ChannelConnection
from stockbridge.sandbox.ebay import EbaySandboxConfig, create_app
from stockbridge.sandbox.serving import serve_in_thread

SKUS = 1_000
GOAL_CALLS = 40
GOAL_RATIO = 25.0
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
REDIRECT = "https://stockbridge.example/ebay/callback"
LOCATION = "bench-shop"


def _served(config: EbaySandboxConfig) -> AbstractContextManager[str]:
    return serve_in_thread(create_app(config))


def connect_seller(base_url: str) -> tuple[EbayAdapter, TokenSet]:
    """OAuth as the sandbox's seller, and a business location to list from (set-up, not
    measured): the adapter and its tokens."""
    connection = ChannelConnection(
        channel_id=None,
        base_url=base_url,
        credentials={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        settings={
            "marketplace_id": "EBAY_GB",
            "merchant_location_key": LOCATION,
            "category_id": "112581",
            # The business policies a fresh sandbox seller has on EBAY_GB (publishing
            # checks them).
            "policies": {
                "fulfillment": "6196930000",
                "payment": "6196932000",
                "return": "6196933000",
            },
        },
    )
    adapter = EbayAdapter(connection)
    start = adapter.start_oauth(REDIRECT, "bench")
    redirect = httpx.get(start.url, follow_redirects=False, timeout=10).headers["location"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(redirect).query).items()}
    tokens = adapter.exchange_code(query, REDIRECT)
    adapter.client.request(
        Api.INVENTORY,
        "POST",
        f"/sell/inventory/v1/location/{LOCATION}",
        json={
            "location": {"address": {"city": "Bristol", "postalCode": "BS1 4DJ", "country": "GB"}},
            "name": "Shop",
        },
    )
    return adapter, tokens


def _calls(http: httpx.Client) -> int:
    counts: dict[str, int] = http.get("/_sandbox/calls").json()["counts"]
    return sum(counts.values())


def _measure(http: httpx.Client, push: Any) -> dict[str, Any]:
    http.delete("/_sandbox/calls")
    started = time.perf_counter()
    accepted = push()
    return {
        "calls": _calls(http),
        "seconds": round(time.perf_counter() - started, 3),
        "accepted": accepted,
    }


def run() -> dict[str, Any]:
    config = EbaySandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with _served(config) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        adapter, _ = connect_seller(base_url)
        skus = [f"BENCH-{n:04d}" for n in range(SKUS)]
        adapter.upsert_listings(
            [
                ListingPayload(
                    sku=sku,
                    title=f"Bench item {sku}",
                    description="A benchmark item.",
                    price=Money(1999, "GBP"),
                    quantity=5,
                )
                for sku in skus
            ]
        )
        batched = _measure(
            http,
            lambda: len(adapter.set_quantities([StockLevel(sku, 3) for sku in skus]).accepted),
        )
        per_sku = _measure(
            http,
            lambda: sum(len(adapter.set_quantities([StockLevel(sku, 4)]).accepted) for sku in skus),
        )
        adapter.close()
    ratio = per_sku["calls"] / batched["calls"] if batched["calls"] else float("inf")
    return {
        "adapter": "ebay",
        "skus": SKUS,
        "at": datetime.now(UTC).isoformat(),
        "contracts": config.contracts_dir is not None,
        "batched": batched,
        "per_sku": per_sku,
        "fewer_calls_ratio": round(ratio, 1),
        "goal": f"<= {GOAL_CALLS} calls for {SKUS} SKUs, >= {GOAL_RATIO:g}x fewer than per SKU",
        "goal_met": batched["calls"] <= GOAL_CALLS and ratio >= GOAL_RATIO,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
