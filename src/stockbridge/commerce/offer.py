"""What a channel offers of a listing: how many units, at what price.

Quantity: the units available (on hand minus reserved) of the listing's product code and
condition, summed over the channel's branches, minus the channel's safety buffer, capped
by its max listed quantity, never below 0. A channel with no branches offers nothing.

Price, in integer cents: the store price is the version's price override in the first of
the channel's branches (preference order) whose version of that condition has one, else
the product code's price. The channel's price rule then applies:

- ``store_price``: the store price;
- ``listing_override``: the listing's own price where it has one, else the store price;
- ``percentage``: the store price times (100 + percentage) / 100, rounded half up to a
  whole cent (``ROUND_HALF_UP``: 1049.5 -> 1050);
- ``fixed_adjustment``: the store price plus ``adjustment_cents``.

A publication's own price (its ``overrides["price_cents"]``, set by hand or kept from
the marketplace by a ``marketplace_wins`` price policy) is asked as is on its channel,
the rule not applied. No price is ever below 0. The currency is the listing's,
else the product code's.

Both the listings job (what a new listing is published at) and the push (what a change
sends) take the offer from :func:`offers_for`, so a push after a publication changes
nothing that did not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stockbridge.commerce.channel_schemas import ChannelSettings, PriceMode, PriceRule
from stockbridge.db.models import EcomListing, ProductCode, ProductCodeVersion
from stockbridge.statuses import Condition


@dataclass(frozen=True, slots=True)
class Offer:
    quantity: int
    price_cents: int
    currency: str


def offered_quantity(
    available: Iterable[int], *, safety_buffer: int, max_listed_qty: int | None
) -> int:
    """Available units over the channel's branches, less the buffer, capped, never below 0."""
    total = sum(max(units, 0) for units in available) - safety_buffer
    if max_listed_qty is not None:
        total = min(total, max_listed_qty)
    return max(total, 0)


def channel_price(store_cents: int, rule: PriceRule, *, listing_cents: int | None = None) -> int:
    """The price a channel asks, from the store price and the channel's price rule."""
    if rule.mode is PriceMode.LISTING_OVERRIDE and listing_cents is not None:
        price = listing_cents
    elif rule.mode is PriceMode.PERCENTAGE and rule.percentage is not None:
        scaled = Decimal(store_cents) * (100 + rule.percentage) / 100
        price = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    elif rule.mode is PriceMode.FIXED_ADJUSTMENT and rule.adjustment_cents is not None:
        price = store_cents + rule.adjustment_cents
    else:
        price = store_cents
    return max(price, 0)


def store_price(
    product_cents: int, overrides: Mapping[int, int | None], branch_ids: Sequence[int]
) -> int:
    """The first override among the branches (preference order), else the product's price."""
    for branch_id in branch_ids:
        override = overrides.get(branch_id)
        if override is not None:
            return override
    return product_cents


@dataclass(frozen=True, slots=True)
class ChannelRules:
    """The part of a channel's settings an offer depends on."""

    branch_ids: tuple[int, ...]
    safety_buffer: int
    max_listed_qty: int | None
    price_rule: PriceRule

    @classmethod
    def of(cls, settings: ChannelSettings) -> ChannelRules:
        return cls(
            branch_ids=tuple(settings.branch_ids),
            safety_buffer=settings.safety_buffer,
            max_listed_qty=settings.max_listed_qty,
            price_rule=settings.price_rule,
        )


def own_price(overrides: Mapping[str, Any] | None) -> int | None:
    """The price a publication sets itself on its channel (``overrides["price_cents"]``), if
    it does."""
    price = (overrides or {}).get("price_cents")
    return int(price) if price is not None else None


def offers_for(
    session: Session,
    rules: ChannelRules,
    listing_ids: Iterable[int],
    *,
    own_prices: Mapping[int, int] | None = None,
) -> dict[int, Offer]:
    """listing id -> its offer on a channel with these rules (one query for the stock).

    ``own_prices``: listing id -> the price its publication on this channel sets itself
    (``overrides["price_cents"]``), asked as is."""
    ids = sorted(set(listing_ids))
    if not ids:
        return {}
    own_prices = own_prices or {}
    listings = session.execute(
        select(
            EcomListing.id,
            EcomListing.condition,
            EcomListing.price_cents,
            EcomListing.currency,
            ProductCode,
        )
        .join(ProductCode, ProductCode.id == EcomListing.product_code_id)
        .where(EcomListing.id.in_(ids))
    ).all()
    stock: dict[tuple[int, Condition], dict[int, ProductCodeVersion]] = {}
    if rules.branch_ids:
        versions = session.scalars(
            select(ProductCodeVersion).where(
                ProductCodeVersion.product_code_id.in_({row[4].id for row in listings}),
                ProductCodeVersion.branch_id.in_(rules.branch_ids),
            )
        )
        for version in versions:
            key = (version.product_code_id, version.condition)
            stock.setdefault(key, {})[version.branch_id] = version
    offers: dict[int, Offer] = {}
    for listing_id, condition, listing_cents, currency, product in listings:
        found = stock.get((product.id, condition), {})
        quantity = offered_quantity(
            (version.qty_available for version in found.values()),
            safety_buffer=rules.safety_buffer,
            max_listed_qty=rules.max_listed_qty,
        )
        overrides = {branch: version.price_cents for branch, version in found.items()}
        base = store_price(product.price_cents, overrides, rules.branch_ids)
        price = channel_price(base, rules.price_rule, listing_cents=listing_cents)
        if listing_id in own_prices:
            price = max(own_prices[listing_id], 0)
        offers[listing_id] = Offer(quantity, price, currency or product.currency)
    return offers
