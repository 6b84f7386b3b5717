"""The per-address limit counts a whole batch at once, in memory and in Redis, and gives
each delivery the verdict it would have had alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from stockbridge.webhooks.rate_limit import (
    WINDOW_SECONDS,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from tests.sync.workers import REDIS_URL


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"sb-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def mid_window() -> float:
    """A time in the middle of a window: a test's hits never straddle two."""
    return 1_000 * WINDOW_SECONDS + WINDOW_SECONDS / 2


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest, redis_prefix: str) -> RateLimiter:
    if request.param == "redis":
        return RedisRateLimiter(REDIS_URL, redis_prefix, limit=3, clock=mid_window)
    return MemoryRateLimiter(3, clock=mid_window)


def allowed(limiter: RateLimiter, keys: list[str]) -> list[bool]:
    return [verdict.allowed for verdict in limiter.hit_many(keys)]


def test_a_batch_is_counted_in_order_per_address(limiter: RateLimiter) -> None:
    assert allowed(limiter, ["a", "a", "b", "a", "a"]) == [True, True, True, True, False]
    assert allowed(limiter, ["b", "a", "b", "b"]) == [True, False, True, False]


def test_one_at_a_time_gives_the_same_verdicts_as_one_batch(limiter: RateLimiter) -> None:
    alone = [allowed(limiter, ["c"])[0] for _ in range(5)]

    assert alone == [True, True, True, False, False]


def test_a_refusal_says_when_the_window_ends(limiter: RateLimiter) -> None:
    *_, refused = limiter.hit_many(["d"] * 4)

    assert not refused.allowed
    assert refused.retry_after == WINDOW_SECONDS / 2


def test_the_count_starts_again_in_the_next_window() -> None:
    now = [10.0]
    limiter = MemoryRateLimiter(2, clock=lambda: now[0])
    assert [v.allowed for v in limiter.hit_many(["e"] * 3)] == [True, True, False]

    now[0] += WINDOW_SECONDS

    assert [v.allowed for v in limiter.hit_many(["e"] * 3)] == [True, True, False]


def test_every_process_on_one_redis_shares_the_count(redis_prefix: str) -> None:
    one, other = (
        RedisRateLimiter(REDIS_URL, redis_prefix, limit=3, clock=mid_window) for _ in range(2)
    )

    assert allowed(one, ["f", "f"]) + allowed(other, ["f", "f"]) == [True, True, True, False]
