"""Sell Fulfillment API: issueRefund (``POST /order/{order_id}/issue_refund``).

A refund is for the whole order (``orderLevelRefundAmount``) or for lines
(``refundItems``, each by ``lineItemId``), with a ``reasonForRefund`` of eBay's
ReasonForRefundEnum. All refunds of an order together may not exceed what the buyer
paid (34915), nor a line's refunds its total (409, 34924); a fully refunded order takes
no more (34917). eBay processes refunds asynchronously and answers ``PENDING``; the
sandbox settles at once, so getOrder already shows the refund ``REFUNDED`` in
``paymentSummary.refunds`` (and the line's ``refunds``), the order's
``orderPaymentStatus`` as PARTIALLY_REFUNDED or FULLY_REFUNDED, and a new
``lastModifiedDate``. The official file gives this call the ``sell.finances`` scope.
Refunding by ``legacyReference`` (item and transaction id) is not served.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.fulfillment import ORDER_ID
from stockbridge.sandbox.ebay.fulfillment_schemas import IssueRefundRequest, SimpleAmount
from stockbridge.sandbox.ebay.oauth import SELL_FINANCES, require_scope
from stockbridge.sandbox.ebay.orders import (
    BASE_PATH,
    line_total_cents,
    now_ms,
    order_total_cents,
    refunded_cents,
    to_cents,
)
from stockbridge.sandbox.ebay.state import OrderRecord, RefundRecord

#: eBay's ReasonForRefundEnum.
REFUND_REASONS = frozenset(
    {
        "BUYER_CANCEL",
        "SELLER_CANCEL",
        "ITEM_NOT_RECEIVED",
        "BUYER_RETURN",
        "ITEM_NOT_AS_DESCRIBED",
        "OTHER_ADJUSTMENT",
        "SHIPPING_DISCOUNT",
    }
)
COMMENT_LIMIT = 1000

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Sell Fulfillment"],
    dependencies=[Depends(operation_from_route_name)],
)


def _error(error_id: int, message: str, status: int = 400) -> EbayError:
    return errors.fulfillment_error(status, error_id, message)


def _cents(money: SimpleAmount, currency: str) -> int:
    if not money.value:
        raise _error(34906, "The amount value must be specified.")
    cents = to_cents(money.value)
    if cents is None or cents == 0:
        raise _error(34907, "The amount value must be positive and within two decimals.")
    if not money.currency:
        raise _error(34908, "The amount currency must be specified.")
    if money.currency != currency:
        raise _error(34909, "The amount currency isn't correct.")
    return cents


def _planned(
    sandbox: EbaySandbox, order: OrderRecord, request: IssueRefundRequest
) -> list[tuple[str | None, int]]:
    """(line item id or None for the order, cents) per refund asked for, all checked."""
    state = sandbox.store.state
    if request.order_level_refund_amount is not None and request.refund_items:
        raise _error(34905, "Either orderLevelRefundAmount or refundItems must be specified.")
    if request.order_level_refund_amount is not None:
        plans: list[tuple[str | None, int]] = [
            (None, _cents(request.order_level_refund_amount, order.currency))
        ]
    elif request.refund_items:
        lines = {line.line_item_id: line for line in order.line_items}
        plans = []
        for item in request.refund_items:
            if not item.line_item_id:
                raise _error(
                    34910,
                    "Either legacyReference or lineItemId must be specified for item level refund.",
                )
            line = lines.get(item.line_item_id)
            if line is None:
                raise _error(34914, "Can't find the item in the order.")
            if item.refund_amount is None:
                raise _error(34906, "The amount value must be specified.")
            cents = _cents(item.refund_amount, order.currency)
            already = refunded_cents(state, order, line.line_item_id) + sum(
                c for lid, c in plans if lid == line.line_item_id
            )
            if already + cents > line_total_cents(line):
                raise _error(
                    34924, "The item refund amount exceeds the item remaining amount.", 409
                )
            plans.append((line.line_item_id, cents))
    else:
        raise _error(34905, "Either orderLevelRefundAmount or refundItems must be specified.")
    if refunded_cents(state, order) + sum(c for _, c in plans) > order_total_cents(order):
        raise _error(34915, "The refund amount exceeds order amount.")
    return plans


@router.post(
    "/order/{order_id}/issue_refund",
    name="issueRefund",
    dependencies=[Depends(require_scope(SELL_FINANCES))],
)
def issue_refund(
    order_id: Annotated[str, Path(alias="order_id")],
    sandbox: SandboxDep,
    request: IssueRefundRequest | None = None,
) -> JSONResponse:
    if request is None or not request.model_fields_set:
        raise _error(34902, "Request can't be empty.")
    if not request.reason_for_refund or request.reason_for_refund not in REFUND_REASONS:
        raise _error(34903, "The refund reason must be specified.")
    if request.comment is not None and len(request.comment) > COMMENT_LIMIT:
        raise _error(
            34921,
            "The comment exceeds the length limit, please make sure it doesn't exceed "
            f"{COMMENT_LIMIT} characters.",
        )
    with sandbox.store.change() as state:
        order = state.orders.get(order_id) if ORDER_ID.match(order_id) else None
        if order is None:
            raise _error(34913, "Can not find the order.", 404)
        if refunded_cents(state, order) >= order_total_cents(order):
            raise _error(34917, "This order was already refunded.")
        plans = _planned(sandbox, order, request)
        now = now_ms(sandbox)
        first: RefundRecord | None = None
        for line_item_id, cents in plans:
            refund = RefundRecord(
                refund_id=f"5{sandbox.store.new_id():0>11}",
                order_id=order.order_id,
                line_item_id=line_item_id,
                amount_cents=cents,
                reason=request.reason_for_refund,
                comment=request.comment,
                at_ms=now,
            )
            state.refunds[refund.refund_id] = refund
            order.refund_ids.append(refund.refund_id)
            first = first or refund
        order.modified_ms = now
    assert first is not None  # _planned returns at least one refund or raises
    # eBay answers PENDING (it settles later); the order already shows it settled.
    return JSONResponse({"refundId": first.refund_id, "refundStatus": "PENDING"})
