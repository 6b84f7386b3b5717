"""Webhook delivery from a sandbox: POSTs signed bodies to subscribers, retrying as told.

A sandbox turns each event it announces into :class:`Delivery` objects, one per
subscribed endpoint, with the exact body bytes and headers its marketplace would send
(signing is the sandbox's own). A :class:`Deliverer` POSTs them from one background
thread with httpx. A 2xx answer within the timeout delivers; a non-2xx answer, a timeout
or a refused connection schedules the next retry after the next delay of
:attr:`DeliveryPolicy.retry_delays`, each multiplied by ``time_scale`` so a test or a
demo can compress Shopify's four hours into a fraction of a second. After the last retry
fails, the delivery is ``failed`` and ``on_give_up`` hears of it.

Faults a test can ask for (``/_sandbox/deliveries/faults``): drops (a delivery is never
POSTed, as when it is lost on the way: the receiver must find the change by polling),
duplicates (a delivered body is POSTed once more, same headers) and reordering (due
deliveries go out newest first).
Delays are measured with the monotonic clock, not the sandbox's settable clock, because
they are waits in real time.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from stockbridge.sandbox.control import CONTROL_PREFIX

DeliveryStatus = Literal["pending", "delivered", "failed", "dropped"]
#: How long ``POST /_sandbox/deliveries/drain`` waits at most.
DRAIN_LIMIT_SECONDS = 30.0


@dataclass(frozen=True)
class DeliveryPolicy:
    """When to give up on an attempt and when to try again."""

    retry_delays: tuple[float, ...] = ()
    time_scale: float = 1.0
    timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 1.0


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_ids = itertools.count(1)


@dataclass
class Delivery:
    """One body for one endpoint, and what became of it."""

    id: str
    event_id: int
    topic: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    status: DeliveryStatus = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    #: Monotonic time of the next attempt; None once delivered or failed.
    due: float | None = 0.0

    @classmethod
    def new(
        cls, *, event_id: int, topic: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Delivery:
        return cls(
            id=str(next(_ids)),
            event_id=event_id,
            topic=topic,
            url=url,
            headers=dict(headers),
            body=body,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "topic": self.topic,
            "url": self.url,
            "status": self.status,
            "headers": dict(self.headers),
            "attempts": [
                {"at": a.at.isoformat(), "status_code": a.status_code, "error": a.error}
                for a in self.attempts
            ],
        }


class DeliveryFaults(BaseModel):
    """What a test asks the deliverer to get wrong on purpose."""

    model_config = ConfigDict(extra="forbid")

    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    reorder: bool = False
    seed: int = 0


class Deliverer:
    """Sends deliveries from one background thread, started on the first submit."""

    def __init__(
        self,
        policy: DeliveryPolicy,
        on_give_up: Callable[[Delivery], None] | None = None,
        on_attempt: Callable[[Delivery, Attempt], None] | None = None,
    ) -> None:
        self.policy = policy
        self._on_give_up = on_give_up
        self._on_attempt = on_attempt
        self._wake = threading.Condition()
        self._deliveries: list[Delivery] = []
        self._sending = 0
        self._thread: threading.Thread | None = None
        self.faults = DeliveryFaults()
        self._rng = random.Random(0)  # noqa: S311 (not crypto: repeatable fault draws)

    # --- what sandboxes and tests call ----------------------------------------------

    def submit(self, delivery: Delivery) -> None:
        with self._wake:
            delivery.due = time.monotonic()
            self._deliveries.append(delivery)
            self._start()
            self._wake.notify_all()

    def deliveries(self, topic: str | None = None) -> list[Delivery]:
        with self._wake:
            return [
                replace(d, attempts=list(d.attempts))
                for d in self._deliveries
                if topic in (None, d.topic)
            ]

    def set_faults(self, faults: DeliveryFaults) -> None:
        with self._wake:
            self.faults = faults
            self._rng = random.Random(faults.seed)  # noqa: S311

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until no delivery is due now or being sent; False if time ran out."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._sending or self._due(time.monotonic()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.05))
            return True

    def clear(self) -> None:
        with self._wake:
            self._deliveries.clear()
            self.faults = DeliveryFaults()

    # --- the sending thread ---------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="sandbox-deliverer", daemon=True)
            self._thread.start()

    def _due(self, now: float) -> list[Delivery]:
        due = [d for d in self._deliveries if d.due is not None and d.due <= now]
        return due[::-1] if self.faults.reorder else due

    def _next_wait(self, now: float) -> float | None:
        times = [d.due for d in self._deliveries if d.due is not None]
        return max(0.0, min(times) - now) if times else None

    def _run(self) -> None:
        timeout = httpx.Timeout(
            self.policy.timeout_seconds, connect=self.policy.connect_timeout_seconds
        )
        with httpx.Client(timeout=timeout) as client:
            while True:
                with self._wake:
                    batch = self._due(time.monotonic())
                    while not batch:
                        self._wake.wait(self._next_wait(time.monotonic()))
                        batch = self._due(time.monotonic())
                    for delivery in batch:
                        delivery.due = None  # taken: not due again until rescheduled
                    self._sending += len(batch)
                for delivery in batch:
                    self._send(client, delivery)

    def _send(self, client: httpx.Client, delivery: Delivery) -> None:
        with self._wake:
            # Drawn only when asked for, so a seed's duplicate draws stay as they were.
            dropped = bool(self.faults.drop_rate) and self._rng.random() < self.faults.drop_rate
            if dropped:
                delivery.status = "dropped"
                self._sending -= 1
                self._wake.notify_all()
                return
        attempt = _post(client, delivery)
        with self._wake:
            delivery.attempts.append(attempt)
            duplicate = attempt.succeeded and self._rng.random() < self.faults.duplicate_rate
        if duplicate:
            _post(client, delivery)  # the receiver sees it twice; the record once
        gave_up = False
        with self._wake:
            retries_done = len(delivery.attempts) - 1
            if attempt.succeeded:
                delivery.status = "delivered"
            elif retries_done < len(self.policy.retry_delays):
                delay = self.policy.retry_delays[retries_done] * self.policy.time_scale
                delivery.due = time.monotonic() + delay
            else:
                delivery.status, gave_up = "failed", True
            self._sending -= 1
            self._wake.notify_all()
        # Callbacks run outside the lock: they may submit or read deliveries.
        if self._on_attempt is not None:
            self._on_attempt(delivery, attempt)
        if gave_up and self._on_give_up is not None:
            self._on_give_up(delivery)


def _post(client: httpx.Client, delivery: Delivery) -> Attempt:
    at = datetime.now(UTC)
    try:
        answer = client.post(delivery.url, content=delivery.body, headers=dict(delivery.headers))
    except httpx.HTTPError as error:
        return Attempt(at=at, error=f"{type(error).__name__}: {error}".rstrip(": "))
    return Attempt(at=at, status_code=answer.status_code)


def delivery_router(deliverer: Deliverer) -> APIRouter:
    """``/_sandbox/deliveries``: list, fault and drain one sandbox's deliveries."""
    router = APIRouter(prefix=f"{CONTROL_PREFIX}/deliveries", tags=["sandbox control"])

    @router.get("")
    def list_deliveries(topic: str | None = None) -> list[dict[str, Any]]:
        return [d.as_json() for d in deliverer.deliveries(topic)]

    @router.post("/faults")
    def set_faults(faults: DeliveryFaults) -> DeliveryFaults:
        deliverer.set_faults(faults)
        return faults

    @router.delete("/faults", status_code=204)
    def clear_faults() -> Response:
        deliverer.set_faults(DeliveryFaults())
        return Response(status_code=204)

    @router.post("/drain")
    def drain(timeout: float = 10.0) -> dict[str, bool]:
        return {"drained": deliverer.drain(min(max(timeout, 0.0), DRAIN_LIMIT_SECONDS))}

    return router
