"""The channel lock: one holder at a time, waiters served in the order they asked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from stockbridge.sync.channel_lock import (
    PUSH_LOCK_NAMESPACE,
    ChannelBusy,
    channel_lock,
    lock_waiters,
)
from tests.sync.conftest import wait_for

CHANNEL = 4242


def test_a_second_holder_waits_no_longer_than_allowed(engine: Engine) -> None:
    with channel_lock(engine, CHANNEL, wait_seconds=5), ThreadPoolExecutor(1) as pool:
        waited = pool.submit(_hold, engine, 0.2)
        with pytest.raises(ChannelBusy, match=f"channel {CHANNEL}"):
            waited.result(timeout=30)
    with channel_lock(engine, CHANNEL, wait_seconds=1):  # free again once released
        pass


def test_a_holder_that_takes_the_lock_again_goes_behind_a_waiter(engine: Engine) -> None:
    # As the reconcile does for each batch: it must not keep the lock from a push.
    order: list[str] = []
    asked = threading.Event()

    def waiter() -> None:
        asked.set()
        with channel_lock(engine, CHANNEL, wait_seconds=30):
            order.append("waiter")

    with ThreadPoolExecutor(1) as pool:
        with channel_lock(engine, CHANNEL, wait_seconds=30):
            waiting = pool.submit(waiter)
            assert asked.wait(30)
            wait_for(lambda: not waiting.done() and lock_waiters(engine, CHANNEL) == 1)
        with channel_lock(engine, CHANNEL, wait_seconds=30):
            order.append("holder again")
        waiting.result(timeout=30)

    assert order == ["waiter", "holder again"]


def test_a_lock_granted_is_not_left_on_a_pooled_connection_when_its_cleanup_fails(
    engine: Engine, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("an advisory lock belongs to a PostgreSQL connection")

    def fail_the_reset(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "RESET lock_timeout":
            raise OperationalError(statement, {}, Exception("connection lost"))

    event.listen(engine, "before_cursor_execute", fail_the_reset)
    try:
        with pytest.raises(OperationalError), channel_lock(engine, CHANNEL, wait_seconds=5):
            pass
    finally:
        event.remove(engine, "before_cursor_execute", fail_the_reset)

    # Another session can take the lock: none of the pool's connections kept it.
    params = {"space": PUSH_LOCK_NAMESPACE, "channel": CHANNEL}
    with engine.connect() as other:
        assert other.scalar(text("SELECT pg_try_advisory_lock(:space, :channel)"), params)
        other.scalar(text("SELECT pg_advisory_unlock(:space, :channel)"), params)
    with channel_lock(engine, CHANNEL, wait_seconds=1):
        pass


def _hold(engine: Engine, wait_seconds: float) -> None:
    with channel_lock(engine, CHANNEL, wait_seconds=wait_seconds):
        pass
