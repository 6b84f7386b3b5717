"""SKU -> Shopify ids: variants looked up by ``productVariants(query: "sku:...")`` in batches.

Shopify has no SKU-keyed endpoint, so every stock or price push needs the variant, its
product and its inventory item first. :class:`SkuIndex` finds them for many SKUs per
query (``sku:"A" OR sku:"B" ...``, :data:`LOOKUP_BATCH` at a time, paginated) and keeps
them for the life of the connection, together with the ``available`` count at our
location that inventorySetQuantities compares against. A SKU shared by two variants is
ambiguous on Shopify; the first one found is used, as Shopify's own search orders them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace

from stockbridge.channels.shopify.client import ShopifyGraphQLClient
from stockbridge.channels.shopify.documents import VARIANTS_BY_SKU
from stockbridge.channels.shopify.schemas import VariantRef, variant_from_node

#: SKUs per lookup query: 100 variants with their product and level cost about 600 points,
#: well under Shopify's 1,000 per query.
LOOKUP_BATCH = 100


def sku_query(skus: Iterable[str]) -> str:
    """Shopify's search syntax for "any of these SKUs", each value quoted."""
    return " OR ".join(f'sku:"{_quoted(sku)}"' for sku in skus)


def _quoted(sku: str) -> str:
    return sku.replace("\\", "\\\\").replace('"', '\\"')


class SkuIndex:
    """The variants of one shop by SKU, as far as they have been looked up."""

    def __init__(self, client: ShopifyGraphQLClient, location_id: str) -> None:
        self._client = client
        self._location_id = location_id
        self._known: dict[str, VariantRef] = {}
        self._lock = threading.Lock()

    def resolve(self, skus: Sequence[str], *, refresh: bool = False) -> dict[str, VariantRef]:
        """The variants of ``skus`` that exist; unknown SKUs are left out."""
        wanted = list(dict.fromkeys(skus))
        with self._lock:
            missing = [s for s in wanted if refresh or s not in self._known]
        for start in range(0, len(missing), LOOKUP_BATCH):
            self._look_up(missing[start : start + LOOKUP_BATCH])
        with self._lock:
            return {s: self._known[s] for s in wanted if s in self._known}

    def remember(self, ref: VariantRef) -> None:
        with self._lock:
            self._known[ref.sku] = ref

    def set_available(self, sku: str, available: int) -> None:
        with self._lock:
            known = self._known.get(sku)
            if known is not None:
                self._known[sku] = replace(known, available=available)

    def forget(self, sku: str) -> None:
        with self._lock:
            self._known.pop(sku, None)

    def _look_up(self, batch: Sequence[str]) -> None:
        wanted = set(batch)
        found: dict[str, VariantRef] = {}
        after: str | None = None
        while True:
            data = self._client.execute(
                VARIANTS_BY_SKU,
                {
                    "query": sku_query(batch),
                    "first": len(batch),  # the cost grows with the page asked for
                    "after": after,
                    "locationId": self._location_id,
                },
            )
            page = data["productVariants"]
            for node in page["nodes"]:
                # Shopify's sku: search ignores case; only an exact SKU is ours.
                if node.get("sku") in wanted and node["sku"] not in found:
                    found[node["sku"]] = variant_from_node(node)
            if len(found) == len(wanted) or not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        with self._lock:
            for sku in batch:
                if sku in found:
                    self._known[sku] = found[sku]
                else:
                    self._known.pop(sku, None)
