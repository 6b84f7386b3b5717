"""Shopify: the adapter and provider of Shopify's Admin GraphQL API (version 2025-10).

Importing this package registers :data:`adapter.provider` (key ``"shopify"``) with the
channel registry. ``auth`` owns the install flow, ``client`` the HTTP calls and their
errors, ``documents`` every GraphQL document sent, ``skus`` SKU look-ups, ``mapping``
listings, ``stock`` stock and price pushes, ``webhooks`` topics and delivery checks,
``schemas`` credentials and reply types.
"""

from stockbridge.channels.registry import registry
from stockbridge.channels.shopify.adapter import ShopifyAdapter, ShopifyProvider, provider

registry.register(provider)

__all__ = ["ShopifyAdapter", "ShopifyProvider", "provider"]
