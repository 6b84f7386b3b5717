"""A seller with live listings and buyers buying from them, for the order tests.

Helpers over HTTP only: listings are made with the Sell Inventory calls, orders by the
buyers' control API, and the seller reads them with the Sell Fulfillment calls.
"""

from __future__ import annotations

from typing import Any

import httpx

from stockbridge.sandbox.ebay.oauth import (
    SELL_ACCOUNT,
    SELL_FINANCES,
    SELL_FULFILLMENT,
    SELL_INVENTORY,
)
from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness

FULFILLMENT = "/sell/fulfillment/v1"
ACCOUNT = "/sell/account/v1"
#: What a seller's app asks for to list, sell, ship and refund.
SELLER_SCOPES = [SELL_INVENTORY, SELL_FULFILLMENT, SELL_FINANCES, SELL_ACCOUNT]


def seller_token(ebay: EbayHarness) -> str:
    if "seller" not in ebay.tokens:
        ebay.tokens["seller"] = ebay.user_token(SELLER_SCOPES)
    return ebay.tokens["seller"]


def list_item(
    ebay: EbayHarness,
    sku: str,
    quantity: int,
    offer_quantity: int | None = None,
    price: str = "49.99",
    **offer_fields: Any,
) -> str:
    """Stock ``sku``, offer it on EBAY_GB and publish it; returns the listing id."""
    token = seller_token(ebay)
    if "location" not in ebay.tokens:
        answer = ebay.call(
            "POST", f"/location/{payloads.LOCATION_KEY}", token=token, json=payloads.location()
        )
        assert answer.status_code == 204, answer.text
        ebay.tokens["location"] = payloads.LOCATION_KEY
    item = payloads.inventory_item(quantity=quantity, title=f"Brass lamp {sku}")
    assert ebay.call("PUT", f"/inventory_item/{sku}", token=token, json=item).status_code == 204
    offer = payloads.offer(sku, offer_quantity, price) | offer_fields
    created = ebay.call("POST", "/offer", token=token, json=offer)
    assert created.status_code == 201, created.text
    published = ebay.call("POST", f"/offer/{created.json()['offerId']}/publish", token=token)
    assert published.status_code == 200, published.text
    return str(published.json()["listingId"])


def buy(ebay: EbayHarness, *lines: tuple[str, int], **fields: Any) -> httpx.Response:
    """A buyer orders (SKU, quantity) lines through the control API."""
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines]} | fields
    return ebay.http.post("/_sandbox/buyers/orders", json=body)


def bought(ebay: EbayHarness, *lines: tuple[str, int], **fields: Any) -> dict[str, Any]:
    answer = buy(ebay, *lines, **fields)
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order


def api(
    ebay: EbayHarness, method: str, path: str, token: str | None = None, **kwargs: Any
) -> httpx.Response:
    """A Sell Fulfillment or Account call (``path`` from the API root) as a seller app."""
    headers = {
        "Authorization": f"Bearer {token or seller_token(ebay)}",
        "Accept": "application/json",
    }
    if "json" in kwargs:
        headers["Content-Type"] = "application/json"
    headers |= kwargs.pop("headers", {})
    return ebay.http.request(method, path, headers=headers, **kwargs)


def get_order(ebay: EbayHarness, order_id: str) -> dict[str, Any]:
    answer = api(ebay, "GET", f"{FULFILLMENT}/order/{order_id}")
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()
    return order


def ship(
    ebay: EbayHarness, order_id: str, *lines: tuple[str, int], **fields: Any
) -> httpx.Response:
    body = {
        "lineItems": [{"lineItemId": line_id, "quantity": qty} for line_id, qty in lines],
        "shippingCarrierCode": "RoyalMail",
        "trackingNumber": "AB123456789GB",
    } | fields
    sent = {key: value for key, value in body.items() if value is not None}  # None: left out
    return api(ebay, "POST", f"{FULFILLMENT}/order/{order_id}/shipping_fulfillment", json=sent)


def error_id(answer: httpx.Response) -> int:
    return int(answer.json()["errors"][0]["errorId"])
