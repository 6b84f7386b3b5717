"""Stock and price pushes: ``inventorySetQuantities`` and ``productVariantsBulkUpdate`` in bulk.

Quantities are set absolutely (the store is the source of truth) at the connection's
location, up to :data:`MAX_QUANTITIES` per call, with ``compareQuantity`` = the
``available`` count last read. Shopify refuses a whole call if any entry fails, naming
the entry by index in ``field``; so entries Shopify will never take (not stocked at the
location, unknown item) are set aside as rejected and the rest is sent again, and a
stale compare (a sale on Shopify since the read) makes us re-read that batch's counts
and send it again. Every call re-asserts every quantity it is given, unchanged or not:
a diff-based push that never re-sends a zero oversells after a lost update.

Prices go per product (``productVariantsBulkUpdate`` takes one product's variants), up
to :data:`MAX_PRICES` variants a call; Shopify applies a call all-or-nothing, so a
refused call rejects the SKUs it carried and the other calls still land.

Reading back (for reconciliation) is the SKU index's own look-up, forced fresh: one
``productVariants`` query per :data:`~.skus.LOOKUP_BATCH` SKUs answers each variant's
price and ``available`` count at our location, and leaves the index holding the counts
the following ``inventorySetQuantities`` compares against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from stockbridge.channels.base import (
    MarketplaceOffer,
    Money,
    PriceUpdate,
    PushResult,
    ReadBack,
    StockLevel,
)
from stockbridge.channels.shopify.client import ShopifyGraphQLClient, error_from_user_errors
from stockbridge.channels.shopify.documents import INVENTORY_SET_QUANTITIES, VARIANT_PRICES_UPDATE
from stockbridge.channels.shopify.mapping import price_text
from stockbridge.channels.shopify.schemas import VariantRef
from stockbridge.channels.shopify.skus import SkuIndex
from stockbridge.errors import ChannelError, ChannelErrorCategory, InvalidInput
from stockbridge.money import to_minor_units

#: Shopify caps every array argument at 250 items.
MAX_QUANTITIES = 250
MAX_PRICES = 250
#: Re-reads after a stale compare before the batch is given up as contended.
STALE_RETRIES = 3
REASON = "correction"
UNKNOWN_SKU = "no variant with this SKU in the shop"
NOT_STOCKED = "not stocked at the connection's location"


def _entry_index(user_error: Mapping[str, Any]) -> int | None:
    """``["input", "quantities", "3", "quantity"]`` -> 3; None for a call-wide error."""
    path = list(user_error.get("field") or [])
    for position, part in enumerate(path[:-1]):
        if part in ("quantities", "variants") and str(path[position + 1]).isdigit():
            return int(path[position + 1])
    return None


class StockPusher:
    """Pushes quantities and prices for one shop location."""

    def __init__(
        self, client: ShopifyGraphQLClient, index: SkuIndex, location_id: str, currency: str
    ) -> None:
        self._client, self._index = client, index
        self._location_id, self._currency = location_id, currency

    def set_quantities(self, levels: Sequence[StockLevel]) -> PushResult:
        calls_before = self._client.calls
        wanted = {level.sku: max(0, level.quantity) for level in levels}  # last one wins
        refs = self._index.resolve(list(wanted))
        rejected: dict[str, str] = {}
        sendable: list[str] = []
        for sku in wanted:
            ref = refs.get(sku)
            if ref is None:
                rejected[sku] = UNKNOWN_SKU
            elif ref.available is None:
                rejected[sku] = NOT_STOCKED
            else:
                sendable.append(sku)
        accepted: list[str] = []
        for start in range(0, len(sendable), MAX_QUANTITIES):
            batch = sendable[start : start + MAX_QUANTITIES]
            done, refused = self._push_batch(batch, wanted, refs)
            accepted += done
            rejected.update(refused)
        return PushResult(
            accepted=tuple(accepted),
            rejected=rejected,
            calls=self._client.calls - calls_before,
        )

    def _push_batch(
        self, batch: list[str], wanted: Mapping[str, int], refs: dict[str, VariantRef]
    ) -> tuple[list[str], dict[str, str]]:
        refused: dict[str, str] = {}
        stale_reads = 0
        while batch:
            errors = self._send(batch, wanted, refs)
            if not errors:
                for sku in batch:
                    self._index.set_available(sku, wanted[sku])
                return batch, refused
            stale = [e for e in errors if e.get("code") == "COMPARE_QUANTITY_STALE"]
            others = [e for e in errors if e not in stale]
            for error in others:
                position = _entry_index(error)
                if position is None or position >= len(batch):
                    raise error_from_user_errors("inventorySetQuantities", others)
                refused[batch[position]] = str(error.get("message") or error.get("code"))
            if others:
                batch = [sku for sku in batch if sku not in refused]
                continue
            stale_reads += 1
            if stale_reads > STALE_RETRIES:
                raise error_from_user_errors("inventorySetQuantities", stale)
            refs.update(self._index.resolve(batch, refresh=True))
            for sku in [s for s in batch if s not in refs or refs[s].available is None]:
                refused[sku] = UNKNOWN_SKU if sku not in refs else NOT_STOCKED
            batch = [sku for sku in batch if sku not in refused]
        return [], refused

    def _send(
        self, batch: list[str], wanted: Mapping[str, int], refs: Mapping[str, VariantRef]
    ) -> list[Mapping[str, Any]]:
        quantities = [
            {
                "inventoryItemId": refs[sku].inventory_item_id,
                "locationId": self._location_id,
                "quantity": wanted[sku],
                "compareQuantity": refs[sku].available,
            }
            for sku in batch
        ]
        data = self._client.execute(
            INVENTORY_SET_QUANTITIES,
            {"input": {"name": "available", "reason": REASON, "quantities": quantities}},
        )
        errors: list[Mapping[str, Any]] = data["inventorySetQuantities"]["userErrors"]
        return errors

    def read_offers(self, skus: Sequence[str]) -> ReadBack:
        calls_before = self._client.calls
        wanted = list(dict.fromkeys(skus))
        refs = self._index.resolve(wanted, refresh=True)
        offers = {
            sku: MarketplaceOffer(sku, ref.available, self._price_of(ref))
            for sku, ref in refs.items()
        }
        missing = tuple(sku for sku in wanted if sku not in refs)
        return ReadBack(offers, missing, calls=self._client.calls - calls_before)

    def _price_of(self, ref: VariantRef) -> Money | None:
        if not ref.price:
            return None
        try:
            return Money(to_minor_units(ref.price, self._currency), self._currency)
        except InvalidInput as error:
            raise ChannelError(
                f"Shopify's price of {ref.sku} is not an amount: {error}",
                category=ChannelErrorCategory.CRITICAL,
            ) from None

    def set_prices(self, prices: Sequence[PriceUpdate]) -> PushResult:
        calls_before = self._client.calls
        wanted = {update.sku: update.price for update in prices}
        refs = self._index.resolve(list(wanted))
        rejected: dict[str, str] = {}
        by_product: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for sku, price in wanted.items():
            ref = refs.get(sku)
            if ref is None:
                rejected[sku] = UNKNOWN_SKU
                continue
            try:
                text = price_text(price, self._currency)
            except ChannelError as error:
                rejected[sku] = error.detail
                continue
            by_product[ref.product_id].append((sku, text))
        accepted: list[str] = []
        for product_id, entries in by_product.items():
            for start in range(0, len(entries), MAX_PRICES):
                batch = entries[start : start + MAX_PRICES]
                reason = self._send_prices(product_id, batch, refs)
                if reason is None:
                    accepted += [sku for sku, _ in batch]
                else:
                    rejected.update(dict.fromkeys((sku for sku, _ in batch), reason))
        return PushResult(
            accepted=tuple(accepted),
            rejected=rejected,
            calls=self._client.calls - calls_before,
        )

    def _send_prices(
        self, product_id: str, batch: list[tuple[str, str]], refs: Mapping[str, VariantRef]
    ) -> str | None:
        """One ``productVariantsBulkUpdate``; the reason Shopify gave if it refused it."""
        variants = [{"id": refs[sku].variant_id, "price": text} for sku, text in batch]
        data = self._client.execute(
            VARIANT_PRICES_UPDATE, {"productId": product_id, "variants": variants}
        )
        errors = data["productVariantsBulkUpdate"]["userErrors"]
        return "; ".join(str(e.get("message")) for e in errors) if errors else None
