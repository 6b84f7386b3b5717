"""Shopify stock pushes: 1,000 SKUs batched (``set_quantities``) against one call per SKU.

Starts the Shopify sandbox over real HTTP (uvicorn on a local port, contract mode off
unless ``STOCKBRIDGE_SANDBOX_CONTRACTS`` is set), lists 1,000 SKUs there through the
adapter, then, in the same run:

- **batched**: a fresh connection (nothing cached) sets all 1,000 quantities with one
  ``set_quantities`` call: SKU look-ups plus ``inventorySetQuantities`` of 250 each;
- **batched, ids cached**: the same connection sets them all again, as the next push of
  a long-lived worker does: no look-ups, four mutations;
- **per SKU**: the same connection (ids cached, so no look-ups) sets them with 1,000
  ``set_quantities`` calls of one SKU each, as a push without batching would. A fresh
  connection would also look each SKU up on its own, doubling the calls and the wait.

Calls are counted by the sandbox (``GET /_sandbox/calls``), time by the wall clock. The
sandbox runs with Shopify's Standard-plan rate (100 points/s, a 2,000-point bucket), so
the adapter's pacing waits as it would against Shopify; the listing phase runs first on
a separate token so its points are not spent from the measured bucket.

    .venv/bin/python -m bench.adapters_shopify     # prints the figures as JSON
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from stockbridge.channels.base import ListingPayload, Money, StockLevel
from stockbridge.channels.registry import ChannelConnection
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.sandbox.shopify import ShopifySandboxConfig, create_app

SKUS = 1_000
SETUP_TOKEN = "shpat_bench_setup"
TOKEN = "shpat_bench"
GOAL = "<= 10 inventorySetQuantities mutations for 1,000 SKUs and >= 25x fewer calls than per SKU"


def _connect(url: str, token: str) -> ShopifyAdapter:
    return ShopifyAdapter(
        ChannelConnection(
            channel_id=None,
            base_url=url,
            credentials={"access_token": token},
            settings={"timeout_seconds": 30},
        )
    )


def _calls(control: httpx.Client) -> dict[str, int]:
    counts: dict[str, int] = control.get("/_sandbox/calls").json()["counts"]
    return counts


def _measure(control: httpx.Client, push: Any) -> dict[str, Any]:
    control.delete("/_sandbox/calls").raise_for_status()
    started = time.perf_counter()
    accepted = push()
    seconds = time.perf_counter() - started
    counts = _calls(control)
    return {
        "seconds": round(seconds, 3),
        "calls": sum(counts.values()),
        "mutations": counts.get("inventorySetQuantities", 0),
        "calls_by_operation": counts,
        "accepted": accepted,
    }


def run() -> dict[str, Any]:
    config = ShopifySandboxConfig(access_tokens=frozenset({SETUP_TOKEN, TOKEN}))
    app = create_app(config)
    skus = [f"BENCH-{n:05d}" for n in range(SKUS)]
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as control:
        started = time.perf_counter()
        _connect(url, SETUP_TOKEN).upsert_listings(
            [
                ListingPayload(sku, f"Item {sku}", "Benchmark item.", Money(1000, "GBP"), 1)
                for sku in skus
            ]
        )
        setup_seconds = time.perf_counter() - started

        steady = _connect(url, TOKEN)

        def batched() -> int:
            levels = [StockLevel(sku, n % 9) for n, sku in enumerate(skus)]
            return len(steady.set_quantities(levels).accepted)

        def batched_again() -> int:
            levels = [StockLevel(sku, n % 5) for n, sku in enumerate(skus)]
            return len(steady.set_quantities(levels).accepted)

        def per_sku() -> int:
            return sum(
                len(steady.set_quantities([StockLevel(sku, n % 7)]).accepted)
                for n, sku in enumerate(skus)
            )

        batch = _measure(control, batched)
        cached = _measure(control, batched_again)
        single = _measure(control, per_sku)
    ratio = single["calls"] / batch["calls"] if batch["calls"] else None
    return {
        "marketplace": "shopify",
        "at": datetime.now(UTC).isoformat(),
        "skus": SKUS,
        "setup_seconds": round(setup_seconds, 3),
        "sandbox": {"bucket_size": config.bucket_size, "restore_rate": config.restore_rate},
        "batched": batch,
        "batched_ids_cached": cached,
        "per_sku": single,
        "fewer_calls_factor": round(ratio, 1) if ratio else None,
        "goal": GOAL,
        "goal_met": batch["mutations"] <= 10 and ratio is not None and ratio >= 25,
    }


if __name__ == "__main__":
    json.dump(run(), sys.stdout, indent=2)
    sys.stdout.write("\n")
