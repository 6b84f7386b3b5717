"""Everything one Shopify sandbox holds, in memory, and its optional JSON file.

Records are Pydantic models so that the whole state round-trips through one JSON file
(``ShopifySandboxConfig.state_file``) and serves ``GET /_sandbox/state`` as it is.
Ids are Shopify global ids (``gid://shopify/Product/1001``) drawn from one counter, so
they are unique across resource types as Shopify's are in practice. Attribute names are
the snake_case spelling of the GraphQL field they answer (see ``graph.py``).

The state is guarded by one lock (``ShopState.lock``): uvicorn runs sync endpoints in a
thread pool, and a mutation must read and write as one step.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr

#: Quantity names an inventory level holds, as Shopify's inventory states document them.
QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)


def gid(resource: str, number: int) -> str:
    return f"gid://shopify/{resource}/{number}"


def gid_number(global_id: str) -> int:
    """The numeric tail of a global id; query parameters (InventoryLevel ids) are dropped."""
    return int(global_id.rsplit("/", 1)[-1].split("?", 1)[0])


def gid_resource(global_id: str) -> str | None:
    parts = global_id.split("/")
    return parts[3] if len(parts) == 5 and global_id.startswith("gid://shopify/") else None


def level_id(item_id: str, location_id: str) -> str:
    """Shopify's form: the location's number, then the item as a query parameter."""
    return (
        f"gid://shopify/InventoryLevel/{gid_number(location_id)}"
        f"?inventory_item_id={gid_number(item_id)}"
    )


class ShopRecord(BaseModel):
    id: str
    name: str
    email: str
    myshopify_domain: str
    currency_code: str
    iana_timezone: str
    created_at: datetime
    updated_at: datetime

    @property
    def contact_email(self) -> str:
        return self.email

    @property
    def url(self) -> str:
        return f"https://{self.myshopify_domain}"


class LocationRecord(BaseModel):
    id: str
    name: str
    is_active: bool = True
    fulfills_online_orders: bool = True
    ships_inventory: bool = True
    created_at: datetime
    updated_at: datetime


class OptionValueRecord(BaseModel):
    id: str
    name: str
    has_variants: bool = False


class OptionRecord(BaseModel):
    id: str
    name: str
    position: int
    option_values: list[OptionValueRecord]


class ProductRecord(BaseModel):
    id: str
    title: str
    handle: str
    description_html: str = ""
    status: str = "ACTIVE"
    vendor: str = ""
    product_type: str = ""
    tags: list[str] = Field(default_factory=list)
    options: list[OptionRecord] = Field(default_factory=list)
    variant_ids: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class VariantRecord(BaseModel):
    id: str
    product_id: str
    inventory_item_id: str
    sku: str | None = None
    barcode: str | None = None
    price: str = "0.00"
    compare_at_price: str | None = None
    position: int = 1
    taxable: bool = True
    inventory_policy: str = "DENY"
    #: (option name, value name) in the product's option order.
    option_values: list[tuple[str, str]] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime

    @property
    def title(self) -> str:
        names = [value for _, value in self.option_values]
        return " / ".join(names) if names else "Default Title"


class InventoryItemRecord(BaseModel):
    id: str
    variant_id: str
    sku: str | None = None
    tracked: bool = True
    requires_shipping: bool = True
    created_at: datetime
    updated_at: datetime


class InventoryLevelRecord(BaseModel):
    item_id: str
    location_id: str
    quantities: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(QUANTITY_NAMES, 0))
    created_at: datetime
    updated_at: datetime

    @property
    def id(self) -> str:
        return level_id(self.item_id, self.location_id)


class AdjustmentChange(BaseModel):
    name: str
    delta: int
    item_id: str
    location_id: str
    quantity_after_change: int | None
    ledger_document_uri: str | None = None


class AdjustmentGroupRecord(BaseModel):
    id: str
    reason: str
    reference_document_uri: str | None
    changes: list[AdjustmentChange]
    created_at: datetime


class WebhookSubscriptionRecord(BaseModel):
    """One webhook subscription made through the API; ``topic`` is the GraphQL enum value."""

    id: str
    topic: str
    uri: str
    format: str = "JSON"
    include_fields: list[str] = Field(default_factory=list)
    metafield_namespaces: list[str] = Field(default_factory=list)
    filter: str | None = None
    created_at: datetime
    updated_at: datetime
    #: Deliveries in a row that failed every retry; a success resets it.
    consecutive_failures: int = 0


class ShopState(BaseModel):
    """The whole sandbox shop. Dicts are keyed by global id and kept in creation order."""

    next_number: int = 1001
    shop: ShopRecord
    locations: dict[str, LocationRecord] = Field(default_factory=dict)
    products: dict[str, ProductRecord] = Field(default_factory=dict)
    variants: dict[str, VariantRecord] = Field(default_factory=dict)
    inventory_items: dict[str, InventoryItemRecord] = Field(default_factory=dict)
    #: Keyed by ``InventoryLevelRecord.id``.
    inventory_levels: dict[str, InventoryLevelRecord] = Field(default_factory=dict)
    webhook_subscriptions: dict[str, WebhookSubscriptionRecord] = Field(default_factory=dict)
    #: Access tokens revoked when the app was uninstalled (``POST /_sandbox/app/uninstall``).
    revoked_tokens: set[str] = Field(default_factory=set)

    _lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def new_id(self, resource: str) -> str:
        number = self.next_number
        self.next_number += 1
        return gid(resource, number)

    def level(self, item_id: str, location_id: str) -> InventoryLevelRecord | None:
        # The level's id is made of the two numbers, so this is a dict look-up, not a scan.
        try:
            found = self.inventory_levels.get(level_id(item_id, location_id))
        except ValueError:  # not a global id with a number: no such level
            return None
        if found is None or found.item_id != item_id or found.location_id != location_id:
            return None
        return found

    def levels_of_item(self, item_id: str) -> list[InventoryLevelRecord]:
        """The item's levels in location order (a look-up per location, not a scan)."""
        levels = (self.level(item_id, location_id) for location_id in self.locations)
        return [level for level in levels if level is not None]

    def levels_at(self, location_id: str) -> list[InventoryLevelRecord]:
        return [lvl for lvl in self.inventory_levels.values() if lvl.location_id == location_id]

    def stock_level(self, item_id: str, location_id: str, at: datetime) -> InventoryLevelRecord:
        """The item's level at the location, activating it there (all zero) if need be."""
        level = self.level(item_id, location_id)
        if level is None:
            level = InventoryLevelRecord(
                item_id=item_id, location_id=location_id, created_at=at, updated_at=at
            )
            self.inventory_levels[level.id] = level
        return level


def fresh_state(
    *,
    name: str,
    domain: str,
    email: str,
    currency: str,
    timezone: str,
    locations: tuple[str, ...],
    at: datetime,
) -> ShopState:
    """A new shop with its locations and no products."""
    shop = ShopRecord(
        id=gid("Shop", 1),
        name=name,
        email=email,
        myshopify_domain=domain,
        currency_code=currency,
        iana_timezone=timezone,
        created_at=at,
        updated_at=at,
    )
    state = ShopState(shop=shop)
    for location_name in locations:
        location_id = state.new_id("Location")
        state.locations[location_id] = LocationRecord(
            id=location_id, name=location_name, created_at=at, updated_at=at
        )
    return state


def load_state(path: Path) -> ShopState:
    return ShopState.model_validate_json(path.read_text(encoding="utf-8"))


def save_state(state: ShopState, path: Path) -> None:
    """Write atomically, so a crash mid-write never leaves half a file behind."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(state.model_dump_json(indent=1), encoding="utf-8")
    os.replace(temporary, path)


def utc_from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
