"""Realistic Sell Inventory request bodies, valid per the official OpenAPI file."""

from __future__ import annotations

from typing import Any

LOCATION_KEY = "main-shop"


def inventory_item(quantity: int = 5, title: str = "Vintage brass desk lamp") -> dict[str, Any]:
    return {
        "availability": {"shipToLocationAvailability": {"quantity": quantity}},
        "condition": "USED_EXCELLENT",
        "conditionDescription": "Light patina, fully working.",
        "product": {
            "title": title,
            "description": "Brass desk lamp, 1960s, rewired.",
            "brand": "Unbranded",
            "imageUrls": ["https://i.ebayimg.com/images/g/lamp/s-l1600.jpg"],
        },
        "packageWeightAndSize": {
            "weight": {"value": 1.2, "unit": "KILOGRAM"},
        },
    }


def offer(sku: str, quantity: int | None = None, price: str = "49.99") -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": sku,
        "marketplaceId": "EBAY_GB",
        "format": "FIXED_PRICE",
        "categoryId": "112581",
        "listingDescription": "<p>Brass desk lamp, 1960s, rewired.</p>",
        "listingPolicies": {
            "fulfillmentPolicyId": "6196930000",
            "paymentPolicyId": "6196932000",
            "returnPolicyId": "6196933000",
        },
        "merchantLocationKey": LOCATION_KEY,
        "pricingSummary": {"price": {"currency": "GBP", "value": price}},
    }
    if quantity is not None:
        body["availableQuantity"] = quantity
    return body


def location() -> dict[str, Any]:
    return {
        "location": {
            "address": {
                "addressLine1": "12 High Street",
                "city": "Bristol",
                "postalCode": "BS1 4DJ",
                "country": "GB",
            }
        },
        "locationTypes": ["STORE"],
        "name": "Main shop",
        "merchantLocationStatus": "ENABLED",
    }
