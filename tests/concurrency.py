"""Running database work in racing threads, for tests that make concurrency happen on purpose.

Every thread gets its own session (so its own connection) from the ``sessions`` fixture,
waits at a barrier, then runs its job in a transaction of its own. Every outcome is
collected, whether a result or an exception, and the threads are joined against one
deadline: a thread that fails or hangs fails the test.

On PostgreSQL each thread checks its connection out before the barrier, so that the
threads collide on the row locks (``SELECT ... FOR UPDATE``) rather than on connecting.
On SQLite that would run ``BEGIN IMMEDIATE`` and hold the write lock across the barrier,
so there the threads connect after it and collide on ``BEGIN IMMEDIATE`` instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

DEADLINE_SECONDS = 120.0

Job = Callable[[Session], Any]


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None


def run_together(
    sessions: sessionmaker[Session], jobs: Sequence[Job], *, backend: str
) -> list[Outcome]:
    """Run each job in a thread of its own, all released at once; one outcome per job.

    A job gets a fresh session and commits what it does; an exception ends the job and is
    recorded (the session rolls back when it closes).
    """
    barrier = threading.Barrier(len(jobs))
    outcomes = [Outcome() for _ in jobs]

    def work(job: Job, outcome: Outcome) -> None:
        try:
            session = sessions()
            if backend == "postgresql":
                session.connection()
        except BaseException as error:
            outcome.error = error
            barrier.abort()
            return
        try:
            barrier.wait(timeout=DEADLINE_SECONDS)
            outcome.result = job(session)
        except BaseException as error:
            outcome.error = error
        finally:
            session.close()

    threads = [
        threading.Thread(target=work, args=(job, outcome), name=f"job-{n}", daemon=True)
        for n, (job, outcome) in enumerate(zip(jobs, outcomes, strict=True))
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running after {DEADLINE_SECONDS} s: {stuck}"
    return outcomes


def errors_other_than(
    outcomes: Sequence[Outcome], *expected: type[BaseException]
) -> list[BaseException]:
    return [
        outcome.error
        for outcome in outcomes
        if outcome.error is not None and not isinstance(outcome.error, expected)
    ]
