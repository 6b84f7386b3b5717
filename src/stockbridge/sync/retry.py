"""What the runner does with a failed job run: retry later, wait for a reconnect, or stop.

The decision is by the :class:`~stockbridge.errors.ChannelErrorCategory` a handler
raised. ``TRANSIENT`` and ``RATE_LIMITED`` are retried after an exponential backoff with
full jitter (a random delay between 0 and ``base * 2**(attempt - 1)``, capped), never
sooner than the marketplace's ``retry_after``; once a job has used up its attempts it is
a dead letter. A database that could not do the work just now (SQLAlchemy's
``OperationalError``: a deadlock, a lock wait past ``lock_timeout``, a lost connection,
SQLite busy) is retried the same way. ``AUTH_FAILED`` puts the job back to wait until its
channel is reconnected. Everything else (``VALIDATION``, ``NOT_FOUND``, ``CRITICAL``, and
any other exception: a bug does not heal by retrying) fails the job at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import OperationalError

from stockbridge.errors import ChannelError, ChannelErrorCategory

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BASE_SECONDS = 2.0
DEFAULT_CAP_SECONDS = 900.0


class Outcome(StrEnum):
    RETRY = "retry"
    WAIT_FOR_RECONNECT = "wait_for_reconnect"
    FAIL = "fail"
    DEAD = "dead"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_seconds: float = DEFAULT_BASE_SECONDS
    cap_seconds: float = DEFAULT_CAP_SECONDS

    def outcome(self, error: Exception, attempt: int) -> Outcome:
        """What to do after attempt number ``attempt`` (1-based) raised ``error``."""
        if isinstance(error, OperationalError):
            return Outcome.RETRY if attempt < self.max_attempts else Outcome.DEAD
        if not isinstance(error, ChannelError):
            return Outcome.FAIL
        if error.category is ChannelErrorCategory.AUTH_FAILED:
            return Outcome.WAIT_FOR_RECONNECT
        if not error.retryable:
            return Outcome.FAIL
        return Outcome.RETRY if attempt < self.max_attempts else Outcome.DEAD

    def delay(
        self, attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before the attempt after ``attempt``: full jitter, honouring
        ``retry_after``."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(attempt - 1, 62))
        jittered = (rng or random).uniform(0, ceiling)
        return max(jittered, retry_after or 0.0)
