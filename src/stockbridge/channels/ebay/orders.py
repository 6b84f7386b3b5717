"""eBay's ``Order`` JSON (Sell Fulfillment getOrder/getOrders) as a :class:`NormalizedOrder`.

Read field by field: a required field that is missing or malformed is a ``VALIDATION``
ChannelError naming the field by its path (``lineItems[1].lineItemCost.value``), so one
bad order can be set aside while the rest import; optional fields may be missing.

- Money: ``Amount`` strings to minor units by the currency's exponent (no float). A
  line's unit price is ``lineItemCost`` (price times quantity) divided by its quantity;
  its tax the sum of ``taxes``, its discount the sum of ``appliedPromotions``. The
  order's shipping cost is ``pricingSummary.deliveryCost``, its total
  ``pricingSummary.total``; every amount must be in the order's currency.
- Address: the first ``fulfillmentStartInstructions`` ``shippingStep.shipTo``; the
  country an ISO 3166-1 alpha-2 code, upper case. eBay shows no billing address.
- Buyer: ``buyer.username`` (eBay's only stable buyer id here) with the name and email
  of ``buyerRegistrationAddress``.
- Statuses: ``orderPaymentStatus``, ``orderFulfillmentStatus`` and
  ``cancelStatus.cancelState`` through the tables below; an unknown value is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from stockbridge.channels.base import Address, Buyer, Money, NormalizedOrder, OrderLine
from stockbridge.errors import ChannelError, ChannelErrorCategory, InvalidInput
from stockbridge.money import to_minor_units, validate_currency
from stockbridge.statuses import FulfillmentStatus, PaymentStatus

T = TypeVar("T")

#: eBay OrderPaymentStatusEnum -> stockbridge.
PAYMENT_STATUSES: Mapping[str, PaymentStatus] = {
    "PENDING": PaymentStatus.PENDING,
    "PAID": PaymentStatus.PAID,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
    "FULLY_REFUNDED": PaymentStatus.REFUNDED,
    "FAILED": PaymentStatus.VOIDED,
}
#: eBay OrderFulfillmentStatus -> stockbridge.
FULFILLMENT_STATUSES: Mapping[str, FulfillmentStatus] = {
    "NOT_STARTED": FulfillmentStatus.UNFULFILLED,
    "IN_PROGRESS": FulfillmentStatus.PARTIALLY_FULFILLED,
    "FULFILLED": FulfillmentStatus.FULFILLED,
}
#: eBay CancelStateEnum values; only CANCELED means the order is off.
CANCEL_STATES = frozenset({"NONE_REQUESTED", "IN_PROGRESS", "CANCELED"})


class OrderReader:
    """Reads one order; every error names the order and the field."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.order_id = str(body.get("orderId") or "")

    def fail(self, path: str, problem: str) -> ChannelError:
        return ChannelError(
            f"eBay order {self.order_id or '(no orderId)'}: {path} {problem}",
            category=ChannelErrorCategory.VALIDATION,
            field=path,
        )

    def required(self, parent: Mapping[str, Any], name: str, path: str) -> Any:
        value = parent.get(name)
        if value is None or value == "":
            raise self.fail(path, "is missing")
        return value

    def mapping(self, parent: Mapping[str, Any], name: str, path: str) -> Mapping[str, Any]:
        value = parent.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(path, "is not an object")
        return value

    def items(self, parent: Mapping[str, Any], name: str, path: str) -> list[Mapping[str, Any]]:
        value = parent.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(path, "is not a list of objects")
        return value

    def money(self, parent: Mapping[str, Any], name: str, path: str, currency: str) -> Money:
        amount = parent.get(name)
        if not isinstance(amount, Mapping):
            raise self.fail(path, "is missing" if amount is None else "is not an Amount")
        value = self.required(amount, "value", f"{path}.value")
        if amount.get("currency") not in (None, currency):
            raise self.fail(f"{path}.currency", f"is {amount['currency']!r}, not {currency}")
        try:
            return Money(to_minor_units(str(value), currency), currency)
        except InvalidInput as error:
            raise self.fail(f"{path}.value", f"is not a {currency} amount: {error}") from None

    def optional_money(
        self, parent: Mapping[str, Any], name: str, path: str, currency: str
    ) -> Money:
        if parent.get(name) is None:
            return Money(0, currency)
        return self.money(parent, name, path, currency)

    def time(self, name: str) -> datetime:
        raw = self.required(self.body, name, name)
        try:
            moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(name, f"is not a timestamp: {raw!r}") from None
        if moment.tzinfo is None:
            raise self.fail(name, f"has no time zone: {raw!r}")
        return moment

    def status(self, name: str, table: Mapping[str, T], path: str | None = None) -> T:
        raw = self.required(self.body, name, path or name)
        if raw not in table:
            raise self.fail(path or name, f"is not a known value: {raw!r}")
        return table[raw]


def _currency(reader: OrderReader) -> str:
    summary = reader.mapping(reader.body, "pricingSummary", "pricingSummary")
    total = reader.mapping(summary, "total", "pricingSummary.total")
    raw = reader.required(total, "currency", "pricingSummary.total.currency")
    try:
        return validate_currency(str(raw))
    except InvalidInput:
        raise reader.fail("pricingSummary.total.currency", f"is not a currency: {raw!r}") from None


def _sum(
    reader: OrderReader, entries: list[Mapping[str, Any]], field: str, path: str, currency: str
) -> int:
    return sum(
        abs(reader.money(entry, field, f"{path}[{n}].{field}", currency).cents)
        for n, entry in enumerate(entries)
    )


def _line(reader: OrderReader, line: Mapping[str, Any], n: int, currency: str) -> OrderLine:
    path = f"lineItems[{n}]"
    quantity = reader.required(line, "quantity", f"{path}.quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise reader.fail(f"{path}.quantity", f"is not a positive whole number: {quantity!r}")
    cost = reader.money(line, "lineItemCost", f"{path}.lineItemCost", currency)
    unit, remainder = divmod(cost.cents, quantity)
    if remainder:
        raise reader.fail(f"{path}.lineItemCost", f"does not divide by quantity {quantity}")
    taxes = reader.items(line, "taxes", f"{path}.taxes")
    promotions = reader.items(line, "appliedPromotions", f"{path}.appliedPromotions")
    listing_id = line.get("legacyItemId")
    return OrderLine(
        external_id=str(reader.required(line, "lineItemId", f"{path}.lineItemId")),
        sku=str(line["sku"]) if line.get("sku") else None,
        title=str(line.get("title") or ""),
        quantity=quantity,
        unit_price=Money(unit, currency),
        tax=Money(_sum(reader, taxes, "amount", f"{path}.taxes", currency), currency),
        discount=Money(
            _sum(reader, promotions, "discountAmount", f"{path}.appliedPromotions", currency),
            currency,
        ),
        external_listing_id=str(listing_id) if listing_id else None,
    )


def _country(reader: OrderReader, raw: Any, path: str) -> str | None:
    if raw in (None, ""):
        return None
    code = str(raw).strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise reader.fail(path, f"is not an ISO 3166-1 alpha-2 code: {raw!r}")
    return code


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _ship_to(reader: OrderReader) -> Address | None:
    name = "fulfillmentStartInstructions"
    steps = reader.items(reader.body, name, name)
    if not steps:
        return None
    path = "fulfillmentStartInstructions[0].shippingStep.shipTo"
    step = reader.mapping(steps[0], "shippingStep", path.rsplit(".", 1)[0])
    ship_to = reader.mapping(step, "shipTo", path)
    if not ship_to:
        return None
    place = reader.mapping(ship_to, "contactAddress", f"{path}.contactAddress")
    phone = reader.mapping(ship_to, "primaryPhone", f"{path}.primaryPhone")
    return Address(
        name=_text(ship_to.get("fullName")),
        company=_text(ship_to.get("companyName")),
        line1=_text(place.get("addressLine1")),
        line2=_text(place.get("addressLine2")),
        city=_text(place.get("city")),
        region=_text(place.get("stateOrProvince")),
        postal_code=_text(place.get("postalCode")),
        country=_country(reader, place.get("countryCode"), f"{path}.contactAddress.countryCode"),
        phone=_text(phone.get("phoneNumber")),
    )


def _buyer(reader: OrderReader) -> Buyer:
    buyer = reader.mapping(reader.body, "buyer", "buyer")
    registered = reader.mapping(buyer, "buyerRegistrationAddress", "buyer.buyerRegistrationAddress")
    username = _text(buyer.get("username"))
    return Buyer(
        external_id=username,
        username=username,
        name=_text(registered.get("fullName")),
        email=_text(registered.get("email")),
    )


def order_from_json(body: Mapping[str, Any]) -> NormalizedOrder:
    """One eBay ``Order``; raises VALIDATION naming the first field it cannot read."""
    reader = OrderReader(body)
    order_id = str(reader.required(body, "orderId", "orderId"))
    currency = _currency(reader)
    summary = reader.mapping(body, "pricingSummary", "pricingSummary")
    lines = reader.items(body, "lineItems", "lineItems")
    if not lines:
        raise reader.fail("lineItems", "is empty")
    cancel = reader.mapping(body, "cancelStatus", "cancelStatus")
    cancel_state = cancel.get("cancelState") or "NONE_REQUESTED"
    if cancel_state not in CANCEL_STATES:
        raise reader.fail("cancelStatus.cancelState", f"is not a known value: {cancel_state!r}")
    return NormalizedOrder(
        external_id=order_id,
        number=order_id,
        currency=currency,
        placed_at=reader.time("creationDate"),
        updated_at=reader.time("lastModifiedDate"),
        payment_status=reader.status("orderPaymentStatus", PAYMENT_STATUSES),
        fulfillment_status=reader.status("orderFulfillmentStatus", FULFILLMENT_STATUSES),
        cancelled=cancel_state == "CANCELED",
        buyer=_buyer(reader),
        shipping_address=_ship_to(reader),
        billing_address=None,
        lines=tuple(_line(reader, line, n, currency) for n, line in enumerate(lines)),
        shipping_cost=reader.optional_money(
            summary, "deliveryCost", "pricingSummary.deliveryCost", currency
        ),
        total=reader.money(summary, "total", "pricingSummary.total", currency),
        raw=dict(body),
    )
