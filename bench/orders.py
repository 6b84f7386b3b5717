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

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from bench.adapters_ebay import CLIENT_ID, CLIENT_SECRET, connect_seller
from bench.inventory import DEFAULT_PG_ADMIN, postgresql_database
from stockbridge.channels.base import ListingPayload, Money, TokenSet
from stockbridge.channels.registry import registry
from stockbridge.commerce import channels
from stockbridge.commerce.channel_schemas import ChannelSettings
from stockbridge.commerce.channels import ChannelContext, ChannelLink
from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.models import Branch, JobStatus, ProductCode, SyncJob
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


def merge_results(path: Path, found: dict[str, Any]) -> None:
    """Read, merge, write: keys other benchmarks wrote to the file stay."""
    current = json.loads(path.read_text()) if path.exists() else {}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**current, **found}, indent=2) + "\n")


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rss-orders", type=int, default=50_000)
    parser.add_argument("--cases", default="import_throughput,backfill_rss")
    parser.add_argument("--pg-admin", default=os.environ.get("BENCH_PG_ADMIN", DEFAULT_PG_ADMIN))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    cases = set(args.cases.split(","))
    for name in ("import_throughput", "backfill_rss"):
        if name not in cases:
            continue
        with postgresql_database(args.pg_admin) as database_url:
            before = machine()
            if name == "import_throughput":
                result = import_throughput(database_url, args.orders)
            else:
                result = backfill_rss(database_url, args.rss_orders, args.redis)
        result |= {"backend": "postgresql", "machine_before": before, "machine_after": machine(),
                   "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        print(name, json.dumps({k: v for k, v in result.items() if k != "samples"}))
        merge_results(args.output, {name: result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
