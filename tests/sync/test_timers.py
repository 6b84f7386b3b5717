"""The in-process wake-up timers: each job id sent once, in due order; closing answers the rest."""

from __future__ import annotations

import threading

from stockbridge.sync.timers import WakeTimers
from tests.sync.conftest import wait_for


def test_wake_ups_are_sent_once_each_in_the_order_they_fall_due() -> None:
    sent: list[int] = []
    lock = threading.Lock()

    def send(job_id: int) -> None:
        with lock:
            sent.append(job_id)

    timers = WakeTimers(send)
    timers.add(1, 0.4)
    timers.add(2, 0.0)
    timers.add(3, 0.2)

    wait_for(lambda: len(sent) == 3)
    assert sent == [2, 3, 1]
    assert timers.pending() == 0
    assert timers.close() == []


def test_closing_answers_the_wake_ups_not_sent_yet_and_sends_none_of_them() -> None:
    sent: list[int] = []
    timers = WakeTimers(sent.append)
    timers.add(7, 30)
    timers.add(8, 20)

    left = timers.close()

    assert [job_id for job_id, _ in left] == [8, 7]
    assert all(0 < seconds <= 30 for _, seconds in left)
    assert sent == []


def test_a_failing_send_does_not_stop_the_later_wake_ups() -> None:
    sent: list[int] = []

    def send(job_id: int) -> None:
        if job_id == 1:
            raise RuntimeError("queue down")
        sent.append(job_id)

    timers = WakeTimers(send)
    timers.add(1, 0)
    timers.add(2, 0.05)

    wait_for(lambda: sent == [2])
    timers.close()
