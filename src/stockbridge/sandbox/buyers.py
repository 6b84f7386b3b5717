"""The background buyers both sandboxes share: a seeded thread buying at a steady rate.

Each marketplace gives :class:`BuyerGenerator` its own ``buy_once(rng, settings) -> bool`` (one
random purchase from what it lists; False when nothing could be bought) and serves
:class:`GeneratorSettings` on its control API (``/_sandbox/buyers/generator``). The
thread waits ``60 / per_minute`` seconds between purchases, wakes at once on
:meth:`BuyerGenerator.stop`, and survives a failed purchase.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)

BuyOnce = Callable[[random.Random, "GeneratorSettings"], bool]


class GeneratorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_minute: float = Field(gt=0, le=60_000)
    seed: int = 0
    #: Most units of one item a buyer takes.
    max_quantity: int = Field(default=2, ge=1, le=100)


class BuyerGenerator:
    """Places random orders in a background thread; restartable, stoppable, seeded."""

    def __init__(self, name: str, buy_once: BuyOnce) -> None:
        self._name, self._buy_once = name, buy_once
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._settings: GeneratorSettings | None = None
        self.placed = 0
        self.refused = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, settings: GeneratorSettings) -> None:
        self.stop()
        with self._lock:
            self._settings, self.placed, self.refused = settings, 0, 0
            self._stop = threading.Event()
            rng = random.Random(settings.seed)  # noqa: S311 (not crypto: repeatable buyers)
            self._thread = threading.Thread(
                target=self._run, args=(settings, rng, self._stop), name=self._name, daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join(timeout=5)

    def status(self) -> dict[str, Any]:
        with self._lock:
            settings = self._settings
            return {
                "running": self._thread is not None and self._thread.is_alive(),
                "per_minute": settings.per_minute if settings else None,
                "seed": settings.seed if settings else None,
                "placed": self.placed,
                "refused": self.refused,
            }

    def _run(self, settings: GeneratorSettings, rng: random.Random, stop: threading.Event) -> None:
        interval = 60.0 / settings.per_minute
        while not stop.wait(interval):
            try:
                placed = self._buy_once(rng, settings)
            except Exception:  # a buyer must never kill the thread
                log.exception("the %s failed to place an order", self._name)
                placed = False
            with self._lock:
                if placed:
                    self.placed += 1
                else:
                    self.refused += 1
