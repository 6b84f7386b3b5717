"""One push per channel at a time, across every process, handed over in turn.

PostgreSQL: a session-level advisory lock (``pg_advisory_lock(namespace, channel)``)
held on a connection of its own in autocommit mode, so no transaction stays open while
the holder calls a marketplace; the lock goes with the connection if the process dies.
SQLite: jobs run in one process (the embedded queue's threads), so a lock per database
and channel inside the process is enough.

A second pusher waits for the lock rather than giving up: it was queued for a change
the first may already have read past, and it pushes whatever is left. Waiters get the
lock **in the order they asked** (PostgreSQL grants a released lock to the first in its
wait queue; the in-process lock hands it to the oldest waiter), so a holder that takes
it again at once, as the reconcile does for each batch, goes behind a push that was
waiting instead of keeping it for its whole walk.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

#: The first key of our advisory locks (``pg_advisory_lock(int, int)``): "push".
PUSH_LOCK_NAMESPACE = 0x70757368
#: PostgreSQL's SQLSTATE for a lock wait that ran into ``lock_timeout``.
LOCK_NOT_AVAILABLE = "55P03"

_local_locks: dict[tuple[str, int], _FairLock] = {}
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


def lock_waiters(engine: Engine, channel_id: int) -> int:
    """How many pushes wait for the channel's lock now (for tests and status output)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            params = {"space": PUSH_LOCK_NAMESPACE, "channel": channel_id}
            waiting = connection.scalar(_WAITERS, params)
        return int(waiting or 0)
    return _local_lock(engine, channel_id).waiters()


# An advisory lock on two int4 keys shows in pg_locks as (classid, objid, objsubid = 2).
_WAITERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    " AND classid = CAST(:space AS oid) AND objid = CAST(:channel AS oid) AND objsubid = 2"
)


class _FairLock:
    """A lock handed to its waiters first come, first served (``threading.Lock`` goes to
    whichever thread the scheduler runs first: often the one that just released it)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, *, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._guard:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._waiters.remove(turn)
            return False

    def waiters(self) -> int:
        with self._guard:
            return len(self._waiters)

    def release(self) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().set()  # still held: now by that waiter
            else:
                self._held = False


def _local_lock(engine: Engine, channel_id: int) -> _FairLock:
    key = (str(engine.url), channel_id)
    with _local_guard:
        return _local_locks.setdefault(key, _FairLock())


@contextmanager
def _advisory_lock(engine: Engine, channel_id: int, wait_seconds: float) -> Iterator[None]:
    params = {"space": PUSH_LOCK_NAMESPACE, "channel": channel_id}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # A blocking wait queues behind earlier waiters; lock_timeout bounds it.
        timeout = f"{max(int(wait_seconds * 1000), 1)}ms"
        set_timeout = text("SELECT set_config('lock_timeout', :timeout, false)")
        connection.execute(set_timeout, {"timeout": timeout})
        try:
            connection.execute(text("SELECT pg_advisory_lock(:space, :channel)"), params)
        except OperationalError as error:
            _reset_or_discard(connection)
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            raise ChannelBusy(f"another push of channel {channel_id} is still running") from error
        # Held from here: whatever fails next, the lock must not stay with the pool. A
        # session's locks and settings end with it, so a connection that cannot be
        # cleaned up is closed for good (invalidated) instead of going back.
        try:
            connection.execute(text("RESET lock_timeout"))
        except Exception:
            connection.invalidate()
            raise
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:space, :channel)"), params)
            except Exception:
                connection.invalidate()
                raise


def _reset_or_discard(connection: Connection) -> None:
    """Give the pool back a connection without our lock_timeout, or none at all."""
    try:
        connection.execute(text("RESET lock_timeout"))
    except Exception:
        connection.invalidate()
