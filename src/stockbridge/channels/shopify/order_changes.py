"""What stockbridge does to a Shopify order: ship it, cancel it, refund it, decide a return.

**Fulfil**: Shopify ships fulfilment orders, not orders. The order's open fulfilment
orders are read, each wanted line is taken from the fulfilment order lines of its line
item that still have units remaining (partial shipments allowed), and one
``fulfillmentCreate`` sends them with the tracking company, number and url. Shopify ships
from one location per fulfilment; lines held at several locations are refused
(VALIDATION) rather than half-shipped. With no lines, everything remaining ships.

**Cancel**: ``orderCancel`` with the reason mapped to Shopify's enum
(:data:`CANCEL_REASONS`, anything else ``OTHER``, the text kept as the staff note),
``restock: true`` and a refund to the original payment. Shopify cancels in a background
job; the job is not polled: the cancellation shows as ``cancelledAt`` on the order
(``orders/cancelled`` webhook, next poll).

**Refund**: the Admin API version in use has no ``@idempotent`` directive on
``refundCreate``, so a refund carries its key in its note (``stockbridge-refund:<key>``)
and the order's refunds are read first: a refund with the key already there is the
answer, and nothing is sent again. Money moves only as ``amount`` says: one ``REFUND``
transaction against the order's successful sale or capture, in its gateway. Lines are
recorded as refunded with ``NO_RESTOCK``: stock is stockbridge's to count, and its next
push sets Shopify's. A refund of lines without an amount moves no money.

**Returns**: approve with ``returnApproveRequest``, decline with
``returnDeclineRequest`` (reason ``OTHER``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from stockbridge.channels.base import Fulfilment, FulfilmentLine, Refund, ReturnDecision
from stockbridge.channels.shopify.client import ShopifyGraphQLClient, error_from_user_errors
from stockbridge.channels.shopify.documents import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDERS,
    ORDER_CANCEL,
    ORDER_PAYMENTS,
    REFUND_CREATE,
    RETURN_APPROVE,
    RETURN_DECLINE,
)
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.money import format_minor_units

#: Fulfilment orders read per order (one per location shipping it), and lines of each:
#: together about 530 points.
FULFILLMENT_ORDERS_PAGE = 5
FULFILLMENT_ORDER_LINES = 50
#: Refunds and transactions read per order for the idempotency check and the parent sale.
PAYMENTS_PAGE = 100
OPEN_FULFILLMENT_ORDERS = frozenset({"OPEN", "IN_PROGRESS"})
REFUND_KEY_PREFIX = "stockbridge-refund:"
CANCEL_REASONS = {
    "customer": "CUSTOMER",
    "declined": "DECLINED",
    "payment_declined": "DECLINED",
    "fraud": "FRAUD",
    "inventory": "INVENTORY",
    "out_of_stock": "INVENTORY",
    "staff": "STAFF",
}


def _invalid(message: str, **extra: Any) -> ChannelError:
    return ChannelError(message, category=ChannelErrorCategory.VALIDATION, **extra)


def _order(data: Mapping[str, Any], order_id: str) -> Mapping[str, Any]:
    order = data.get("order")
    if order is None:
        raise ChannelError(
            f"Shopify has no order {order_id}", category=ChannelErrorCategory.NOT_FOUND
        )
    result: Mapping[str, Any] = order
    return result


def cancel_reason(reason: str) -> str:
    return CANCEL_REASONS.get(reason.strip().lower().replace(" ", "_"), "OTHER")


def refund_note(key: str) -> str:
    return f"{REFUND_KEY_PREFIX}{key}"


class OrderChanges:
    """Fulfils, cancels and refunds one shop's orders and decides its returns."""

    def __init__(self, client: ShopifyGraphQLClient) -> None:
        self._client = client

    # --- fulfil ---------------------------------------------------------------------

    def fulfil(self, fulfilment: Fulfilment) -> str:
        order_id = fulfilment.order_external_id
        data = self._client.execute(
            FULFILLMENT_ORDERS,
            {"id": order_id, "first": FULFILLMENT_ORDERS_PAGE, "lines": FULFILLMENT_ORDER_LINES},
        )
        open_orders = [
            fo
            for fo in _order(data, order_id)["fulfillmentOrders"]["nodes"]
            if fo["status"] in OPEN_FULFILLMENT_ORDERS
        ]
        if not open_orders:
            raise _invalid(f"Shopify order {order_id} has nothing left to ship")
        groups = (
            _plan(open_orders, fulfilment.lines)
            if fulfilment.lines
            else [{"fulfillmentOrderId": fo["id"]} for fo in open_orders]
        )
        locations = {_location(fo) for fo in open_orders if fo["id"] in _ids(groups)}
        if len(locations) > 1:
            raise _invalid(
                f"the lines of Shopify order {order_id} ship from {len(locations)} locations; "
                "fulfil each location's lines separately"
            )
        tracking = {"company": fulfilment.carrier, "number": fulfilment.tracking_number}
        if fulfilment.tracking_url:
            tracking["url"] = fulfilment.tracking_url
        result = self._client.execute(
            FULFILLMENT_CREATE,
            {
                "fulfillment": {
                    "lineItemsByFulfillmentOrder": groups,
                    "trackingInfo": tracking,
                    "notifyCustomer": True,
                }
            },
        )["fulfillmentCreate"]
        if result["userErrors"]:
            raise error_from_user_errors("fulfillmentCreate", result["userErrors"])
        return str(result["fulfillment"]["id"])

    # --- cancel ---------------------------------------------------------------------

    def cancel(self, order_id: str, reason: str) -> None:
        result = self._client.execute(
            ORDER_CANCEL,
            {
                "orderId": order_id,
                "reason": cancel_reason(reason),
                "restock": True,
                "refundMethod": {"originalPaymentMethodsRefund": True},
                "staffNote": reason[:255] or None,
            },
        )["orderCancel"]
        if result["orderCancelUserErrors"]:
            raise error_from_user_errors("orderCancel", result["orderCancelUserErrors"])

    # --- refund ---------------------------------------------------------------------

    def refund(self, refund: Refund) -> str:
        if not refund.lines and refund.amount is None:
            raise _invalid("a refund needs lines or an amount")
        if refund.amount is not None and refund.amount.cents <= 0:
            raise _invalid("a refund's amount must be positive", field="amount")
        order_id = refund.order_external_id
        data = self._client.execute(ORDER_PAYMENTS, {"id": order_id, "first": PAYMENTS_PAGE})
        order = _order(data, order_id)
        note = refund_note(refund.idempotency_key)
        for existing in order["refunds"]:
            if existing.get("note") == note:
                return str(existing["id"])
        refund_input: dict[str, Any] = {"orderId": order_id, "note": note, "notify": False}
        if refund.lines:
            refund_input["refundLineItems"] = [
                {"lineItemId": line.line_external_id, "quantity": line.quantity,
                 "restockType": "NO_RESTOCK"}
                for line in refund.lines
            ]  # fmt: skip
        if refund.amount is not None:
            refund_input["transactions"] = [_refund_transaction(order, refund)]
        result = self._client.execute(REFUND_CREATE, {"input": refund_input})["refundCreate"]
        if result["userErrors"]:
            raise error_from_user_errors("refundCreate", result["userErrors"])
        return str(result["refund"]["id"])

    # --- returns --------------------------------------------------------------------

    def decide_return(self, return_id: str, decision: ReturnDecision) -> None:
        if decision is ReturnDecision.APPROVE:
            document, root = RETURN_APPROVE, "returnApproveRequest"
            variables: dict[str, Any] = {"input": {"id": return_id}}
        else:
            document, root = RETURN_DECLINE, "returnDeclineRequest"
            variables = {"input": {"id": return_id, "declineReason": "OTHER"}}
        result = self._client.execute(document, variables)[root]
        if result["userErrors"]:
            raise error_from_user_errors(root, result["userErrors"])


def _location(fulfillment_order: Mapping[str, Any]) -> str | None:
    location = (fulfillment_order.get("assignedLocation") or {}).get("location") or {}
    return location.get("id")


def _ids(groups: Sequence[Mapping[str, Any]]) -> set[str]:
    return {str(group["fulfillmentOrderId"]) for group in groups}


def _plan(
    open_orders: Sequence[Mapping[str, Any]], lines: Sequence[FulfilmentLine]
) -> list[dict[str, Any]]:
    """``lineItemsByFulfillmentOrder`` taking each line's units from what remains."""
    wanted: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.quantity <= 0:
            raise _invalid(f"line {line.line_external_id} has quantity {line.quantity}")
        wanted[line.line_external_id] += line.quantity
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fo in open_orders:
        for item in fo["lineItems"]["nodes"]:
            line_id = item["lineItem"]["id"]
            take = min(wanted.get(line_id, 0), int(item["remainingQuantity"]))
            if take > 0:
                by_order[fo["id"]].append({"id": item["id"], "quantity": take})
                wanted[line_id] -= take
    short = {line_id: left for line_id, left in wanted.items() if left > 0}
    if short:
        line_id, left = next(iter(short.items()))
        raise _invalid(
            f"Shopify has {left} fewer unit(s) of line {line_id} left to ship than asked",
            field="lines",
            short=short,
        )
    return [
        {"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items}
        for fo_id, items in by_order.items()
    ]


def _refund_transaction(order: Mapping[str, Any], refund: Refund) -> dict[str, Any]:
    """One REFUND of ``refund.amount`` against the order's successful sale or capture."""
    assert refund.amount is not None
    currency = str(order["currencyCode"])
    if refund.amount.currency.upper() != currency.upper():
        raise _invalid(
            f"refund in {refund.amount.currency}, but the order is in {currency}",
            field="amount.currency",
        )
    parent = next(
        (
            t
            for t in order["transactions"]
            if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"
        ),
        None,
    )
    if parent is None:
        raise _invalid(f"Shopify order {order['id']} has no payment to refund")
    return {
        "orderId": order["id"],
        "parentId": parent["id"],
        "gateway": parent["gateway"],
        "kind": "REFUND",
        "amount": format_minor_units(refund.amount.cents, currency),
    }
