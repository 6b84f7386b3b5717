"""The channel lock: one holder at a time, waiters served in the order they asked."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from stockbridge.sync.channel_lock import ChannelBusy, channel_lock, lock_waiters
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


def _hold(engine: Engine, wait_seconds: float) -> None:
    with channel_lock(engine, CHANNEL, wait_seconds=wait_seconds):
        pass
