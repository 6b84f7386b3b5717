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
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from stockbridge.sandbox.buyers import BuyerGenerator, GeneratorSettings
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


def buy_once(sandbox: EbaySandbox, rng: random.Random, settings: GeneratorSettings) -> bool:
    """One random purchase on a live listing with stock; False when none has any."""
    store = sandbox.store
    with store.lock:
        stocked = sorted(
            (listing.listing_id, store.shown_quantity(listing))
            for listing in store.state.listings.values()
            if store.shown_quantity(listing) > 0
        )
    if not stocked:
        return False
    listing_id, shown = rng.choice(stocked)
    quantity = rng.randint(1, min(settings.max_quantity, shown))
    line = OrderLine(listing_id=listing_id, quantity=quantity)
    try:
        place_order(sandbox, PlaceOrder(lines=[line]))
    except EbayError:  # sold out in between by another buyer: try again next time
        return False
    return True


def buyer_generator(sandbox: EbaySandbox) -> BuyerGenerator:
    return BuyerGenerator("ebay-sandbox-buyers", partial(buy_once, sandbox))


def get_generator(request: Request) -> BuyerGenerator:
    generator: BuyerGenerator = request.app.state.ebay_buyers
    return generator


GeneratorDep = Annotated[BuyerGenerator, Depends(get_generator)]


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
    generator.start(settings)
    return generator.status()


@router.get("/generator")
def generator_status(generator: GeneratorDep) -> dict[str, Any]:
    return generator.status()


@router.delete("/generator", status_code=204)
def stop_generator(generator: GeneratorDep) -> Response:
    generator.stop()
    return Response(status_code=204)
