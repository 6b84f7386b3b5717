"""The retry policy: which errors are retried, and how long the backoff is."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError

from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.sync.retry import Outcome, RetryPolicy

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 100),
    base_seconds=st.floats(0.001, 60),
    cap_seconds=st.floats(0.001, 3600),
)


@given(
    policy=policies,
    attempt=st.integers(1, 1000),
    retry_after=st.none() | st.floats(0, 86_400),
    seed=st.integers(0, 2**32),
)
def test_the_delay_is_full_jitter_under_the_capped_exponential_but_never_before_retry_after(
    policy: RetryPolicy, attempt: int, retry_after: float | None, seed: int
) -> None:
    delay = policy.delay(attempt, retry_after=retry_after, rng=random.Random(seed))
    ceiling = min(policy.cap_seconds, policy.base_seconds * 2 ** (attempt - 1))
    assert delay >= (retry_after or 0)
    assert delay >= 0
    assert delay <= max(ceiling, retry_after or 0)


def test_the_jitter_spreads_over_the_whole_window() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=1000)
    rng = random.Random(7)
    delays = [policy.delay(4, rng=rng) for _ in range(2000)]  # window: 0 .. 8 s
    assert min(delays) < 0.5
    assert max(delays) > 7.5


@given(policy=policies, attempt=st.integers(1, 200))
def test_retryable_errors_are_retried_until_the_last_attempt_then_dead(
    policy: RetryPolicy, attempt: int
) -> None:
    retryable: list[Exception] = [
        ChannelError("x", category=ChannelErrorCategory.TRANSIENT),
        ChannelError("x", category=ChannelErrorCategory.RATE_LIMITED),
        # The database could not do it just now (here: a deadlock).
        OperationalError("UPDATE ...", {}, Exception("deadlock detected")),
    ]
    for error in retryable:
        outcome = policy.outcome(error, attempt)
        assert outcome is (Outcome.RETRY if attempt < policy.max_attempts else Outcome.DEAD)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ChannelError("x", category=ChannelErrorCategory.AUTH_FAILED), Outcome.WAIT_FOR_RECONNECT),
        (ChannelError("x", category=ChannelErrorCategory.VALIDATION), Outcome.FAIL),
        (ChannelError("x", category=ChannelErrorCategory.NOT_FOUND), Outcome.FAIL),
        (ChannelError("x", category=ChannelErrorCategory.CRITICAL), Outcome.FAIL),
        (RuntimeError("x"), Outcome.FAIL),
    ],
)
def test_other_errors_are_never_retried(error: Exception, outcome: Outcome) -> None:
    assert RetryPolicy(max_attempts=8).outcome(error, 1) is outcome
    assert RetryPolicy(max_attempts=8).outcome(error, 8) is outcome
