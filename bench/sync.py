"""Sync engine: POS sale -> marketplace latency, and calls for a 1,000-SKU change.

The eBay sandbox runs over real HTTP on a free local port (contract mode follows
``$STOCKBRIDGE_SANDBOX_CONTRACTS``, off when unset). Publications record the offer ids
the listing calls answered, as the listings job does.

- **latency**: 200 SKUs listed; one POS sale every 50 ms, each of a different SKU; a
  poller reads the sandbox's offers every 20 ms and notes when each sale's quantity
  shows. Latency = shown - sale committed. Embedded (a fresh SQLite database, the
  in-process job queue: SQLite file, two consumer threads) with the default coalescing
  window (1 s) and with none (0 s); and scaled out (a throwaway PostgreSQL database, a
  ``stockbridge worker`` process with two threads on a Redis queue of its own, deleted
  afterwards; the sales are committed by this process) with the default window.
- **calls**: 1,000 SKUs listed; every quantity changes, then one push job runs
  (batched); then every quantity changes again, one push job after each change
  (per SKU). eBay calls are read from the sandbox's ``/_sandbox/calls``. Shopify's
  1,000-SKU figures (mutations batched against per SKU) come from
  ``bench.adapters_shopify``.

    .venv/bin/python -m bench.sync        # writes bench/results/sync.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles
from typing import Any

import httpx
import redis
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench import adapters_shopify
from bench.adapters_ebay import CLIENT_ID, CLIENT_SECRET, connect_seller
from bench.inventory import postgresql_database
from stockbridge.channels.base import ListingPayload, ListingRef, Money
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
from stockbridge.sync.retry import RetryPolicy
from stockbridge.vault import Vault

OUTPUT = Path(__file__).resolve().parent / "results" / "sync.json"
SALES = 200
SALE_EVERY = 0.05
POLL_EVERY = 0.02
CALL_SKUS = 1_000
GOAL_EBAY_CALLS = 40
GOAL_SHOPIFY_MUTATIONS = 4
PRICE = 1999
ACTOR = "bench"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
GOAL_P95_SECONDS = 2.0
SLOWEST = 5


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
    with _bench(stack, url, coalesce) as bench:
        yield bench


@contextmanager
def scaled_out(stack: ExitStack, coalesce: float, *, keep: bool = False) -> Iterator[Bench]:
    """A throwaway PostgreSQL database (kept for inspection if ``keep``) and a Redis queue
    name of its own."""
    url = stack.enter_context(postgresql_database(PG_ADMIN, keep=keep))
    queue_name = f"sb-bench-{uuid.uuid4().hex[:10]}"
    stack.callback(_forget_redis_queue, queue_name)
    with _bench(stack, url, coalesce, redis_url=REDIS_URL, queue_name=queue_name) as bench:
        yield bench


def _forget_redis_queue(queue_name: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"huey.*{queue_name}*"):
        client.delete(key)
    client.close()


@contextmanager
def _bench(stack: ExitStack, url: str, coalesce: float, **queue: Any) -> Iterator[Bench]:
    engine = make_engine(url)
    stack.callback(engine.dispose)
    key = Fernet.generate_key().decode()
    settings = Settings(
        database_url=url, encryption_key=key, push_coalesce_seconds=coalesce, **queue
    )
    config = EbaySandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    base_url = stack.enter_context(serve_in_thread(create_app(config)))
    http = stack.enter_context(httpx.Client(base_url=base_url, timeout=30))
    ctx = ChannelContext(settings, Vault(key), registry)
    yield Bench(settings, make_session_factory(engine), ctx, http, base_url)


def _seller(base_url: str, skus: list[str]) -> tuple[ChannelLink, dict[str, ListingRef]]:
    """OAuth as the seller, then list every SKU (item and offer) with 10 units; the link
    and each SKU's ref (offer id) as the listings job records them."""
    adapter, tokens = connect_seller(base_url)
    payloads = [
        ListingPayload(sku, f"Item {sku}", "Bench item.", Money(PRICE, "GBP"), 10) for sku in skus
    ]
    refs = {ref.sku: ref for ref in adapter.upsert_listings(payloads)}
    adapter.close()
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return ChannelLink(None, "ebay", base_url, credentials, tokens), refs


def _shop(bench: Bench, skus: list[str]) -> tuple[int, int, dict[str, int]]:
    """(channel id, branch id, sku -> version id): each SKU with 10 units, published."""
    link, refs = _seller(bench.base_url, skus)
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
                    external_id=refs[sku].external_id, external_refs=dict(refs[sku].refs),
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


def latency(coalesce: float, *, scaled: bool = False, keep: bool = False) -> dict[str, Any]:
    with ExitStack() as stack:
        if scaled:
            bench = stack.enter_context(scaled_out(stack, coalesce, keep=keep))
        else:
            bench = stack.enter_context(embedded(stack, coalesce))
        skus = [f"LAT-{n:03d}" for n in range(SALES)]
        _, branch_id, _ = _shop(bench, skus)
        if scaled:
            # This process only queues (its commits' wake-ups); the worker runs the jobs.
            queue = JobQueue(bench.settings, bench.sessions, in_process=False)
            stack.callback(queue.close)
            worker = _start_worker(bench.settings)
            stack.callback(_stop, worker)
            _wait_until_consuming(bench.sessions, worker)
        else:
            database = Path(bench.settings.database_url.removeprefix("sqlite:///"))
            queue = JobQueue(bench.settings, bench.sessions, sqlite_path=database.with_suffix(".q"))
            stack.callback(queue.close)
            queue.start_in_process(periodic=False)
        sold: dict[str, float] = {}
        sold_at: dict[str, datetime] = {}
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
            sold_at[sku] = datetime.now(UTC)
            time.sleep(SALE_EVERY)
        deadline = time.monotonic() + 60
        while len(shown) < len(skus) and time.monotonic() < deadline:
            time.sleep(0.1)
        done.set()
        poller.join()
    waits = sorted(shown[sku] - sold[sku] for sku in shown)
    cuts = quantiles(waits, n=100)
    slowest = sorted(shown, key=lambda sku: sold[sku] - shown[sku])[:SLOWEST]
    return {
        "setup": "postgresql+redis worker process" if scaled else "embedded sqlite",
        "coalesce_seconds": coalesce,
        "sales": len(skus),
        "seen": len(waits),
        "p50_seconds": round(cuts[49], 3),
        "p95_seconds": round(cuts[94], 3),
        "max_seconds": round(waits[-1], 3),
        "poll_every_seconds": POLL_EVERY,
        "goal_p95_met": cuts[94] < GOAL_P95_SECONDS,
        "slowest": [
            {
                "sku": sku,
                "sold_at": sold_at[sku].isoformat(),
                "seconds": round(shown[sku] - sold[sku], 3),
            }
            for sku in slowest
        ],
        "not_seen": sorted(set(skus) - set(shown)),
    }


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    clean = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
    assert settings.redis_url is not None
    assert settings.encryption_key is not None
    worker = subprocess.Popen(
        [sys.executable, "-m", "stockbridge", "worker", "--threads", "2"],
        env={
            **clean,
            "STOCKBRIDGE_DATABASE_URL": settings.database_url,
            "STOCKBRIDGE_REDIS_URL": settings.redis_url,
            "STOCKBRIDGE_QUEUE_NAME": settings.queue_name,
            "STOCKBRIDGE_ENCRYPTION_KEY": settings.encryption_key,
            "STOCKBRIDGE_LOG_LEVEL": "WARNING",
        },
        stdout=subprocess.DEVNULL,
    )
    return worker


def _wait_until_consuming(
    sessions: sessionmaker[Session], worker: subprocess.Popen[bytes], *, seconds: float = 120
) -> None:
    """Until the worker consumes: its start-up scheduler has queued the channel's first
    orders poll. Its start-up (imports, schema check: 3 to 15 s on a loaded 2-CPU machine)
    is not part of a sale's latency; the start-up reconcile it queues runs during the sales."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited"
        with sessions() as session:
            if session.scalar(select(SyncJob.id).where(SyncJob.kind == JobKind.ORDERS).limit(1)):
                return
        time.sleep(0.1)
    raise TimeoutError(f"the worker did not consume within {seconds} s")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _push(bench: Bench, channel_id: int) -> SyncJob:
    with transaction(bench.sessions) as session:
        job_id = jobs.enqueue_job(
            session, _NoWake(), kind=JobKind.INVENTORY, channel_id=channel_id
        ).id
    runner.run_job(
        bench.sessions, default_handlers(bench.ctx), job_id, waker=_NoWake(), policy=RetryPolicy()
    )
    with bench.sessions() as session:
        return jobs.get_job(session, job_id)


class _NoWake:
    def wake(self, job_ids: Any) -> None:
        pass

    def wake_later(self, job_ids: Any, seconds: float) -> None:
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
        "note": "getOffers would be the adapter's per-SKU offer look-ups; the push seeds "
        "its offer ids from the publications, so there are none",
    }


def shopify_mutations() -> dict[str, Any]:
    figures = adapters_shopify.run()
    batched, per_sku = figures["batched"], figures["per_sku"]
    return {
        "skus": figures["skus"],
        "batched": batched,
        "batched_ids_cached": figures["batched_ids_cached"],
        "per_sku": per_sku,
        "mutations_batched": batched["mutations"],
        "mutations_per_sku": per_sku["mutations"],
        "goal": f"<= {GOAL_SHOPIFY_MUTATIONS} inventorySetQuantities mutations (250 a call)",
        "goal_met": batched["mutations"] <= GOAL_SHOPIFY_MUTATIONS,
        "note": "bench.adapters_shopify: the adapter's set_quantities, not a push job",
    }


CASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "latency_embedded_default_window": lambda args: latency(1.0),
    "latency_embedded_no_window": lambda args: latency(0.0),
    "latency_postgresql_redis_default_window": lambda args: latency(
        1.0, scaled=True, keep=args.keep_database
    ),
    "ebay_calls_1000_skus": lambda args: calls(),
    "shopify_mutations_1000_skus": lambda args: shopify_mutations(),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument(
        "--keep-database", action="store_true",
        help="keep the PostgreSQL case's database (its name is printed) for inspection",
    )  # fmt: skip
    parser.add_argument(
        "--output", type=Path, default=None,
        help="result file (default: bench/results/sync.json when every case runs, else none)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    chosen = args.cases.split(",")
    unknown = sorted(set(chosen) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {', '.join(CASES)}")
    load_before = os.getloadavg()
    results = {name: run(args) for name, run in CASES.items() if name in chosen}
    report = {
        "benchmark": "POS sale -> eBay sandbox latency (embedded, PostgreSQL + Redis worker); "
        "eBay calls and Shopify mutations for a 1,000-SKU change",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "results": results,
    }
    print(json.dumps(results, indent=2))
    output = args.output or (OUTPUT if len(results) == len(CASES) else None)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"written to {output}")


if __name__ == "__main__":
    main()
