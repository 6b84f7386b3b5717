"""The Shopify adapter (one shop's :class:`ChannelAdapter`) and the Shopify provider.

The adapter wires the parts of this package together for one
:class:`ChannelConnection`: ``auth`` for the install flow, ``client`` for GraphQL with
pacing, ``skus`` for SKU look-ups, ``mapping`` for listings, ``stock`` for quantity and
price pushes, ``order_import`` and ``order_changes`` for orders and returns,
``webhooks`` for subscriptions and verifying deliveries. What it learns
about the shop (currency, the location stock is set at, the variants of SKUs) it keeps
for the life of the connection only.

Connection settings read: ``location_id`` (else the first active location that fulfils
online orders), ``redis_url`` (shared pacing), ``timeout_seconds``, ``scopes``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel

from stockbridge.channels import pacing
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
from stockbridge.channels.registry import ChannelConnection
from stockbridge.channels.shopify import auth, webhooks
from stockbridge.channels.shopify.client import (
    INITIAL_MAXIMUM,
    INITIAL_RESTORE_RATE,
    ShopifyGraphQLClient,
    error_from_user_errors,
    timeout_of,
)
from stockbridge.channels.shopify.documents import (
    PRODUCT_SET,
    PRODUCT_STATUS_SET,
    SHOP_AND_LOCATIONS,
)
from stockbridge.channels.shopify.mapping import (
    price_text,
    product_identifier,
    product_set_input,
)
from stockbridge.channels.shopify.order_changes import OrderChanges
from stockbridge.channels.shopify.order_import import OrderReader
from stockbridge.channels.shopify.schemas import (
    ShopifyCredentials,
    ShopSetup,
    VariantRef,
    location_from_node,
    variant_from_node,
)
from stockbridge.channels.shopify.skus import SkuIndex
from stockbridge.channels.shopify.stock import MAX_PRICES, MAX_QUANTITIES, StockPusher
from stockbridge.errors import ChannelError, ChannelErrorCategory

LOCATIONS_PAGE = 50

CAPABILITIES = Capabilities(
    max_quantities_per_call=MAX_QUANTITIES,
    max_prices_per_call=MAX_PRICES,
    max_listings_per_call=1,
    pushes_orders=True,
)


_buckets: dict[tuple[str, str], pacing.CostBucket] = {}
_buckets_lock = threading.Lock()


def shop_bucket(shop: str, token: str, settings: Mapping[str, Any]) -> pacing.CostBucket:
    """The cost bucket of one shop and app token, shared by every connection in the process.

    Shopify keeps one bucket per app and shop, so two adapters for the same shop (two
    jobs in one worker) must spend from one bucket too; with ``redis_url`` every worker
    shares it through Redis.
    """
    redis_url = settings.get("redis_url")
    token_key = hashlib.sha256(token.encode()).hexdigest()[:16]
    name = f"shopify:{shop}:{token_key}"
    if redis_url:
        return pacing.cost_bucket(name, INITIAL_MAXIMUM, INITIAL_RESTORE_RATE, str(redis_url))
    with _buckets_lock:
        bucket = _buckets.get((shop, token_key))
        if bucket is None:
            bucket = pacing.cost_bucket(name, INITIAL_MAXIMUM, INITIAL_RESTORE_RATE, None)
            _buckets[(shop, token_key)] = bucket
        return bucket


class ShopifyAdapter:
    """One shop's connection to Shopify's Admin GraphQL API."""

    capabilities = CAPABILITIES

    def __init__(self, connection: ChannelConnection, http: httpx.Client | None = None) -> None:
        self._connection = connection
        self._settings = connection.settings
        self._timeout = timeout_of(connection.settings)
        self._given_http = http
        self._made_http: httpx.Client | None = None
        self._http_lock = threading.Lock()
        self._lock = threading.Lock()
        self._client: ShopifyGraphQLClient | None = None
        self._setup: ShopSetup | None = None
        self._index: SkuIndex | None = None

    # --- plumbing ---------------------------------------------------------------------

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client, made on first use: building one loads the TLS trust store
        (tens of milliseconds), which a webhook's signature check never needs."""
        if self._given_http is not None:
            return self._given_http
        with self._http_lock:
            if self._made_http is None:
                self._made_http = httpx.Client(timeout=self._timeout)
            return self._made_http

    @property
    def base_url(self) -> str:
        return self._connection.base_url.rstrip("/")

    def _credential(self, name: str) -> str:
        value = self._connection.credentials.get(name)
        if not value:
            raise ChannelError(
                f"the Shopify connection has no {name}",
                category=ChannelErrorCategory.AUTH_FAILED,
                field=name,
            )
        return str(value)

    def _access_token(self) -> str:
        tokens = self._connection.tokens
        if tokens is not None and tokens.access_token:
            return tokens.access_token
        return self._credential("access_token")

    @property
    def client(self) -> ShopifyGraphQLClient:
        with self._lock:
            if self._client is None:
                bucket = shop_bucket(
                    auth.shop_host(self.base_url), self._access_token(), self._settings
                )
                self._client = ShopifyGraphQLClient(
                    self.base_url,
                    self._access_token(),
                    bucket=bucket,
                    timeout=self._timeout,
                    http=self._http,
                )
            return self._client

    def setup(self) -> ShopSetup:
        """The shop's identity, currency and stock location; read once per connection."""
        if self._setup is not None:
            return self._setup
        wanted = self._settings.get("location_id")
        after: str | None = None
        chosen: str | None = str(wanted) if wanted else None
        while True:
            variables = {"first": LOCATIONS_PAGE, "after": after}
            data = self.client.execute(SHOP_AND_LOCATIONS, variables)
            page = data["locations"]
            if chosen is None:
                for location in map(location_from_node, page["nodes"]):
                    if location.active and location.fulfills_online_orders:
                        chosen = location.id
                        break
            if chosen is not None or not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        if chosen is None:
            raise ChannelError(
                "the shop has no active location that fulfils online orders",
                category=ChannelErrorCategory.VALIDATION,
                field="location_id",
            )
        shop = data["shop"]
        self._setup = ShopSetup(
            shop_id=str(shop["id"]),
            name=str(shop["name"]),
            domain=str(shop["myshopifyDomain"]),
            currency=str(shop["currencyCode"]),
            location_id=chosen,
        )
        return self._setup

    @property
    def skus(self) -> SkuIndex:
        if self._index is None:
            self._index = SkuIndex(self.client, self.setup().location_id)
        return self._index

    def _stock(self) -> StockPusher:
        setup = self.setup()
        return StockPusher(self.client, self.skus, setup.location_id, setup.currency)

    # --- connecting -------------------------------------------------------------------

    def test_connection(self) -> ConnectionInfo:
        setup = self.setup()
        return ConnectionInfo(
            account_id=setup.shop_id,
            account_name=setup.name,
            currency=setup.currency,
            details={"domain": setup.domain, "location_id": setup.location_id},
        )

    def start_oauth(self, redirect_uri: str, state: str) -> OAuthStart:
        scopes = self._settings.get("scopes") or auth.DEFAULT_SCOPES
        return auth.authorize_url(
            self.base_url, self._credential("client_id"), tuple(scopes), redirect_uri, state
        )

    def exchange_code(self, query: Mapping[str, str], redirect_uri: str) -> TokenSet:
        """The callback's hmac and shop verified (its ``state`` the caller has checked),
        then the code traded for the shop's token."""
        code = auth.verify_callback(
            query, client_secret=self._credential("client_secret"), base_url=self.base_url
        )
        return auth.exchange_code(
            self._http,
            self.base_url,
            client_id=self._credential("client_id"),
            client_secret=self._credential("client_secret"),
            code=code,
            timeout=self._timeout,
        )

    def refresh(self) -> TokenSet:
        """Shopify's offline and custom-app tokens do not expire: the current one stands."""
        return self._connection.tokens or TokenSet(access_token=self._access_token())

    # --- listings, stock and prices ----------------------------------------------------

    def find_listings(self, skus: Sequence[str]) -> Mapping[str, ListingRef]:
        """The SKUs some variant of the shop already has (batched look-ups), e.g. made
        in the shop's own admin; the others are left out."""
        return {sku: _listing_ref(ref) for sku, ref in self.skus.resolve(skus).items()}

    def upsert_listings(self, listings: Sequence[ListingPayload]) -> Sequence[ListingRef]:
        setup = self.setup()
        known = self.skus.resolve([listing.sku for listing in listings])
        refs: list[ListingRef] = []
        restock: list[StockLevel] = []
        reprice: list[PriceUpdate] = []
        for listing in listings:
            existing = known.get(listing.sku)
            if existing is not None and existing.product_variants > 1:
                # A shop's own product of several variants: productSet would delete the
                # others, so only this variant's stock and (changed) price are pushed.
                if existing.price != price_text(listing.price, setup.currency):
                    reprice.append(PriceUpdate(listing.sku, listing.price))
                ref = existing
            else:
                ref = self._product_set(listing, existing, setup)
            if existing is not None:
                restock.append(StockLevel(listing.sku, listing.quantity))
            refs.append(_listing_ref(ref))
        if restock:
            self._raise_rejected(self._stock().set_quantities(restock))
        if reprice:
            self._raise_rejected(self._stock().set_prices(reprice))
        return refs

    def _product_set(
        self, listing: ListingPayload, existing: VariantRef | None, setup: ShopSetup
    ) -> VariantRef:
        payload = product_set_input(
            listing,
            existing=existing,
            location_id=setup.location_id,
            shop_currency=setup.currency,
        )
        data = self.client.execute(
            PRODUCT_SET,
            {"identifier": product_identifier(listing, existing), "input": payload},
        )
        result = data["productSet"]
        if result["userErrors"]:
            raise error_from_user_errors("productSet", result["userErrors"])
        product = result["product"]
        variant = next(v for v in product["variants"]["nodes"] if v["sku"] == listing.sku)
        ref = variant_from_node(
            {
                **variant,
                "price": payload["variants"][0]["price"],
                "product": {
                    "id": product["id"],
                    "handle": product["handle"],
                    "status": product["status"],
                    "tags": payload["tags"],
                    "variantsCount": {"count": len(product["variants"]["nodes"])},
                },
                "inventoryItem": {
                    "id": variant["inventoryItem"]["id"],
                    "inventoryLevel": {
                        "quantities": [{"name": "available", "quantity": max(0, listing.quantity)}]
                    },
                },
            }
        )
        if existing is None:
            self.skus.remember(ref)
        else:  # the count stays what it was until the quantity push below
            self.skus.remember(replace(ref, available=existing.available))
        return ref

    @staticmethod
    def _raise_rejected(result: PushResult) -> None:
        if result.rejected:
            sku, reason = next(iter(result.rejected.items()))
            raise ChannelError(
                f"Shopify refused {sku}: {reason}",
                category=ChannelErrorCategory.VALIDATION,
                rejected=dict(result.rejected),
            )

    def _set_status(self, sku: str, status: str) -> VariantRef:
        ref = self.skus.resolve([sku]).get(sku)
        if ref is None:
            raise ChannelError(
                f"no Shopify variant has SKU {sku!r}", category=ChannelErrorCategory.NOT_FOUND
            )
        data = self.client.execute(
            PRODUCT_STATUS_SET,
            {"identifier": {"id": ref.product_id}, "input": {"status": status}},
        )
        result = data["productSet"]
        if result["userErrors"]:
            self.skus.forget(sku)
            raise error_from_user_errors("productSet", result["userErrors"])
        updated = replace(ref, status=result["product"]["status"])
        self.skus.remember(updated)
        return updated

    def publish(self, sku: str) -> ListingRef:
        return _listing_ref(self._set_status(sku, "ACTIVE"))

    def unpublish(self, sku: str) -> None:
        self._set_status(sku, "DRAFT")

    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult:
        before = self.client.calls
        result = self._stock().set_quantities(levels)
        return replace(result, calls=self.client.calls - before)  # the shop set-up counts too

    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult:
        before = self.client.calls
        result = self._stock().set_prices(prices)
        return replace(result, calls=self.client.calls - before)

    def read_offers(self, skus: Sequence[str]) -> ReadBack:
        """Price and ``available`` at our location, 100 variants a query (fresh look-ups)."""
        before = self.client.calls
        result = self._stock().read_offers(skus)
        return replace(result, calls=self.client.calls - before)

    # --- orders and returns -----------------------------------------------------------

    @property
    def _orders(self) -> OrderReader:
        return OrderReader(self.client, CAPABILITIES.order_poll_overlap_seconds)

    @property
    def _changes(self) -> OrderChanges:
        return OrderChanges(self.client)

    def orders_since(self, cursor: str | None, since: datetime) -> Iterator[OrderPage]:
        return self._orders.orders_since(cursor, since)

    def get_order(self, external_id: str) -> NormalizedOrder:
        return self._orders.get_order(external_id)

    def fulfil(self, fulfilment: Fulfilment) -> str:
        return self._changes.fulfil(fulfilment)

    def cancel(self, order_external_id: str, reason: str) -> None:
        self._changes.cancel(order_external_id, reason)

    def refund(self, refund: Refund) -> str:
        return self._changes.refund(refund)

    def returns_since(self, since: datetime) -> Iterator[NormalizedReturn]:
        return self._orders.returns_since(since)

    def decide_return(self, external_id: str, decision: ReturnDecision) -> None:
        self._changes.decide_return(external_id, decision)

    # --- webhooks -----------------------------------------------------------------------

    def register_webhooks(self, callback_url: str) -> Sequence[str]:
        return webhooks.ensure_subscriptions(self.client, callback_url)

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent | WebhookChallenge:
        return webhooks.parse_delivery(request, self._credential("client_secret"))


def _listing_ref(ref: VariantRef) -> ListingRef:
    return ListingRef(
        sku=ref.sku,
        external_id=ref.product_id,
        published=ref.published,
        refs={
            "variant_id": ref.variant_id,
            "inventory_item_id": ref.inventory_item_id,
            "handle": ref.handle,
        },
    )


class ShopifyProvider:
    """Shopify's facts, the same for every shop; ``connect`` makes one shop's adapter."""

    key = "shopify"
    display_name = "Shopify"
    capabilities = CAPABILITIES
    credentials_schema: type[BaseModel] = ShopifyCredentials

    def connect(self, connection: ChannelConnection) -> ShopifyAdapter:
        return ShopifyAdapter(connection)


provider = ShopifyProvider()
