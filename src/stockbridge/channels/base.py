"""What every marketplace adapter speaks: the :class:`ChannelAdapter` protocol and its data.

An adapter is one shop's connection to one marketplace. It takes and returns the frozen
dataclasses below and raises :class:`~stockbridge.errors.ChannelError`; raw marketplace
JSON stays inside ``channels/<name>/`` (except ``raw`` on orders and webhooks, kept for
the record). Nothing here knows the database: ``commerce`` and ``sync`` turn rows into
these values and back.

Money is a :class:`Money` of integer minor units; times are aware UTC datetimes;
marketplace ids are strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from stockbridge.statuses import Condition, FulfillmentStatus, PaymentStatus, ReturnStatus


@dataclass(frozen=True, slots=True)
class Money:
    cents: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise TypeError(f"Money.cents must be an int, got {self.cents!r}")


# --- what a provider declares -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Facts about a marketplace that the sync engine plans by."""

    #: Most entries one quantity / price call accepts (eBay 25, Shopify 250).
    max_quantities_per_call: int
    max_prices_per_call: int
    #: Most listings one upsert call accepts (1 where there is no bulk upsert).
    max_listings_per_call: int
    #: The marketplace pushes order changes (webhooks); polling is always the fallback.
    pushes_orders: bool
    #: How far back each order poll reaches beyond the last cursor, against clock skew
    #: and late-indexed orders (MARKETPLACE-NOTES.md: overlap the window).
    order_poll_overlap_seconds: int = 300
    partial_fulfilment: bool = True
    #: The seller can cancel an order through the marketplace's API.
    cancellation: bool = True
    #: Returns can be listed and decided through the marketplace's API.
    returns: bool = True
    oauth: bool = True


# --- connecting ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Per-shop credentials an OAuth exchange or refresh produced."""

    access_token: str
    access_expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OAuthStart:
    """Where to send the shop owner, and the ``state`` nonce the callback must echo."""

    url: str
    state: str


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What a successful connection test found: whose account this is."""

    account_id: str
    account_name: str
    currency: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


# --- listings, stock and prices -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingPayload:
    """One SKU as stockbridge wants it shown on a marketplace."""

    sku: str
    title: str
    description: str
    price: Money
    quantity: int
    condition: Condition = Condition.NEW
    images: tuple[str, ...] = ()
    attributes: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    category: str | None = None
    brand: str | None = None
    barcode: str | None = None
    weight_grams: int | None = None
    seo_title: str | None = None
    seo_description: str | None = None
    #: Marketplace policies by kind, e.g. ``{"fulfillment": "6196932000"}`` on eBay.
    policies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListingRef:
    """Where a SKU lives on a marketplace after an upsert or publish."""

    sku: str
    external_id: str
    published: bool = False
    url: str | None = None
    #: Further ids the adapter needs later (eBay offer id, Shopify inventory item id).
    refs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    sku: str
    price: Money


@dataclass(frozen=True, slots=True)
class PushResult:
    """What became of each SKU of a batch; a batch can partly fail."""

    accepted: tuple[str, ...]
    rejected: Mapping[str, str] = field(default_factory=dict)  # sku -> reason
    calls: int = 0
    #: SKUs whose marketplace ids the adapter had to find again during the call (the
    #: ids it was told were stale): the caller stores these in place of the old ones.
    found: Mapping[str, ListingRef] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MarketplaceOffer:
    """What a marketplace shows of one SKU now: its quantity and its price.

    ``None`` where the marketplace holds no value (an eBay item with no offer has no
    price; a Shopify variant not stocked at our location has no quantity).
    """

    sku: str
    quantity: int | None
    price: Money | None


@dataclass(frozen=True, slots=True)
class ReadBack:
    """The marketplace's side of a batch of SKUs, as read back for reconciliation."""

    offers: Mapping[str, MarketplaceOffer]
    #: SKUs the marketplace does not know at all.
    missing: tuple[str, ...] = ()
    calls: int = 0


# --- orders -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    """One postal address in one shape for every marketplace; country is ISO 3166-1 alpha-2."""

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Buyer:
    external_id: str | None = None
    username: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    external_id: str
    sku: str | None
    title: str
    quantity: int
    unit_price: Money
    tax: Money
    discount: Money
    external_listing_id: str | None = None


@dataclass(frozen=True, slots=True)
class NormalizedOrder:
    external_id: str
    number: str
    currency: str
    placed_at: datetime
    updated_at: datetime
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    cancelled: bool
    buyer: Buyer
    shipping_address: Address | None
    billing_address: Address | None
    lines: tuple[OrderLine, ...]
    shipping_cost: Money
    total: Money
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders changed since a cursor, and the cursor to continue from."""

    orders: tuple[NormalizedOrder, ...]
    next_cursor: str | None
    # Orders on this page that could not be normalised: external id -> reason.
    # One malformed order never stops the rest of the page from importing.
    rejected: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FulfilmentLine:
    line_external_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Fulfilment:
    order_external_id: str
    lines: tuple[FulfilmentLine, ...]
    carrier: str
    tracking_number: str
    tracking_url: str | None = None
    shipped_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    """Lines and/or an amount to give back; ``idempotency_key`` makes a retry harmless."""

    order_external_id: str
    idempotency_key: str
    lines: tuple[FulfilmentLine, ...] = ()
    amount: Money | None = None
    reason: str = "other"


@dataclass(frozen=True, slots=True)
class NormalizedReturn:
    external_id: str
    order_external_id: str
    status: ReturnStatus
    lines: tuple[FulfilmentLine, ...]
    reason: str | None
    requested_at: datetime
    raw: Mapping[str, Any] = field(default_factory=dict)


class ReturnDecision(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


# --- webhooks -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """An incoming delivery exactly as received: verification needs the raw bytes."""

    method: str
    url: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified delivery; ``delivery_id`` is what repeats are de-duplicated on."""

    delivery_id: str
    topic: str
    occurred_at: datetime | None
    resource_id: str | None
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class WebhookChallenge:
    """A verification handshake (eBay's ``challenge_code``): answer it, process nothing."""

    response_body: Mapping[str, Any]


class VerificationNeedsNetwork(Exception):
    """Raised by ``parse_webhook`` inside :func:`verifying_offline` where verifying would
    first call the marketplace (eBay: a public key not fetched yet)."""


_OFFLINE: ContextVar[bool] = ContextVar("webhook_verification_offline", default=False)


@contextmanager
def verifying_offline() -> Iterator[None]:
    """While inside, ``parse_webhook`` raises :class:`VerificationNeedsNetwork` instead
    of calling the marketplace: the caller verifies such a delivery elsewhere, so one
    slow call never holds up the deliveries verified beside it."""
    token = _OFFLINE.set(True)
    try:
        yield
    finally:
        _OFFLINE.reset(token)


def before_verification_call(what: str) -> None:
    """What an adapter calls before a network call that verification needs."""
    if _OFFLINE.get():
        raise VerificationNeedsNetwork(what)


# --- the protocol -------------------------------------------------------------------


@runtime_checkable
class ChannelAdapter(Protocol):
    """One shop's connection to one marketplace. Every method may raise ChannelError."""

    capabilities: Capabilities

    def test_connection(self) -> ConnectionInfo: ...

    def start_oauth(self, redirect_uri: str, state: str) -> OAuthStart: ...
    def exchange_code(self, query: Mapping[str, str], redirect_uri: str) -> TokenSet: ...
    def refresh(self) -> TokenSet: ...

    def find_listings(self, skus: Sequence[str]) -> Mapping[str, ListingRef]: ...
    def upsert_listings(self, listings: Sequence[ListingPayload]) -> Sequence[ListingRef]: ...
    def publish(self, sku: str) -> ListingRef: ...
    def unpublish(self, sku: str) -> None: ...
    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult: ...
    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult: ...
    def read_offers(self, skus: Sequence[str]) -> ReadBack: ...

    def orders_since(self, cursor: str | None, since: datetime) -> Iterator[OrderPage]: ...
    def get_order(self, external_id: str) -> NormalizedOrder: ...
    def fulfil(self, fulfilment: Fulfilment) -> str: ...
    def cancel(self, order_external_id: str, reason: str) -> None: ...
    def refund(self, refund: Refund) -> str: ...
    def returns_since(self, since: datetime) -> Iterator[NormalizedReturn]: ...
    def decide_return(self, external_id: str, decision: ReturnDecision) -> None: ...

    def register_webhooks(self, callback_url: str) -> Sequence[str]: ...
    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent | WebhookChallenge: ...


@runtime_checkable
class RemembersListings(Protocol):
    """An adapter that can be told where SKUs live (refs stored from its earlier answers),
    so that pushing them needs no look-up (eBay: the offer id per SKU)."""

    def remember(self, refs: Iterable[ListingRef]) -> None: ...
