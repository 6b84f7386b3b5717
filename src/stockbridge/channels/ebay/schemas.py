"""What one eBay shop enters, and eBay's replies as small dataclasses.

Raw JSON is read here once, field by field, into the frozen values below; the rest of
the package (and nothing outside it) works with those. A reply missing a field eBay
always sends is a ``CRITICAL`` ChannelError naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from stockbridge.channels.base import Money
from stockbridge.errors import ChannelError, ChannelErrorCategory, InvalidInput
from stockbridge.money import to_minor_units


class EbayCredentials(BaseModel):
    """One eBay connection's app credentials (merged in by the caller) and options."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    #: The app's RuName, sent as ``redirect_uri``; when empty the caller's redirect URL
    #: is sent as it is (what a stockbridge sandbox expects).
    ru_name: str = ""
    #: Only read when the connection has no base URL: "production" or "sandbox".
    environment: str = "production"
    #: Notifications: the token eBay's endpoint challenge is hashed with (32 to 80 of
    #: A-Z, a-z, 0-9, ``_``, ``-``), and the address eBay writes to when deliveries
    #: fail. Both are needed by ``register_webhooks`` only.
    verification_token: str = Field(default="", pattern=r"^([A-Za-z0-9_-]{32,80})?$")
    alert_email: str = ""
    #: The endpoint URL as registered with eBay, when a proxy makes the URL a
    #: delivery arrives on differ from it (the challenge hash includes it).
    notification_endpoint: str = ""


def _required(body: Mapping[str, Any], name: str, what: str) -> Any:
    value = body.get(name)
    if value is None:
        raise ChannelError(f"eBay {what} without {name!r}", category=ChannelErrorCategory.CRITICAL)
    return value


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    access_token: str
    expires_in: int
    refresh_token: str | None
    refresh_token_expires_in: int | None
    scopes: tuple[str, ...]

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> TokenAnswer:
        refresh_in = body.get("refresh_token_expires_in")
        return cls(
            access_token=str(_required(body, "access_token", "token answer")),
            expires_in=int(_required(body, "expires_in", "token answer")),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            refresh_token_expires_in=int(refresh_in) if refresh_in is not None else None,
            scopes=tuple(str(body.get("scope") or "").split()),
        )


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """One entry of a bulk answer (``statusCode`` per SKU, or per SKU and offer)."""

    sku: str
    status: int
    offer_id: str | None
    message: str | None
    #: The first error's parameters (eBay names an existing offer's id this way).
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: The first error's ``errorId`` (``"25713"``: the offer named does not exist).
    error_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @classmethod
    def parse(cls, entry: Mapping[str, Any]) -> EntryOutcome:
        errors = entry.get("errors") or []
        message, parameters, error_id = None, {}, None
        if errors:
            first = errors[0]
            error_id = str(first["errorId"]) if first.get("errorId") is not None else None
            message = f"{first.get('errorId', '')}: {first.get('message', '')}".strip(": ")
            parameters = {
                str(p.get("name")): str(p.get("value")) for p in first.get("parameters") or []
            }
        offer_id = entry.get("offerId")
        return cls(
            sku=str(entry.get("sku") or ""),
            status=int(_required(entry, "statusCode", "bulk answer entry")),
            offer_id=str(offer_id) if offer_id else None,
            message=message,
            parameters=parameters,
            error_id=error_id,
        )


def bulk_outcomes(body: Mapping[str, Any]) -> list[EntryOutcome]:
    return [EntryOutcome.parse(entry) for entry in body.get("responses") or []]


@dataclass(frozen=True, slots=True)
class OfferSummary:
    """What stockbridge needs of an offer: its id, its SKU, and its live listing."""

    offer_id: str
    sku: str
    marketplace_id: str
    status: str
    listing_id: str | None
    listing_status: str | None

    @property
    def published(self) -> bool:
        return self.status == "PUBLISHED" and self.listing_status in (None, "ACTIVE")

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> OfferSummary:
        listing = body.get("listing") or {}
        listing_id = listing.get("listingId")
        return cls(
            offer_id=str(_required(body, "offerId", "offer")),
            sku=str(_required(body, "sku", "offer")),
            marketplace_id=str(body.get("marketplaceId") or ""),
            status=str(body.get("status") or "UNPUBLISHED"),
            listing_id=str(listing_id) if listing_id else None,
            listing_status=str(listing["listingStatus"]) if listing.get("listingStatus") else None,
        )


def offers_of(body: Mapping[str, Any]) -> list[OfferSummary]:
    return [OfferSummary.parse(offer) for offer in body.get("offers") or []]


def _money(value: Mapping[str, Any] | None, what: str) -> Money | None:
    """eBay's ``Amount`` (``{"value": "12.50", "currency": "GBP"}``) in minor units."""
    if not value or value.get("value") is None:
        return None
    currency = str(_required(value, "currency", what))
    try:
        return Money(to_minor_units(str(value["value"]), currency), currency)
    except InvalidInput as error:
        raise ChannelError(
            f"eBay {what} is not an amount: {error}", category=ChannelErrorCategory.CRITICAL
        ) from None


@dataclass(frozen=True, slots=True)
class OfferState:
    """An offer's price and quantity as eBay holds them now (read back to reconcile)."""

    summary: OfferSummary
    price: Money | None
    available_quantity: int | None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> OfferState:
        quantity = body.get("availableQuantity")
        return cls(
            summary=OfferSummary.parse(body),
            price=_money((body.get("pricingSummary") or {}).get("price"), "offer price"),
            available_quantity=int(quantity) if quantity is not None else None,
        )


def item_quantities(body: Mapping[str, Any]) -> dict[str, int | None]:
    """bulkGetInventoryItem's answer: SKU -> its ship-to-location quantity, for the SKUs
    eBay found (a SKU eBay does not know is left out)."""
    found: dict[str, int | None] = {}
    for entry in body.get("responses") or []:
        if not 200 <= int(_required(entry, "statusCode", "bulk answer entry")) < 300:
            continue
        item = entry.get("inventoryItem") or {}
        ship_to = (item.get("availability") or {}).get("shipToLocationAvailability") or {}
        quantity = ship_to.get("quantity")
        found[str(entry.get("sku") or "")] = int(quantity) if quantity is not None else None
    return found


#: Each policy kind's id field in the Sell Account API.
POLICY_ID_FIELDS: Mapping[str, str] = {
    "fulfillment": "fulfillmentPolicyId",
    "payment": "paymentPolicyId",
    "return": "returnPolicyId",
}


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """One business policy of the seller: what a listing's ``policies`` names."""

    kind: str  # "fulfillment", "payment" or "return"
    policy_id: str
    name: str
    marketplace_id: str
    description: str | None = None

    @classmethod
    def parse(cls, kind: str, body: Mapping[str, Any]) -> AccountPolicy:
        description = body.get("description")
        return cls(
            kind=kind,
            policy_id=str(_required(body, POLICY_ID_FIELDS[kind], f"{kind} policy")),
            name=str(body.get("name") or ""),
            marketplace_id=str(body.get("marketplaceId") or ""),
            description=str(description) if description else None,
        )
