"""Shopify sandbox: a stateful simulator of the Admin GraphQL API (version 2025-10).

``schema.graphql`` is our SDL subset (proved true to Shopify's official schema by
tests/sandbox/shopify/test_schema_contract.py); ``graph`` executes it over ``state``
with the resolvers of ``catalog`` (product and variant reads), ``product_set``
(the productSet upsert), ``inventory`` (shop, locations, levels, quantity
mutations) and ``webhooks`` (webhook subscriptions); ``cost`` prices and throttles
each query; ``webhook_delivery`` turns announced events into signed deliveries and
``app_topics`` announces the app's own topics (uninstall, compliance);
``app`` serves it over HTTP with the shared ``/_sandbox`` control API.
"""

from stockbridge.sandbox.shopify.app import ShopifySandbox, create_app
from stockbridge.sandbox.shopify.config import API_VERSION, ShopifySandboxConfig

__all__ = ["API_VERSION", "ShopifySandbox", "ShopifySandboxConfig", "create_app"]
