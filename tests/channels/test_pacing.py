"""Pacing: cost buckets and daily budgets, in process and shared through real Redis."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from stockbridge.channels.pacing import (
    MemoryCostBucket,
    MemoryDailyBudget,
    RedisCostBucket,
    RedisDailyBudget,
    cost_bucket,
    daily_budget,
)
from stockbridge.errors import ChannelError, ChannelErrorCategory

REDIS_URL = os.environ.get("STOCKBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class FakeTime:
    """A clock whose sleep moves it forward, so waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    yield client
    client.close()


def test_a_bucket_spends_points_then_waits_for_the_restore_rate() -> None:
    fake = FakeTime()
    bucket = MemoryCostBucket(maximum=100, restore_rate=50, clock=fake.clock, sleep=fake.sleep)

    assert bucket.take(60) == 0
    assert bucket.take(40) == 0
    waited = bucket.take(25)

    assert waited == pytest.approx(0.5)  # 25 points at 50 per second


def test_observing_the_marketplace_count_replaces_the_estimate() -> None:
    fake = FakeTime()
    bucket = MemoryCostBucket(maximum=100, restore_rate=50, clock=fake.clock, sleep=fake.sleep)

    bucket.observe(available=10, maximum=2000, restore_rate=100)

    assert bucket.take(110) == pytest.approx(1.0)  # 100 missing points at 100 per second


def test_a_cost_larger_than_the_bucket_is_refused_not_waited_for() -> None:
    bucket = MemoryCostBucket(maximum=100, restore_rate=50)

    with pytest.raises(ChannelError) as caught:
        bucket.take(101)
    assert caught.value.category is ChannelErrorCategory.VALIDATION


def test_a_daily_budget_refuses_once_used_and_renews_at_midnight_utc() -> None:
    fake = FakeTime()
    fake.now = 86_400 * 20_000 + 86_000  # 400 s before a UTC midnight
    budget = MemoryDailyBudget(limit=2, clock=fake.clock)

    assert [budget.spend(), budget.spend()] == [1, 0]
    with pytest.raises(ChannelError) as caught:
        budget.spend()
    assert caught.value.category is ChannelErrorCategory.RATE_LIMITED
    assert caught.value.retry_after == pytest.approx(400)

    fake.now += 400
    assert budget.spend() == 1


def test_workers_sharing_a_redis_budget_never_spend_more_than_it(
    redis_client: redis.Redis,
) -> None:
    key = f"test:budget:{uuid.uuid4().hex}"
    spent: list[int] = []
    refused: list[ChannelError] = []
    lock = threading.Lock()

    def worker() -> None:
        budget = RedisDailyBudget(redis.Redis.from_url(REDIS_URL), key, limit=50)
        for _ in range(25):
            try:
                left = budget.spend()
            except ChannelError as error:
                with lock:
                    refused.append(error)
            else:
                with lock:
                    spent.append(left)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(spent) == 50
    assert sorted(spent) == list(range(50))
    assert len(refused) == 50
    assert all(error.category is ChannelErrorCategory.RATE_LIMITED for error in refused)


def test_workers_sharing_a_redis_bucket_stay_within_its_points(redis_client: redis.Redis) -> None:
    key = f"test:bucket:{uuid.uuid4().hex}"
    maximum, rate, cost, takes = 100.0, 400.0, 20.0, 40
    started = time.time()

    def worker() -> None:
        bucket = RedisCostBucket(redis.Redis.from_url(REDIS_URL), key, maximum, rate)
        for _ in range(takes // 4):
            bucket.take(cost)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started

    # 800 points spent from a bucket of 100 refilling at 400/s: at least 1.75 s of refill.
    assert elapsed >= (takes * cost - maximum) / rate * 0.95
    left = float(redis_client.hget(key, "available") or 0)
    assert 0 <= left <= maximum
    redis_client.delete(key)


def test_a_redis_bucket_takes_the_marketplace_count(redis_client: redis.Redis) -> None:
    key = f"test:bucket:{uuid.uuid4().hex}"
    bucket = RedisCostBucket(redis_client, key, 100, 50)

    bucket.observe(available=0, maximum=1000, restore_rate=1000)

    # Without the observation 500 could never fit; with it, half a second of refill.
    assert bucket.take(500) == pytest.approx(0.5, abs=0.1)
    redis_client.delete(key)


def test_a_redis_report_may_lower_the_shared_estimate_but_never_raise_it(
    redis_client: redis.Redis,
) -> None:
    key = f"test:bucket:{uuid.uuid4().hex}"
    bucket = RedisCostBucket(redis_client, key, 100, 0.001)  # refills next to nothing
    bucket.take(80)

    # A report made before another worker's 80 points were charged says 90 are left.
    bucket.observe(available=90, maximum=100, restore_rate=0.001)
    kept = float(redis_client.hget(key, "available") or 0)
    bucket.observe(available=5, maximum=100, restore_rate=0.001)
    lowered = float(redis_client.hget(key, "available") or 0)

    assert kept == pytest.approx(20, abs=0.1)
    assert lowered == pytest.approx(5, abs=0.1)
    redis_client.delete(key)


def test_the_factories_choose_redis_only_when_a_url_is_set() -> None:
    assert isinstance(cost_bucket("shop", 100, 50, None), MemoryCostBucket)
    assert isinstance(cost_bucket("shop", 100, 50, REDIS_URL), RedisCostBucket)
    assert isinstance(daily_budget("shop", 10, None), MemoryDailyBudget)
    assert isinstance(daily_budget("shop", 10, REDIS_URL), RedisDailyBudget)
