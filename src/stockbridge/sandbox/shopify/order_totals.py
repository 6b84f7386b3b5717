"""What an order's figures and statuses are, computed from its records.

Nothing here is stored: totals, the financial and fulfilment statuses and the quantity
of each line still to ship follow from the line items, fulfilment orders, fulfilments,
refunds and transactions, so they can never disagree with them. Prices include tax
(``taxes_included``), the way a UK shop sells: the tax of an amount is the part of it
that ``tax_rate`` makes up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from stockbridge.sandbox.shopify.order_records import (
    FulfillmentLineItemRecord,
    LineItemRecord,
    OrderRecord,
)

CENT = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def included_tax(amount: Decimal, rate: Decimal) -> Decimal:
    """The tax inside a tax-inclusive ``amount``."""
    return money(amount * rate / (1 + rate))


def line_subtotal(line: LineItemRecord, quantity: int | None = None) -> Decimal:
    return money(line.unit_price * (line.quantity if quantity is None else quantity))


def subtotal(order: OrderRecord) -> Decimal:
    return sum((line_subtotal(line) for line in order.line_items), Decimal("0.00"))


def total_price(order: OrderRecord) -> Decimal:
    return subtotal(order) + order.shipping_price


def total_tax(order: OrderRecord) -> Decimal:
    lines = sum(
        (included_tax(line_subtotal(li), order.tax_rate) for li in order.line_items if li.taxable),
        Decimal("0.00"),
    )
    return lines + included_tax(order.shipping_price, order.tax_rate)


def _sum_transactions(order: OrderRecord, kinds: tuple[str, ...]) -> Decimal:
    return sum(
        (t.amount for t in order.transactions if t.kind in kinds and t.status == "SUCCESS"),
        Decimal("0.00"),
    )


def total_received(order: OrderRecord) -> Decimal:
    return _sum_transactions(order, ("SALE", "CAPTURE"))


def total_refunded(order: OrderRecord) -> Decimal:
    return _sum_transactions(order, ("REFUND",))


def refunded_shipping(order: OrderRecord) -> Decimal:
    return sum((refund.shipping_amount for refund in order.refunds), Decimal("0.00"))


def current_subtotal(order: OrderRecord) -> Decimal:
    return sum((line_subtotal(li, li.current_quantity) for li in order.line_items), Decimal("0.00"))


def current_total(order: OrderRecord) -> Decimal:
    return current_subtotal(order) + order.shipping_price - refunded_shipping(order)


def financial_status(order: OrderRecord) -> str:
    """``OrderDisplayFinancialStatus``: paid until money goes back."""
    received, refunded = total_received(order), total_refunded(order)
    if received == 0:
        return "PENDING"
    if refunded == 0:
        return "PAID"
    return "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"


def fulfilled_quantity(order: OrderRecord, line_item_id: str) -> int:
    return sum(
        fli.quantity
        for fulfillment in order.fulfillments
        for fli in fulfillment.line_items
        if fli.line_item_id == line_item_id
    )


def unfulfilled_quantity(order: OrderRecord, line_item_id: str) -> int:
    """Units of the line still waiting in an open fulfilment order."""
    return sum(
        foli.remaining_quantity
        for fo in order.fulfillment_orders
        for foli in fo.line_items
        if foli.line_item_id == line_item_id
    )


def fulfillment_status(order: OrderRecord) -> str:
    """``OrderDisplayFulfillmentStatus``."""
    shipped = sum(f.total_quantity for f in order.fulfillments)
    waiting = sum(unfulfilled_quantity(order, li.id) for li in order.line_items)
    if shipped and not waiting:
        return "FULFILLED"
    if shipped:
        return "PARTIALLY_FULFILLED"
    if not waiting and any(r.restocked for refund in order.refunds for r in refund.line_items):
        return "RESTOCKED"
    return "UNFULFILLED"


def fulfillment_line_item(
    order: OrderRecord, fulfillment_line_item_id: str
) -> FulfillmentLineItemRecord | None:
    for fulfillment in order.fulfillments:
        for line in fulfillment.line_items:
            if line.id == fulfillment_line_item_id:
                return line
    return None


def quantity_in_returns(order: OrderRecord, fulfillment_line_item_id: str) -> int:
    """Units of a fulfilment line already in a return that is not declined or cancelled."""
    return sum(
        line.quantity
        for ret in order.returns
        if ret.status not in ("DECLINED", "CANCELED")
        for line in ret.line_items
        if line.fulfillment_line_item_id == fulfillment_line_item_id
    )


def return_status(order: OrderRecord) -> str:
    """``OrderReturnStatus``."""
    statuses = {ret.status for ret in order.returns}
    if "REQUESTED" in statuses:
        return "RETURN_REQUESTED"
    if "OPEN" in statuses:
        return "IN_PROGRESS"
    if "CLOSED" in statuses:
        return "RETURNED"
    return "NO_RETURN"
