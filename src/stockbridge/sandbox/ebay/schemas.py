"""Our typed description of the Sell Inventory request bodies the sandbox serves.

Class names are the official schema names in sell_inventory_v1_oas3.json and field
aliases its property names; tests/sandbox/ebay/test_schemas.py proves every field here
exists in the official file with the same JSON type. Only the fields the sandbox reasons
about are typed; the rest of a body is kept as sent (``extra="allow"``), because eBay
hands back what the seller stored. Quantities are strict integers: eBay rejects "5".
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, StrictInt
from pydantic.alias_generators import to_camel


class EbayModel(BaseModel):
    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The body as eBay would store it: camelCase, unset fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class Amount(EbayModel):
    currency: str | None = None
    value: str | None = None


class ShipToLocationAvailability(EbayModel):
    quantity: StrictInt | None = None


class Availability(EbayModel):
    ship_to_location_availability: ShipToLocationAvailability | None = None


class Product(EbayModel):
    title: str | None = None
    description: str | None = None
    image_urls: list[str] | None = None


class InventoryItem(EbayModel):
    availability: Availability | None = None
    condition: str | None = None
    product: Product | None = None


class InventoryItemWithSkuLocale(InventoryItem):
    sku: str | None = None
    locale: str | None = None


class BulkInventoryItem(EbayModel):
    requests: list[InventoryItemWithSkuLocale] = []


class GetInventoryItem(EbayModel):
    sku: str | None = None


class BulkGetInventoryItem(EbayModel):
    requests: list[GetInventoryItem] = []


class PricingSummary(EbayModel):
    price: Amount | None = None


class ListingPolicies(EbayModel):
    fulfillment_policy_id: str | None = None
    payment_policy_id: str | None = None
    return_policy_id: str | None = None


class EbayOfferDetailsWithId(EbayModel):
    available_quantity: StrictInt | None = None
    category_id: str | None = None
    listing_description: str | None = None
    listing_policies: ListingPolicies | None = None
    merchant_location_key: str | None = None
    pricing_summary: PricingSummary | None = None


class EbayOfferDetailsWithKeys(EbayOfferDetailsWithId):
    sku: str | None = None
    marketplace_id: str | None = None
    format: str | None = None


class BulkEbayOfferDetailsWithKeys(EbayModel):
    requests: list[EbayOfferDetailsWithKeys] = []


class OfferKeyWithId(EbayModel):
    offer_id: str | None = None


class BulkOffer(EbayModel):
    requests: list[OfferKeyWithId] = []


class OfferPriceQuantity(EbayModel):
    available_quantity: StrictInt | None = None
    offer_id: str | None = None
    price: Amount | None = None


class PriceQuantity(EbayModel):
    offers: list[OfferPriceQuantity] | None = None
    ship_to_location_availability: ShipToLocationAvailability | None = None
    sku: str | None = None


class BulkPriceQuantity(EbayModel):
    requests: list[PriceQuantity] = []


class Address(EbayModel):
    address_line1: str | None = None
    city: str | None = None
    country: str | None = None
    postal_code: str | None = None
    state_or_province: str | None = None


class LocationDetails(EbayModel):
    address: Address | None = None


class InventoryLocation(EbayModel):
    location: LocationDetails | None = None
    location_types: list[str] | None = None
    name: str | None = None


class InventoryLocationFull(InventoryLocation):
    merchant_location_status: str | None = None


#: Every model above, for the fidelity test.
ALL_MODELS: tuple[type[EbayModel], ...] = (
    Amount,
    ShipToLocationAvailability,
    Availability,
    Product,
    InventoryItem,
    InventoryItemWithSkuLocale,
    BulkInventoryItem,
    GetInventoryItem,
    BulkGetInventoryItem,
    PricingSummary,
    ListingPolicies,
    EbayOfferDetailsWithId,
    EbayOfferDetailsWithKeys,
    BulkEbayOfferDetailsWithKeys,
    OfferKeyWithId,
    BulkOffer,
    OfferPriceQuantity,
    PriceQuantity,
    BulkPriceQuantity,
    Address,
    LocationDetails,
    InventoryLocation,
    InventoryLocationFull,
)
