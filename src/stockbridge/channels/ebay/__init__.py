"""eBay: Sell Inventory listings, stock and prices (OAuth with RuName, bulk calls of 25).

Importing the package registers :data:`~stockbridge.channels.ebay.adapter.provider`
under the key ``"ebay"`` (``registry.BUILTIN_MODULES`` names this package).
"""

from __future__ import annotations

from stockbridge.channels.ebay.adapter import EbayAdapter, EbayProvider, provider
from stockbridge.channels.registry import registry

registry.register(provider)

__all__ = ["EbayAdapter", "EbayProvider", "provider"]
