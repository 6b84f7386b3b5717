"""The buyers' control API of the eBay sandbox (``/_sandbox/buyers``) and the
background buyer generator.

Tests and the demo play the buyer over HTTP: place an order, cancel it, open a return
(sales.py holds the rules). The generator (``--buyers-per-minute N``) is a seeded
thread that, at that rate, buys one or two units of a random live listing with stock;
it is off unless configured or started with ``POST /_sandbox/buyers/generator``, and
stops with ``DELETE``. Refusals use eBay's error shape with domain ``SANDBOX`` and
errorId 0: they are the sandbox's answers, not eBay's.
"""

from __future__ import annotations

import random
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from stockbridge.sandbox.control import CONTROL_PREFIX
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.orders import order_json
from stockbridge.sandbox.ebay.sales import (
    CancelOrder,
    OpenReturn,
    OrderLine,
    PlaceOrder,
    cancel_order,
    open_return,
    place_order,
)

router = APIRouter(prefix=f"{CONTROL_PREFIX}/buyers", tags=["sandbox control"])


class BuyerGenerator:
    """A thread placing random small orders at a steady rate until stopped."""

    def __init__(self, sandbox: EbaySandbox) -> None:
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.per_minute = 0.0
        self.placed = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, per_minute: float, seed: int) -> None:
        self.stop()
        with self._lock:
            self.per_minute, self._stop = per_minute, threading.Event()
            self._thread = threading.Thread(
                target=self._run,
                args=(random.Random(seed), 60.0 / per_minute, self._stop),  # noqa: S311 (not crypto: repeatable buyers)
                name="ebay-sandbox-buyers",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None:
            thread.join(timeout=5)

    def status(self) -> dict[str, Any]:
        return {"running": self.running, "per_minute": self.per_minute, "placed": self.placed}

    def _run(self, rng: random.Random, interval: float, stop: threading.Event) -> None:
        # Event.wait paces the buyers and wakes at once on stop().
        while not stop.wait(interval):
            if self.buy_once(rng):
                self.placed += 1

    def buy_once(self, rng: random.Random) -> bool:
        """One random purchase on a live listing with stock; False when none has any."""
        store = self.sandbox.store
        with store.lock:
            stocked = sorted(
                (listing.listing_id, store.shown_quantity(listing))
                for listing in store.state.listings.values()
                if store.shown_quantity(listing) > 0
            )
        if not stocked:
            return False
        listing_id, shown = rng.choice(stocked)
        line = OrderLine(listing_id=listing_id, quantity=rng.randint(1, min(2, shown)))
        try:
            place_order(self.sandbox, PlaceOrder(lines=[line]))
        except EbayError:  # sold out in between by another buyer: try again next time
            return False
        return True


def get_generator(request: Request) -> BuyerGenerator:
    generator: BuyerGenerator = request.app.state.ebay_buyers
    return generator


GeneratorDep = Annotated[BuyerGenerator, Depends(get_generator)]


class GeneratorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_minute: float = Field(gt=0, le=60_000)
    seed: int = 0


@router.post("/orders", status_code=201)
def buyer_places_order(request: Request, body: PlaceOrder, sandbox: SandboxDep) -> JSONResponse:
    order = place_order(sandbox, body)
    with sandbox.store.lock:
        answer = order_json(sandbox, order, str(request.base_url).rstrip("/"))
    return JSONResponse(answer, status_code=201)


@router.post("/orders/{order_id}/cancel")
def buyer_cancels_order(
    request: Request, order_id: str, sandbox: SandboxDep, body: CancelOrder | None = None
) -> JSONResponse:
    order = cancel_order(sandbox, order_id, body or CancelOrder())
    with sandbox.store.lock:
        answer = order_json(sandbox, order, str(request.base_url).rstrip("/"))
    return JSONResponse(answer)


@router.post("/orders/{order_id}/returns", status_code=201)
def buyer_opens_return(order_id: str, body: OpenReturn, sandbox: SandboxDep) -> JSONResponse:
    return JSONResponse(open_return(sandbox, order_id, body).model_dump(), status_code=201)


@router.get("/returns")
def list_returns(sandbox: SandboxDep) -> list[dict[str, Any]]:
    with sandbox.store.lock:
        return [record.model_dump() for record in sandbox.store.state.returns.values()]


@router.post("/generator")
def start_generator(settings: GeneratorSettings, generator: GeneratorDep) -> dict[str, Any]:
    generator.start(settings.per_minute, settings.seed)
    return generator.status()


@router.get("/generator")
def generator_status(generator: GeneratorDep) -> dict[str, Any]:
    return generator.status()


@router.delete("/generator", status_code=204)
def stop_generator(generator: GeneratorDep) -> Response:
    generator.stop()
    return Response(status_code=204)
