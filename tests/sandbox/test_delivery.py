"""The shared webhook deliverer, against a real receiver over HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from stockbridge.sandbox.delivery import (
    Deliverer,
    Delivery,
    DeliveryFaults,
    DeliveryPolicy,
    delivery_router,
)
from tests.sandbox.servers import serve_in_thread


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200), and records it."""

    statuses: list[int] = field(default_factory=list)
    sleep_first_seconds: float = 0.0
    seen: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                first = not self.seen
                self.seen.append((body, dict(request.headers)))
                status = self.statuses.pop(0) if self.statuses else 200
            if first and self.sleep_first_seconds:
                await asyncio.sleep(self.sleep_first_seconds)
            return Response(status_code=status)

        return app

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [body for body, _ in self.seen]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    script = Receiver()
    with serve_in_thread(script.app()) as base_url:
        yield script, f"{base_url}/hook"


FAST = DeliveryPolicy(retry_delays=(10.0, 20.0, 40.0), time_scale=0.001, timeout_seconds=1.0)


def _delivery(url: str, n: int = 1) -> Delivery:
    return Delivery.new(
        event_id=n,
        topic="orders/create",
        url=url,
        headers={"Content-Type": "application/json", "X-Test-Id": str(n)},
        body=f'{{"n": {n}}}'.encode(),
    )


def _wait_for(condition: object, timeout: float = 5.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_delivery_posts_the_exact_body_and_headers(receiver: tuple[Receiver, str]) -> None:
    script, url = receiver
    deliverer = Deliverer(FAST)

    deliverer.submit(_delivery(url))

    assert deliverer.drain()
    assert script.bodies() == [b'{"n": 1}']
    assert script.seen[0][1]["x-test-id"] == "1"
    [done] = deliverer.deliveries()
    assert done.status == "delivered"
    assert [a.status_code for a in done.attempts] == [200]


def test_failures_are_retried_on_the_schedule_until_success(
    receiver: tuple[Receiver, str],
) -> None:
    script, url = receiver
    script.statuses = [500, 503]
    deliverer = Deliverer(FAST)

    deliverer.submit(_delivery(url))

    _wait_for(lambda: deliverer.deliveries()[0].status == "delivered")
    [done] = deliverer.deliveries()
    assert [a.status_code for a in done.attempts] == [500, 503, 200]
    assert script.bodies() == [b'{"n": 1}'] * 3


def test_a_timeout_counts_as_a_failed_attempt(receiver: tuple[Receiver, str]) -> None:
    script, url = receiver
    script.sleep_first_seconds = 0.5
    deliverer = Deliverer(DeliveryPolicy(retry_delays=(0.01,), timeout_seconds=0.2))

    deliverer.submit(_delivery(url))

    _wait_for(lambda: deliverer.deliveries()[0].status == "delivered")
    first, second = deliverer.deliveries()[0].attempts
    assert first.status_code is None
    assert first.error is not None
    assert "Timeout" in first.error
    assert second.status_code == 200


def test_after_the_last_retry_the_delivery_fails_and_give_up_is_told(
    receiver: tuple[Receiver, str],
) -> None:
    script, url = receiver
    script.statuses = [500] * 10
    given_up: list[str] = []
    deliverer = Deliverer(FAST, on_give_up=lambda d: given_up.append(d.id))

    delivery = _delivery(url)
    deliverer.submit(delivery)

    _wait_for(lambda: given_up == [delivery.id])
    [failed] = deliverer.deliveries()
    assert failed.status == "failed"
    assert len(failed.attempts) == 1 + len(FAST.retry_delays)


def test_a_refused_connection_is_retried() -> None:
    given_up: list[str] = []
    deliverer = Deliverer(
        DeliveryPolicy(retry_delays=(0.01,)), on_give_up=lambda d: given_up.append(d.id)
    )

    deliverer.submit(_delivery("http://127.0.0.1:9/hook"))  # discard port: nobody listens

    _wait_for(lambda: len(given_up) == 1)
    attempts = deliverer.deliveries()[0].attempts
    assert len(attempts) == 2
    assert all(a.status_code is None and a.error for a in attempts)


def test_duplicate_fault_sends_a_delivered_body_twice(receiver: tuple[Receiver, str]) -> None:
    script, url = receiver
    deliverer = Deliverer(FAST)
    deliverer.set_faults(DeliveryFaults(duplicate_rate=1.0))

    deliverer.submit(_delivery(url))

    assert deliverer.drain()
    assert script.bodies() == [b'{"n": 1}', b'{"n": 1}']
    assert script.seen[0][1]["x-test-id"] == script.seen[1][1]["x-test-id"]
    assert len(deliverer.deliveries()[0].attempts) == 1


def test_drop_fault_never_sends_a_delivery_and_says_so(receiver: tuple[Receiver, str]) -> None:
    script, url = receiver
    deliverer = Deliverer(FAST)
    deliverer.set_faults(DeliveryFaults(drop_rate=1.0))
    deliverer.submit(_delivery(url, 1))
    assert deliverer.drain()
    deliverer.set_faults(DeliveryFaults())

    deliverer.submit(_delivery(url, 2))

    assert deliverer.drain()
    assert script.bodies() == [b'{"n": 2}']
    assert [(d.status, d.attempts != []) for d in deliverer.deliveries()] == [
        ("dropped", False),
        ("delivered", True),
    ]


def test_reorder_fault_sends_due_deliveries_newest_first(receiver: tuple[Receiver, str]) -> None:
    script, url = receiver
    deliverer = Deliverer(FAST)
    deliverer.set_faults(DeliveryFaults(reorder=True))
    # Hold the sending thread on the lock so all three are due at once.
    with deliverer._wake:
        for n in (1, 2, 3):
            deliverer.submit(_delivery(url, n))

    assert deliverer.drain()
    assert script.bodies() == [b'{"n": 3}', b'{"n": 2}', b'{"n": 1}']


def test_control_routes_list_fault_and_drain(receiver: tuple[Receiver, str]) -> None:
    script, url = receiver
    deliverer = Deliverer(FAST)
    app = FastAPI()
    app.include_router(delivery_router(deliverer))

    with serve_in_thread(app) as base_url, httpx.Client(base_url=base_url) as control:
        faults = control.post("/_sandbox/deliveries/faults", json={"duplicate_rate": 1.0})
        assert faults.status_code == 200
        assert control.post("/_sandbox/deliveries/faults", json={"rate": 1}).status_code == 422
        deliverer.submit(_delivery(url))
        assert control.post("/_sandbox/deliveries/drain").json() == {"drained": True}
        listed = control.get("/_sandbox/deliveries", params={"topic": "orders/create"}).json()
        assert control.get("/_sandbox/deliveries", params={"topic": "other"}).json() == []
        assert control.delete("/_sandbox/deliveries/faults").status_code == 204

    assert [(d["status"], len(d["attempts"])) for d in listed] == [("delivered", 1)]
    assert listed[0]["attempts"][0]["status_code"] == 200
    assert len(script.bodies()) == 2
    assert deliverer.faults == DeliveryFaults()


def test_drain_reports_false_when_a_delivery_is_still_being_sent(
    receiver: tuple[Receiver, str],
) -> None:
    script, url = receiver
    script.sleep_first_seconds = 0.5
    deliverer = Deliverer(DeliveryPolicy(timeout_seconds=2.0))

    deliverer.submit(_delivery(url))

    assert deliverer.drain(timeout=0.1) is False
    assert deliverer.drain(timeout=5.0) is True
