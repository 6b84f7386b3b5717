"""The eBay adapter: one shop's connection, speaking ``channels.base`` dataclasses.

What it owns: the order of eBay calls behind each protocol method (inventory item, then
offer, then publish; bulk calls in eBay's chunks of 25) and a cache of each SKU's offer,
because bulkUpdatePriceQuantity needs the offer id. The cache is filled by
``upsert_listings``/``publish``, by a by-SKU ``getOffers`` look-up the first time a SKU
is pushed, or in one go by :meth:`EbayAdapter.remember` from stored
``ListingRef.refs["offer_id"]`` values. ``ListingRef.external_id`` is the offer id
(stable per SKU and marketplace); the listing id, once published, is in
``refs["listing_id"]``.

Connection settings read: ``marketplace_id`` (default ``EBAY_GB``),
``merchant_location_key``, ``category_id``, ``policies`` (kind -> id), ``redis_url``,
``timeout_seconds``, ``daily_budgets`` (API -> calls, overriding eBay's defaults).
"""

from __future__ import annotations

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
    Refund,
    ReturnDecision,
    StockLevel,
    TokenSet,
    WebhookChallenge,
    WebhookEvent,
    WebhookRequest,
)
from stockbridge.channels.ebay import mapping
from stockbridge.channels.ebay.auth import (
    SCOPES,
    Clock,
    TokenEndpoint,
    TokenKeeper,
    authorize_url,
    environment_for,
    token_set,
    utc_now,
)
from stockbridge.channels.ebay.client import DEFAULT_TIMEOUT, Api, Budgets, EbayClient
from stockbridge.channels.ebay.schemas import (
    EbayCredentials,
    EntryOutcome,
    OfferSummary,
    bulk_outcomes,
    offers_of,
)
from stockbridge.channels.registry import ChannelConnection
from stockbridge.errors import ChannelError, ChannelErrorCategory

INVENTORY = "/sell/inventory/v1"
#: Entries per bulk Inventory call (MARKETPLACE-NOTES.md).
BULK_LIMIT = 25
#: eBay's "this offer is not available" (withdrawing an offer that is not live).
OFFER_NOT_AVAILABLE = "25713"

CAPABILITIES = Capabilities(
    max_quantities_per_call=BULK_LIMIT,
    max_prices_per_call=BULK_LIMIT,
    max_listings_per_call=BULK_LIMIT,
    pushes_orders=False,  # order notifications are not guaranteed: polling is the backbone
    order_poll_overlap_seconds=300,
)


def chunks(values: Sequence[Any], size: int = BULK_LIMIT) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _last_per_sku(values: Iterable[Any]) -> list[Any]:
    """One entry per SKU, the last one given winning (a batch may repeat a SKU)."""
    return list({value.sku: value for value in values}.values())


def _not_yet(what: str) -> ChannelError:
    return ChannelError(
        f"eBay {what} is not supported by this adapter yet",
        category=ChannelErrorCategory.CRITICAL,
    )


class EbayAdapter:
    """One shop's eBay account; see the module docstring for what it caches."""

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
        self._defaults = mapping.OfferDefaults(
            marketplace_id=self.marketplace_id,
            merchant_location_key=settings.get("merchant_location_key"),
            category_id=settings.get("category_id"),
            policies=settings.get("policies"),
        )
        timeout = settings.get("timeout_seconds")
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(float(timeout)) if timeout else DEFAULT_TIMEOUT
        )
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
        self.client = EbayClient(
            self._http,
            self.environment.api_base,
            self.tokens,
            budgets,
            mapping.language_of(self.marketplace_id),
        )
        self._offers: dict[str, OfferSummary | None] = {}

    def close(self) -> None:
        self._http.close()

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

    # --- offers by SKU --------------------------------------------------------------

    def remember(self, refs: Iterable[ListingRef]) -> None:
        """Seed the offer cache from stored refs, so pushes need no look-ups."""
        for ref in refs:
            offer_id = ref.refs.get("offer_id")
            if offer_id:
                self._offers[ref.sku] = OfferSummary(
                    offer_id=offer_id,
                    sku=ref.sku,
                    marketplace_id=self.marketplace_id,
                    status="PUBLISHED" if ref.published else "UNPUBLISHED",
                    listing_id=ref.refs.get("listing_id"),
                    listing_status=None,
                )

    def _offer_for(self, sku: str) -> OfferSummary | None:
        """The SKU's offer on this marketplace (cached), or None when it has none."""
        if sku in self._offers:
            return self._offers[sku]
        try:
            body = self.client.json(
                Api.INVENTORY,
                "GET",
                f"{INVENTORY}/offer",
                params={"sku": sku, "marketplace_id": self.marketplace_id, "format": "FIXED_PRICE"},
            )
        except ChannelError as error:
            if error.category is not ChannelErrorCategory.NOT_FOUND:
                raise
            body = {}
        found = next((o for o in offers_of(body) if o.marketplace_id == self.marketplace_id), None)
        self._offers[sku] = found
        return found

    def _ref(self, offer: OfferSummary) -> ListingRef:
        refs = {"offer_id": offer.offer_id}
        if offer.listing_id:
            refs["listing_id"] = offer.listing_id
        url = None
        if offer.listing_id and offer.published and self.environment.name == "production":
            url = f"https://www.ebay.com/itm/{offer.listing_id}"
        return ListingRef(
            sku=offer.sku,
            external_id=offer.offer_id,
            published=offer.published,
            url=url,
            refs=refs,
        )

    # --- listings -------------------------------------------------------------------

    def find_listings(self, skus: Sequence[str]) -> Mapping[str, ListingRef]:
        """The SKUs that already have an offer on this marketplace (one getOffers each,
        unless cached), e.g. listed before stockbridge; the others are left out."""
        return {sku: self._ref(offer) for sku in skus if (offer := self._offer_for(sku))}

    def upsert_listings(self, listings: Sequence[ListingPayload]) -> Sequence[ListingRef]:
        """Items in bulk (each replaced whole), then each SKU's offer created or updated.

        A SKU eBay refuses does not stop the others; once all are sent, the refused
        ones are raised together (VALIDATION, ``extra["rejected"]``: SKU -> reason).
        Upserts are keyed by SKU, so sending the batch again is harmless.
        """
        wanted = _last_per_sku(listings)
        rejected: dict[str, str] = {}
        locale = mapping.language_of(self.marketplace_id).replace("-", "_")
        stored: list[ListingPayload] = []
        for chunk in chunks(wanted):
            body = self.client.json(
                Api.INVENTORY,
                "POST",
                f"{INVENTORY}/bulk_create_or_replace_inventory_item",
                json={"requests": [mapping.inventory_item(item, locale) for item in chunk]},
            )
            outcomes = {outcome.sku: outcome for outcome in bulk_outcomes(body)}
            for listing in chunk:
                outcome = outcomes.get(listing.sku)
                if outcome is not None and outcome.ok:
                    stored.append(listing)
                else:
                    rejected[listing.sku] = _reason(outcome)
        self._upsert_offers(stored, rejected)
        if rejected:
            raise ChannelError(
                f"eBay refused {len(rejected)} of {len(wanted)} listings: "
                + "; ".join(f"{sku}: {why}" for sku, why in sorted(rejected.items())),
                category=ChannelErrorCategory.VALIDATION,
                rejected=rejected,
            )
        return [self._ref(offer) for item in wanted if (offer := self._offers.get(item.sku))]

    def _upsert_offers(self, listings: Sequence[ListingPayload], rejected: dict[str, str]) -> None:
        """Update the offers we know; create the others in bulk.

        A SKU this adapter has not seen is created without a look-up first: eBay
        refuses a twin with error 25002 naming the existing ``offerId``, which is then
        updated instead. So a new catalogue costs two bulk calls per 25 SKUs.
        """
        to_create: list[ListingPayload] = []
        for listing in listings:
            known = self._offers.get(listing.sku)
            if known is None:
                to_create.append(listing)
            else:
                self._update_offer(known.offer_id, listing)
        for chunk in chunks(to_create):
            body = self.client.json(
                Api.INVENTORY,
                "POST",
                f"{INVENTORY}/bulk_create_offer",
                json={"requests": [mapping.offer(item, self._defaults) for item in chunk]},
            )
            outcomes = {outcome.sku: outcome for outcome in bulk_outcomes(body)}
            for listing in chunk:
                outcome = outcomes.get(listing.sku)
                if outcome is not None and outcome.ok and outcome.offer_id:
                    self._offers[listing.sku] = self._new_offer(outcome.offer_id, listing.sku)
                elif outcome is not None and outcome.parameters.get("offerId"):
                    # A twin: read the existing offer (its listing too), then update it.
                    self._offers.pop(listing.sku, None)
                    twin = self._offer_for(listing.sku)
                    if twin is None:
                        twin = self._new_offer(outcome.parameters["offerId"], listing.sku)
                        self._offers[listing.sku] = twin
                    self._update_offer(twin.offer_id, listing)
                else:
                    rejected[listing.sku] = _reason(outcome)

    def _new_offer(self, offer_id: str, sku: str) -> OfferSummary:
        return OfferSummary(offer_id, sku, self.marketplace_id, "UNPUBLISHED", None, None)

    def _update_offer(self, offer_id: str, listing: ListingPayload) -> None:
        self.client.request(
            Api.INVENTORY,
            "PUT",
            f"{INVENTORY}/offer/{quote(offer_id, safe='')}",
            json=mapping.update_offer(listing, self._defaults),
        )

    def _require_offer(self, sku: str) -> OfferSummary:
        offer = self._offer_for(sku)
        if offer is None:
            raise ChannelError(
                f"SKU {sku} has no eBay offer on {self.marketplace_id}: upsert it first",
                category=ChannelErrorCategory.NOT_FOUND,
            )
        return offer

    def publish(self, sku: str) -> ListingRef:
        offer = self._require_offer(sku)
        body = self.client.json(
            Api.INVENTORY, "POST", f"{INVENTORY}/offer/{quote(offer.offer_id, safe='')}/publish"
        )
        listing_id = str(body.get("listingId") or offer.listing_id or "")
        published = OfferSummary(
            offer.offer_id, sku, self.marketplace_id, "PUBLISHED", listing_id or None, "ACTIVE"
        )
        self._offers[sku] = published
        return self._ref(published)

    def unpublish(self, sku: str) -> None:
        """Withdraw the offer (ends the listing); a SKU not listed is left as it is."""
        offer = self._offer_for(sku)
        if offer is None:
            return
        try:
            self.client.request(
                Api.INVENTORY,
                "POST",
                f"{INVENTORY}/offer/{quote(offer.offer_id, safe='')}/withdraw",
            )
        except ChannelError as error:
            if error.code != OFFER_NOT_AVAILABLE or error.http_status != 400:
                raise
        self._offers[sku] = OfferSummary(
            offer.offer_id, sku, self.marketplace_id, "UNPUBLISHED", offer.listing_id, "ENDED"
        )

    # --- stock and prices -----------------------------------------------------------

    def _push(self, requests: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], dict[str, str]]:
        """bulkUpdatePriceQuantity in chunks; per SKU, accepted when all its entries are."""
        accepted: list[str] = []
        rejected: dict[str, str] = {}
        for chunk in chunks(requests):
            body = self.client.json(
                Api.INVENTORY,
                "POST",
                f"{INVENTORY}/bulk_update_price_quantity",
                json={"requests": [request for _, request in chunk]},
            )
            by_sku: dict[str, list[EntryOutcome]] = {}
            for outcome in bulk_outcomes(body):
                by_sku.setdefault(outcome.sku, []).append(outcome)
            for sku, _ in chunk:
                outcomes = by_sku.get(sku, [])
                failed = next((o for o in outcomes if not o.ok), None)
                if outcomes and failed is None:
                    accepted.append(sku)
                else:
                    rejected[sku] = _reason(failed)
        return accepted, rejected

    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult:
        """Absolute quantities on each item and its offer, 25 SKUs a call.

        A SKU without an offer gets its item quantity only. Whole-call failures other
        than a refusal are raised: quantities are absolute, so resending is harmless.
        """
        before = self.client.calls
        wanted = _last_per_sku(levels)
        requests = []
        for level in wanted:
            offer = self._offer_for(level.sku)
            requests.append(
                (level.sku, mapping.quantity_request(level, offer.offer_id if offer else None))
            )
        accepted, rejected = self._push(requests)
        return PushResult(tuple(accepted), rejected, calls=self.client.calls - before)

    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult:
        """Each SKU's offer price, 25 SKUs a call; a SKU without an offer is rejected."""
        before = self.client.calls
        rejected: dict[str, str] = {}
        requests = []
        for update in _last_per_sku(prices):
            offer = self._offer_for(update.sku)
            if offer is None:
                rejected[update.sku] = f"no eBay offer on {self.marketplace_id}"
            else:
                requests.append((update.sku, mapping.price_request(update, offer.offer_id)))
        accepted, refused = self._push(requests)
        return PushResult(tuple(accepted), {**rejected, **refused}, self.client.calls - before)

    # --- orders, returns, webhooks (wait for the sandbox's Fulfillment and Notification)

    def orders_since(self, cursor: str | None, since: datetime) -> Iterator[OrderPage]:
        raise _not_yet("order import")

    def get_order(self, external_id: str) -> NormalizedOrder:
        raise _not_yet("order import")

    def fulfil(self, fulfilment: Fulfilment) -> str:
        raise _not_yet("fulfilment")

    def cancel(self, order_external_id: str, reason: str) -> None:
        raise _not_yet("order cancellation")

    def refund(self, refund: Refund) -> str:
        raise _not_yet("refunds")

    def returns_since(self, since: datetime) -> Iterator[NormalizedReturn]:
        raise _not_yet("returns")

    def decide_return(self, external_id: str, decision: ReturnDecision) -> None:
        raise _not_yet("returns")

    def register_webhooks(self, callback_url: str) -> Sequence[str]:
        raise _not_yet("notification registration")

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent | WebhookChallenge:
        raise _not_yet("notification verification")


def _reason(outcome: EntryOutcome | None) -> str:
    if outcome is None:
        return "eBay's answer did not mention this SKU"
    return outcome.message or f"status {outcome.status}"


class EbayProvider:
    """eBay's facts; ``connect`` makes an adapter for one shop."""

    key = "ebay"
    display_name = "eBay"
    capabilities = CAPABILITIES
    credentials_schema: type[BaseModel] = EbayCredentials

    def connect(self, connection: ChannelConnection) -> EbayAdapter:
        return EbayAdapter(connection)


provider = EbayProvider()
