"""Short-delay wake-ups kept in this process: a coalesced push, a retry after a short backoff.

Huey's own schedule is checked by its consumer about once a second, so a wake-up due
in 0.3 s goes out 1 to 2 s late, which is most of a push's latency. :class:`WakeTimers`
keeps wake-ups due soon in one daemon thread instead, and sends each at its time
(to the millisecond). It holds only job ids: the job rows are in the database, so a
timer lost with its process delays its job, never loses it (the overdue sweep of
``sync/wakeups.py`` and the sweeper wake it again). :meth:`WakeTimers.close` answers
what was still pending, so a queue that closes can hand it to Huey's schedule.

The standard library's ``sched`` and ``threading.Timer`` are not used: the first
cannot be woken for an earlier entry, the second costs a thread per wake-up.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class WakeTimers:
    """Calls ``send(job_id)`` when each wake-up is due, from one daemon thread."""

    def __init__(self, send: Callable[[int], None], *, name: str = "wake-timers") -> None:
        self._send = send
        self._name = name
        self._due: list[tuple[float, int, int]] = []  # (monotonic due time, order, job id)
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, job_id: int, seconds: float) -> None:
        """Send ``job_id`` ``seconds`` from now (at once for 0 or less)."""
        with self._changed:
            if self._closed:
                raise RuntimeError("the wake-up timers are closed")
            due = time.monotonic() + max(seconds, 0.0)
            heapq.heappush(self._due, (due, next(self._order), job_id))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._changed.notify()

    def pending(self) -> int:
        with self._changed:
            return len(self._due)

    def close(self, *, timeout: float = 5.0) -> list[tuple[int, float]]:
        """Stop; answers the wake-ups not sent yet as (job id, seconds still to wait)."""
        with self._changed:
            self._closed = True
            now = time.monotonic()
            left = [(job_id, max(due - now, 0.0)) for due, _, job_id in sorted(self._due)]
            self._due.clear()
            self._changed.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return left

    def _next(self) -> int | None:
        """The next job id once it is due; None once closed."""
        with self._changed:
            while not self._closed:
                now = time.monotonic()
                if self._due and self._due[0][0] <= now:
                    return heapq.heappop(self._due)[2]
                self._changed.wait(self._due[0][0] - now if self._due else None)
            return None

    def _run(self) -> None:
        while (job_id := self._next()) is not None:
            try:
                self._send(job_id)
            except Exception:
                # The row is committed: the overdue sweep or the sweeper wakes it later.
                logger.warning("could not send the wake-up of job %s", job_id, exc_info=True)
