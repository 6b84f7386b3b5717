"""Per-client-IP limits on webhook deliveries: a fixed one-minute window per address.

In Redis (``STOCKBRIDGE_REDIS_URL``) the count is shared by every ``serve`` process;
without it, each process counts for itself in memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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
    def hit(self, key: str) -> Verdict: ...


def _window(now: float) -> tuple[int, int]:
    """The current window's number and the whole seconds left in it (at least 1)."""
    window = int(now // WINDOW_SECONDS)
    left = (window + 1) * WINDOW_SECONDS - now
    return window, max(1, int(left + 0.999))


class MemoryRateLimiter:
    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self._limit, self._clock = limit, clock
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._current = -1

    def hit(self, key: str) -> Verdict:
        window, left = _window(self._clock())
        with self._lock:
            if window != self._current:
                self._counts, self._current = {}, window
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
        return Verdict(count <= self._limit, left)


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str, limit: int) -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix, self._limit = prefix, limit

    def hit(self, key: str) -> Verdict:
        window, left = _window(time.time())
        name = f"{self._prefix}:webhook-rate:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_SECONDS * 2)
        count = int(pipe.execute()[0])
        return Verdict(count <= self._limit, left)


def rate_limiter(redis_url: str | None, prefix: str, limit: int) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, prefix, limit)
    return MemoryRateLimiter(limit)
