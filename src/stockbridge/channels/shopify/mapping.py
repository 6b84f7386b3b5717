"""Stockbridge's data <-> Shopify's: a listing as a ``productSet`` input, and back.

A listing is one SKU, shown on Shopify as a product with one variant. The product's
handle is derived from the SKU (:func:`handle_for_sku`), and ``productSet`` is called
with that handle as its identifier, so a retry after a timeout updates the product the
first attempt made instead of creating a twin (DESIGN.md section 4).

``productSet`` replaces every list field it is given, so:

- ``variants`` and ``productOptions`` are only sent for a product stockbridge owns
  alone (one variant); a product of several variants, made in Shopify before
  stockbridge, keeps its variants and gets only stock and price pushed;
- ``tags`` keep the shop's own tags and replace only ours (``condition:...`` and one
  ``name:value`` tag per attribute);
- stock is given as ``inventoryQuantities`` only when the variant is new; an existing
  one's stock goes through inventorySetQuantities with compare-and-set.

Not sent yet, because the sandbox does not serve them: images (media), weight
(``inventoryItem.measurement``) and SEO fields.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

from stockbridge.channels.base import ListingPayload, Money
from stockbridge.channels.shopify.schemas import VariantRef
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.money import format_minor_units

HANDLE_PREFIX = "sku-"
CONDITION_TAG = "condition:"
DEFAULT_OPTION = ("Title", "Default Title")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def handle_for_sku(sku: str) -> str:
    """A stable handle per SKU; a hash suffix keeps SKUs that slug alike apart.

    Case is not kept (handles are lower-case), as Shopify's own ``sku:`` search ignores it.
    """
    lowered = sku.strip().lower()
    if _SLUG.fullmatch(lowered):
        return f"{HANDLE_PREFIX}{lowered}"
    slug = re.sub(r"[^a-z0-9]+", "-", lowered).strip("-") or "item"
    digest = hashlib.sha256(sku.encode()).hexdigest()[:8]
    return f"{HANDLE_PREFIX}{slug}-{digest}"


def description_html(text: str) -> str:
    """Plain text as HTML: paragraphs at blank lines, line breaks kept, markup escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


def listing_tags(listing: ListingPayload, existing: tuple[str, ...] = ()) -> list[str]:
    ours = [f"{CONDITION_TAG}{listing.condition.value}"]
    for name, value in listing.attributes.items():
        values = (value,) if isinstance(value, str) else value
        ours += [f"{name}:{v}" for v in values]
    keys = {f"{name}:" for name in listing.attributes} | {CONDITION_TAG}
    kept = [tag for tag in existing if not any(tag.startswith(key) for key in keys)]
    return sorted(set(kept) | set(ours))


def price_text(price: Money, shop_currency: str) -> str:
    if price.currency.upper() != shop_currency.upper():
        raise ChannelError(
            f"price in {price.currency}, but the shop sells in {shop_currency}",
            category=ChannelErrorCategory.VALIDATION,
            field="price.currency",
        )
    return format_minor_units(price.cents, price.currency)


def product_set_input(
    listing: ListingPayload,
    *,
    existing: VariantRef | None,
    location_id: str,
    shop_currency: str,
) -> dict[str, Any]:
    """The ``ProductSetInput`` for one listing (see the module docstring for what is sent)."""
    product: dict[str, Any] = {
        "title": listing.title,
        "descriptionHtml": description_html(listing.description),
        "tags": listing_tags(listing, existing.tags if existing else ()),
    }
    if listing.brand:
        product["vendor"] = listing.brand
    if listing.category:
        product["productType"] = listing.category
    if existing is None:
        product["handle"] = handle_for_sku(listing.sku)
        product["status"] = "DRAFT"  # shown once published
    variant: dict[str, Any] = {
        "sku": listing.sku,
        "price": price_text(listing.price, shop_currency),
        "inventoryPolicy": "DENY",
        "optionValues": [{"optionName": DEFAULT_OPTION[0], "name": DEFAULT_OPTION[1]}],
        "inventoryItem": {"sku": listing.sku, "tracked": True},
    }
    if listing.barcode:
        variant["barcode"] = listing.barcode
    if existing is None:
        variant["inventoryQuantities"] = [
            {"locationId": location_id, "name": "available", "quantity": max(0, listing.quantity)}
        ]
    else:
        variant["id"] = existing.variant_id
    product["productOptions"] = [
        {"name": DEFAULT_OPTION[0], "values": [{"name": DEFAULT_OPTION[1]}]}
    ]
    product["variants"] = [variant]
    return product


def product_identifier(listing: ListingPayload, existing: VariantRef | None) -> dict[str, str]:
    """By id when the SKU is already in the shop, else by the SKU's handle (never a twin)."""
    if existing is not None:
        return {"id": existing.product_id}
    return {"handle": handle_for_sku(listing.sku)}
