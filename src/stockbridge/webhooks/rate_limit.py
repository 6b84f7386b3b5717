"""Per-client-IP limits on webhook deliveries: a fixed one-minute window per address.

In Redis (``STOCKBRIDGE_REDIS_URL``) the count is shared by every ``serve`` process;
without it, each process counts for itself in memory.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: Seconds until the window ends (what ``Retry-After`` says when refused).
    retry_after: int


class RateLimiter(Protocol):
    def hit_many(self, keys: Sequence[str]) -> list[Verdict]:
        """Count one delivery per key (a key may come more than once): each one's verdict."""
        ...


def _window(now: float) -> tuple[int, int]:
    """The current window's number and the whole seconds left in it (at least 1)."""
    window = int(now // WINDOW_SECONDS)
    left = (window + 1) * WINDOW_SECONDS - now
    return window, max(1, int(left + 0.999))


def _verdicts(keys: Sequence[str], totals: dict[str, int], limit: int, left: int) -> list[Verdict]:
    """Each key's hits in order, given each key's count with all of them counted."""
    seen = Counter(keys)
    verdicts = []
    for key in keys:
        # The first of this key's hits here was number totals - seen + 1 in the window.
        number = totals[key] - seen[key] + 1
        seen[key] -= 1
        verdicts.append(Verdict(number <= limit, left))
    return verdicts


class MemoryRateLimiter:
    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self._limit, self._clock = limit, clock
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._current = -1

    def hit_many(self, keys: Sequence[str]) -> list[Verdict]:
        window, left = _window(self._clock())
        with self._lock:
            if window != self._current:
                self._counts, self._current = Counter(), window
            self._counts.update(keys)
            totals = {key: self._counts[key] for key in keys}
        return _verdicts(keys, totals, self._limit, left)


class RedisRateLimiter:
    """One round trip for a whole batch: ``INCRBY`` and ``EXPIRE`` per address."""

    def __init__(
        self, url: str, prefix: str, limit: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix, self._limit, self._clock = prefix, limit, clock

    def hit_many(self, keys: Sequence[str]) -> list[Verdict]:
        window, left = _window(self._clock())
        counted = Counter(keys)
        pipe = self._redis.pipeline(transaction=False)
        for key, hits in counted.items():
            name = f"{self._prefix}:webhook-rate:{key}:{window}"
            pipe.incrby(name, hits)
            pipe.expire(name, WINDOW_SECONDS * 2)
        replies = pipe.execute()
        totals = {key: int(replies[2 * n]) for n, key in enumerate(counted)}
        return _verdicts(keys, totals, self._limit, left)


def rate_limiter(redis_url: str | None, prefix: str, limit: int) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, prefix, limit)
    return MemoryRateLimiter(limit)
