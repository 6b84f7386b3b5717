"""Sync engine: POS sale -> marketplace latency, and calls for a 1,000-SKU change.

Embedded setup: a fresh SQLite database, the in-process job queue (SQLite file, two
consumer threads), the eBay sandbox over real HTTP on a free local port (contract mode
follows ``$STOCKBRIDGE_SANDBOX_CONTRACTS``, off when unset).

- **latency**: 200 SKUs listed; one POS sale every 50 ms, each of a different SKU; a
  poller reads the sandbox's offers every 20 ms and notes when each sale's quantity
  shows. Latency = shown - sale committed. Measured with the default coalescing window
  (1 s) and with none (0 s).
- **calls**: 1,000 SKUs listed; every quantity changes, then one push job runs
  (batched); then every quantity changes again, one push job after each change
  (per SKU). eBay calls are read from the sandbox's ``/_sandbox/calls``.

    .venv/bin/python -m bench.sync        # writes bench/results/sync.json
"""

from __future__ import annotations

import json
import platform
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from bench.adapters_ebay import CLIENT_ID, CLIENT_SECRET, connect_seller
from stockbridge.channels.base import ListingPayload, Money
from stockbridge.channels.registry import registry
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelLink
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.migrate import upgrade
from stockbridge.db.models import (
    Branch,
    Condition,
    EcomListing,
    EcomListingChannel,
    JobKind,
    JobStatus,
    ListingStatus,
    PaymentMethod,
    ProductCode,
    PublicationStatus,
    SyncJob,
    SyncState,
)
from stockbridge.pos import inventory
from stockbridge.pos.sales import SaleCreate, SaleLineCreate, SalePaymentCreate, record_pos_sale
from stockbridge.sandbox.ebay import EbaySandboxConfig, create_app
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.settings import Settings
from stockbridge.sync import jobs, runner
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.queue import JobQueue
from stockbridge.vault import Vault

OUTPUT = Path(__file__).resolve().parent / "results" / "sync.json"
SALES = 200
SALE_EVERY = 0.05
POLL_EVERY = 0.02
CALL_SKUS = 1_000
GOAL_EBAY_CALLS = 40
PRICE = 1999
ACTOR = "bench"


@dataclass
class Bench:
    settings: Settings
    sessions: sessionmaker[Session]
    ctx: ChannelContext
    http: httpx.Client
    base_url: str


@contextmanager
def embedded(stack: ExitStack, coalesce: float) -> Iterator[Bench]:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    stack.callback(engine.dispose)
    key = Fernet.generate_key().decode()
    settings = Settings(database_url=url, encryption_key=key, push_coalesce_seconds=coalesce)
    config = EbaySandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    base_url = stack.enter_context(serve_in_thread(create_app(config)))
    http = stack.enter_context(httpx.Client(base_url=base_url, timeout=30))
    ctx = ChannelContext(settings, Vault(key), registry)
    yield Bench(settings, make_session_factory(engine), ctx, http, base_url)


def _seller(base_url: str, skus: list[str]) -> ChannelLink:
    """OAuth as the seller, then list every SKU (item and offer) with 10 units."""
    adapter, tokens = connect_seller(base_url)
    payloads = [
        ListingPayload(sku, f"Item {sku}", "Bench item.", Money(PRICE, "GBP"), 10) for sku in skus
    ]
    adapter.upsert_listings(payloads)
    adapter.close()
    return ChannelLink(
        None, "ebay", base_url, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, tokens
    )


def _shop(bench: Bench, skus: list[str]) -> tuple[int, int, dict[str, int]]:
    """(channel id, branch id, sku -> version id): each SKU with 10 units, published."""
    link = _seller(bench.base_url, skus)
    with transaction(bench.sessions) as session:
        branch = Branch(code="BENCH", name="Bench")
        session.add(branch)
        session.flush()
        channel = channels.create_channel(
            session, bench.ctx, link=link, name="eBay", currency="GBP",
            settings=ChannelSettings(branch_ids=[branch.id]), verified=True,
        )  # fmt: skip
        versions = {}
        for sku in skus:
            product = ProductCode(sku=sku, name=sku, price_cents=PRICE, currency="GBP")
            session.add(product)
            session.flush()
            version_id = inventory.ensure_version(
                session, product_code_id=product.id, branch_id=branch.id, condition=Condition.NEW
            )
            inventory.receive(session, version_id, 10, actor=ACTOR)
            versions[sku] = version_id
            listing = EcomListing(
                product_code_id=product.id, title=sku, status=ListingStatus.ACTIVE
            )
            session.add(listing)
            session.flush()
            session.add(
                EcomListingChannel(
                    listing_id=listing.id, channel_id=channel.id, external_sku=sku,
                    status=PublicationStatus.PUBLISHED, sync_state=SyncState.IN_SYNC,
                    last_pushed_qty=10, last_pushed_price_cents=PRICE,
                )
            )  # fmt: skip
        return channel.id, branch.id, versions


def _offers(http: httpx.Client) -> dict[str, int]:
    state = http.get("/_sandbox/state").json()
    return {offer["sku"]: offer["body"]["availableQuantity"] for offer in state["offers"].values()}


def _sell(sessions: sessionmaker[Session], branch_id: int, sku: str) -> None:
    line = SaleLineCreate(sku=sku, quantity=1, unit_price_cents=PRICE)
    paid = SalePaymentCreate(method=PaymentMethod.CASH, amount_cents=PRICE)
    with transaction(sessions) as session:
        record_pos_sale(
            session, SaleCreate(branch_id=branch_id, lines=[line], payments=[paid]), actor=ACTOR
        )


def latency(coalesce: float) -> dict[str, Any]:
    with ExitStack() as stack, embedded(stack, coalesce) as bench:
        skus = [f"LAT-{n:03d}" for n in range(SALES)]
        _, branch_id, _ = _shop(bench, skus)
        queue = JobQueue(
            bench.settings,
            bench.sessions,
            sqlite_path=Path(bench.settings.database_url.removeprefix("sqlite:///")).with_suffix(
                ".queue"
            ),
        )
        stack.callback(queue.close)
        queue.start_in_process(periodic=False)
        sold: dict[str, float] = {}
        shown: dict[str, float] = {}
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                now = time.monotonic()
                for sku, quantity in _offers(bench.http).items():
                    if quantity == 9 and sku in sold and sku not in shown:
                        shown[sku] = now
                time.sleep(POLL_EVERY)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        for sku in skus:
            _sell(bench.sessions, branch_id, sku)
            sold[sku] = time.monotonic()
            time.sleep(SALE_EVERY)
        deadline = time.monotonic() + 60
        while len(shown) < len(skus) and time.monotonic() < deadline:
            time.sleep(0.1)
        done.set()
        poller.join()
    waits = sorted(shown[sku] - sold[sku] for sku in shown)
    cuts = quantiles(waits, n=100)
    return {
        "coalesce_seconds": coalesce,
        "sales": len(skus),
        "seen": len(waits),
        "p50_seconds": round(cuts[49], 3),
        "p95_seconds": round(cuts[94], 3),
        "max_seconds": round(waits[-1], 3),
        "poll_every_seconds": POLL_EVERY,
    }


def _push(bench: Bench, channel_id: int) -> SyncJob:
    with transaction(bench.sessions) as session:
        job_id = jobs.enqueue_job(
            session, _NoWake(), kind=JobKind.INVENTORY, channel_id=channel_id
        ).id
    runner.run_job(bench.sessions, default_handlers(bench.ctx), job_id)
    with bench.sessions() as session:
        return jobs.get_job(session, job_id)


class _NoWake:
    def wake(self, job_ids: Any) -> None:
        pass


def _ebay_calls(http: httpx.Client) -> dict[str, int]:
    counts: dict[str, int] = http.get("/_sandbox/calls", params={"limit": 1}).json()["counts"]
    return counts


def _count(bench: Bench, versions: dict[str, int], quantity: int, sku: str | None = None) -> None:
    with transaction(bench.sessions) as session:
        for name, version_id in versions.items():
            if sku is None or name == sku:
                inventory.adjust_to_count(
                    session, version_id, quantity, reason="bench", actor=ACTOR
                )


def calls() -> dict[str, Any]:
    with ExitStack() as stack, embedded(stack, 1.0) as bench:
        skus = [f"CALL-{n:04d}" for n in range(CALL_SKUS)]
        channel_id, _, versions = _shop(bench, skus)
        bench.http.delete("/_sandbox/calls")
        _count(bench, versions, 7)
        started = time.perf_counter()
        job = _push(bench, channel_id)
        batched = {
            "jobs": 1,
            "calls": _ebay_calls(bench.http),
            "seconds": round(time.perf_counter() - started, 3),
            "pushed": job.counts.get("pushed", 0),
            "status": job.status.value,
        }
        assert set(_offers(bench.http).values()) == {7}
        bench.http.delete("/_sandbox/calls")
        started = time.perf_counter()
        pushed = 0
        for sku in skus:
            _count(bench, versions, 6, sku)
            job = _push(bench, channel_id)
            pushed += job.counts.get("pushed", 0) if job.status is JobStatus.SUCCEEDED else 0
        per_sku = {
            "jobs": len(skus),
            "calls": _ebay_calls(bench.http),
            "seconds": round(time.perf_counter() - started, 3),
            "pushed": pushed,
        }
        assert set(_offers(bench.http).values()) == {6}
    bulk = batched["calls"].get("bulkUpdatePriceQuantity", 0)
    return {
        "skus": CALL_SKUS,
        "batched": batched,
        "per_sku": per_sku,
        "bulk_calls_batched": bulk,
        "goal": f"<= {GOAL_EBAY_CALLS} bulkUpdatePriceQuantity calls for {CALL_SKUS} SKUs",
        "goal_met": bulk <= GOAL_EBAY_CALLS,
        "note": "getOffers calls are the adapter's per-SKU offer look-ups (a new adapter per job)",
    }


def main() -> None:
    results = {
        "latency_embedded_default_window": latency(1.0),
        "latency_embedded_no_window": latency(0.0),
        "ebay_calls_1000_skus": calls(),
    }
    report = {
        "benchmark": "POS sale -> eBay sandbox latency; eBay calls for a 1,000-SKU change",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "results": results,
        "not_measured": "latency with PostgreSQL and Redis workers; Shopify mutations "
        "(tests/sync/test_push_shopify.py checks 4 for 1,000 SKUs)",
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    print(f"written to {OUTPUT}")


if __name__ == "__main__":
    main()
