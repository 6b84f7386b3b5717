"""Shopify orders and returns as stockbridge dataclasses (NormalizedOrder, NormalizedReturn).

Pure functions over the GraphQL JSON of the documents in ``documents.py``. Amounts are
read in the shop's money (``shopMoney``) and the order's ``currencyCode``, so stock,
prices and orders of one shop are in one currency. A line's ``unit_price`` is its
``originalUnitPriceSet``; its ``tax`` the sum of its ``taxLines``; its ``discount`` the
sum of its ``discountAllocations`` (every discount, order-level ones included), or, when
Shopify allocated none, what ``discountedUnitPriceSet`` takes off per unit times the
quantity. ``quantity`` is the quantity bought; later refunds and cancellations show in
the payment status and ``cancelled``.

Optional fields may be missing or null (no customer, no addresses, no tax lines). A
required field missing, null or malformed (an amount that is not a decimal, a time
without a zone, an unknown status) raises ChannelError VALIDATION naming the field, so
the caller can set that one order aside and import the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stockbridge.channels.base import (
    Address,
    Buyer,
    FulfilmentLine,
    Money,
    NormalizedOrder,
    NormalizedReturn,
    OrderLine,
)
from stockbridge.channels.shopify.schemas import required
from stockbridge.errors import ChannelError, ChannelErrorCategory, InvalidInput
from stockbridge.money import to_minor_units, validate_currency
from stockbridge.statuses import FulfillmentStatus, PaymentStatus, ReturnStatus

#: ``displayFinancialStatus`` -> ours; a payment not taken (yet) is pending.
PAYMENT_STATUSES = {
    "AUTHORIZED": PaymentStatus.PENDING,
    "PENDING": PaymentStatus.PENDING,
    "PARTIALLY_PAID": PaymentStatus.PENDING,
    "PAID": PaymentStatus.PAID,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
    "REFUNDED": PaymentStatus.REFUNDED,
    "VOIDED": PaymentStatus.VOIDED,
    "EXPIRED": PaymentStatus.VOIDED,
}
#: ``displayFulfillmentStatus`` -> ours; anything not (partly) shipped is unfulfilled.
FULFILLMENT_STATUSES = {
    "FULFILLED": FulfillmentStatus.FULFILLED,
    "PARTIALLY_FULFILLED": FulfillmentStatus.PARTIALLY_FULFILLED,
    **dict.fromkeys(
        (
            "UNFULFILLED",
            "OPEN",
            "IN_PROGRESS",
            "ON_HOLD",
            "PENDING_FULFILLMENT",
            "REQUEST_DECLINED",
            "RESTOCKED",
            "SCHEDULED",
        ),
        FulfillmentStatus.UNFULFILLED,
    ),
}
#: Return ``status`` -> ours: an open return is one the shop approved.
RETURN_STATUSES = {
    "REQUESTED": ReturnStatus.REQUESTED,
    "OPEN": ReturnStatus.APPROVED,
    "DECLINED": ReturnStatus.DENIED,
    "CLOSED": ReturnStatus.CLOSED,
    "CANCELED": ReturnStatus.CLOSED,
}


def _invalid(where: str, message: str) -> ChannelError:
    return ChannelError(
        f"Shopify {where} {message}", category=ChannelErrorCategory.VALIDATION, field=where
    )


def _time(node: Mapping[str, Any], name: str, where: str) -> datetime:
    text = required(node, name, where)
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"{where}.{name}", f"is not a date and time: {text!r}") from None
    if value.tzinfo is None:
        raise _invalid(f"{where}.{name}", f"has no time zone: {text!r}")
    return value


def _money(bag: Any, where: str, currency: str) -> Money:
    """A ``MoneyBag``'s shop money; ``bag`` null or without an amount is VALIDATION."""
    shop = required(bag if isinstance(bag, Mapping) else {}, "shopMoney", where)
    amount = required(shop, "amount", f"{where}.shopMoney")
    try:
        return Money(to_minor_units(str(amount), currency), currency)
    except InvalidInput as error:
        raise _invalid(f"{where}.shopMoney.amount", error.detail) from None


def _sum(items: Any, bag: str, where: str, currency: str) -> Money:
    cents = sum(_money(item.get(bag), f"{where}.{bag}", currency).cents for item in items or ())
    return Money(cents, currency)


def _enum(value: Any, table: Mapping[str, Any], where: str) -> Any:
    if value not in table:
        raise _invalid(where, f"has an unknown value {value!r}")
    return table[value]


def address_from_node(node: Mapping[str, Any] | None) -> Address | None:
    if not node:
        return None
    return Address(
        name=node.get("name") or None,
        company=node.get("company"),
        line1=node.get("address1"),
        line2=node.get("address2"),
        city=node.get("city"),
        region=node.get("provinceCode") or node.get("province"),
        postal_code=node.get("zip"),
        country=node.get("countryCodeV2"),
        phone=node.get("phone"),
    )


def buyer_from_node(order: Mapping[str, Any]) -> Buyer:
    customer = order.get("customer") or {}
    email = (customer.get("defaultEmailAddress") or {}).get("emailAddress")
    return Buyer(
        external_id=customer.get("id"),
        name=customer.get("displayName"),
        email=order.get("email") or email,
    )


def line_from_node(node: Mapping[str, Any], currency: str) -> OrderLine:
    where = "lineItem"
    quantity = required(node, "quantity", where)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise _invalid(f"{where}.quantity", f"is not a count: {quantity!r}")
    unit = _money(node.get("originalUnitPriceSet"), f"{where}.originalUnitPriceSet", currency)
    allocations = node.get("discountAllocations") or ()
    if allocations:
        discount = _sum(allocations, "allocatedAmountSet", f"{where}.discountAllocations", currency)
    elif node.get("discountedUnitPriceSet") is not None:
        path = f"{where}.discountedUnitPriceSet"
        discounted = _money(node["discountedUnitPriceSet"], path, currency)
        discount = Money(max(0, unit.cents - discounted.cents) * quantity, currency)
    else:
        discount = Money(0, currency)
    return OrderLine(
        external_id=str(required(node, "id", where)),
        sku=node.get("sku") or None,
        title=str(node.get("title") or ""),
        quantity=quantity,
        unit_price=unit,
        tax=_sum(node.get("taxLines"), "priceSet", f"{where}.taxLines", currency),
        discount=discount,
        external_listing_id=(node.get("product") or {}).get("id"),
    )


def order_from_node(node: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> NormalizedOrder:
    """One order; ``lines`` are its line item nodes (every page of them)."""
    where = "order"
    code = str(required(node, "currencyCode", where))
    try:
        currency = validate_currency(code)
    except InvalidInput as error:
        raise _invalid(f"{where}.currencyCode", error.detail) from None
    return NormalizedOrder(
        external_id=str(required(node, "id", where)),
        number=str(required(node, "name", where)),
        currency=currency,
        placed_at=_time(node, "createdAt", where),
        updated_at=_time(node, "updatedAt", where),
        payment_status=(
            _enum(node["displayFinancialStatus"], PAYMENT_STATUSES, "order.displayFinancialStatus")
            if node.get("displayFinancialStatus") is not None
            else PaymentStatus.PENDING
        ),
        fulfillment_status=_enum(
            required(node, "displayFulfillmentStatus", where),
            FULFILLMENT_STATUSES,
            "order.displayFulfillmentStatus",
        ),
        cancelled=node.get("cancelledAt") is not None,
        buyer=buyer_from_node(node),
        shipping_address=address_from_node(node.get("shippingAddress")),
        billing_address=address_from_node(node.get("billingAddress")),
        lines=tuple(line_from_node(line, currency) for line in lines),
        shipping_cost=_money(
            node.get("totalShippingPriceSet"), "order.totalShippingPriceSet", currency
        ),
        total=_money(node.get("totalPriceSet"), "order.totalPriceSet", currency),
        raw=dict(node),
    )


def return_from_node(node: Mapping[str, Any], order_id: str) -> NormalizedReturn:
    where = "return"
    items = (node.get("returnLineItems") or {}).get("nodes") or []
    lines: list[FulfilmentLine] = []
    reasons: list[str] = []
    for item in items:
        line = required(
            required(item, "fulfillmentLineItem", "returnLineItem"),
            "lineItem",
            "returnLineItem.fulfillmentLineItem",
        )
        lines.append(
            FulfilmentLine(
                line_external_id=str(required(line, "id", "returnLineItem.lineItem")),
                quantity=int(required(item, "quantity", "returnLineItem")),
            )
        )
        reason = " ".join(
            part
            for part in (str(item.get("returnReason") or "").lower(), item.get("customerNote"))
            if part
        )
        if reason:
            reasons.append(reason)
    return NormalizedReturn(
        external_id=str(required(node, "id", where)),
        order_external_id=order_id,
        status=_enum(required(node, "status", where), RETURN_STATUSES, "return.status"),
        lines=tuple(lines),
        reason="; ".join(reasons) or None,
        requested_at=_time(node, "createdAt", where),
        raw=dict(node),
    )
