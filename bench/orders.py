"""Order import from a marketplace: backfill throughput, and the worker's memory over a run.

Both cases read a live eBay sandbox (served over HTTP in this process, contract checks
off) through the real adapter and the ``orders`` job handler, into a fresh PostgreSQL
database:

- ``import_throughput``: a backfill of ``--orders`` (10,000) orders run in this process;
  orders imported per second of the job's wall time.
- ``backfill_rss``: a backfill of ``--rss-orders`` (50,000) orders run by a separate
  ``stockbridge worker`` process on a Redis queue; its resident memory is sampled every
  half second (peak, first and last quarter of the run).

    .venv/bin/python -m bench.orders
    .venv/bin/python -m bench.orders --orders 2000 --rss-orders 5000

Results are merged into ``bench/results/orders.json`` (other keys of the file are kept);
see ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.adapters_ebay import CLIENT_ID, CLIENT_SECRET, connect_seller
from bench.inventory import DEFAULT_PG_ADMIN, postgresql_database
from stockbridge.channels.base import ListingPayload, Money, TokenSet
from stockbridge.channels.registry import registry
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelLink
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.models import Branch, EcomWebhookLog, JobStatus, ProductCode, SyncJob
from stockbridge.pos import inventory
from stockbridge.sandbox.ebay import EbaySandboxConfig, create_app
from stockbridge.sandbox.ebay.context import EbaySandbox
from stockbridge.sandbox.ebay.sales import OrderLine, PlaceOrder, place_order
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.settings import Settings
from stockbridge.statuses import Condition
from stockbridge.sync import jobs
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.order_poll import OrderWindow, queue_backfill
from stockbridge.sync.queue import JobQueue
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.runner import run_job
from stockbridge.vault import Vault

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "orders.json"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
SKU = "BENCH-1"
THROUGHPUT_GOAL = 300
RSS_GOAL_MB = 300
SAMPLE_SECONDS = 0.5


@dataclass(frozen=True)
class Shop:
    sandbox: EbaySandbox
    settings: Settings
    channel_id: int


@contextmanager
def running_shop(database_url: str, units: int, redis_url: str | None) -> Iterator[Shop]:
    """A sandbox listing ``units`` of one SKU, and a stored channel selling it from a branch
    holding as many."""
    config = EbaySandboxConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, contracts_dir=None)
    app = create_app(config)
    with serve_in_thread(app) as base_url:
        tokens = _list_on_sandbox(base_url, units)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=database_url,
            redis_url=redis_url,
            queue_name=f"sb-bench-{uuid.uuid4().hex[:8]}",
            encryption_key=Fernet.generate_key().decode(),
        )
        engine = make_engine(database_url)
        try:
            channel_id = _store_channel(make_session_factory(engine), settings, base_url, tokens,
                                        units)  # fmt: skip
        finally:
            engine.dispose()
        yield Shop(app.state.ebay, settings, channel_id)


def _list_on_sandbox(base_url: str, units: int) -> TokenSet:
    """The sandbox's seller connected (OAuth, a shop location), listing ``units`` of the SKU."""
    adapter, tokens = connect_seller(base_url)
    adapter.upsert_listings([
        ListingPayload(sku=SKU, title="Brass desk lamp", description="Rewired.",
                       price=Money(4999, "GBP"), quantity=units, condition=Condition.NEW,
                       images=("https://i.ebayimg.com/images/g/lamp/s-l1600.jpg",),
                       brand="Unbranded", weight_grams=1200)
    ])  # fmt: skip
    adapter.publish(SKU)
    adapter.close()
    return tokens


def _store_channel(
    sessions: sessionmaker[Session], settings: Settings, base_url: str, tokens: TokenSet, units: int
) -> int:
    ctx = ChannelContext(settings=settings, vault=Vault(settings.encryption_key), registry=registry)
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    link = ChannelLink(None, "ebay", base_url, credentials, tokens)
    with transaction(sessions) as session:
        branch = Branch(code="BENCH", name="Bench branch")
        product = ProductCode(sku=SKU, name="Brass desk lamp", price_cents=4999, currency="GBP")
        session.add_all([branch, product])
        session.flush()
        version_id = inventory.ensure_version(
            session, product_code_id=product.id, branch_id=branch.id, condition=Condition.NEW
        )
        inventory.receive(session, version_id, units, actor="bench")
        channel = channels.create_channel(
            session, ctx, link=link, name="eBay bench", currency="GBP",
            settings=ChannelSettings(branch_ids=[branch.id]), verified=True,
        )  # fmt: skip
        return channel.id


def buy(sandbox: EbaySandbox, count: int) -> datetime:
    """``count`` one-unit orders; returns a moment just before the first."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    order = PlaceOrder(lines=[OrderLine(sku=SKU, quantity=1)])
    for _ in range(count):
        place_order(sandbox, order)
    return since


def queue(shop: Shop, sessions: sessionmaker[Session], since: datetime, waker: Any) -> int:
    with transaction(sessions) as session:
        return queue_backfill(session, waker, shop.channel_id, OrderWindow(since=since)).id


class _NoWake:
    """Wakes nobody: the benchmark runs the job itself."""

    def wake(self, job_ids: Any) -> None:
        pass

    def wake_later(self, job_ids: Any, seconds: float) -> None:
        pass


def import_throughput(database_url: str, count: int) -> dict[str, Any]:
    with running_shop(database_url, count, None) as shop:
        since = buy(shop.sandbox, count)
        engine = make_engine(database_url)
        try:
            sessions = make_session_factory(engine)
            job_id = queue(shop, sessions, since, _NoWake())
            started = time.perf_counter()
            run_job(
                sessions,
                default_handlers(shop.settings),
                job_id,
                waker=_NoWake(),
                policy=RetryPolicy(max_attempts=1),
            )
            seconds = time.perf_counter() - started
            job = _job(sessions, job_id)
        finally:
            engine.dispose()
    rate = job.counts.get("created", 0) / seconds
    return {
        "orders": count,
        "status": job.status.value,
        "counts": job.counts,
        "seconds": round(seconds, 2),
        "orders_per_second": round(rate, 1),
        "goal": f">= {THROUGHPUT_GOAL} orders/s",
        "met": job.status is JobStatus.SUCCEEDED and rate >= THROUGHPUT_GOAL,
    }


def backfill_rss(database_url: str, count: int, redis_url: str) -> dict[str, Any]:
    with running_shop(database_url, count, redis_url) as shop, ExitStack() as stack:
        since = buy(shop.sandbox, count)
        engine = make_engine(database_url)
        stack.callback(engine.dispose)
        sessions = make_session_factory(engine)
        job_queue = JobQueue(shop.settings, sessions)
        stack.callback(job_queue.close)
        worker = _start_worker(shop.settings)
        stack.callback(_stop, worker)
        job_id = queue(shop, sessions, since, job_queue)
        samples = _sample_until_finished(worker, sessions, job_id)
        job = _job(sessions, job_id)
    values = [mb for _, mb in samples]
    quarter = max(len(values) // 4, 1)
    peak = max(values)
    return {
        "orders": count,
        "status": job.status.value,
        "counts": job.counts,
        "seconds": round(samples[-1][0], 1),
        "peak_rss_mb": round(peak, 1),
        "first_quarter_max_mb": round(max(values[:quarter]), 1),
        "last_quarter_max_mb": round(max(values[-quarter:]), 1),
        "samples": [
            [round(t, 1), round(mb, 1)] for t, mb in samples[:: max(len(samples) // 60, 1)]
        ],
        "goal": f"< {RSS_GOAL_MB} MB and flat",
        "met": job.status is JobStatus.SUCCEEDED and peak < RSS_GOAL_MB,
    }


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    clean = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
    assert settings.encryption_key is not None
    return subprocess.Popen(
        [sys.executable, "-m", "stockbridge", "worker", "--threads", "1"],
        env={
            **clean,
            "STOCKBRIDGE_DATABASE_URL": settings.database_url,
            "STOCKBRIDGE_REDIS_URL": str(settings.redis_url),
            "STOCKBRIDGE_QUEUE_NAME": settings.queue_name,
            "STOCKBRIDGE_ENCRYPTION_KEY": settings.encryption_key,
            "STOCKBRIDGE_LOG_LEVEL": "WARNING",
        },
        stdout=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGINT)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _sample_until_finished(
    worker: subprocess.Popen[bytes], sessions: sessionmaker[Session], job_id: int
) -> list[tuple[float, float]]:
    started = time.monotonic()
    samples: list[tuple[float, float]] = []
    while worker.poll() is None:
        samples.append((time.monotonic() - started, _rss_mb(worker.pid)))
        if _job(sessions, job_id).status.finished:
            return samples
        time.sleep(SAMPLE_SECONDS)
    raise RuntimeError(f"the worker exited with {worker.returncode}")


def _job(sessions: sessionmaker[Session], job_id: int) -> SyncJob:
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        session.expunge(job)
        return job


# --- webhook acknowledgement ---------------------------------------------------------

SHOPIFY_SECRET = "bench-shopify-app-secret"
ACK_GOAL_P99_MS = 50


def webhook_ack(
    database_url: str, rate: float, seconds: float, redis_url: str, workers: int
) -> dict[str, Any]:
    """``stockbridge serve`` on PostgreSQL (jobs queued on Redis, no worker), loaded by
    ``bench.webhook_load`` in a process of its own; then every delivery's log row counted.
    The same generator against uvicorn's floor app first, to show what it adds itself."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        redis_url=redis_url,
        queue_name=f"sb-bench-{uuid.uuid4().hex[:8]}",
        encryption_key=Fernet.generate_key().decode(),
        shopify_client_secret=SHOPIFY_SECRET,
        webhook_rate_limit_per_minute=1_000_000,
    )
    engine = make_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        channel_id = _store_shopify_channel(sessions, settings)
        floor = _floor(rate, seconds)
        port = _free_port()
        with _serving(settings, port, workers):
            found = _generate(f"http://127.0.0.1:{port}/api/ecom/webhooks/shopify/{channel_id}",
                              rate, seconds)  # fmt: skip
        delivery_ids = found.pop("delivery_ids")
        logged = _logged(sessions, channel_id, delivery_ids)
    finally:
        engine.dispose()
        _drop_queue(settings)
    p99 = found["latency_ms"].get("p99", float("inf"))
    all_2xx = sum(n for status, n in found["statuses"].items() if status.startswith("2"))
    lost = len(delivery_ids) - logged
    return found | {
        "logged": logged,
        "lost": lost,
        "floor": {key: floor[key] for key in ("achieved_rate", "latency_ms", "generator")},
        "server": f"stockbridge serve --workers {workers}",
        "goal": f"p99 < {ACK_GOAL_P99_MS} ms at {rate:g}/s, all 2xx, none lost",
        "met": p99 < ACK_GOAL_P99_MS and all_2xx == found["sent"] and lost == 0,
    }


def _store_shopify_channel(sessions: sessionmaker[Session], settings: Settings) -> int:
    ctx = ChannelContext(settings=settings, vault=Vault(settings.encryption_key), registry=registry)
    link = ChannelLink(None, "shopify", "https://bench.myshopify.com",
                       {"access_token": "shpat_bench"}, None)  # fmt: skip
    with transaction(sessions) as session:
        channel = channels.create_channel(
            session, ctx, link=link, name="Shopify bench", currency="GBP",
            settings=ChannelSettings(), verified=True,
        )  # fmt: skip
        return channel.id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(port: int, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port} within 60 s")


@contextmanager
def _serving(settings: Settings, port: int, workers: int) -> Iterator[None]:
    """``stockbridge serve`` in a process of its own, as an operator runs it."""
    clean = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
    assert settings.encryption_key is not None
    assert settings.shopify_client_secret is not None
    command = [sys.executable, "-m", "stockbridge", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env={
            **clean,
            "STOCKBRIDGE_DATABASE_URL": settings.database_url,
            "STOCKBRIDGE_REDIS_URL": str(settings.redis_url),
            "STOCKBRIDGE_QUEUE_NAME": settings.queue_name,
            "STOCKBRIDGE_ENCRYPTION_KEY": settings.encryption_key,
            "STOCKBRIDGE_SHOPIFY_CLIENT_SECRET": settings.shopify_client_secret.get_secret_value(),
            "STOCKBRIDGE_WEBHOOK_RATE_LIMIT_PER_MINUTE": str(
                settings.webhook_rate_limit_per_minute
            ),
            "STOCKBRIDGE_LOG_LEVEL": "WARNING",
        },
        # An overloaded server logs a traceback for every client that gave up waiting.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(port, server, "/healthz")
        yield
    finally:
        _stop(server)


def _floor(rate: float, seconds: float) -> dict[str, Any]:
    port = _free_port()
    floor = subprocess.Popen([sys.executable, "-m", "bench.webhook_load", "--floor", str(port)])
    try:
        _wait_until_up(port, floor, "/")
        return _generate(f"http://127.0.0.1:{port}/", rate, seconds)
    finally:
        _stop(floor)


def _generate(url: str, rate: float, seconds: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.webhook_load", "--url", url, "--secret", SHOPIFY_SECRET,
         "--rate", str(rate), "--seconds", str(seconds)],
        capture_output=True, check=True,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def _logged(sessions: sessionmaker[Session], channel_id: int, delivery_ids: list[str]) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(EcomWebhookLog)
                .where(
                    EcomWebhookLog.channel_id == channel_id,
                    EcomWebhookLog.delivery_id.in_(delivery_ids),
                )
            )
            or 0
        )


def _drop_queue(settings: Settings) -> None:
    """The wake-ups no worker consumed: the queue's keys in Redis."""
    client = redis.Redis.from_url(str(settings.redis_url))
    try:
        keys = list(client.scan_iter(f"*{settings.queue_name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def merge_results(path: Path, found: dict[str, Any]) -> None:
    """Read, merge, write: keys other benchmarks wrote to the file stay."""
    current = json.loads(path.read_text()) if path.exists() else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**current, **found}, indent=2) + "\n")


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


CASES = ("webhook_ack", "import_throughput", "backfill_rss")


def run_case(name: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    if name == "webhook_ack":
        return webhook_ack(database_url, args.rate, args.seconds, args.redis, args.workers)
    if name == "import_throughput":
        return import_throughput(database_url, args.orders)
    return backfill_rss(database_url, args.rss_orders, args.redis)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rss-orders", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=500, help="webhook deliveries a second")
    parser.add_argument("--seconds", type=float, default=30, help="of webhook load")
    parser.add_argument("--workers", type=int, default=1, help="`serve --workers` of webhook_ack")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--pg-admin", default=os.environ.get("BENCH_PG_ADMIN", DEFAULT_PG_ADMIN))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    cases = set(args.cases.split(","))
    for name in CASES:
        if name not in cases:
            continue
        with postgresql_database(args.pg_admin) as database_url:
            before = machine()
            result = run_case(name, database_url, args)
        result |= {"backend": "postgresql", "machine_before": before, "machine_after": machine(),
                   "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        print(name, json.dumps({k: v for k, v in result.items() if k != "samples"}))
        merge_results(args.output, {name: result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
