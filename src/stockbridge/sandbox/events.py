"""What happened in a sandbox, in order: the events its webhooks and notifications carry.

A marketplace handler calls :meth:`EventLog.publish` after a change the real marketplace
would announce (an order placed, an inventory level changed, an app uninstalled), with
the topic in the marketplace's own spelling (``orders/create``,
``MARKETPLACE_ACCOUNT_DELETION``) and the payload as the marketplace would send it.
The log keeps the recent events for tests to read and hands each one to its listeners,
such as the webhook deliverer. Listeners must only enqueue work: they run in the
publishing call, often under the sandbox's state lock.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxEvent:
    """One announced change; ``id`` grows by one per event in a sandbox."""

    id: int
    topic: str
    payload: Mapping[str, Any]
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "topic": self.topic,
            "payload": dict(self.payload),
            "at": self.at.isoformat(),
        }


Listener = Callable[[SandboxEvent], None]


class EventLog:
    """Thread-safe, ordered record of events, with listeners called on each publish."""

    def __init__(self, keep: int = 1000, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._recent: deque[SandboxEvent] = deque(maxlen=keep)
        self._listeners: list[Listener] = []
        self._clock = clock

    def listen(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def publish(self, topic: str, payload: Mapping[str, Any]) -> SandboxEvent:
        with self._lock:
            event = SandboxEvent(
                id=next(self._ids),
                topic=topic,
                payload=payload,
                at=datetime.fromtimestamp(self._clock(), UTC),
            )
            self._recent.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            # A broken listener must not fail the marketplace call that announced it.
            try:
                listener(event)
            except Exception:
                log.exception("sandbox event listener failed on %s", topic)
        return event

    def recent(self, topic: str | None = None) -> list[SandboxEvent]:
        with self._lock:
            events = list(self._recent)
        return [event for event in events if topic in (None, event.topic)]

    def clear(self) -> None:
        with self._lock:
            self._recent.clear()
