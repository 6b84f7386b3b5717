"""What a listing looks like on one channel: the ``ListingPayload`` its publication sends.

Made from the listing's master content, the publication's ``overrides`` and the product
code (brand, barcode, weight, store price). Overrides a publication may carry:
``title``, ``description``, ``price_cents``, ``category`` and ``policies`` (kind -> id,
eBay's business policies). The category is the override, else the listing's
``category_mapping`` entry for the channel's provider, else the channel's default.

The SKU on a marketplace is the product code's SKU for new stock and
``<sku>-<condition>`` for any other condition (one listing per product code and
condition, so each gets a SKU of its own), unless the publication already records the
SKU it was found under.

The quantity offered follows DESIGN.md section 3 by ``commerce.offer.offered_quantity``
(the rule the stock push uses): stock available (``qty_on_hand - qty_reserved``) in the
listing's condition in the channel's branches, minus the channel's safety buffer, capped
by its max listed quantity, never below 0.
The price is the listing's own, else the product code's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import ListingPayload, Money
from stockbridge.commerce.offer import offered_quantity
from stockbridge.db.models import (
    Condition,
    EcomChannel,
    EcomChannelBranch,
    EcomListing,
    EcomListingChannel,
    ProductCode,
    ProductCodeVersion,
)

StockKey = tuple[int, Condition]


def channel_sku(product: ProductCode, condition: Condition) -> str:
    if condition is Condition.NEW:
        return product.sku
    return f"{product.sku}-{condition.value}"


def offered_quantities(
    session: Session, channel: EcomChannel, keys: Iterable[StockKey]
) -> dict[StockKey, int]:
    """Units to offer on ``channel`` per (product code, condition); missing keys are 0."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = session.execute(
        select(
            ProductCodeVersion.product_code_id,
            ProductCodeVersion.condition,
            func.sum(ProductCodeVersion.qty_on_hand - ProductCodeVersion.qty_reserved),
        )
        .join(EcomChannelBranch, EcomChannelBranch.branch_id == ProductCodeVersion.branch_id)
        .where(
            EcomChannelBranch.channel_id == channel.id,
            ProductCodeVersion.product_code_id.in_({product for product, _ in wanted}),
        )
        .group_by(ProductCodeVersion.product_code_id, ProductCodeVersion.condition)
    ).all()
    available = {(product, condition): int(qty or 0) for product, condition, qty in rows}
    return {
        key: offered_quantity(
            [available.get(key, 0)],
            safety_buffer=channel.safety_buffer,
            max_listed_qty=channel.max_listed_qty,
        )
        for key in wanted
    }


def listing_payload(
    publication: EcomListingChannel,
    listing: EcomListing,
    product: ProductCode,
    *,
    provider: str,
    quantity: int,
) -> ListingPayload:
    overrides = publication.overrides or {}
    price_cents = overrides.get("price_cents", listing.price_cents)
    return ListingPayload(
        sku=publication.external_sku or channel_sku(product, listing.condition),
        title=str(overrides.get("title") or listing.title),
        description=str(overrides.get("description") or listing.description),
        price=Money(
            int(price_cents if price_cents is not None else product.price_cents),
            listing.currency or product.currency,
        ),
        quantity=quantity,
        condition=listing.condition,
        images=_images(listing),
        attributes=_attributes(listing.attributes),
        category=_category(overrides, listing.category_mapping, provider),
        brand=product.brand,
        barcode=product.barcode,
        weight_grams=product.weight_grams,
        seo_description=listing.meta_description,
        policies={str(k): str(v) for k, v in (overrides.get("policies") or {}).items()},
    )


def _images(listing: EcomListing) -> tuple[str, ...]:
    first = [listing.primary_image_url] if listing.primary_image_url else []
    return tuple(dict.fromkeys([*first, *listing.image_urls]))


def _attributes(attributes: Mapping[str, Any]) -> dict[str, str | tuple[str, ...]]:
    return {
        str(name): tuple(map(str, value)) if isinstance(value, list) else str(value)
        for name, value in attributes.items()
        if value is not None
    }


def _category(
    overrides: Mapping[str, Any], mapping: Mapping[str, Any], provider: str
) -> str | None:
    category = overrides.get("category") or mapping.get(provider)
    return str(category) if category else None
