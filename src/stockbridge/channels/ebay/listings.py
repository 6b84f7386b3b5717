"""Listings, stock and prices on eBay: the Sell Inventory calls and each SKU's offer.

What it owns: the order of eBay calls behind each listing method (inventory item, then
offer, then publish; bulk calls in eBay's chunks of 25) and a cache of each SKU's offer,
because bulkUpdatePriceQuantity needs the offer id. The cache is filled by
``upsert_listings``/``publish``, by a by-SKU ``getOffers`` look-up the first time a SKU
is pushed, or in one go by :meth:`EbayListings.remember` from stored refs (the push
seeds it from what the listings job recorded on each publication).
``ListingRef.external_id`` is the offer id (stable per SKU and marketplace); the listing
id, once published, is in ``refs["listing_id"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from stockbridge.channels.base import (
    ListingPayload,
    ListingRef,
    MarketplaceOffer,
    PriceUpdate,
    PushResult,
    ReadBack,
    StockLevel,
)
from stockbridge.channels.ebay import mapping
from stockbridge.channels.ebay.client import Api, EbayClient
from stockbridge.channels.ebay.schemas import (
    EntryOutcome,
    OfferState,
    OfferSummary,
    bulk_outcomes,
    item_quantities,
    offers_of,
)
from stockbridge.errors import ChannelError, ChannelErrorCategory

INVENTORY = "/sell/inventory/v1"
#: Entries per bulk Inventory call (MARKETPLACE-NOTES.md).
BULK_LIMIT = 25
#: eBay's "this offer is not available": withdrawing an offer that is not live, or an
#: offer id that does not exist (any more).
OFFER_NOT_AVAILABLE = "25713"

#: One SKU's change (a quantity or a price), and how its bulk request is made from its
#: offer (None: it cannot be sent).
_Entry = StockLevel | PriceUpdate
_Build = Callable[[_Entry, OfferSummary | None], dict[str, Any] | None]


def chunks(values: Sequence[Any], size: int = BULK_LIMIT) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _last_per_sku(values: Iterable[Any]) -> list[Any]:
    """One entry per SKU, the last one given winning (a batch may repeat a SKU)."""
    return list({value.sku: value for value in values}.values())


class EbayListings:
    """One seller's offers on one marketplace; see the module docstring for the cache."""

    def __init__(
        self,
        client: EbayClient,
        defaults: mapping.OfferDefaults,
        environment_name: str,
    ) -> None:
        self.client = client
        self.marketplace_id = defaults.marketplace_id
        self._defaults = defaults
        self._environment_name = environment_name
        self._offers: dict[str, OfferSummary | None] = {}

    # --- offers by SKU --------------------------------------------------------------

    def remember(self, refs: Iterable[ListingRef]) -> None:
        """Seed the offer cache from stored refs (``refs["offer_id"]``, else the ref's
        ``external_id``, which is the offer id), so pushes need no look-ups."""
        for ref in refs:
            offer_id = ref.refs.get("offer_id") or ref.external_id
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
        return self._look_up_offer(sku)

    def _look_up_offer(self, sku: str) -> OfferSummary | None:
        """One getOffers by SKU; its offer on this marketplace is cached (None too)."""
        body = self._offers_by_sku(sku)
        found = next((o for o in offers_of(body) if o.marketplace_id == self.marketplace_id), None)
        self._offers[sku] = found
        return found

    def _offers_by_sku(self, sku: str) -> dict[str, Any]:
        try:
            return self.client.json(
                Api.INVENTORY,
                "GET",
                f"{INVENTORY}/offer",
                params={"sku": sku, "marketplace_id": self.marketplace_id, "format": "FIXED_PRICE"},
            )
        except ChannelError as error:
            if error.category is not ChannelErrorCategory.NOT_FOUND:
                raise
            return {}

    def _offer_state(self, sku: str) -> OfferState | None:
        """The SKU's offer as eBay holds it now: getOffer by the cached id, or getOffers
        by SKU when no id is known (which fills the cache); one call either way."""
        known = self._offers.get(sku)
        if known is not None:
            try:
                path = f"{INVENTORY}/offer/{quote(known.offer_id, safe='')}"
                state = OfferState.parse(self.client.json(Api.INVENTORY, "GET", path))
            except ChannelError as error:
                if error.category is not ChannelErrorCategory.NOT_FOUND:
                    raise
                self._offers.pop(sku, None)  # deleted on eBay: look it up by SKU
            else:
                self._offers[sku] = state.summary
                return state
        bodies = (self._offers_by_sku(sku).get("offers")) or []
        states = [OfferState.parse(body) for body in bodies]
        found = next((s for s in states if s.summary.marketplace_id == self.marketplace_id), None)
        self._offers[sku] = found.summary if found else None
        return found

    def _ref(self, offer: OfferSummary) -> ListingRef:
        refs = {"offer_id": offer.offer_id}
        if offer.listing_id:
            refs["listing_id"] = offer.listing_id
        url = None
        if offer.listing_id and offer.published and self._environment_name == "production":
            url = f"https://www.ebay.com/itm/{offer.listing_id}"
        return ListingRef(
            sku=offer.sku,
            external_id=offer.offer_id,
            published=offer.published,
            url=url,
            refs=refs,
        )

    def find_listings(self, skus: Sequence[str]) -> dict[str, ListingRef]:
        """The SKUs that already have an offer here (one getOffers each, unless cached)."""
        return {sku: self._ref(offer) for sku in skus if (offer := self._offer_for(sku))}

    # --- listings -------------------------------------------------------------------

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

    def _push(
        self, requests: list[tuple[str, dict[str, Any]]]
    ) -> tuple[list[str], dict[str, EntryOutcome | None]]:
        """bulkUpdatePriceQuantity in chunks; per SKU, accepted when all its entries are,
        else refused with its first failed entry (None: the answer did not name it)."""
        accepted: list[str] = []
        refused: dict[str, EntryOutcome | None] = {}
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
                    refused[sku] = failed
        return accepted, refused

    def _send(self, entries: Sequence[_Entry], build: _Build) -> PushResult:
        """Push ``entries``, each request built from the SKU's offer (``build`` answers
        None: nothing to send, refused). A SKU refused because the offer id it was sent
        with no longer exists (deleted on eBay, maybe re-created under a new id: the
        stored id is stale) is looked up again by SKU and sent once more; the offer found
        is answered in ``found``."""
        before = self.client.calls
        rejected: dict[str, str] = {}
        accepted, refused = self._push(self._requests(entries, build, rejected))
        stale = [entry for entry in entries if _offer_gone(refused.get(entry.sku))]
        found: dict[str, ListingRef] = {}
        if stale:
            for entry in stale:
                del refused[entry.sku]
                self._offers.pop(entry.sku, None)  # forgotten: the next use looks it up
            again, refused_again = self._push(self._requests(stale, build, rejected))
            accepted += again
            refused.update(refused_again)
            found = {e.sku: self._ref(offer) for e in stale if (offer := self._offers.get(e.sku))}
        rejected.update({sku: _reason(outcome) for sku, outcome in refused.items()})
        return PushResult(tuple(accepted), rejected, self.client.calls - before, found)

    def _requests(
        self, entries: Sequence[_Entry], build: _Build, rejected: dict[str, str]
    ) -> list[tuple[str, dict[str, Any]]]:
        requests = []
        for entry in entries:
            request = build(entry, self._offer_for(entry.sku))
            if request is None:
                rejected[entry.sku] = f"no eBay offer on {self.marketplace_id}"
            else:
                requests.append((entry.sku, request))
        return requests

    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult:
        """Absolute quantities on each item and its offer, 25 SKUs a call.

        A SKU without an offer gets its item quantity only. Whole-call failures other
        than a refusal are raised: quantities are absolute, so resending is harmless.
        """

        def build(level: _Entry, offer: OfferSummary | None) -> dict[str, Any]:
            assert isinstance(level, StockLevel)
            return mapping.quantity_request(level, offer.offer_id if offer else None)

        return self._send(_last_per_sku(levels), build)

    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult:
        """Each SKU's offer price, 25 SKUs a call; a SKU without an offer is rejected."""

        def build(update: _Entry, offer: OfferSummary | None) -> dict[str, Any] | None:
            assert isinstance(update, PriceUpdate)
            return mapping.price_request(update, offer.offer_id) if offer else None

        return self._send(_last_per_sku(prices), build)

    # --- reading back -----------------------------------------------------------------

    def read_offers(self, skus: Sequence[str]) -> ReadBack:
        """Each SKU's quantity and price as buyers see them on eBay.

        bulkGetInventoryItem reads the items, 25 a call; then each found SKU's offer is
        read once (eBay has no bulk offer read) for its price and ``availableQuantity``.
        eBay shows the lower of the item's and the offer's quantity, so that is the
        quantity answered. A SKU with an item but no offer has a quantity and no price.
        """
        before = self.client.calls
        wanted = list(dict.fromkeys(skus))
        items: dict[str, int | None] = {}
        for chunk in chunks(wanted):
            body = self.client.json(
                Api.INVENTORY,
                "POST",
                f"{INVENTORY}/bulk_get_inventory_item",
                json={"requests": [{"sku": sku} for sku in chunk]},
            )
            items.update(item_quantities(body))
        offers: dict[str, MarketplaceOffer] = {}
        for sku in wanted:
            if sku not in items:
                continue
            state = self._offer_state(sku)
            quantities = [items[sku], state.available_quantity if state else None]
            shown = [quantity for quantity in quantities if quantity is not None]
            price = state.price if state else None
            offers[sku] = MarketplaceOffer(sku, min(shown) if shown else None, price)
        missing = tuple(sku for sku in wanted if sku not in items)
        return ReadBack(offers, missing, calls=self.client.calls - before)


def _offer_gone(outcome: EntryOutcome | None) -> bool:
    """eBay refused the entry because the offer id it named does not exist."""
    return (
        outcome is not None
        and outcome.offer_id is not None
        and (outcome.error_id == OFFER_NOT_AVAILABLE)
    )


def _reason(outcome: EntryOutcome | None) -> str:
    if outcome is None:
        return "eBay's answer did not mention this SKU"
    return outcome.message or f"status {outcome.status}"
