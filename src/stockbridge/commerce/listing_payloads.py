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

Quantity and price are the channel's offer (``commerce.offer.offers_for``, the rule the
push uses): stock available in the listing's condition in the channel's branches, less
the channel's safety buffer, capped by its max listed quantity, never below 0; the
store price under the channel's price rule, or the publication's own ``price_cents``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockbridge.channels.base import ListingPayload, Money
from stockbridge.commerce.offer import Offer
from stockbridge.db.models import Condition, EcomListing, EcomListingChannel, ProductCode


def channel_sku(product: ProductCode, condition: Condition) -> str:
    if condition is Condition.NEW:
        return product.sku
    return f"{product.sku}-{condition.value}"


def listing_payload(
    publication: EcomListingChannel,
    listing: EcomListing,
    product: ProductCode,
    *,
    provider: str,
    offer: Offer,
) -> ListingPayload:
    """``offer``: what the channel offers of the listing (``offers_for``)."""
    overrides = publication.overrides or {}
    return ListingPayload(
        sku=publication.external_sku or channel_sku(product, listing.condition),
        title=str(overrides.get("title") or listing.title),
        description=str(overrides.get("description") or listing.description),
        price=Money(offer.price_cents, offer.currency),
        quantity=offer.quantity,
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
