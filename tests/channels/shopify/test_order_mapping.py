"""Shopify order JSON -> NormalizedOrder: money, optional fields, and malformed required ones."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.channels.base import Money
from stockbridge.channels.shopify.orders import line_from_node, order_from_node
from stockbridge.errors import ChannelError, ChannelErrorCategory, InvalidInput
from stockbridge.money import format_minor_units, to_minor_units
from stockbridge.statuses import FulfillmentStatus, PaymentStatus

CURRENCIES = st.sampled_from(["GBP", "EUR", "JPY", "KWD", "USD"])
CENTS = st.integers(min_value=0, max_value=10**12)


def _bag(cents: int, currency: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": format_minor_units(cents, currency)}}


def _line(**extra: Any) -> dict[str, Any]:
    return {
        "id": "gid://shopify/LineItem/1",
        "sku": "MUG",
        "title": "Mug",
        "quantity": 2,
        "originalUnitPriceSet": _bag(1250, "GBP"),
        **extra,
    }


def _order(**extra: Any) -> dict[str, Any]:
    """The fewest fields an order can have: every optional one left out."""
    return {
        "id": "gid://shopify/Order/1",
        "name": "#1001",
        "createdAt": "2026-01-05T09:00:00Z",
        "updatedAt": "2026-01-05T09:30:00Z",
        "currencyCode": "GBP",
        "displayFulfillmentStatus": "UNFULFILLED",
        "totalShippingPriceSet": _bag(0, "GBP"),
        "totalPriceSet": _bag(2500, "GBP"),
        **extra,
    }


@given(
    currency=CURRENCIES,
    unit=CENTS,
    quantity=st.integers(min_value=1, max_value=1000),
    taxes=st.lists(CENTS, max_size=3),
    allocations=st.lists(CENTS, max_size=3),
    off=CENTS,
)
def test_line_money_is_read_exactly_in_minor_units(
    currency: str, unit: int, quantity: int, taxes: list[int], allocations: list[int], off: int
) -> None:
    node = _line(
        quantity=quantity,
        originalUnitPriceSet=_bag(unit, currency),
        discountedUnitPriceSet=_bag(max(0, unit - off), currency),
        taxLines=[{"priceSet": _bag(t, currency)} for t in taxes],
        discountAllocations=[{"allocatedAmountSet": _bag(a, currency)} for a in allocations],
    )

    line = line_from_node(node, currency)

    assert line.unit_price == Money(unit, currency)
    assert line.tax == Money(sum(taxes), currency)
    # Allocations name every discount; without them the unit price's cut counts.
    expected = sum(allocations) if allocations else min(off, unit) * quantity
    assert line.discount == Money(expected, currency)


@given(currency=CURRENCIES, text=st.text(max_size=30))
def test_any_amount_text_maps_or_is_a_validation_error_naming_the_field(
    currency: str, text: str
) -> None:
    node = _line(originalUnitPriceSet={"shopMoney": {"amount": text}})
    try:
        expected = to_minor_units(text, currency)
    except InvalidInput:
        with pytest.raises(ChannelError) as refused:
            line_from_node(node, currency)
        assert refused.value.category is ChannelErrorCategory.VALIDATION
        assert refused.value.extra["field"] == "lineItem.originalUnitPriceSet.shopMoney.amount"
    else:
        assert line_from_node(node, currency).unit_price == Money(expected, currency)


def test_an_order_without_any_optional_field_maps() -> None:
    order = order_from_node(_order(), [_line()])

    assert order.buyer.external_id is None
    assert order.buyer.email is None
    assert order.shipping_address is None
    assert order.billing_address is None
    assert order.payment_status is PaymentStatus.PENDING
    assert order.fulfillment_status is FulfillmentStatus.UNFULFILLED
    assert not order.cancelled
    [line] = order.lines
    assert (line.tax, line.discount, line.external_listing_id) == (
        Money(0, "GBP"),
        Money(0, "GBP"),
        None,
    )


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({"createdAt": None}, "order.createdAt"),
        ({"updatedAt": "yesterday"}, "order.updatedAt"),
        ({"updatedAt": "2026-01-05T09:30:00"}, "order.updatedAt"),  # no zone
        ({"currencyCode": "POUNDS"}, "order.currencyCode"),
        ({"displayFulfillmentStatus": "LOST"}, "order.displayFulfillmentStatus"),
        ({"displayFinancialStatus": "MAYBE"}, "order.displayFinancialStatus"),
        ({"totalPriceSet": None}, "order.totalPriceSet.shopMoney"),
        ({"totalPriceSet": _bag(1, "GBP") | {"shopMoney": {"amount": "1E+999999"}}},
         "order.totalPriceSet.shopMoney.amount"),
        ({"name": None}, "order.name"),
    ],
)  # fmt: skip
def test_a_malformed_required_field_is_a_validation_error_naming_it(
    broken: dict[str, Any], field: str
) -> None:
    with pytest.raises(ChannelError) as refused:
        order_from_node(_order(**broken), [_line()])

    assert refused.value.category is ChannelErrorCategory.VALIDATION
    assert refused.value.extra["field"] == field


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({"quantity": -1}, "lineItem.quantity"),
        ({"quantity": "2"}, "lineItem.quantity"),
        ({"id": None}, "lineItem.id"),
        ({"originalUnitPriceSet": None}, "lineItem.originalUnitPriceSet.shopMoney"),
    ],
)
def test_a_malformed_line_names_its_field(broken: dict[str, Any], field: str) -> None:
    with pytest.raises(ChannelError) as refused:
        line_from_node(_line(**broken), "GBP")

    assert refused.value.extra["field"] == field
