"""Pacing of marketplace calls so that requests wait instead of being throttled.

Two shapes cover the marketplaces:

- a **cost bucket** (Shopify's GraphQL leaky bucket): points refill at ``restore_rate``
  per second up to ``maximum``; a call spends its cost. :meth:`CostBucket.take` waits
  until the bucket holds the cost, and :meth:`CostBucket.observe` re-aligns the bucket
  with what the marketplace reported (``extensions.cost.throttleStatus``) after each
  answer, since the marketplace's count is the true one;
- a **daily budget** (eBay's call limits per API per day): :meth:`DailyBudget.spend`
  counts one call and refuses once the UTC day's budget is used.

Each comes in-process (one worker) and in Redis (several workers share one budget: the
arithmetic runs in a Lua script, so two workers never both spend the last points).
:func:`cost_bucket` and :func:`daily_budget` choose by whether a Redis URL is set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import redis

from stockbridge.errors import ChannelError, ChannelErrorCategory

#: Longest single wait for points; a longer one means the bucket is misconfigured.
MAX_WAIT_SECONDS = 60.0


class CostBucket(Protocol):
    def take(self, cost: float) -> float:
        """Wait until ``cost`` points are there and spend them; returns seconds waited."""
        ...

    def observe(self, available: float, maximum: float, restore_rate: float) -> None: ...


class DailyBudget(Protocol):
    def spend(self) -> int:
        """Count one call; raises RATE_LIMITED once today's budget is used. Returns calls left."""
        ...


def _too_costly(cost: float, maximum: float) -> ChannelError:
    return ChannelError(
        f"a call costing {cost:g} can never fit a bucket of {maximum:g} points",
        category=ChannelErrorCategory.VALIDATION,
    )


def _seconds_to_midnight_utc(now: float) -> float:
    day = int(now // 86_400)
    return (day + 1) * 86_400 - now


def _budget_spent(limit: int, now: float) -> ChannelError:
    return ChannelError(
        f"today's budget of {limit} calls is used up",
        category=ChannelErrorCategory.RATE_LIMITED,
        retry_after=_seconds_to_midnight_utc(now),
    )


class MemoryCostBucket:
    """A cost bucket for one process; thread-safe."""

    def __init__(
        self,
        maximum: float,
        restore_rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._maximum, self._rate = maximum, restore_rate
        self._available, self._at = maximum, clock()
        self._clock, self._sleep = clock, sleep

    def _refill(self, now: float) -> None:
        self._available = min(self._maximum, self._available + (now - self._at) * self._rate)
        self._at = now

    def take(self, cost: float) -> float:
        waited = 0.0
        while True:
            with self._lock:
                if cost > self._maximum:
                    raise _too_costly(cost, self._maximum)
                self._refill(self._clock())
                if self._available >= cost:
                    self._available -= cost
                    return waited
                wait = min(MAX_WAIT_SECONDS, (cost - self._available) / self._rate)
            self._sleep(wait)
            waited += wait

    def observe(self, available: float, maximum: float, restore_rate: float) -> None:
        # The report was made before calls still in flight from other threads were
        # charged: it may lower the estimate (others spend too), never raise it.
        with self._lock:
            self._refill(self._clock())
            self._maximum, self._rate = maximum, restore_rate
            self._available = min(self._available, available, maximum)


class MemoryDailyBudget:
    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._limit, self._clock = limit, clock
        self._day, self._used = -1, 0

    def spend(self) -> int:
        now = self._clock()
        with self._lock:
            day = int(now // 86_400)
            if day != self._day:
                self._day, self._used = day, 0
            if self._used >= self._limit:
                raise _budget_spent(self._limit, now)
            self._used += 1
            return self._limit - self._used


# KEYS[1] bucket hash; ARGV: now, cost, default maximum, default rate.
# Returns 0 when the points were taken, else the seconds to wait (as a string: Lua
# numbers reach Redis as integers otherwise).
_TAKE = """
local state = redis.call('HMGET', KEYS[1], 'available', 'at', 'maximum', 'rate')
local now, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
local maximum = tonumber(state[3]) or tonumber(ARGV[3])
local rate = tonumber(state[4]) or tonumber(ARGV[4])
local available = tonumber(state[1]) or maximum
local at = tonumber(state[2]) or now
available = math.min(maximum, available + math.max(0, now - at) * rate)
if available >= cost then
  redis.call('HSET', KEYS[1], 'available', tostring(available - cost), 'at', tostring(now),
             'maximum', tostring(maximum), 'rate', tostring(rate))
  redis.call('EXPIRE', KEYS[1], 86400)
  return '0'
end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', tostring(now),
           'maximum', tostring(maximum), 'rate', tostring(rate))
redis.call('EXPIRE', KEYS[1], 86400)
return tostring((cost - available) / rate)
"""

# KEYS[1] the bucket; ARGV: now, reported available, maximum, restore rate. The bucket
# refilled to now, then lowered to the report (never raised by it).
_OBSERVE = """
local state = redis.call('HMGET', KEYS[1], 'available', 'at', 'maximum', 'rate')
local now, reported = tonumber(ARGV[1]), tonumber(ARGV[2])
local maximum, rate = tonumber(ARGV[3]), tonumber(ARGV[4])
local available = reported
if state[1] then
  local was_maximum = tonumber(state[3]) or maximum
  local was_rate = tonumber(state[4]) or rate
  local at = tonumber(state[2]) or now
  local estimate = math.min(was_maximum, tonumber(state[1]) + math.max(0, now - at) * was_rate)
  available = math.min(estimate, reported)
end
available = math.min(available, maximum)
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', tostring(now),
           'maximum', tostring(maximum), 'rate', tostring(rate))
redis.call('EXPIRE', KEYS[1], 86400)
return tostring(available)
"""

# KEYS[1] counter of the day; ARGV: limit, seconds to keep. Returns calls left, or -1.
_SPEND = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return -1 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return tonumber(ARGV[1]) - used - 1
"""


class RedisCostBucket:
    """A cost bucket shared by every worker through one Redis hash."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        maximum: float,
        restore_rate: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client, self._key = client, key
        self._maximum, self._rate = maximum, restore_rate
        self._take = client.register_script(_TAKE)
        self._observe = client.register_script(_OBSERVE)
        self._sleep = sleep

    def take(self, cost: float) -> float:
        waited = 0.0
        while True:
            maximum = float(self._client.hget(self._key, "maximum") or self._maximum)
            if cost > maximum:
                raise _too_costly(cost, maximum)
            answer = self._take(
                keys=[self._key], args=[time.time(), cost, self._maximum, self._rate]
            )
            wait = min(MAX_WAIT_SECONDS, float(answer))
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    def observe(self, available: float, maximum: float, restore_rate: float) -> None:
        # As in memory: a report may lower the shared estimate, never raise it (calls
        # other workers sent meanwhile are not in it yet).
        self._observe(keys=[self._key], args=[time.time(), available, maximum, restore_rate])


class RedisDailyBudget:
    def __init__(self, client: redis.Redis, key: str, limit: int) -> None:
        self._client, self._key, self._limit = client, key, limit
        self._spend = client.register_script(_SPEND)

    def spend(self) -> int:
        now = time.time()
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        left = int(self._spend(keys=[f"{self._key}:{day}"], args=[self._limit, 2 * 86_400]))
        if left < 0:
            raise _budget_spent(self._limit, now)
        return left


def cost_bucket(
    name: str, maximum: float, restore_rate: float, redis_url: str | None
) -> CostBucket:
    """The bucket for one shop: in Redis when ``redis_url`` is set, else in this process."""
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        return RedisCostBucket(client, f"stockbridge:pace:{name}", maximum, restore_rate)
    return MemoryCostBucket(maximum, restore_rate)


def daily_budget(name: str, limit: int, redis_url: str | None) -> DailyBudget:
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        return RedisDailyBudget(client, f"stockbridge:budget:{name}", limit)
    return MemoryDailyBudget(limit)
