"""Stockbridge values to eBay request bodies (and, for orders, back).

Listings: a :class:`ListingPayload` becomes an inventory item (the product, its
condition and the ship-to quantity; createOrReplace replaces the whole record, so
every field is sent every time) and an offer (price, category, policies, location).
Money is written with ``format_minor_units``, never through a float.

Known gap: ``ListingPayload.attributes`` (item specifics) are not sent: the official
contract types ``Product.aspects`` as a string, while eBay takes a JSON object, so
either form breaks contract validation. Brand, barcode and weight are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stockbridge.channels.base import ListingPayload, Money, PriceUpdate, StockLevel
from stockbridge.money import format_minor_units
from stockbridge.statuses import Condition

#: Stockbridge condition -> eBay ConditionEnum (condition ids 1000, 1500, 2500, 3000, 7000).
CONDITIONS: Mapping[Condition, str] = {
    Condition.NEW: "NEW",
    Condition.OPEN_BOX: "NEW_OTHER",
    Condition.REFURBISHED: "SELLER_REFURBISHED",
    Condition.USED: "USED_EXCELLENT",
    Condition.FOR_PARTS: "FOR_PARTS_OR_NOT_WORKING",
}

#: Per marketplace: the language eBay expects (Content-Language, item locale) and currency.
MARKETPLACES: Mapping[str, tuple[str, str]] = {
    "EBAY_US": ("en-US", "USD"),
    "EBAY_GB": ("en-GB", "GBP"),
    "EBAY_AU": ("en-AU", "AUD"),
    "EBAY_CA": ("en-CA", "CAD"),
    "EBAY_IE": ("en-IE", "EUR"),
    "EBAY_DE": ("de-DE", "EUR"),
    "EBAY_AT": ("de-AT", "EUR"),
    "EBAY_CH": ("de-CH", "CHF"),
    "EBAY_FR": ("fr-FR", "EUR"),
    "EBAY_IT": ("it-IT", "EUR"),
    "EBAY_ES": ("es-ES", "EUR"),
    "EBAY_NL": ("nl-NL", "EUR"),
}

#: ListingPayload.policies kinds -> eBay listingPolicies fields.
POLICY_FIELDS: Mapping[str, str] = {
    "fulfillment": "fulfillmentPolicyId",
    "payment": "paymentPolicyId",
    "return": "returnPolicyId",
}


@dataclass(frozen=True, slots=True)
class OfferDefaults:
    """A shop's listing settings that the payload does not carry."""

    marketplace_id: str
    merchant_location_key: str | None = None
    category_id: str | None = None
    policies: Mapping[str, str] | None = None


def language_of(marketplace_id: str) -> str:
    return MARKETPLACES.get(marketplace_id, ("en-US", ""))[0]


def currency_of(marketplace_id: str) -> str | None:
    return MARKETPLACES.get(marketplace_id, ("", ""))[1] or None


def amount(money: Money) -> dict[str, str]:
    return {"currency": money.currency, "value": format_minor_units(money.cents, money.currency)}


def _product(listing: ListingPayload) -> dict[str, Any]:
    product: dict[str, Any] = {"title": listing.title, "description": listing.description}
    if listing.images:
        product["imageUrls"] = list(listing.images)
    if listing.brand:
        product["brand"] = listing.brand
    if listing.barcode:
        # 13 digits is an EAN, 12 a UPC; anything else goes as an EAN, eBay checks it.
        field = "upc" if len(listing.barcode) == 12 else "ean"
        product[field] = [listing.barcode]
    return product


def inventory_item(listing: ListingPayload, locale: str) -> dict[str, Any]:
    """InventoryItemWithSkuLocale for bulkCreateOrReplaceInventoryItem: the whole record."""
    item: dict[str, Any] = {
        "sku": listing.sku,
        "locale": locale,
        "condition": CONDITIONS[listing.condition],
        "availability": {"shipToLocationAvailability": {"quantity": max(0, listing.quantity)}},
        "product": _product(listing),
    }
    if listing.weight_grams:
        item["packageWeightAndSize"] = {"weight": {"value": listing.weight_grams, "unit": "GRAM"}}
    return item


def listing_policies(listing: ListingPayload, defaults: OfferDefaults) -> dict[str, str]:
    chosen = {**(defaults.policies or {}), **listing.policies}
    return {POLICY_FIELDS[kind]: value for kind, value in chosen.items() if kind in POLICY_FIELDS}


def offer(listing: ListingPayload, defaults: OfferDefaults) -> dict[str, Any]:
    """EbayOfferDetailsWithKeys: a fixed-price offer of the item on one marketplace.

    ``availableQuantity`` is sent equal to the item's quantity: eBay shows the lower of
    the two, so both are kept in step (set_quantities sets both too).
    """
    body: dict[str, Any] = {
        "sku": listing.sku,
        "marketplaceId": defaults.marketplace_id,
        "format": "FIXED_PRICE",
        "availableQuantity": max(0, listing.quantity),
        "listingDescription": listing.description,
        "pricingSummary": {"price": amount(listing.price)},
    }
    category = listing.category or defaults.category_id
    if category:
        body["categoryId"] = category
    if defaults.merchant_location_key:
        body["merchantLocationKey"] = defaults.merchant_location_key
    policies = listing_policies(listing, defaults)
    if policies:
        body["listingPolicies"] = policies
    return body


def update_offer(listing: ListingPayload, defaults: OfferDefaults) -> dict[str, Any]:
    """EbayOfferDetailsWithId for updateOffer (which replaces the offer): no keys."""
    body = offer(listing, defaults)
    for key in ("sku", "marketplaceId", "format"):
        body.pop(key)
    return body


def quantity_request(level: StockLevel, offer_id: str | None) -> dict[str, Any]:
    """One PriceQuantity entry: the item's quantity, and its offer's when known."""
    quantity = max(0, level.quantity)
    request: dict[str, Any] = {
        "sku": level.sku,
        "shipToLocationAvailability": {"quantity": quantity},
    }
    if offer_id:
        request["offers"] = [{"offerId": offer_id, "availableQuantity": quantity}]
    return request


def price_request(update: PriceUpdate, offer_id: str) -> dict[str, Any]:
    return {"sku": update.sku, "offers": [{"offerId": offer_id, "price": amount(update.price)}]}
