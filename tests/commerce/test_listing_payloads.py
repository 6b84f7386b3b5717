"""What a listing sends to a channel: SKU per condition, overrides."""

from __future__ import annotations

from stockbridge.channels.base import Money
from stockbridge.commerce.listing_payloads import channel_sku, listing_payload
from stockbridge.commerce.offer import Offer
from stockbridge.db.models import (
    Condition,
    EcomListing,
    EcomListingChannel,
    ListingStatus,
    ProductCode,
    PublicationStatus,
    SyncState,
)


def _product() -> ProductCode:
    return ProductCode(
        sku="LAMP-1",
        name="Lamp",
        description="A lamp.",
        brand="Acme",
        barcode="4006381333931",
        price_cents=4999,
        currency="GBP",
        weight_grams=900,
    )


def _listing(**values: object) -> EcomListing:
    fields: dict[str, object] = {
        "product_code_id": 1,
        "title": "Brass lamp",
        "description": "Rewired.",
        "condition": Condition.NEW,
        "status": ListingStatus.ACTIVE,
        "image_urls": ["https://img.example/2.jpg", "https://img.example/1.jpg"],
        "primary_image_url": "https://img.example/1.jpg",
        "category_mapping": {"ebay": "112581", "shopify": "Lamps"},
        "attributes": {"Colour": "Brass", "Fits": ["E27", "B22"]},
        "price_cents": None,
        "currency": None,
    }
    return EcomListing(**(fields | values))


def _publication(**values: object) -> EcomListingChannel:
    fields: dict[str, object] = {
        "status": PublicationStatus.PENDING,
        "sync_state": SyncState.PENDING,
        "overrides": {},
        "external_sku": None,
    }
    return EcomListingChannel(**(fields | values))


def test_each_condition_gets_a_sku_of_its_own() -> None:
    product = _product()

    assert channel_sku(product, Condition.NEW) == "LAMP-1"
    assert channel_sku(product, Condition.USED) == "LAMP-1-used"


def test_the_payload_is_master_content_with_the_channels_offer() -> None:
    offer = Offer(quantity=3, price_cents=4999, currency="GBP")
    payload = listing_payload(_publication(), _listing(), _product(), provider="ebay", offer=offer)

    assert (payload.sku, payload.title, payload.quantity) == ("LAMP-1", "Brass lamp", 3)
    assert payload.price == Money(4999, "GBP")
    assert payload.images == ("https://img.example/1.jpg", "https://img.example/2.jpg")
    assert payload.attributes == {"Colour": "Brass", "Fits": ("E27", "B22")}
    assert (payload.category, payload.brand, payload.weight_grams) == ("112581", "Acme", 900)


def test_a_publications_overrides_and_recorded_sku_win() -> None:
    overrides = {
        "title": "Lamp (eBay)",
        "price_cents": 5500,
        "category": "9999",
        "policies": {"fulfillment": "61"},
    }
    publication = _publication(overrides=overrides, external_sku="OLD-LAMP")

    offer = Offer(quantity=0, price_cents=5500, currency="GBP")  # offers_for honours it
    payload = listing_payload(
        publication, _listing(price_cents=4500), _product(), provider="ebay", offer=offer
    )

    assert (payload.sku, payload.title, payload.category) == ("OLD-LAMP", "Lamp (eBay)", "9999")
    assert payload.price == Money(5500, "GBP")
    assert payload.policies == {"fulfillment": "61"}
