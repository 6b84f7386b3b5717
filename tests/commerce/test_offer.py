"""What a channel offers: quantity invariants (hypothesis), price rules, and the stock read."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from stockbridge.commerce.channel_schemas import PriceMode, PriceRule
from stockbridge.commerce.offer import (
    ChannelRules,
    channel_price,
    offered_quantity,
    offers_for,
    store_price,
)
from stockbridge.db.models import Condition, EcomListing, ListingStatus
from stockbridge.pos import inventory
from tests.factories import make_branch, make_product, make_version

stock = st.lists(st.integers(min_value=0, max_value=10_000), max_size=6)
buffers = st.integers(min_value=0, max_value=1_000)
caps = st.none() | st.integers(min_value=0, max_value=5_000)


@given(stock, buffers, caps)
def test_the_offered_quantity_is_never_negative_nor_above_the_cap(
    available: list[int], buffer: int, cap: int | None
) -> None:
    offered = offered_quantity(available, safety_buffer=buffer, max_listed_qty=cap)
    assert offered >= 0
    assert cap is None or offered <= cap
    assert offered <= max(sum(available) - buffer, 0)


@given(stock, buffers, caps, st.integers(min_value=0, max_value=5), st.integers(1, 100))
def test_more_stock_never_offers_less(
    available: list[int], buffer: int, cap: int | None, branch: int, more: int
) -> None:
    before = offered_quantity(available, safety_buffer=buffer, max_listed_qty=cap)
    grown = list(available) or [0]
    grown[branch % len(grown)] += more
    after = offered_quantity(grown, safety_buffer=buffer, max_listed_qty=cap)
    assert after >= before


@given(stock, buffers)
def test_without_a_cap_the_offer_is_stock_less_the_buffer(
    available: list[int], buffer: int
) -> None:
    offered = offered_quantity(available, safety_buffer=buffer, max_listed_qty=None)
    assert offered == max(sum(available) - buffer, 0)


def test_price_rules() -> None:
    store = PriceRule()
    assert channel_price(4999, store, listing_cents=3000) == 4999
    override = PriceRule(mode=PriceMode.LISTING_OVERRIDE)
    assert channel_price(4999, override, listing_cents=3000) == 3000
    assert channel_price(4999, override) == 4999
    up = PriceRule(mode=PriceMode.PERCENTAGE, percentage=Decimal("12.5"))
    assert channel_price(3999, up) == 4499  # 4498.875 rounds up
    half = PriceRule(mode=PriceMode.PERCENTAGE, percentage=Decimal("0.05"))
    assert channel_price(1000, half) == 1001  # 1000.5: half up
    down = PriceRule(mode=PriceMode.FIXED_ADJUSTMENT, adjustment_cents=-500)
    assert channel_price(4999, down) == 4499
    assert channel_price(300, down) == 0  # never below 0


@given(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=-90, max_value=1000, places=2, allow_nan=False),
)
def test_a_percentage_price_is_the_exact_product_rounded_to_a_cent(
    cents: int, percentage: Decimal
) -> None:
    rule = PriceRule(mode=PriceMode.PERCENTAGE, percentage=percentage)
    price = channel_price(cents, rule)
    exact = Decimal(cents) * (100 + percentage) / 100
    assert price >= 0
    assert abs(Decimal(price) - exact) <= Decimal("0.5")


def test_the_store_price_is_the_first_branch_override() -> None:
    assert store_price(4999, {2: None, 3: 3000, 4: 2000}, [1, 2, 3, 4]) == 3000
    assert store_price(4999, {2: None}, [1, 2]) == 4999


def test_offers_read_the_channel_branches_and_the_listing_condition(session: Session) -> None:
    near, far, elsewhere = (make_branch(session) for _ in range(3))
    product = make_product(session, price_cents=2500)
    for branch, on_hand in ((near, 4), (far, 6), (elsewhere, 100)):
        make_version(session, product=product, branch=branch, on_hand=on_hand)
    used = make_version(session, product=product, branch=near, condition=Condition.USED, on_hand=9)
    far_version = make_version(session, product=product, branch=far)
    far_version.price_cents = 2200
    inventory.reserve(session, far_version.id, 1, actor="test", reference=None)
    listing = EcomListing(product_code_id=product.id, title="x", status=ListingStatus.ACTIVE)
    session.add(listing)
    session.flush()
    rules = ChannelRules((near.id, far.id), 2, None, PriceRule())

    offer = offers_for(session, rules, [listing.id])[listing.id]

    assert used.qty_on_hand == 9  # another condition: not this listing's stock
    assert offer.price_cents == 2200  # the far branch's override (the near one has none)
    assert offer.currency == "EUR"
    assert offer.quantity == 4 + (6 - 1) - 2  # available: on hand less reserved, less buffer


one_version = st.integers(min_value=-50, max_value=10_000)


@given(
    available=one_version,
    buffer=st.integers(min_value=0, max_value=1_000),
    cap=st.none() | st.integers(min_value=0, max_value=1_000),
)
def test_one_versions_offer_is_its_available_less_buffer_capped_never_negative(
    available: int, buffer: int, cap: int | None
) -> None:
    offered = offered_quantity([available], safety_buffer=buffer, max_listed_qty=cap)

    assert 0 <= offered <= max(available - buffer, 0)
    if cap is not None:
        assert offered <= cap
    expected = max(available - buffer, 0) if cap is None else min(max(available - buffer, 0), cap)
    assert offered == expected


def test_a_publications_own_price_is_asked_as_is_whatever_the_rule(session: Session) -> None:
    branch = make_branch(session)
    product = make_product(session, price_cents=2000)
    make_version(session, product=product, branch=branch, on_hand=3)
    listing = EcomListing(product_code_id=product.id, title="x", status=ListingStatus.ACTIVE)
    session.add(listing)
    session.flush()
    rule = PriceRule(mode=PriceMode.PERCENTAGE, percentage=Decimal("10"))
    rules = ChannelRules((branch.id,), 0, None, rule)

    ruled = offers_for(session, rules, [listing.id])[listing.id]
    own = offers_for(session, rules, [listing.id], own_prices={listing.id: 2500})[listing.id]

    assert (ruled.price_cents, own.price_cents) == (2200, 2500)
    assert own.quantity == ruled.quantity == 3
