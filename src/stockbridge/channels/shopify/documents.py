"""Every GraphQL document the Shopify adapter sends, as module-level constants.

Keeping them here, and nowhere else, lets one test validate each against Shopify's
official Admin schema (tests/channels/shopify/test_documents.py), and lets the client
learn each document's cost from Shopify's answers (``requestedQueryCost``), keyed by
the document text. :data:`ALL` lists them for that test.
"""

from __future__ import annotations

#: The Admin API version every document is written for.
API_VERSION = "2025-10"

SHOP_AND_LOCATIONS = """
query ShopAndLocations($first: Int!, $after: String) {
  shop { id name myshopifyDomain currencyCode }
  locations(first: $first, after: $after) {
    nodes { id name isActive fulfillsOnlineOrders }
    pageInfo { hasNextPage endCursor }
  }
}
"""

VARIANTS_BY_SKU = """
query VariantsBySku($query: String!, $first: Int!, $after: String, $locationId: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id
      sku
      price
      product { id handle status tags variantsCount { count } }
      inventoryItem {
        id
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available"]) { name quantity }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRODUCT_SET = """
mutation ListingSet($identifier: ProductSetIdentifiers, $input: ProductSetInput!) {
  productSet(identifier: $identifier, input: $input, synchronous: true) {
    product {
      id
      handle
      status
      variants(first: 5) { nodes { id sku inventoryItem { id } } }
    }
    userErrors { field message code }
  }
}
"""

PRODUCT_STATUS_SET = """
mutation ListingStatusSet($identifier: ProductSetIdentifiers, $input: ProductSetInput!) {
  productSet(identifier: $identifier, input: $input, synchronous: true) {
    product { id handle status }
    userErrors { field message code }
  }
}
"""

INVENTORY_SET_QUANTITIES = """
mutation StockSet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

VARIANT_PRICES_UPDATE = """
mutation PricesSet($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id sku price }
    userErrors { field message code }
  }
}
"""

ALL: dict[str, str] = {
    "SHOP_AND_LOCATIONS": SHOP_AND_LOCATIONS,
    "VARIANTS_BY_SKU": VARIANTS_BY_SKU,
    "PRODUCT_SET": PRODUCT_SET,
    "PRODUCT_STATUS_SET": PRODUCT_STATUS_SET,
    "INVENTORY_SET_QUANTITIES": INVENTORY_SET_QUANTITIES,
    "VARIANT_PRICES_UPDATE": VARIANT_PRICES_UPDATE,
}

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $after: String, $topics: [WebhookSubscriptionTopic!]) {
  webhookSubscriptions(first: $first, after: $after, topics: $topics) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscribe(
  $topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

ALL["WEBHOOK_SUBSCRIPTIONS"] = WEBHOOK_SUBSCRIPTIONS
ALL["WEBHOOK_SUBSCRIPTION_CREATE"] = WEBHOOK_SUBSCRIPTION_CREATE
