"""Orders from eBay: the lastmodifieddate poll, one order, and how an Order JSON reads."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.channels.base import Address, Money, NormalizedOrder, OrderPage
from stockbridge.channels.ebay.fulfillment import ORDER_POLL_OVERLAP
from stockbridge.channels.ebay.orders import order_from_json
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.money import currency_exponent, format_minor_units
from stockbridge.statuses import FulfillmentStatus, PaymentStatus
from tests.channels.ebay.conftest import Connected, add_fault, calls, connect, listing
from tests.sandbox.ebay.conftest import EbayHarness

BUYER = {
    "username": "ada_l",
    "full_name": "Ada Lovelace",
    "email": "ada@buyers.example",
    "phone": "+44 20 7946 0000",
    "address": {
        "addressLine1": "12 St James's Square",
        "city": "London",
        "postalCode": "SW1Y 4JH",
        "countryCode": "gb",
    },
}


def stocked(connected: Connected, *skus: str, cents: int = 4999) -> None:
    """List and publish each SKU with ten units."""
    connected.adapter.upsert_listings([listing(sku, quantity=10, cents=cents) for sku in skus])
    for sku in skus:
        connected.adapter.publish(sku)


def buy(shop: EbayHarness, *lines: tuple[str, int], **fields: Any) -> dict[str, Any]:
    body = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines]} | fields
    answer = shop.http.post("/_sandbox/buyers/orders", json=body)
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order


def now(shop: EbayHarness) -> datetime:
    return datetime.fromtimestamp(shop.clock.now, UTC)


def poll(connected: Connected, cursor: str | None, since: datetime) -> list[OrderPage]:
    return list(connected.adapter.orders_since(cursor, since))


def ids(pages: list[OrderPage]) -> list[str]:
    return [order.external_id for page in pages for order in page.orders]


def test_a_polled_order_carries_buyer_address_lines_money_and_statuses(
    connected: Connected, shop: EbayHarness
) -> None:
    stocked(connected, "LAMP-1", "LAMP-2")
    placed = buy(shop, ("LAMP-1", 2), ("LAMP-2", 1), buyer=BUYER)

    pages = poll(connected, None, now(shop) - timedelta(hours=1))

    [order] = [order for page in pages for order in page.orders]
    assert order.external_id == placed["orderId"]
    assert order.currency == "GBP"
    assert order.buyer.username == "ada_l"
    assert order.buyer.email == "ada@buyers.example"
    assert order.shipping_address == Address(
        name="Ada Lovelace",
        line1="12 St James's Square",
        city="London",
        postal_code="SW1Y 4JH",
        country="GB",  # eBay's lower-case code, normalised
        phone="+44 20 7946 0000",
    )
    lines = {line.sku: line for line in order.lines}
    assert lines["LAMP-1"].quantity == 2
    assert lines["LAMP-1"].unit_price == Money(4999, "GBP")
    assert lines["LAMP-1"].tax == lines["LAMP-1"].discount == Money(0, "GBP")
    assert lines["LAMP-2"].external_listing_id == placed["lineItems"][1]["legacyItemId"]
    assert order.total == Money(3 * 4999, "GBP")
    assert order.shipping_cost == Money(0, "GBP")
    assert order.payment_status is PaymentStatus.PAID
    assert order.fulfillment_status is FulfillmentStatus.UNFULFILLED
    assert not order.cancelled
    assert order.placed_at == order.updated_at == now(shop).replace(microsecond=0)
    assert order.raw["orderId"] == placed["orderId"]
    assert pages[-1].next_cursor is not None
    assert pages[-1].rejected == {}


def test_the_cursor_moves_to_the_newest_change_and_the_next_poll_overlaps_it(
    connected: Connected, shop: EbayHarness
) -> None:
    stocked(connected, "LAMP-1")
    first = buy(shop, ("LAMP-1", 1))["orderId"]
    cursor = poll(connected, None, now(shop) - timedelta(hours=1))[-1].next_cursor
    assert cursor is not None

    shop.clock.advance(ORDER_POLL_OVERLAP.total_seconds() + 60)
    second = buy(shop, ("LAMP-1", 1))["orderId"]
    later = poll(connected, cursor, now(shop) - timedelta(days=30))

    # The cursor is the first order's change, so it comes again (inside the overlap).
    assert ids(later) == [first, second]
    newest = later[-1].next_cursor
    assert newest is not None
    assert newest > cursor

    # From the newer cursor, the first order (changed more than the overlap before it)
    # is left out; the second, changed at the cursor, still comes back.
    shop.clock.advance(10)
    assert ids(poll(connected, newest, now(shop))) == [second]


def test_orders_come_in_pages(shop: EbayHarness) -> None:
    connected = connect(shop, order_page_size=2)
    stocked(connected, "LAMP-1")
    placed = [buy(shop, ("LAMP-1", 1))["orderId"] for _ in range(5)]

    pages = poll(connected, None, now(shop) - timedelta(hours=1))

    assert [len(page.orders) for page in pages] == [2, 2, 1]
    assert ids(pages) == placed
    assert calls(shop)["getOrders"] == 3


def test_an_order_that_cannot_be_read_is_set_aside_and_the_rest_import(
    connected: Connected, shop: EbayHarness
) -> None:
    stocked(connected, "LAMP-1")
    good = buy(shop, ("LAMP-1", 1))["orderId"]
    odd_address = BUYER["address"] | {"countryCode": "GBR"}  # not what eBay's enum allows
    bad = buy(shop, ("LAMP-1", 1), buyer=BUYER | {"address": odd_address})["orderId"]
    also_good = buy(shop, ("LAMP-1", 1))["orderId"]

    pages = poll(connected, None, now(shop) - timedelta(hours=1))
    shop.violations.take()  # the sandbox answered off-contract on purpose

    assert ids(pages) == [good, also_good]
    rejected = {key: why for page in pages for key, why in page.rejected.items()}
    assert list(rejected) == [bad]
    assert "countryCode" in rejected[bad]


def test_an_expired_token_mid_poll_is_refreshed_and_the_poll_carries_on(
    shop: EbayHarness,
) -> None:
    connected = connect(shop, order_page_size=2)
    stocked(connected, "LAMP-1")
    placed = [buy(shop, ("LAMP-1", 1))["orderId"] for _ in range(4)]
    saved_before = len(connected.saved)

    pages = connected.adapter.orders_since(None, now(shop) - timedelta(hours=1))
    first = next(pages)
    add_fault(shop, path_pattern="^/sell/fulfillment/v1/order$", expire_token=True, times=1)
    rest = list(pages)

    assert ids([first, *rest]) == placed
    assert len(connected.saved) == saved_before + 1  # the refreshed tokens were handed on


def test_get_order_reads_one_order_and_an_unknown_one_is_not_found(
    connected: Connected, shop: EbayHarness
) -> None:
    stocked(connected, "LAMP-1")
    placed = buy(shop, ("LAMP-1", 3))

    order = connected.adapter.get_order(placed["orderId"])

    assert order.lines[0].quantity == 3
    assert order.total == Money(3 * 4999, "GBP")
    with pytest.raises(ChannelError) as raised:
        connected.adapter.get_order("99-99999-99999")
    assert raised.value.category is ChannelErrorCategory.NOT_FOUND


def test_a_cancelled_order_reads_as_cancelled(connected: Connected, shop: EbayHarness) -> None:
    stocked(connected, "LAMP-1")
    order_id = buy(shop, ("LAMP-1", 1))["orderId"]
    answer = shop.http.post(f"/_sandbox/buyers/orders/{order_id}/cancel", json={})
    assert answer.status_code in (200, 201), answer.text

    assert connected.adapter.get_order(order_id).cancelled


def test_a_bad_cursor_is_refused(connected: Connected) -> None:
    with pytest.raises(ChannelError) as raised:
        next(iter(connected.adapter.orders_since("yesterday", datetime.now(UTC))))
    assert raised.value.category is ChannelErrorCategory.VALIDATION


# --- reading an Order JSON ----------------------------------------------------------


def amount(cents: int, currency: str) -> dict[str, str]:
    return {"currency": currency, "value": format_minor_units(cents, currency)}


def order_json(
    currency: str, lines: list[tuple[int, int, int, int]], delivery: int
) -> dict[str, Any]:
    """An Order as getOrder shapes it; lines are (unit cents, quantity, tax, discount)."""
    subtotal = sum(unit * qty for unit, qty, _, _ in lines)
    total = subtotal + delivery + sum(t for *_, t, _ in lines) - sum(d for *_, d in lines)
    return {
        "orderId": "12-00000-00001",
        "creationDate": "2026-09-21T14:03:05.123Z",
        "lastModifiedDate": "2026-09-21T15:00:00.000Z",
        "orderFulfillmentStatus": "IN_PROGRESS",
        "orderPaymentStatus": "PARTIALLY_REFUNDED",
        "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
        "buyer": {"username": "b1"},
        "pricingSummary": {
            "priceSubtotal": amount(subtotal, currency),
            "deliveryCost": amount(delivery, currency),
            "total": amount(total, currency),
        },
        "lineItems": [
            {
                "lineItemId": f"1000000000000{n}",
                "sku": f"SKU-{n}",
                "title": "Lamp",
                "quantity": qty,
                "lineItemCost": amount(unit * qty, currency),
                "taxes": [{"amount": amount(tax, currency), "taxType": "VAT"}] if tax else [],
                "appliedPromotions": [{"discountAmount": amount(disc, currency)}] if disc else [],
            }
            for n, (unit, qty, tax, disc) in enumerate(lines)
        ],
    }


@given(
    currency=st.sampled_from(["GBP", "USD", "EUR", "JPY", "KWD"]),
    lines=st.lists(
        st.tuples(
            st.integers(1, 10**9),
            st.integers(1, 50),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
        ),
        min_size=1,
        max_size=8,
    ),
    delivery=st.integers(0, 10**5),
)
def test_order_money_maps_to_exact_minor_units(
    currency: str, lines: list[tuple[int, int, int, int]], delivery: int
) -> None:
    order = order_from_json(order_json(currency, lines, delivery))

    assert [(ln.unit_price.cents, ln.quantity) for ln in order.lines] == [
        (unit, qty) for unit, qty, _, _ in lines
    ]
    assert [(ln.tax.cents, ln.discount.cents) for ln in order.lines] == [
        (tax, disc) for _, _, tax, disc in lines
    ]
    lines_total = sum(
        ln.unit_price.cents * ln.quantity + ln.tax.cents - ln.discount.cents for ln in order.lines
    )
    assert order.total.cents == lines_total + order.shipping_cost.cents
    assert order.shipping_cost == Money(delivery, currency)
    assert {ln.unit_price.currency for ln in order.lines} == {currency}
    expected = Decimal(format_minor_units(order.total.cents, currency))
    assert expected.scaleb(currency_exponent(currency)) == order.total.cents


def sample() -> dict[str, Any]:
    return order_json("GBP", [(4999, 2, 0, 0)], 395)


def test_statuses_and_optional_fields_read() -> None:
    order = sample()
    del order["buyer"], order["cancelStatus"]
    mapped: NormalizedOrder = order_from_json(order)

    assert mapped.payment_status is PaymentStatus.PARTIALLY_REFUNDED
    assert mapped.fulfillment_status is FulfillmentStatus.PARTIALLY_FULFILLED
    assert mapped.buyer.username is None
    assert mapped.shipping_address is None
    assert not mapped.cancelled


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.pop("orderId"), "orderId"),
        (lambda o: o.pop("lastModifiedDate"), "lastModifiedDate"),
        (lambda o: o.update(creationDate="21/09/2026"), "creationDate"),
        (lambda o: o.update(orderPaymentStatus="MAYBE"), "orderPaymentStatus"),
        (lambda o: o["pricingSummary"].pop("total"), "pricingSummary.total"),
        (lambda o: o["lineItems"][0]["lineItemCost"].update(value="49.999"), "lineItemCost"),
        (lambda o: o["lineItems"][0]["lineItemCost"].update(currency="EUR"), "currency"),
        (lambda o: o["lineItems"][0].update(quantity=0), "lineItems[0].quantity"),
        # 99.99 for two units: no whole unit price.
        (lambda o: o["lineItems"][0].update(lineItemCost=amount(9999, "GBP")), "divide"),
        (lambda o: o.update(lineItems=[]), "lineItems"),
    ],
)
def test_a_malformed_required_field_is_a_validation_error_naming_it(
    change: Any, field: str
) -> None:
    order = copy.deepcopy(sample())
    change(order)

    with pytest.raises(ChannelError) as raised:
        order_from_json(order)

    assert raised.value.category is ChannelErrorCategory.VALIDATION
    assert field in raised.value.detail
