"""What one Shopify shop's connection holds, and Shopify's replies as dataclasses.

``ShopifyCredentials`` is what the channel API validates a shop's entry against: a
custom app's Admin API token, or the app's client id and secret for the install flow
(app-level values the caller merges in). The dataclasses are the parts of Shopify's
answers the adapter works with; ``*_from_node`` builds them from GraphQL JSON and
raises VALIDATION naming the field when a required one is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from stockbridge.errors import ChannelError, ChannelErrorCategory


class ShopifyCredentials(BaseModel):
    """A custom-app token (``shpat_...``), or a public app's client id and secret."""

    access_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


@dataclass(frozen=True, slots=True)
class ShopLocation:
    id: str
    name: str
    active: bool
    fulfills_online_orders: bool


@dataclass(frozen=True, slots=True)
class ShopSetup:
    """The shop's identity, currency and the location stock is set at."""

    shop_id: str
    name: str
    domain: str
    currency: str
    location_id: str


@dataclass(frozen=True, slots=True)
class VariantRef:
    """Where one SKU lives in the shop, and its ``available`` count at our location."""

    sku: str
    variant_id: str
    product_id: str
    handle: str
    status: str
    inventory_item_id: str
    #: The variant's price as Shopify writes it (a decimal string in the shop's currency).
    price: str
    product_variants: int
    tags: tuple[str, ...]
    #: ``None`` when the item is not stocked at the location.
    available: int | None

    @property
    def published(self) -> bool:
        return self.status == "ACTIVE"


def required(node: Mapping[str, Any], name: str, where: str) -> Any:
    """``node[name]``, or VALIDATION naming ``where.name`` when it is missing or null."""
    value = node.get(name) if isinstance(node, Mapping) else None
    if value is None:
        raise ChannelError(
            f"Shopify answered without {where}.{name}",
            category=ChannelErrorCategory.VALIDATION,
            field=f"{where}.{name}",
        )
    return value


def location_from_node(node: Mapping[str, Any]) -> ShopLocation:
    return ShopLocation(
        id=str(required(node, "id", "location")),
        name=str(node.get("name") or ""),
        active=bool(node.get("isActive", True)),
        fulfills_online_orders=bool(node.get("fulfillsOnlineOrders", True)),
    )


def variant_from_node(node: Mapping[str, Any]) -> VariantRef:
    product = required(node, "product", "productVariant")
    item = required(node, "inventoryItem", "productVariant")
    level = item.get("inventoryLevel")
    available: int | None = None
    if level is not None:
        quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
        available = int(quantities.get("available", 0))
    count = (product.get("variantsCount") or {}).get("count")
    return VariantRef(
        sku=str(required(node, "sku", "productVariant")),
        variant_id=str(required(node, "id", "productVariant")),
        product_id=str(required(product, "id", "productVariant.product")),
        handle=str(product.get("handle") or ""),
        status=str(product.get("status") or "DRAFT"),
        inventory_item_id=str(required(item, "id", "productVariant.inventoryItem")),
        price=str(node.get("price") or ""),
        product_variants=int(count) if count is not None else 1,
        tags=tuple(product.get("tags") or ()),
        available=available,
    )
