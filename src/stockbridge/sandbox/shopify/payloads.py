"""The JSON bodies of the sandbox's webhook events, shaped as Shopify's REST webhooks are.

Shopify's webhooks carry the REST Admin API's resources, not GraphQL's: snake_case keys,
numeric ``id`` plus ``admin_graphql_api_id``, amounts as decimal strings, enum values in
lower case, times in the shop's time zone with its offset. Only the keys a connector
reads are built (ids, names, statuses, quantities, amounts, times); Shopify sends many
more. The topics (``orders/create``, ``inventory_levels/update``, ...) are those of
``WebhookSubscriptionTopic`` in Shopify's spelling; see docs/sandbox.md for which change
announces which.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.order_records import (
    FulfillmentRecord,
    LineItemRecord,
    MailingAddressRecord,
    OrderRecord,
    RefundRecord,
    ReturnRecord,
)
from stockbridge.sandbox.shopify.state import (
    InventoryLevelRecord,
    ProductRecord,
    ShopState,
    gid_number,
)


def _time(state: ShopState, value: datetime | None) -> str | None:
    if value is None:
        return None
    # Shopify's REST times are whole seconds.
    shop_time = value.astimezone(ZoneInfo(state.shop.iana_timezone))
    return shop_time.replace(microsecond=0).isoformat()


def _amount(value: Decimal) -> str:
    return str(totals.money(value))


def _id(global_id: str | None) -> int | None:
    return gid_number(global_id) if global_id else None


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def inventory_level_payload(state: ShopState, level: InventoryLevelRecord) -> dict[str, Any]:
    return {
        "inventory_item_id": gid_number(level.item_id),
        "location_id": gid_number(level.location_id),
        "available": level.quantities["available"],
        "updated_at": _time(state, level.updated_at),
        "admin_graphql_api_id": level.id,
    }


def _address(address: MailingAddressRecord | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "first_name": address.first_name,
        "last_name": address.last_name,
        "name": address.name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "province": address.province,
        "zip": address.zip,
        "country": address.country,
        "country_code": address.country_code_v2,
        "phone": address.phone,
    }


def _line_item(order: OrderRecord, line: LineItemRecord) -> dict[str, Any]:
    fulfilled = totals.fulfilled_quantity(order, line.id)
    return {
        "id": gid_number(line.id),
        "admin_graphql_api_id": line.id,
        "variant_id": _id(line.variant_id),
        "product_id": _id(line.product_id),
        "sku": line.sku,
        "title": line.title,
        "variant_title": line.variant_title,
        "name": line.name,
        "vendor": line.vendor,
        "quantity": line.quantity,
        "current_quantity": line.current_quantity,
        "fulfillable_quantity": totals.unfulfilled_quantity(order, line.id),
        "fulfillment_status": (
            None if fulfilled == 0 else "fulfilled" if fulfilled >= line.quantity else "partial"
        ),
        "price": _amount(line.unit_price),
        "requires_shipping": line.requires_shipping,
        "taxable": line.taxable,
    }


def _fulfillment_status(order: OrderRecord) -> str | None:
    legacy = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}
    return legacy.get(totals.fulfillment_status(order))


def _customer(state: ShopState, order: OrderRecord) -> dict[str, Any] | None:
    customer = state.customers.get(order.customer_id or "")
    if customer is None:
        return None
    return {
        "id": gid_number(customer.id),
        "admin_graphql_api_id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "created_at": _time(state, customer.created_at),
        "updated_at": _time(state, customer.updated_at),
    }


def order_payload(state: ShopState, order: OrderRecord) -> dict[str, Any]:
    """The order as ``orders/create``, ``orders/updated``, ``orders/cancelled``... carry it."""
    return {
        "id": gid_number(order.id),
        "admin_graphql_api_id": order.id,
        "name": order.name,
        "order_number": order.number,
        "number": order.number - 1000,
        "email": order.email,
        "contact_email": order.email,
        "currency": order.currency_code,
        "presentment_currency": order.currency_code,
        "created_at": _time(state, order.created_at),
        "updated_at": _time(state, order.updated_at),
        "processed_at": _time(state, order.processed_at),
        "cancelled_at": _time(state, order.cancelled_at),
        "cancel_reason": _lower(order.cancel_reason),
        "closed_at": _time(state, order.closed_at),
        "financial_status": _lower(totals.financial_status(order)),
        "fulfillment_status": _fulfillment_status(order),
        "taxes_included": order.taxes_included,
        "subtotal_price": _amount(totals.subtotal(order)),
        "total_price": _amount(totals.total_price(order)),
        "total_tax": _amount(totals.total_tax(order)),
        "current_total_price": _amount(totals.current_total(order)),
        "total_shipping_price_set": {
            "shop_money": {
                "amount": _amount(order.shipping_price),
                "currency_code": order.currency_code,
            }
        },
        "note": order.note,
        "tags": ", ".join(order.tags),
        "test": False,
        "customer": _customer(state, order),
        "shipping_address": _address(order.shipping_address),
        "line_items": [_line_item(order, line) for line in order.line_items],
        "shipping_lines": [
            {
                "title": order.shipping_title,
                "code": order.shipping_title,
                "price": _amount(order.shipping_price),
            }
        ],
        "fulfillments": [fulfillment_payload(state, order, f) for f in order.fulfillments],
        "refunds": [refund_payload(state, order, r) for r in order.refunds],
    }


def fulfillment_payload(
    state: ShopState, order: OrderRecord, fulfillment: FulfillmentRecord
) -> dict[str, Any]:
    lines = {line.id: line for line in order.line_items}
    first_tracking = fulfillment.tracking_info[0] if fulfillment.tracking_info else None
    return {
        "id": gid_number(fulfillment.id),
        "admin_graphql_api_id": fulfillment.id,
        "order_id": gid_number(order.id),
        "name": fulfillment.name,
        "status": fulfillment.status.lower(),
        "location_id": gid_number(fulfillment.location_id),
        "created_at": _time(state, fulfillment.created_at),
        "updated_at": _time(state, fulfillment.updated_at),
        "tracking_company": first_tracking.company if first_tracking else None,
        "tracking_number": first_tracking.number if first_tracking else None,
        "tracking_numbers": [t.number for t in fulfillment.tracking_info if t.number],
        "tracking_url": first_tracking.url if first_tracking else None,
        "tracking_urls": [t.url for t in fulfillment.tracking_info if t.url],
        "line_items": [
            {**_line_item(order, lines[fli.line_item_id]), "quantity": fli.quantity}
            for fli in fulfillment.line_items
        ],
    }


def refund_payload(state: ShopState, order: OrderRecord, refund: RefundRecord) -> dict[str, Any]:
    """The refund as ``refunds/create`` carries it."""
    lines = {line.id: line for line in order.line_items}
    transactions = [t for t in order.transactions if t.id in refund.transaction_ids]
    return {
        "id": gid_number(refund.id),
        "admin_graphql_api_id": refund.id,
        "order_id": gid_number(order.id),
        "created_at": _time(state, refund.created_at),
        "processed_at": _time(state, refund.created_at),
        "note": refund.note,
        "restock": any(line.restocked for line in refund.line_items),
        "refund_line_items": [
            {
                "id": gid_number(line.id),
                "line_item_id": gid_number(line.line_item_id),
                "quantity": line.quantity,
                "restock_type": line.restock_type.lower(),
                "location_id": _id(line.location_id),
                "subtotal": _amount(line.subtotal),
                "total_tax": _amount(line.total_tax),
                "line_item": _line_item(order, lines[line.line_item_id]),
            }
            for line in refund.line_items
        ],
        "transactions": [
            {
                "id": gid_number(t.id),
                "admin_graphql_api_id": t.id,
                "order_id": gid_number(order.id),
                "kind": t.kind.lower(),
                "status": t.status.lower(),
                "gateway": t.gateway,
                "amount": _amount(t.amount),
                "currency": order.currency_code,
                "parent_id": _id(t.parent_id),
                "created_at": _time(state, t.created_at),
            }
            for t in transactions
        ],
        "order_adjustments": (
            [{"kind": "shipping_refund", "amount": _amount(-refund.shipping_amount)}]
            if refund.shipping_amount
            else []
        ),
    }


def return_payload(state: ShopState, order: OrderRecord, ret: ReturnRecord) -> dict[str, Any]:
    """The return as ``returns/request``, ``returns/approve``, ... carry it."""
    return {
        "id": gid_number(ret.id),
        "admin_graphql_api_id": ret.id,
        "order_id": gid_number(order.id),
        "name": ret.name,
        "status": ret.status.lower(),
        "total_return_line_items": len(ret.line_items),
        "return_line_items": [
            {
                "id": gid_number(line.id),
                "admin_graphql_api_id": line.id,
                "fulfillment_line_item_id": gid_number(line.fulfillment_line_item_id),
                "quantity": line.quantity,
                "return_reason": line.return_reason.lower(),
                "customer_note": line.customer_note,
            }
            for line in ret.line_items
        ],
        "decline": (
            {"reason": ret.decline.reason.lower(), "note": ret.decline.note}
            if ret.decline
            else None
        ),
    }


def product_payload(state: ShopState, product: ProductRecord) -> dict[str, Any]:
    """The product as ``products/create`` and ``products/update`` carry it."""
    variants = [state.variants[variant_id] for variant_id in product.variant_ids]
    return {
        "id": gid_number(product.id),
        "admin_graphql_api_id": product.id,
        "title": product.title,
        "handle": product.handle,
        "body_html": product.description_html,
        "vendor": product.vendor,
        "product_type": product.product_type,
        "status": product.status.lower(),
        "tags": ", ".join(product.tags),
        "created_at": _time(state, product.created_at),
        "updated_at": _time(state, product.updated_at),
        "options": [
            {
                "id": gid_number(option.id),
                "name": option.name,
                "position": option.position,
                "values": [value.name for value in option.option_values],
            }
            for option in product.options
        ],
        "variants": [
            {
                "id": gid_number(variant.id),
                "admin_graphql_api_id": variant.id,
                "product_id": gid_number(product.id),
                "title": variant.title,
                "sku": variant.sku,
                "barcode": variant.barcode,
                "price": variant.price,
                "compare_at_price": variant.compare_at_price,
                "position": variant.position,
                "inventory_policy": variant.inventory_policy.lower(),
                "inventory_item_id": gid_number(variant.inventory_item_id),
                "inventory_quantity": sum(
                    level.quantities["available"]
                    for level in state.levels_of_item(variant.inventory_item_id)
                ),
                "created_at": _time(state, variant.created_at),
                "updated_at": _time(state, variant.updated_at),
            }
            for variant in variants
        ],
    }
