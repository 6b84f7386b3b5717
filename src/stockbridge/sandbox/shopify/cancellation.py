"""``orderCancel``: the order is cancelled at once (its job is already done).

Unshipped units go back on sale with ``restock: true`` and are written off without it.
With ``refund: true`` (or ``refundMethod.originalPaymentMethodsRefund``) everything not
yet refunded is refunded to the original payment, through ``refunds``. Cancelling an
order that has shipped anything, or one already cancelled, is an
``orderCancelUserErrors`` entry (code ``INVALID``); an unknown order is ``NOT_FOUND``.
A cancelled order is closed, as Shopify archives cancelled orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.checkout import GATEWAY
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.order_records import OrderRecord
from stockbridge.sandbox.shopify.orders import WRITE_ORDERS, touch
from stockbridge.sandbox.shopify.refunds import (
    RefundLine,
    RefundMoney,
    apply_refund,
    release_unshipped,
)
from stockbridge.sandbox.shopify.scopes import require_scope


class CancelRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.error = {"code": code, "field": ["orderId"], "message": message}


def cancel_order(
    context: ResolveContext, order: OrderRecord, *, reason: str, restock: bool, refund: bool
) -> None:
    """Cancel ``order`` or raise :class:`CancelRefused`; announces ``orders/cancelled``."""
    if order.cancelled_at is not None:
        raise CancelRefused("INVALID", "Order has already been cancelled.")
    if order.fulfillments:
        raise CancelRefused(
            "INVALID", "An order with fulfillments can't be cancelled; refund it instead."
        )
    open_lines = [line for line in order.line_items if line.current_quantity > 0]
    if refund:
        left = totals.total_received(order) - totals.total_refunded(order)
        apply_refund(
            context,
            order,
            [
                RefundLine(line, line.current_quantity, "CANCEL" if restock else "NO_RESTOCK")
                for line in open_lines
            ],
            order.shipping_price - totals.refunded_shipping(order),
            [RefundMoney(left, GATEWAY, None)] if left > 0 else [],
        )
    else:
        for line in open_lines:
            release_unshipped(context, order, line, line.current_quantity, restock=restock)
            line.cancelled_quantity += line.current_quantity
    order.cancelled_at = order.closed_at = context.now
    order.cancel_reason = reason
    touch(context, order, "orders/cancelled")


def resolve_order_cancel(
    _root: None,
    info: Info,
    orderId: str,  # noqa: N803 (GraphQL argument names)
    reason: str,
    restock: bool,
    refund: bool | None = None,
    refundMethod: Any = None,  # noqa: N803
    notifyCustomer: bool = False,  # noqa: N803
    staffNote: str | None = None,  # noqa: N803
) -> dict[str, Any]:
    require_scope(info, *WRITE_ORDERS)
    context: ResolveContext = info.context
    state = context.state
    with state.lock:
        order = state.orders.get(orderId)
        if order is None:
            error = {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order does not exist."}
            return {"job": None, "orderCancelUserErrors": [error]}
        to_payment = bool(refund) or bool((refundMethod or {}).get("originalPaymentMethodsRefund"))
        try:
            cancel_order(context, order, reason=reason, restock=restock, refund=to_payment)
        except CancelRefused as refused:
            return {"job": None, "orderCancelUserErrors": [refused.error]}
        return {"job": {"id": state.new_id("Job"), "done": True}, "orderCancelUserErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {"orderCancel": resolve_order_cancel}
