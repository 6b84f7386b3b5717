"""One push per channel at a time, across every process.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock(namespace, channel)``)
held on a connection of its own in autocommit mode, so no transaction stays open while
the holder calls a marketplace; the lock goes with the connection if the process dies.
SQLite: jobs run in one process (the embedded queue's threads), so a lock per database
and channel inside the process is enough.

A second pusher waits for the lock (polling) rather than giving up: it was queued for a
change the first may already have read past, and it pushes whatever is left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

#: The first key of our advisory locks (``pg_try_advisory_lock(int, int)``): "push".
PUSH_LOCK_NAMESPACE = 0x70757368
POLL_SECONDS = 0.05

_local_locks: dict[tuple[str, int], threading.Lock] = {}
_local_guard = threading.Lock()


class ChannelBusy(Exception):
    """Another push of the channel held its lock for longer than the wait allowed."""


@contextmanager
def channel_lock(engine: Engine, channel_id: int, *, wait_seconds: float) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, channel_id, wait_seconds):
            yield
    else:
        lock = _local_lock(engine, channel_id)
        if not lock.acquire(timeout=wait_seconds):
            raise ChannelBusy(f"another push of channel {channel_id} is still running")
        try:
            yield
        finally:
            lock.release()


def _local_lock(engine: Engine, channel_id: int) -> threading.Lock:
    key = (str(engine.url), channel_id)
    with _local_guard:
        return _local_locks.setdefault(key, threading.Lock())


@contextmanager
def _advisory_lock(engine: Engine, channel_id: int, wait_seconds: float) -> Iterator[None]:
    params = {"space": PUSH_LOCK_NAMESPACE, "channel": channel_id}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        deadline = time.monotonic() + wait_seconds
        try_lock = text("SELECT pg_try_advisory_lock(:space, :channel)")
        while not connection.scalar(try_lock, params):
            if time.monotonic() >= deadline:
                raise ChannelBusy(f"another push of channel {channel_id} is still running")
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:space, :channel)"), params)
