"""Order import of the Shopify adapter (orders_since, get_order), against the sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stockbridge.channels.base import Money
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.channels.shopify.order_import import (
    LINES_PAGE,
    ORDERS_PAGE,
    cursor_time,
    time_cursor,
)
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sandbox.shopify.context import ResolveContext
from stockbridge.statuses import FulfillmentStatus, PaymentStatus
from tests.channels.shopify.helpers import TOKENS, RunningSandbox, buy, on_sale


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    """A Plus plan's restore rate, so listing a few dozen SKUs is quick."""
    return ShopifySandboxConfig(access_tokens=TOKENS, restore_rate=1000)


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


def test_an_order_is_normalised_with_buyer_addresses_lines_and_money(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    on_sale(adapter, {"MUG": 5, "CUP": 5})
    order_id = buy(
        sandbox,
        {"MUG": 2, "CUP": 1},
        shipping_price="3.00",
        province_code="ENG",
        email="ann@example.com",
        first_name="Ann",
        last_name="Lee",
    )

    [page] = list(adapter.orders_since(None, _since()))

    assert page.rejected == {}
    [order] = page.orders
    assert cursor_time(page.next_cursor) == order.updated_at
    assert order.external_id == order_id
    assert order.number == "#1001"
    assert order.currency == "GBP"
    assert (order.payment_status, order.fulfillment_status) == (
        PaymentStatus.PAID,
        FulfillmentStatus.UNFULFILLED,
    )
    assert not order.cancelled
    assert order.placed_at.tzinfo is not None
    assert order.updated_at >= order.placed_at
    assert order.buyer.email == "ann@example.com"
    assert order.buyer.name == "Ann Lee"
    assert order.buyer.external_id is not None
    assert order.shipping_address is not None
    assert (order.shipping_address.country, order.shipping_address.region) == ("GB", "ENG")
    assert order.shipping_address.name == "Ann Lee"
    assert order.billing_address == order.shipping_address
    mug, cup = sorted(order.lines, key=lambda line: line.sku or "", reverse=True)
    assert (mug.sku, mug.quantity, mug.unit_price) == ("MUG", 2, Money(1250, "GBP"))
    assert mug.tax == Money(417, "GBP")  # 20 % VAT inside 25.00
    assert mug.discount == Money(0, "GBP")
    assert mug.external_listing_id == adapter.skus.resolve(["MUG"])["MUG"].product_id
    assert (cup.sku, cup.quantity, cup.tax) == ("CUP", 1, Money(208, "GBP"))
    assert order.shipping_cost == Money(300, "GBP")
    assert order.total == Money(2 * 1250 + 1250 + 300, "GBP")
    assert order.raw["id"] == order_id
    assert adapter.get_order(order_id) == order


def test_orders_come_page_by_page_each_with_the_newest_updated_at_as_cursor(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    on_sale(adapter, {"MUG": 50})
    placed = [buy(sandbox, {"MUG": 1}) for _ in range(ORDERS_PAGE + 2)]

    pages = list(adapter.orders_since(None, _since()))

    assert [len(page.orders) for page in pages] == [ORDERS_PAGE, 2]
    assert [o.external_id for page in pages for o in page.orders] == placed  # by updated_at
    for page in pages:  # the last page's too: a poll of one page stores a cursor
        assert page.next_cursor is not None
        assert cursor_time(page.next_cursor) == page.orders[-1].updated_at
    # A cursor is where the next poll begins, less the overlap, whatever its ``since``.
    resumed = list(adapter.orders_since(pages[-1].next_cursor, datetime.now(UTC)))
    assert [o.external_id for page in resumed for o in page.orders] == placed


def test_a_poll_that_finds_nothing_keeps_the_cursor_it_was_given(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    on_sale(adapter, {"MUG": 5})
    later = datetime.now(UTC) + timedelta(hours=1)

    [page] = list(adapter.orders_since(time_cursor(later), _since()))
    [first] = list(adapter.orders_since("eyJsYXN0X2lkIjoxfQ==", later))  # a former page cursor

    assert (page.orders, cursor_time(page.next_cursor)) == ((), later)
    assert (first.orders, cursor_time(first.next_cursor)) == ((), later)


def test_the_poll_reaches_back_by_the_overlap_window(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    on_sale(adapter, {"MUG": 5})
    order_id = buy(sandbox, {"MUG": 1})
    overlap = adapter.capabilities.order_poll_overlap_seconds
    now = datetime.now(UTC)

    inside = list(adapter.orders_since(None, now + timedelta(seconds=overlap - 30)))
    outside = list(adapter.orders_since(None, now + timedelta(seconds=overlap + 30)))

    assert [o.external_id for o in inside[0].orders] == [order_id]
    assert outside[0].orders == ()


def test_a_malformed_order_is_rejected_with_its_reason_and_the_rest_still_come(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    on_sale(adapter, {"MUG": 5})
    good, bad, later = (buy(sandbox, {"MUG": 1}) for _ in range(3))

    def in_yen(context: ResolveContext) -> None:  # 12.50 cannot be an amount in yen
        context.state.orders[bad].currency_code = "JPY"

    sandbox.app_sandbox.change(in_yen)

    [page] = list(adapter.orders_since(None, _since()))

    assert [o.external_id for o in page.orders] == [good, later]
    assert list(page.rejected) == [bad]
    assert "originalUnitPriceSet.shopMoney.amount" in page.rejected[bad]
    assert "decimal places" in page.rejected[bad]
    with pytest.raises(ChannelError) as refused:
        adapter.get_order(bad)
    assert refused.value.category is ChannelErrorCategory.VALIDATION
    assert refused.value.extra["field"] == "lineItem.originalUnitPriceSet.shopMoney.amount"


def test_an_order_of_more_lines_than_a_page_comes_whole(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    skus = {f"PART-{n:02d}": 2 for n in range(LINES_PAGE + 5)}
    on_sale(adapter, skus)
    order_id = buy(sandbox, dict.fromkeys(skus, 1))
    sandbox.clear_calls()

    order = adapter.get_order(order_id)

    assert sorted(line.sku or "" for line in order.lines) == sorted(skus)
    assert sandbox.calls() == {"order": 2}  # the order, then the lines past the first page


def test_an_unknown_order_is_not_found(adapter: ShopifyAdapter) -> None:
    with pytest.raises(ChannelError) as missing:
        adapter.get_order("gid://shopify/Order/999999")

    assert missing.value.category is ChannelErrorCategory.NOT_FOUND


def test_a_since_without_a_time_zone_is_refused(adapter: ShopifyAdapter) -> None:
    with pytest.raises(ChannelError) as refused:
        next(adapter.orders_since(None, datetime(2026, 1, 1)))  # noqa: DTZ001 (on purpose)

    assert refused.value.category is ChannelErrorCategory.VALIDATION
