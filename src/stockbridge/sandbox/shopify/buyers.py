"""Simulated buyers: the control routes under ``/_sandbox/buyers`` and the background
generator behind ``stockbridge sandbox shopify --buyers-per-minute N``.

A buyer places an order for SKUs and quantities (checkout.py sells it from
``available`` exactly as the shop would, or refuses it), cancels an order (reason
``CUSTOMER``, restocked and refunded), or asks to return shipped units (a return
``REQUESTED``, as ``returnRequest`` makes it). Every change runs through the sandbox's
``change`` hook: under the state lock, then its events published and the state saved.

The generator (sandbox/buyers.py) is a daemon thread placing one random order every
``60 / per_minute`` seconds, from a random generator seeded by the caller, until stopped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from stockbridge.sandbox.buyers import BuyerGenerator, GeneratorSettings
from stockbridge.sandbox.control import CONTROL_PREFIX
from stockbridge.sandbox.shopify.cancellation import CancelRefused, cancel_order
from stockbridge.sandbox.shopify.checkout import Purchase, PurchaseRefused, WantedLine, place_order
from stockbridge.sandbox.shopify.context import ResolveContext
from stockbridge.sandbox.shopify.order_records import OrderRecord
from stockbridge.sandbox.shopify.payloads import order_payload, return_payload
from stockbridge.sandbox.shopify.returns import ReturnedLine, ReturnRefused, open_return
from stockbridge.sandbox.shopify.state import gid

T = TypeVar("T")
#: Runs a function on a fresh context under the state lock, then publishes and saves.
Change = Callable[[Callable[[ResolveContext], Any]], Any]

CountryCode = Literal[
    "AT", "AU", "BE", "CA", "CH", "DE", "DK", "ES", "FR", "GB", "IE", "IT", "NL", "NO", "NZ",
    "PL", "PT", "SE", "US",
]  # fmt: skip
ReturnReason = Literal[
    "COLOR", "DEFECTIVE", "NOT_AS_DESCRIBED", "OTHER", "SIZE_TOO_LARGE", "SIZE_TOO_SMALL",
    "STYLE", "UNKNOWN", "UNWANTED", "WRONG_ITEM",
]  # fmt: skip


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BuyerLine(_Input):
    sku: str = Field(min_length=1)
    quantity: int = Field(default=1, ge=1, le=10_000)


class BuyerOrder(_Input):
    line_items: list[BuyerLine] = Field(min_length=1, max_length=250)
    email: str = "buyer@example.com"
    first_name: str = "Sam"
    last_name: str = "Buyer"
    address1: str = "1 High Street"
    city: str = "Bristol"
    zip: str = "BS1 4DJ"
    province_code: str | None = None
    country_code: CountryCode = "GB"
    shipping_title: str = "Standard"
    shipping_price: Decimal = Field(default=Decimal("0.00"), ge=0, le=100_000)
    note: str | None = None

    def purchase(self) -> Purchase:
        return Purchase(
            lines=[WantedLine(line.sku, line.quantity) for line in self.line_items],
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            address={
                "address1": self.address1,
                "city": self.city,
                "zip": self.zip,
                "province_code": self.province_code,
                "country_code_v2": self.country_code,
            },
            shipping_title=self.shipping_title,
            shipping_price=self.shipping_price,
            note=self.note,
        )


class BuyerReturnLine(_Input):
    sku: str
    quantity: int = Field(default=1, ge=1, le=10_000)
    reason: ReturnReason = "UNWANTED"
    note: str | None = None


class BuyerReturn(_Input):
    line_items: list[BuyerReturnLine] = Field(min_length=1, max_length=250)


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": message}, status_code=status)


def _order(context: ResolveContext, order_id: str) -> OrderRecord:
    key = gid("Order", int(order_id)) if order_id.isdigit() else order_id
    order = context.state.orders.get(key)
    if order is None:
        raise PurchaseRefused(404, f"No order has the id {order_id!r}.")
    return order


def _returned_lines(order: OrderRecord, wanted: BuyerReturn) -> list[ReturnedLine]:
    """The buyer names SKUs; spread each over the fulfilment lines that shipped it."""
    lines: list[ReturnedLine] = []
    skus = {line.id: line.sku for line in order.line_items}
    for entry in wanted.line_items:
        left = entry.quantity
        for fulfillment in order.fulfillments:
            for fli in fulfillment.line_items:
                if skus.get(fli.line_item_id) != entry.sku or left == 0:
                    continue
                taken = min(left, fli.quantity)
                lines.append(ReturnedLine(fli.id, taken, entry.reason, entry.note))
                left -= taken
        if left:
            raise PurchaseRefused(409, f"Only part of {entry.sku!r} was shipped on this order.")
    return lines


def buyers_router(change: Change, generator: BuyerGenerator) -> APIRouter:
    router = APIRouter(prefix=f"{CONTROL_PREFIX}/buyers", tags=["sandbox buyers"])

    def run(apply: Callable[[ResolveContext], Any], status: int = 200) -> JSONResponse:
        try:
            return JSONResponse(change(apply), status_code=status)
        except PurchaseRefused as refused:
            return _refusal(refused.status, refused.message)
        except CancelRefused as refused:
            return _refusal(409, refused.message)
        except ReturnRefused as refused:
            return _refusal(409, "; ".join(error["message"] for error in refused.errors))

    @router.post("/orders", status_code=201)
    def place(body: BuyerOrder) -> JSONResponse:
        def apply(context: ResolveContext) -> Any:
            return order_payload(context.state, place_order(context, body.purchase()))

        return run(apply, 201)

    @router.post("/orders/{order_id}/cancel")
    def cancel(order_id: str) -> JSONResponse:
        def apply(context: ResolveContext) -> Any:
            order = _order(context, order_id)
            cancel_order(context, order, reason="CUSTOMER", restock=True, refund=True)
            return order_payload(context.state, order)

        return run(apply)

    @router.post("/orders/{order_id}/returns", status_code=201)
    def request_return(order_id: str, body: BuyerReturn) -> JSONResponse:
        def apply(context: ResolveContext) -> Any:
            order = _order(context, order_id)
            lines = _returned_lines(order, body)
            record = open_return(context, order, lines, status="REQUESTED", path=["line_items"])
            return return_payload(context.state, order, record)

        return run(apply, 201)

    @router.post("/generator")
    def start(settings: GeneratorSettings) -> dict[str, Any]:
        generator.start(settings)
        return generator.status()

    @router.get("/generator")
    def status() -> dict[str, Any]:
        return generator.status()

    @router.delete("/generator")
    def stop() -> dict[str, Any]:
        generator.stop()
        return generator.status()

    return router


def buyer_generator(change: Change) -> BuyerGenerator:
    """The background buyers: each purchase is one ``change`` of the shop."""

    def buy_once(rng: random.Random, settings: GeneratorSettings) -> bool:
        return bool(change(lambda context: _buy(context, settings, rng)))

    return BuyerGenerator("shopify-sandbox-buyers", buy_once)


def _buy(context: ResolveContext, settings: GeneratorSettings, rng: random.Random) -> bool:
    state = context.state
    for_sale = [
        v
        for v in state.variants.values()
        if v.sku and state.products[v.product_id].status == "ACTIVE"
    ]
    if not for_sale:
        return False
    variant = rng.choice(sorted(for_sale, key=lambda v: v.id))
    number = rng.randint(1, 10_000)
    purchase = Purchase(
        lines=[WantedLine(variant.sku or "", rng.randint(1, settings.max_quantity))],
        email=f"buyer{number}@example.com",
        first_name="Buyer",
        last_name=str(number),
    )
    try:
        place_order(context, purchase)
    except PurchaseRefused:
        return False
    return True
