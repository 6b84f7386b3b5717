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

# --- orders: read -----------------------------------------------------------------------

_LINE_PARTS = """
fragment LineParts on LineItem {
  id sku title quantity
  product { id }
  originalUnitPriceSet { shopMoney { amount } }
  discountedUnitPriceSet { shopMoney { amount } }
  taxLines { priceSet { shopMoney { amount } } }
  discountAllocations { allocatedAmountSet { shopMoney { amount } } }
}
"""

_ORDER_PARTS = (
    """
fragment Address on MailingAddress {
  name company address1 address2 city province provinceCode zip countryCodeV2 phone
}
fragment OrderParts on Order {
  id name email createdAt updatedAt cancelledAt currencyCode
  displayFinancialStatus displayFulfillmentStatus
  customer { id displayName defaultEmailAddress { emailAddress } }
  shippingAddress { ...Address }
  billingAddress { ...Address }
  totalShippingPriceSet { shopMoney { amount } }
  totalPriceSet { shopMoney { amount } }
  lineItems(first: $lines) {
    nodes { ...LineParts }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + _LINE_PARTS
)

ORDERS_UPDATED = (
    """
query OrdersUpdated($query: String!, $first: Int!, $after: String, $lines: Int!) {
  orders(query: $query, sortKey: UPDATED_AT, first: $first, after: $after) {
    nodes { ...OrderParts }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + _ORDER_PARTS
)

ORDER = (
    """
query OrderById($id: ID!, $lines: Int!) {
  order(id: $id) { ...OrderParts }
}
"""
    + _ORDER_PARTS
)

ORDER_LINES = (
    """
query OrderLines($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {
      nodes { ...LineParts }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
    + _LINE_PARTS
)

# --- orders: fulfil, cancel, refund ---------------------------------------------------

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!, $first: Int!, $lines: Int!) {
  order(id: $id) {
    fulfillmentOrders(first: $first) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: $lines) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation Ship($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation Cancel(
  $orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
  $refundMethod: OrderCancelRefundMethodInput, $staffNote: String
) {
  orderCancel(
    orderId: $orderId, reason: $reason, restock: $restock, refundMethod: $refundMethod,
    staffNote: $staffNote, notifyCustomer: false
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

ORDER_PAYMENTS = """
query OrderPayments($id: ID!, $first: Int!) {
  order(id: $id) {
    id currencyCode
    refunds(first: $first) { id note }
    transactions(first: $first) { id kind status gateway }
  }
}
"""

REFUND_CREATE = """
mutation Refund($input: RefundInput!) {
  refundCreate(input: $input) {
    refund { id }
    userErrors { field message }
  }
}
"""

# --- returns --------------------------------------------------------------------------

ORDER_RETURNS = """
query OrderReturns($query: String!, $first: Int!, $after: String, $returns: Int!, $lines: Int!) {
  orders(query: $query, sortKey: UPDATED_AT, first: $first, after: $after) {
    nodes {
      id
      returns(first: $returns) {
        nodes {
          id status createdAt
          returnLineItems(first: $lines) {
            nodes {
              quantity returnReason customerNote
              fulfillmentLineItem { lineItem { id } }
            }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

RETURN_APPROVE = """
mutation ReturnApprove($input: ReturnApproveRequestInput!) {
  returnApproveRequest(input: $input) {
    return { id status }
    userErrors { field message code }
  }
}
"""

RETURN_DECLINE = """
mutation ReturnDecline($input: ReturnDeclineRequestInput!) {
  returnDeclineRequest(input: $input) {
    return { id status }
    userErrors { field message code }
  }
}
"""

ALL.update(
    {
        "ORDERS_UPDATED": ORDERS_UPDATED,
        "ORDER": ORDER,
        "ORDER_LINES": ORDER_LINES,
        "FULFILLMENT_ORDERS": FULFILLMENT_ORDERS,
        "FULFILLMENT_CREATE": FULFILLMENT_CREATE,
        "ORDER_CANCEL": ORDER_CANCEL,
        "ORDER_PAYMENTS": ORDER_PAYMENTS,
        "REFUND_CREATE": REFUND_CREATE,
        "ORDER_RETURNS": ORDER_RETURNS,
        "RETURN_APPROVE": RETURN_APPROVE,
        "RETURN_DECLINE": RETURN_DECLINE,
    }
)
