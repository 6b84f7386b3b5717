"""Reading a marketplace order payload: is it storable, and what does it say about the order.

A ``NormalizedOrder`` comes from an adapter; :func:`check_order` refuses one the order
tables cannot hold as it is, before anything is written, and
:func:`marketplace_fields` gives the ``ecom_orders`` columns the marketplace owns.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from stockbridge.channels.base import Address, NormalizedOrder
from stockbridge.errors import InvalidInput

MAX_ID_LENGTH = 100  # external ids and SKUs, as the order tables store them


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None:
        raise InvalidInput(f"order {what} must be timezone-aware, got {moment.isoformat()}")


def _require_id(value: str, what: str) -> None:
    if not 0 < len(value.strip()) <= MAX_ID_LENGTH:
        raise InvalidInput(f"{what} must be 1 to {MAX_ID_LENGTH} characters, got {value!r}")


def check_order(order: NormalizedOrder) -> None:
    """Refuse a payload that cannot be stored as it is (``InvalidInput``, nothing written)."""
    _require_id(order.external_id, "an order's external id")
    _require_aware(order.placed_at, "placed_at")
    _require_aware(order.updated_at, "updated_at")
    seen: set[str] = set()
    for line in order.lines:
        _require_id(line.external_id, f"order {order.external_id}: a line's external id")
        if line.sku and len(line.sku) > MAX_ID_LENGTH:
            raise InvalidInput(
                f"order {order.external_id} line {line.external_id}: SKU longer than "
                f"{MAX_ID_LENGTH} characters"
            )
        if line.external_id in seen:
            raise InvalidInput(f"order {order.external_id} lists line {line.external_id} twice")
        seen.add(line.external_id)
        if line.quantity <= 0:
            raise InvalidInput(
                f"order {order.external_id} line {line.external_id}: quantity must be "
                f"positive, got {line.quantity}"
            )
        currencies = {line.unit_price.currency, line.tax.currency, line.discount.currency}
        if currencies != {order.currency}:
            raise InvalidInput(
                f"order {order.external_id} line {line.external_id}: amounts in "
                f"{', '.join(sorted(currencies))}, order in {order.currency}"
            )


def _address(address: Address | None) -> dict[str, Any] | None:
    return asdict(address) if address else None


def marketplace_fields(order: NormalizedOrder) -> dict[str, Any]:
    """The columns of ``ecom_orders`` the marketplace owns, as the payload has them."""
    lines = order.lines
    return {
        "external_number": order.number[:100] or None,
        "payment_status": order.payment_status,
        "fulfillment_status": order.fulfillment_status,
        "customer_name": order.buyer.name or order.buyer.username,
        "customer_email": order.buyer.email,
        "shipping_address": _address(order.shipping_address),
        "billing_address": _address(order.billing_address),
        "subtotal_cents": sum(line.unit_price.cents * line.quantity for line in lines),
        "tax_cents": sum(line.tax.cents for line in lines),
        "shipping_cents": order.shipping_cost.cents,
        "discount_cents": sum(line.discount.cents for line in lines),
        "total_cents": order.total.cents,
        "currency": order.currency,
        "placed_at": order.placed_at,
    }
