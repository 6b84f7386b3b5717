"""The eBay adapter: one shop's connection, speaking ``channels.base`` dataclasses.

It wires the parts together and delegates: listings, stock and prices to
:mod:`.listings` (Sell Inventory, with its offer cache), orders, shipping and refunds to
:mod:`.fulfillment` (Sell Fulfillment; orders read by :mod:`.orders`), business
policies to the Sell Account API here, notification registration to
:mod:`.notifications` and incoming deliveries to :mod:`.webhooks`. Seller calls use the
seller's tokens (:class:`~.auth.TokenKeeper`); Notification calls that eBay reserves
for the application use an application token (:class:`~.auth.ApplicationTokens`).

eBay's APIs offer a seller no order cancellation and no returns (the Fulfillment API
has neither; the Post-Order API is not one stockbridge speaks), so ``cancel``,
``returns_since`` and ``decide_return`` raise CRITICAL and :data:`CAPABILITIES` says
``cancellation=False``, ``returns=False``.

Connection settings read: ``marketplace_id`` (default ``EBAY_GB``),
``merchant_location_key``, ``category_id``, ``policies`` (kind -> id), ``redis_url``,
``timeout_seconds``, ``daily_budgets`` (API -> calls, overriding eBay's defaults),
``order_page_size`` (orders per getOrders page, default 100).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from stockbridge.channels.base import (
    Capabilities,
    ConnectionInfo,
    Fulfilment,
    ListingPayload,
    ListingRef,
    NormalizedOrder,
    NormalizedReturn,
    OAuthStart,
    OrderPage,
    PriceUpdate,
    PushResult,
    ReadBack,
    Refund,
    ReturnDecision,
    StockLevel,
    TokenSet,
    WebhookChallenge,
    WebhookEvent,
    WebhookRequest,
)
from stockbridge.channels.ebay import mapping, notifications
from stockbridge.channels.ebay.auth import (
    SCOPES,
    ApplicationTokens,
    Clock,
    TokenEndpoint,
    TokenKeeper,
    authorize_url,
    environment_for,
    token_set,
    utc_now,
)
from stockbridge.channels.ebay.client import DEFAULT_TIMEOUT, Api, Budgets, EbayClient
from stockbridge.channels.ebay.fulfillment import (
    DEFAULT_PAGE_SIZE,
    ORDER_POLL_OVERLAP,
    EbayFulfillment,
)
from stockbridge.channels.ebay.listings import BULK_LIMIT, EbayListings
from stockbridge.channels.ebay.schemas import POLICY_ID_FIELDS, AccountPolicy, EbayCredentials
from stockbridge.channels.ebay.webhooks import PublicKeys, parse_notification
from stockbridge.channels.registry import ChannelConnection
from stockbridge.errors import ChannelError, ChannelErrorCategory

INVENTORY = "/sell/inventory/v1"
ACCOUNT = "/sell/account/v1"
NOTIFICATION = "/commerce/notification/v1"

CAPABILITIES = Capabilities(
    max_quantities_per_call=BULK_LIMIT,
    max_prices_per_call=BULK_LIMIT,
    max_listings_per_call=BULK_LIMIT,
    pushes_orders=False,  # order notifications are not guaranteed: polling is the backbone
    order_poll_overlap_seconds=int(ORDER_POLL_OVERLAP.total_seconds()),
    cancellation=False,
    returns=False,
)


def _not_offered(what: str) -> ChannelError:
    return ChannelError(
        f"eBay {what} is not offered by eBay's APIs here: do it in eBay Seller Hub",
        category=ChannelErrorCategory.CRITICAL,
    )


class EbayAdapter:
    """One shop's eBay account; see the module docstring for who does what."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        connection: ChannelConnection,
        *,
        http: httpx.Client | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._credentials = EbayCredentials.model_validate(dict(connection.credentials))
        settings = connection.settings
        self.environment = environment_for(connection.base_url, connection.credentials)
        self.marketplace_id = str(settings.get("marketplace_id") or "EBAY_GB")
        defaults = mapping.OfferDefaults(
            marketplace_id=self.marketplace_id,
            merchant_location_key=settings.get("merchant_location_key"),
            category_id=settings.get("category_id"),
            policies=settings.get("policies"),
        )
        timeout = settings.get("timeout_seconds")
        self._timeout = httpx.Timeout(float(timeout)) if timeout else DEFAULT_TIMEOUT
        self._given_http = http
        self._made_http: httpx.Client | None = None
        self._http_lock = threading.Lock()
        self._clock = clock
        budgets = Budgets(
            self._credentials.client_id, settings.get("redis_url"), settings.get("daily_budgets")
        )
        self._endpoint = TokenEndpoint(
            self._http,
            self.environment,
            self._credentials.client_id,
            self._credentials.client_secret,
            spend=budgets.spend,
        )
        self.tokens = TokenKeeper(self._endpoint, connection.tokens, connection.save_tokens, clock)
        language = mapping.language_of(self.marketplace_id)
        api_base = self.environment.api_base
        self.client = EbayClient(self._http, api_base, self.tokens, budgets, language)
        self.app_client = EbayClient(
            self._http, api_base, ApplicationTokens(self._endpoint, clock), budgets, language
        )
        self.listings = EbayListings(self.client, defaults, self.environment.name)
        self.fulfillment = EbayFulfillment(
            self.client,
            f"{api_base} {self._credentials.client_id}",
            int(settings.get("order_page_size") or DEFAULT_PAGE_SIZE),
        )
        self._public_keys = PublicKeys(api_base, self._public_key)

    def _http(self) -> httpx.Client:
        """The HTTP client, made on first call: building one loads the TLS trust store
        (tens of milliseconds), which a notification signed with a known key never needs."""
        if self._given_http is not None:
            return self._given_http
        with self._http_lock:
            if self._made_http is None:
                self._made_http = httpx.Client(timeout=self._timeout)
            return self._made_http

    def close(self) -> None:
        with self._http_lock:
            made, self._made_http = self._made_http, None
        if made is not None:
            made.close()
        elif self._given_http is not None:
            self._given_http.close()

    def __enter__(self) -> EbayAdapter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- connecting -----------------------------------------------------------------

    def test_connection(self) -> ConnectionInfo:
        """A cheap authenticated Inventory call, plus what the tokens say about expiry."""
        self.client.json(Api.INVENTORY, "GET", f"{INVENTORY}/location", params={"limit": "1"})
        expires, soon = self.tokens.refresh_expiry()
        self.tokens.warn_if_refresh_expiring()
        details: dict[str, Any] = {
            "environment": self.environment.name,
            "marketplace_id": self.marketplace_id,
            "refresh_token_expires_at": expires.isoformat() if expires else None,
            "refresh_token_expiring_soon": soon,
        }
        if soon:
            details["warning"] = "the eBay refresh token expires within 30 days: reconnect"
        return ConnectionInfo(
            account_id=self._credentials.client_id,
            account_name=f"eBay {self.marketplace_id}",
            currency=mapping.currency_of(self.marketplace_id),
            details=details,
        )

    def _redirect(self, redirect_uri: str) -> str:
        """eBay's hosts take the app's RuName; a stockbridge sandbox the URL itself."""
        if self.environment.name == "stockbridge-sandbox":
            return redirect_uri
        return self._credentials.ru_name or redirect_uri

    def start_oauth(self, redirect_uri: str, state: str) -> OAuthStart:
        url = authorize_url(
            self.environment,
            self._credentials.client_id,
            self._redirect(redirect_uri),
            SCOPES,
            state,
        )
        return OAuthStart(url=url, state=state)

    def exchange_code(self, query: Mapping[str, str], redirect_uri: str) -> TokenSet:
        if query.get("error"):
            raise ChannelError(
                f"eBay consent was not given: {query['error']}",
                category=ChannelErrorCategory.AUTH_FAILED,
                code=query["error"],
            )
        if not query.get("state"):
            raise ChannelError(
                "the eBay callback carries no state", category=ChannelErrorCategory.VALIDATION
            )
        code = query.get("code")
        if not code:
            raise ChannelError(
                "the eBay callback carries no code", category=ChannelErrorCategory.VALIDATION
            )
        answer = self._endpoint.exchange_code(code, self._redirect(redirect_uri))
        tokens = token_set(answer, self._clock(), None, SCOPES)
        self.tokens.adopt(tokens)
        return tokens

    def refresh(self) -> TokenSet:
        return self.tokens.refresh()

    # --- listings, stock and prices (listings.py) -------------------------------

    def remember(self, refs: Iterable[ListingRef]) -> None:
        """Seed the offer cache from stored refs, so pushes need no look-ups."""
        self.listings.remember(refs)

    def find_listings(self, skus: Sequence[str]) -> Mapping[str, ListingRef]:
        """The SKUs that already have an offer on this marketplace (one getOffers each,
        unless cached), e.g. listed before stockbridge; the others are left out."""
        return self.listings.find_listings(skus)

    def upsert_listings(self, listings: Sequence[ListingPayload]) -> Sequence[ListingRef]:
        return self.listings.upsert_listings(listings)

    def publish(self, sku: str) -> ListingRef:
        return self.listings.publish(sku)

    def unpublish(self, sku: str) -> None:
        self.listings.unpublish(sku)

    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult:
        return self.listings.set_quantities(levels)

    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult:
        return self.listings.set_prices(prices)

    def read_offers(self, skus: Sequence[str]) -> ReadBack:
        """Quantities and prices as eBay shows them (bulkGetInventoryItem, then each offer)."""
        return self.listings.read_offers(skus)

    # --- business policies (Sell Account) ---------------------------------------------

    def policies(self) -> dict[str, tuple[AccountPolicy, ...]]:
        """The seller's fulfillment, payment and return policies on this marketplace."""
        found: dict[str, tuple[AccountPolicy, ...]] = {}
        for kind in POLICY_ID_FIELDS:
            body = self.client.json(
                Api.ACCOUNT,
                "GET",
                f"{ACCOUNT}/{kind}_policy",
                params={"marketplace_id": self.marketplace_id},
            )
            entries = body.get(f"{kind}Policies") or []
            found[kind] = tuple(AccountPolicy.parse(kind, entry) for entry in entries)
        return found

    # --- orders, shipping, refunds (fulfillment.py) -------------------------------

    def orders_since(self, cursor: str | None, since: datetime) -> Iterator[OrderPage]:
        return self.fulfillment.orders_since(cursor, since)

    def get_order(self, external_id: str) -> NormalizedOrder:
        return self.fulfillment.get_order(external_id)

    def fulfil(self, fulfilment: Fulfilment) -> str:
        return self.fulfillment.fulfil(fulfilment)

    def refund(self, refund: Refund) -> str:
        return self.fulfillment.refund(refund)

    def cancel(self, order_external_id: str, reason: str) -> None:
        raise _not_offered("order cancellation")

    def returns_since(self, since: datetime) -> Iterator[NormalizedReturn]:
        raise _not_offered("returns")

    def decide_return(self, external_id: str, decision: ReturnDecision) -> None:
        raise _not_offered("returns")

    # --- notifications (notifications.py, webhooks.py) ----------------------------

    def register_webhooks(self, callback_url: str) -> Sequence[str]:
        return notifications.register(
            self.app_client,
            self.client,
            self._credentials.notification_endpoint or callback_url,
            self._credentials.verification_token,
            self._credentials.alert_email,
        )

    def _public_key(self, kid: str) -> str:
        path = f"{NOTIFICATION}/public_key/{quote(kid, safe='')}"
        body = self.app_client.json(Api.NOTIFICATION, "GET", path)
        return str(body.get("key") or "")

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent | WebhookChallenge:
        return parse_notification(
            request,
            self._public_keys,
            self._credentials.verification_token,
            self._credentials.notification_endpoint or None,
        )


class EbayProvider:
    """eBay's facts; ``connect`` makes an adapter for one shop."""

    key = "ebay"
    display_name = "eBay"
    capabilities = CAPABILITIES
    credentials_schema: type[BaseModel] = EbayCredentials

    def connect(self, connection: ChannelConnection) -> EbayAdapter:
        return EbayAdapter(connection)


provider = EbayProvider()
