"""Inventory throughput: reserve + release pairs per second, on SQLite and PostgreSQL.

Each pair is what a marketplace order that is imported and then cancelled costs: one
``inventory.reserve`` and one ``inventory.release``, each in its own committed
transaction, through the same engine set-up (``make_engine``) the application uses.
Threads work either on distinct SKUs (one version each) or all on one hot SKU.

    .venv/bin/python -m bench.inventory                 # both backends, 5 s per case
    .venv/bin/python -m bench.inventory --seconds 2 --backends sqlite

Results go to ``bench/results/inventory.json``; see ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import make_engine, make_session_factory, transaction
from stockbridge.db.migrate import upgrade
from stockbridge.db.models import Branch, Condition, ProductCode, ProductCodeVersion
from stockbridge.db.models import StockLedgerEntry as Ledger
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Reference

DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "inventory.json"
GOAL_DESCRIPTION = ">= 500 reservations/s on PostgreSQL with 8 threads over distinct SKUs"
GOAL_CASE = ("postgresql", 8, "distinct")
GOAL_RATE = 500
ACTOR = "bench"
STOCK_PER_VERSION = 1_000
JOIN_GRACE_SECONDS = 60.0


@dataclass
class CaseResult:
    backend: str
    threads: int
    skus: str
    pairs: int
    pairs_per_second: float
    reservations_per_second: float
    total_ops: int
    duration_seconds: float
    latency_ms: dict[str, float]
    errors: int
    error_samples: list[str] = field(default_factory=list)
    consistent: bool = True


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="sb_bench_") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        yield url


@contextmanager
def postgresql_database(admin_url: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh migrated database ``sb_bench_<random>``, dropped at the end unless ``keep``."""
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            if keep:
                print(f"kept the database {url}", file=sys.stderr)
            else:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def seed(factory: sessionmaker[Session], count: int) -> list[int]:
    """``count`` versions (one product code each) with stock received through inventory."""
    tag = uuid.uuid4().hex[:8]
    with transaction(factory) as session:
        branch = Branch(code=f"BENCH-{tag}", name="Bench branch")
        products = [
            ProductCode(sku=f"BENCH-{tag}-{n}", name=f"Bench {n}", price_cents=100, currency="EUR")
            for n in range(count)
        ]
        session.add_all([branch, *products])
        session.flush()
        version_ids = []
        for product in products:
            version_id = inventory.ensure_version(
                session, product_code_id=product.id, branch_id=branch.id, condition=Condition.NEW
            )
            inventory.receive(session, version_id, STOCK_PER_VERSION, actor=ACTOR)
            version_ids.append(version_id)
    return version_ids


def reserve_and_release(factory: sessionmaker[Session], version_id: int, reference: str) -> None:
    ref = Reference("bench", reference)
    with transaction(factory) as session:
        inventory.reserve(session, version_id, 1, actor=ACTOR, reference=ref)
    with transaction(factory) as session:
        inventory.release(session, version_id, 1, actor=ACTOR, reference=ref)


@dataclass
class Worker:
    factory: sessionmaker[Session]
    version_id: int
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished_at: float = 0.0

    def run(self, barrier: threading.Barrier, stop_at: list[float], warmup: int) -> None:
        try:
            for n in range(warmup):
                reserve_and_release(self.factory, self.version_id, f"{self.name}-w{n}")
        except Exception as error:
            self.errors.append(f"warm-up: {error!r}")
        barrier.wait(timeout=JOIN_GRACE_SECONDS)
        n = 0
        while (started := time.perf_counter()) < stop_at[0]:
            n += 1
            try:
                reserve_and_release(self.factory, self.version_id, f"{self.name}-{n}")
            except Exception as error:
                self.errors.append(repr(error))
                continue
            self.latencies.append(time.perf_counter() - started)
        self.finished_at = time.perf_counter()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_case(
    engine: Engine, backend: str, threads: int, skus: str, seconds: float, warmup: int
) -> CaseResult:
    factory = make_session_factory(engine)
    version_ids = seed(factory, threads if skus == "distinct" else 1)
    workers = [
        Worker(factory, version_ids[n % len(version_ids)], f"{backend}-{skus}-{threads}-{n}")
        for n in range(threads)
    ]
    # The main thread passes the barrier too, and sets the end once everyone is warm.
    barrier = threading.Barrier(threads + 1)
    stop_at = [float("inf")]
    pool = [
        threading.Thread(target=w.run, args=(barrier, stop_at, warmup), daemon=True)
        for w in workers
    ]
    for thread in pool:
        thread.start()
    barrier.wait(timeout=JOIN_GRACE_SECONDS)
    started = time.perf_counter()
    stop_at[0] = started + seconds
    for thread in pool:
        thread.join(timeout=seconds + JOIN_GRACE_SECONDS)
    if any(thread.is_alive() for thread in pool):
        raise RuntimeError(f"{backend} {skus} x{threads}: workers did not finish")
    duration = max(w.finished_at for w in workers) - started
    latencies = sorted(latency for w in workers for latency in w.latencies)
    errors = [error for w in workers for error in w.errors]
    pairs = len(latencies)
    rate = pairs / duration if duration > 0 else 0.0
    return CaseResult(
        backend=backend,
        threads=threads,
        skus=skus,
        pairs=pairs,
        pairs_per_second=round(rate, 1),
        reservations_per_second=round(rate, 1),
        total_ops=2 * pairs,
        duration_seconds=round(duration, 3),
        latency_ms={
            "p50": round(statistics.median(latencies) * 1000, 3) if latencies else 0.0,
            "p99": round(percentile(latencies, 0.99) * 1000, 3),
        },
        errors=len(errors),
        error_samples=sorted(set(errors))[:5],
        consistent=consistent(factory, version_ids, expect_reserved=0 if not errors else None),
    )


def consistent(
    factory: sessionmaker[Session], version_ids: list[int], expect_reserved: int | None
) -> bool:
    """Ledger sums equal stored quantities (and nothing is left reserved after a clean run)."""
    with factory() as session:
        for version_id in version_ids:
            version = session.get(ProductCodeVersion, version_id)
            assert version is not None
            sums = session.execute(
                select(func.sum(Ledger.delta_on_hand), func.sum(Ledger.delta_reserved)).where(
                    Ledger.version_id == version_id
                )
            ).one()
            if tuple(sums) != (version.qty_on_hand, version.qty_reserved):
                return False
            if expect_reserved is not None and version.qty_reserved != expect_reserved:
                return False
    return True


def server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return str(connection.execute(text("SHOW server_version")).scalar())
        return str(connection.execute(text("SELECT sqlite_version()")).scalar())


def run_backend(
    backend: str, *, threads: list[int], seconds: float, warmup: int, pg_admin: str
) -> tuple[str, list[CaseResult]]:
    database = sqlite_database() if backend == "sqlite" else postgresql_database(pg_admin)
    results = []
    with database as url:
        # A connection per thread, plus one for seeding and checking.
        engine = make_engine(url, pool_size=max(threads) + 2, max_overflow=0)
        try:
            version = server_version(engine)
            for skus in ("distinct", "hot"):
                for count in threads:
                    result = run_case(engine, backend, count, skus, seconds, warmup)
                    print(
                        f"{backend:10} {skus:8} x{count}: {result.pairs_per_second:8.1f} pairs/s"
                        f"  p50 {result.latency_ms['p50']:.2f} ms"
                        f"  p99 {result.latency_ms['p99']:.2f} ms  errors {result.errors}",
                        flush=True,
                    )
                    results.append(result)
        finally:
            engine.dispose()
    return version, results


def goal_section(results: list[CaseResult]) -> dict[str, Any]:
    measured = next(
        (r.reservations_per_second for r in results if (r.backend, r.threads, r.skus) == GOAL_CASE),
        None,
    )
    backend, threads, skus = GOAL_CASE
    return {
        "description": GOAL_DESCRIPTION,
        "backend": backend,
        "threads": threads,
        "skus": skus,
        "min_reservations_per_second": GOAL_RATE,
        "measured_reservations_per_second": measured,
        "met": measured is not None and measured >= GOAL_RATE,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inventory", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per case")
    parser.add_argument("--warmup", type=int, default=20, help="pairs per thread before timing")
    parser.add_argument("--threads", default="1,8", help="comma list of thread counts")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma list")
    parser.add_argument("--pg-admin", default=os.environ.get("BENCH_PG_ADMIN", DEFAULT_PG_ADMIN))
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    threads = [int(n) for n in args.threads.split(",") if n.strip()]
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    machine: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "sqlite": sqlite3.sqlite_version,
    }
    results: list[CaseResult] = []
    for backend in backends:
        version, backend_results = run_backend(
            backend,
            threads=threads,
            seconds=args.seconds,
            warmup=args.warmup,
            pg_admin=args.pg_admin,
        )
        machine[backend] = version
        results.extend(backend_results)

    report: dict[str, Any] = {
        "benchmark": "inventory reserve + release pairs (each operation its own transaction)",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {"seconds": args.seconds, "warmup_pairs": args.warmup, "threads": threads},
        "machine": machine,
        "results": [asdict(result) for result in results],
        "goal": goal_section(results),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"goal: {report['goal']['description']}: met={report['goal']['met']}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
