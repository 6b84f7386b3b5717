"""eBay orders as the Sell Fulfillment API shows them, built from the sandbox's records.

The state keeps orders as typed records (state.py); this module owns how they read as
the official ``Order`` JSON (sell_fulfillment_v1_oas3.json): money as ``Amount``
strings, times as ``YYYY-MM-DDThh:mm:ss.sssZ``, and the statuses derived from what
happened: a line is NOT_STARTED, IN_PROGRESS or FULFILLED as its units ship, the order
FULFILLED when every line is, IN_PROGRESS when some units shipped; the payment status
is PAID, PARTIALLY_REFUNDED or FULLY_REFUNDED from the refunds recorded.

Also the shapes of eBay's ids (order ``12-34567-89012``, 14-digit line item ids) and
the sandbox clock in milliseconds (:func:`now_ms`), the one time every order change is
stamped with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from stockbridge.sandbox.ebay.context import EbaySandbox
from stockbridge.sandbox.ebay.state import EbayState, LineItemRecord, OrderRecord, RefundRecord

BASE_PATH = "/sell/fulfillment/v1"
#: Days the sandbox gives between sale and ship-by date, and from shipping to delivery.
HANDLING_DAYS = 1
DELIVERY_DAYS = (2, 4)


def now_ms(sandbox: EbaySandbox) -> int:
    return round(sandbox.now() * 1000)


def iso_ms(ms: int) -> str:
    """eBay's timestamp format, e.g. ``2026-09-21T14:03:05.123Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(value: str) -> int | None:
    """ISO 8601 with a zone (``Z`` or an offset) to epoch milliseconds; None if not one."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return round(moment.timestamp() * 1000)


def to_cents(value: str) -> int | None:
    """``"49.99"`` to 4999; None unless a non-negative amount with at most two decimals."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError):
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def amount(cents: int, currency: str) -> dict[str, str]:
    return {"currency": currency, "value": f"{Decimal(cents) / 100:.2f}"}


def order_id_for(sequence: int) -> str:
    """The n-th order's id, shaped like eBay's ``12-34567-89012``."""
    digits = f"{12_00000_00000 + sequence * 7_919:012d}"
    return f"{digits[:2]}-{digits[2:7]}-{digits[7:]}"


def line_item_id_for(sequence: int) -> str:
    return f"{10_000_000_000_000 + sequence:014d}"


# --- derived facts ------------------------------------------------------------------


def line_total_cents(line: LineItemRecord) -> int:
    return line.quantity * line.unit_price_cents


def order_total_cents(order: OrderRecord) -> int:
    # Delivery is free under the seeded policies, so the total is the item cost.
    return sum(line_total_cents(line) for line in order.line_items)


def refunds_of(state: EbayState, order: OrderRecord) -> list[RefundRecord]:
    return [state.refunds[rid] for rid in order.refund_ids if rid in state.refunds]


def refunded_cents(state: EbayState, order: OrderRecord, line_item_id: str | None = None) -> int:
    """Refunded on the order (all refunds), or on one line (that line's refunds only)."""
    return sum(
        refund.amount_cents
        for refund in refunds_of(state, order)
        if refund.status != "FAILED" and line_item_id in (None, refund.line_item_id)
    )


def line_status(line: LineItemRecord) -> str:
    if line.shipped >= line.quantity:
        return "FULFILLED"
    return "IN_PROGRESS" if line.shipped else "NOT_STARTED"


def fulfillment_status(order: OrderRecord) -> str:
    statuses = {line_status(line) for line in order.line_items}
    if statuses == {"FULFILLED"}:
        return "FULFILLED"
    return "NOT_STARTED" if statuses == {"NOT_STARTED"} else "IN_PROGRESS"


def payment_status(state: EbayState, order: OrderRecord) -> str:
    refunded = refunded_cents(state, order)
    if refunded == 0:
        return "PAID"
    return "FULLY_REFUNDED" if refunded >= order_total_cents(order) else "PARTIALLY_REFUNDED"


# --- the Order JSON -----------------------------------------------------------------


def _contact(order: OrderRecord) -> dict[str, Any]:
    buyer = order.buyer
    return {
        "fullName": buyer.full_name,
        "contactAddress": dict(buyer.address),
        "primaryPhone": {"phoneNumber": buyer.phone},
        "email": buyer.email,
    }


def _cancel_status(order: OrderRecord, with_requests: bool) -> dict[str, Any]:
    if order.cancelled_ms is None:
        return {"cancelState": "NONE_REQUESTED", "cancelRequests": []}
    request = {
        "cancelInitiator": "Buyer",
        "cancelReason": order.cancel_reason or "ORDER_PLACED_BY_MISTAKE",
        "cancelRequestedDate": iso_ms(order.cancelled_ms),
        "cancelCompletedDate": iso_ms(order.cancelled_ms),
        "cancelRequestId": order.cancel_request_id or "",
        "cancelRequestState": "COMPLETED",
    }
    return {
        "cancelState": "CANCELED",
        "cancelledDate": iso_ms(order.cancelled_ms),
        # getOrders always answers this list empty; only getOrder fills it (official file).
        "cancelRequests": [request] if with_requests else [],
    }


def _refund_json(refund: RefundRecord, currency: str) -> dict[str, Any]:
    return {
        "refundId": refund.refund_id,
        "refundReferenceId": f"R{refund.refund_id}",
        "refundStatus": refund.status,
        "refundDate": iso_ms(refund.at_ms),
        "amount": amount(refund.amount_cents, currency),
    }


def _line_json(state: EbayState, order: OrderRecord, line: LineItemRecord) -> dict[str, Any]:
    currency = order.currency
    created = datetime.fromtimestamp(order.created_ms / 1000, UTC)
    ship_by = created + timedelta(days=HANDLING_DAYS)
    line_refunds = [
        {
            key: value
            for key, value in _refund_json(refund, currency).items()
            if key != "refundStatus"
        }
        for refund in refunds_of(state, order)
        if refund.line_item_id == line.line_item_id
    ]
    return {
        "lineItemId": line.line_item_id,
        "legacyItemId": line.listing_id,
        "sku": line.sku,
        "title": line.title,
        "quantity": line.quantity,
        "soldFormat": "FIXED_PRICE",
        "listingMarketplaceId": order.marketplace_id,
        "purchaseMarketplaceId": order.marketplace_id,
        "lineItemFulfillmentStatus": line_status(line),
        "lineItemCost": amount(line_total_cents(line), currency),
        "total": amount(line_total_cents(line), currency),
        "deliveryCost": {"shippingCost": amount(0, currency)},
        "appliedPromotions": [],
        "taxes": [],
        "refunds": line_refunds,
        "lineItemFulfillmentInstructions": {
            "shipByDate": _iso(ship_by),
            "minEstimatedDeliveryDate": _iso(ship_by + timedelta(days=DELIVERY_DAYS[0])),
            "maxEstimatedDeliveryDate": _iso(ship_by + timedelta(days=DELIVERY_DAYS[1])),
            "guaranteedDelivery": False,
        },
    }


def _iso(moment: datetime) -> str:
    return iso_ms(round(moment.timestamp() * 1000))


def order_json(
    sandbox: EbaySandbox, order: OrderRecord, base_url: str, with_cancel_requests: bool = True
) -> dict[str, Any]:
    """The official ``Order`` for one order (call under the store lock)."""
    state = sandbox.store.state
    currency = order.currency
    total = order_total_cents(order)
    refunds = refunds_of(state, order)
    net = total - refunded_cents(state, order)
    first_line = _line_json(state, order, order.line_items[0])
    instructions = first_line["lineItemFulfillmentInstructions"]
    return {
        "orderId": order.order_id,
        "creationDate": iso_ms(order.created_ms),
        "lastModifiedDate": iso_ms(order.modified_ms),
        "orderFulfillmentStatus": fulfillment_status(order),
        "orderPaymentStatus": payment_status(state, order),
        "sellerId": sandbox.config.seller_username,
        "buyer": {
            "username": order.buyer.username,
            "taxAddress": {
                key: order.buyer.address[key]
                for key in ("city", "stateOrProvince", "postalCode", "countryCode")
                if key in order.buyer.address
            },
            "buyerRegistrationAddress": _contact(order),
        },
        "pricingSummary": {
            "priceSubtotal": amount(total, currency),
            "deliveryCost": amount(0, currency),
            "total": amount(total, currency),
        },
        "cancelStatus": _cancel_status(order, with_cancel_requests),
        "paymentSummary": {
            "totalDueSeller": amount(net, currency),
            "refunds": [_refund_json(refund, currency) for refund in refunds],
            "payments": [
                {
                    "paymentMethod": "EBAY",
                    "paymentReferenceId": f"P{order.order_id.replace('-', '')}",
                    "paymentDate": iso_ms(order.created_ms),
                    "amount": amount(total, currency),
                    "paymentStatus": "PAID",
                }
            ],
        },
        "fulfillmentStartInstructions": [
            {
                "fulfillmentInstructionsType": "SHIP_TO",
                "ebaySupportedFulfillment": False,
                "minEstimatedDeliveryDate": instructions["minEstimatedDeliveryDate"],
                "maxEstimatedDeliveryDate": instructions["maxEstimatedDeliveryDate"],
                "shippingStep": {
                    "shippingCarrierCode": order.shipping_carrier,
                    "shippingServiceCode": order.shipping_service,
                    "shipTo": _contact(order),
                },
            }
        ],
        "fulfillmentHrefs": [
            f"{base_url}{BASE_PATH}/order/{order.order_id}/shipping_fulfillment/{fid}"
            for fid in order.fulfillment_ids
        ],
        "lineItems": [first_line]
        + [_line_json(state, order, line) for line in order.line_items[1:]],
        "salesRecordReference": order.sales_record_reference,
        "totalFeeBasisAmount": amount(total, currency),
        "totalMarketplaceFee": amount(total * 13 // 100, currency),
    }


def shipping_service_of(state: EbayState, offer_body: dict[str, Any]) -> tuple[str, str]:
    """Carrier and service of an offer's fulfilment policy (its first, the buyer's pick)."""
    policy_id = (offer_body.get("listingPolicies") or {}).get("fulfillmentPolicyId")
    policy = state.policies.get("fulfillment", {}).get(str(policy_id), {})
    for option in policy.get("shippingOptions", []):
        for service in option.get("shippingServices", []):
            return str(service["shippingCarrierCode"]), str(service["shippingServiceCode"])
    return "OTHER", "Other"
