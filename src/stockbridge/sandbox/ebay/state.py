"""Everything the eBay sandbox holds, and its optional JSON file.

One :class:`EbayStore` per app: grants (authorization codes, access and refresh tokens),
inventory items, offers, listings, inventory locations, the Notification API's
configuration (notification_state.py), business policies, and what buyers did: orders,
shipping fulfilments, refunds and returns. Request bodies are kept as the JSON the
seller sent (eBay hands back what it was given), with the few facts the
sandbox reasons about (SKU, quantities, status, ids) as typed fields. Order times are
integer milliseconds of the sandbox clock, the precision eBay's timestamps show, so a
``lastmodifieddate`` window compares exactly what the seller was shown.

Handlers mutate the state under :attr:`EbayStore.lock` inside :meth:`EbayStore.change`,
which writes the file afterwards when one is configured (load at start, save after each
mutating call), so a restarted sandbox still honours its tokens and listings.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from stockbridge.sandbox.ebay.notification_state import NotificationState
from stockbridge.sandbox.ebay.policies import PolicyTable, default_policies

TokenKind = Literal["user", "application"]
OfferStatus = Literal["UNPUBLISHED", "PUBLISHED"]
ListingStatus = Literal["ACTIVE", "ENDED"]


class AuthCode(BaseModel):
    code: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    expires_at: float


class AccessGrant(BaseModel):
    token: str
    kind: TokenKind
    client_id: str
    scopes: list[str]
    expires_at: float
    #: Inventory API calls made with this token, for ``calls_per_token``.
    calls: int = 0


class RefreshGrant(BaseModel):
    token: str
    client_id: str
    scopes: list[str]
    expires_at: float


class InventoryItemRecord(BaseModel):
    sku: str
    locale: str
    #: The InventoryItem JSON as last sent (createOrReplace replaces it whole).
    body: dict[str, Any]

    @property
    def quantity(self) -> int:
        availability = self.body.get("availability") or {}
        ship_to = availability.get("shipToLocationAvailability") or {}
        return int(ship_to.get("quantity") or 0)


class OfferRecord(BaseModel):
    offer_id: str
    sku: str
    marketplace_id: str
    format: str
    #: The EbayOfferDetailsWithKeys JSON as last sent, without the keys above.
    body: dict[str, Any]
    status: OfferStatus = "UNPUBLISHED"
    listing_id: str | None = None


class ListingRecord(BaseModel):
    listing_id: str
    offer_id: str
    sku: str
    status: ListingStatus = "ACTIVE"
    sold_quantity: int = 0
    #: Revisions per UTC calendar day (eBay allows 250 a day per listing).
    revisions: dict[str, int] = Field(default_factory=dict)


class LocationRecord(BaseModel):
    key: str
    body: dict[str, Any]
    status: Literal["ENABLED", "DISABLED"] = "ENABLED"


class BuyerRecord(BaseModel):
    username: str
    full_name: str
    email: str
    phone: str
    #: An eBay ``Address`` (addressLine1, city, postalCode, countryCode, ...).
    address: dict[str, str]


class LineItemRecord(BaseModel):
    line_item_id: str
    listing_id: str
    offer_id: str
    sku: str
    title: str
    quantity: int
    unit_price_cents: int
    #: Units already in a shipping fulfilment.
    shipped: int = 0


class OrderRecord(BaseModel):
    order_id: str
    marketplace_id: str
    currency: str
    buyer: BuyerRecord
    line_items: list[LineItemRecord]
    created_ms: int
    modified_ms: int
    sales_record_reference: str
    #: From the listing's fulfilment policy when the order was placed.
    shipping_carrier: str = "OTHER"
    shipping_service: str = "Other"
    cancelled_ms: int | None = None
    cancel_reason: str | None = None
    cancel_request_id: str | None = None
    fulfillment_ids: list[str] = Field(default_factory=list)
    refund_ids: list[str] = Field(default_factory=list)


class ShippedLine(BaseModel):
    line_item_id: str
    quantity: int


class FulfillmentRecord(BaseModel):
    fulfillment_id: str
    order_id: str
    lines: list[ShippedLine]
    shipped_date: str
    carrier: str | None = None
    tracking_number: str | None = None


class RefundRecord(BaseModel):
    refund_id: str
    order_id: str
    #: None for an order-level refund.
    line_item_id: str | None
    amount_cents: int
    reason: str
    comment: str | None = None
    at_ms: int
    status: Literal["PENDING", "REFUNDED", "FAILED"] = "REFUNDED"


class ReturnRecord(BaseModel):
    return_id: str
    order_id: str
    line_item_id: str
    quantity: int
    reason: str
    comment: str | None = None
    status: Literal["OPEN", "CLOSED"] = "OPEN"
    created_ms: int


class EbayState(BaseModel):
    """The whole state; also the layout of the state file."""

    auth_codes: dict[str, AuthCode] = Field(default_factory=dict)
    access_tokens: dict[str, AccessGrant] = Field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = Field(default_factory=dict)
    items: dict[str, InventoryItemRecord] = Field(default_factory=dict)
    offers: dict[str, OfferRecord] = Field(default_factory=dict)
    listings: dict[str, ListingRecord] = Field(default_factory=dict)
    locations: dict[str, LocationRecord] = Field(default_factory=dict)
    #: Commerce Notification: alert e-mail, destinations, subscriptions, signing keys.
    notification: NotificationState = Field(default_factory=NotificationState)
    #: Business policies by kind (fulfillment, payment, return) and id; a fresh
    #: sandbox has a default set per marketplace (policies.py).
    policies: PolicyTable = Field(default_factory=default_policies)
    orders: dict[str, OrderRecord] = Field(default_factory=dict)
    fulfillments: dict[str, FulfillmentRecord] = Field(default_factory=dict)
    refunds: dict[str, RefundRecord] = Field(default_factory=dict)
    returns: dict[str, ReturnRecord] = Field(default_factory=dict)
    #: Orders placed so far; order ids and sales record numbers come from it.
    order_count: int = 0
    #: Ids are numeric strings, like eBay's; one counter keeps them unique per run.
    next_id: int = 1_000_001


class EbayStore:
    """The state of one sandbox, its lock and its file."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.state = self._load()

    def _load(self) -> EbayState:
        if self.state_file and self.state_file.exists():
            return EbayState.model_validate_json(self.state_file.read_text(encoding="utf-8"))
        return EbayState()

    def save(self) -> None:
        if not self.state_file:
            return
        with self.lock:
            raw = self.state.model_dump_json(indent=1)
        # Write then rename, so a crash mid-write never leaves half a file to load.
        partial = self.state_file.with_suffix(self.state_file.suffix + ".partial")
        partial.write_text(raw, encoding="utf-8")
        os.replace(partial, self.state_file)

    @contextmanager
    def change(self) -> Iterator[EbayState]:
        """Mutate the state under the lock; saved to the file afterwards."""
        with self.lock:
            yield self.state
            self.save()

    def reset(self) -> None:
        with self.change():
            self.state = EbayState()

    def new_id(self) -> str:
        with self.lock:
            self.state.next_id += 1
            return str(self.state.next_id)

    # --- derived facts --------------------------------------------------------------

    def listed_quantity(self, offer: OfferRecord) -> int:
        """What buyers see: the lower of the item's quantity and the offer's."""
        item = self.state.items.get(offer.sku)
        item_quantity = item.quantity if item else 0
        offered = offer.body.get("availableQuantity")
        return item_quantity if offered is None else min(item_quantity, int(offered))

    def shown_quantity(self, listing: ListingRecord) -> int:
        # An ended listing (withdrawn, or its offer or item deleted) sells nothing.
        offer = self.state.offers.get(listing.offer_id)
        if listing.status != "ACTIVE" or offer is None:
            return 0
        return self.listed_quantity(offer)

    def note_revision(self, sku: str, now: float) -> None:
        """Count one revision on every live listing of ``sku`` (call under the lock)."""
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        for listing in self.state.listings.values():
            if listing.sku == sku and listing.status == "ACTIVE":
                listing.revisions[day] = listing.revisions.get(day, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """State for ``GET /_sandbox/state``: catalogue and listings, no token secrets."""
        with self.lock:
            state = self.state
            return {
                "inventory_items": {sku: item.body for sku, item in state.items.items()},
                "offers": {oid: offer.model_dump() for oid, offer in state.offers.items()},
                "listings": {
                    lid: {**listing.model_dump(), "quantity": self.shown_quantity(listing)}
                    for lid, listing in state.listings.items()
                },
                "locations": {key: loc.model_dump() for key, loc in state.locations.items()},
                "notification": state.notification.model_dump(
                    exclude={"signing_keys": {"__all__": {"private_key_pem"}}}
                ),
                "policies": state.policies,
                "orders": {oid: order.model_dump() for oid, order in state.orders.items()},
                "fulfillments": {fid: f.model_dump() for fid, f in state.fulfillments.items()},
                "refunds": {rid: refund.model_dump() for rid, refund in state.refunds.items()},
                "returns": {rid: ret.model_dump() for rid, ret in state.returns.items()},
                "tokens": {
                    "access": len(state.access_tokens),
                    "refresh": len(state.refresh_tokens),
                },
            }
