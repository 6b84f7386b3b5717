"""``stockbridge worker`` processes for the tests: a Redis queue, start, kill, stop.

A worker is a real subprocess consuming the test's Redis queue (its own queue name) on
the test's database, with the settings the test gives it. Its output goes to a file
rather than a pipe, so a chatty worker never blocks on a full pipe, and a failed
assertion can show what it said.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from stockbridge.settings import ENV_PREFIX, Settings
from stockbridge.sync.queue import JobQueue
from tests.sync.conftest import MakeQueue

REDIS_URL = os.environ.get("STOCKBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

#: The settings a worker is started with, taken from the test's queue settings.
WORKER_SETTINGS = (
    "database_url",
    "redis_url",
    "queue_name",
    "encryption_key",
    "sync_max_attempts",
    "sync_heartbeat_seconds",
    "sync_stale_seconds",
    "push_coalesce_seconds",
)


@pytest.fixture
def redis_queue(make_queue: MakeQueue) -> Iterator[JobQueue]:
    """A job queue on Redis (under a name of the test's own), emptied afterwards."""
    redis.Redis.from_url(REDIS_URL).ping()
    queue = make_queue(redis_url=REDIS_URL)
    yield queue
    forget_redis_queue(queue)


def forget_redis_queue(queue: JobQueue) -> None:
    """Delete the Redis keys of a test's queue."""
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"huey.*{queue.settings.queue_name}*"):
        client.delete(key)
    client.close()


def worker_env(settings: Settings) -> dict[str, str]:
    """This process's environment without its ``STOCKBRIDGE_*`` variables, plus
    ``settings``'s values of :data:`WORKER_SETTINGS`."""
    clean = {name: value for name, value in os.environ.items() if "STOCKBRIDGE" not in name}
    chosen = {name: getattr(settings, name) for name in WORKER_SETTINGS}
    return clean | {
        f"{ENV_PREFIX}{name.upper()}": str(value)
        for name, value in chosen.items()
        if value is not None
    }


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        """True while the process runs; a worker that exited on its own fails the test."""
        assert self.process.poll() is None, f"the worker exited:\n{self.output()}"
        return True

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, as when a machine dies."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """SIGINT (Huey's consumer finishes its running jobs); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        return self.process.returncode


def start_worker(
    settings: Settings, cwd: Path, *, threads: int = 2, name: str = "worker"
) -> Worker:
    """``stockbridge worker --threads N`` with ``settings``, run in ``cwd``."""
    log = cwd / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "stockbridge", "worker", "--threads", str(threads)],
            env=worker_env(settings),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Worker(process, log)


StartWorker = Callable[..., Worker]


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[StartWorker]:
    """Start workers (``spawn_worker(settings, threads=2)``); any still running at
    teardown is killed: the test has checked what it wanted, and a graceful stop would
    only add seconds."""
    started: list[Worker] = []

    def spawn(settings: Settings, *, threads: int = 2) -> Worker:
        worker = start_worker(settings, tmp_path, threads=threads, name=f"worker-{len(started)}")
        started.append(worker)
        return worker

    yield spawn
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()
