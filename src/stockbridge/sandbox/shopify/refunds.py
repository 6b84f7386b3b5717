"""Refunds as read, and ``refundCreate``; ``cancellation`` refunds through here too.

A refund line's ``restockType`` says what happens to its units: ``CANCEL`` takes
unshipped units off their fulfilment order and back on sale; ``RETURN`` puts shipped
units back on sale at ``locationId`` (default: where they shipped from);
``NO_RESTOCK`` (the default) writes unshipped units off and leaves shipped ones be.
``LEGACY_RESTOCK`` is refused, as the schema says. Money moves only through
``transactions`` (kind ``REFUND``), as on Shopify; ``shipping`` records how much of it
was for shipping. More units than are refundable, more shipping than was charged, or
more money than was received (unless ``allowOverRefunding``) is a user error, and then
nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from stockbridge.sandbox.shopify import order_stock
from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.checkout import register_parts
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.order_records import (
    LineItemRecord,
    OrderRecord,
    RefundLineItemRecord,
    RefundRecord,
    TransactionRecord,
)
from stockbridge.sandbox.shopify.orders import (
    WRITE_ORDERS,
    line_item,
    money_bag,
    order_field,
    order_of,
    touch,
)
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.payloads import refund_payload
from stockbridge.sandbox.shopify.scopes import require_scope
from stockbridge.sandbox.shopify.state import gid_number


def _ctx(info: Info) -> ResolveContext:
    return info.context


def _by_number(record: Any) -> int:
    return gid_number(record.id)


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Refund": {
        "order": order_field,
        "return": lambda refund, info: next(
            (r for r in order_of(info, refund).returns if r.id == refund.return_id), None
        ),
        "totalRefundedSet": lambda refund, info: money_bag(_ctx(info).state, refund.total_refunded),
        "refundLineItems": lambda refund, info, **page: connection(
            refund.line_items, key=_by_number, **page
        ),
        "transactions": lambda refund, info, **page: connection(
            [t for t in order_of(info, refund).transactions if t.id in refund.transaction_ids],
            key=_by_number,
            **page,
        ),
    },
    "RefundLineItem": {
        "lineItem": lambda rli, info: line_item(_ctx(info).state, rli.line_item_id),
        "location": lambda rli, info: _ctx(info).state.locations.get(rli.location_id or ""),
        "priceSet": lambda rli, info: money_bag(
            _ctx(info).state,
            line_item(_ctx(info).state, rli.line_item_id).unit_price,  # type: ignore[union-attr]
        ),
        "subtotalSet": lambda rli, info: money_bag(_ctx(info).state, rli.subtotal),
        "totalTaxSet": lambda rli, info: money_bag(_ctx(info).state, rli.total_tax),
    },
}


# --- planning and applying a refund -------------------------------------------------


@dataclass
class RefundLine:
    line: LineItemRecord
    quantity: int
    restock_type: str
    location_id: str | None = None


@dataclass
class RefundMoney:
    amount: Decimal
    gateway: str
    parent_id: str | None


def _error(field: list[str], message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _shipped_location(order: OrderRecord, line: LineItemRecord) -> str | None:
    for fulfillment in order.fulfillments:
        if any(fli.line_item_id == line.id for fli in fulfillment.line_items):
            return fulfillment.location_id
    return None


def check_lines(order: OrderRecord, lines: list[RefundLine], path: list[str]) -> list[Any]:
    """User errors of the refund lines; empty when every unit can be refunded as asked."""
    errors: list[dict[str, Any]] = []
    asked: dict[str, int] = defaultdict(int)
    asked_unshipped: dict[str, int] = defaultdict(int)
    asked_shipped: dict[str, int] = defaultdict(int)
    for index, entry in enumerate(lines):
        where, line = [*path, str(index)], entry.line
        unshipped = totals.unfulfilled_quantity(order, line.id)
        shipped = line.current_quantity - unshipped
        asked[line.id] += entry.quantity
        if entry.restock_type == "LEGACY_RESTOCK":
            errors.append(
                _error([*where, "restockType"], "LEGACY_RESTOCK is not accepted for new refunds.")
            )
        elif entry.quantity < 1:
            errors.append(_error([*where, "quantity"], "Quantity must be greater than 0."))
        elif asked[line.id] > line.current_quantity:
            errors.append(
                _error(
                    [*where, "quantity"],
                    f"Quantity cannot refund more items than were purchased: "
                    f"{line.current_quantity} of {line.name!r} can be refunded.",
                )
            )
        elif entry.restock_type == "CANCEL":
            asked_unshipped[line.id] += entry.quantity
            if asked_unshipped[line.id] > unshipped:
                errors.append(
                    _error(
                        [*where, "restockType"],
                        f"Only {unshipped} unfulfilled units of {line.name!r} can be cancelled.",
                    )
                )
        elif entry.restock_type == "RETURN":
            asked_shipped[line.id] += entry.quantity
            if asked_shipped[line.id] > shipped:
                errors.append(
                    _error(
                        [*where, "restockType"],
                        f"Only {shipped} fulfilled units of {line.name!r} can be returned.",
                    )
                )
            elif entry.location_id is None and _shipped_location(order, line) is None:
                errors.append(_error([*where, "locationId"], "A location is required."))
    return errors


def release_unshipped(
    context: ResolveContext, order: OrderRecord, line: LineItemRecord, quantity: int, restock: bool
) -> str | None:
    """Take up to ``quantity`` units off the line's fulfilment orders; the last location."""
    location: str | None = None
    for fo in order.fulfillment_orders:
        for foli in fo.line_items:
            if foli.line_item_id != line.id or quantity == 0 or foli.remaining_quantity == 0:
                continue
            taken = min(quantity, foli.remaining_quantity)
            foli.remaining_quantity -= taken
            quantity -= taken
            fo.updated_at = context.now
            location = fo.location_id
            order_stock.release(context, line, fo.location_id, taken, restock=restock)
    return location


def _apply_line(
    context: ResolveContext, order: OrderRecord, entry: RefundLine
) -> RefundLineItemRecord:
    line, quantity = entry.line, entry.quantity
    location: str | None = None
    if entry.restock_type == "CANCEL":
        location = release_unshipped(context, order, line, quantity, restock=True)
    elif entry.restock_type == "RETURN":
        location = entry.location_id or _shipped_location(order, line)
        assert location is not None
        order_stock.take_back(context, line, location, quantity)
    else:
        unshipped = min(quantity, totals.unfulfilled_quantity(order, line.id))
        release_unshipped(context, order, line, unshipped, restock=False)
    line.refunded_quantity += quantity
    subtotal = totals.line_subtotal(line, quantity)
    return RefundLineItemRecord(
        id=context.state.new_id("RefundLineItem"),
        line_item_id=line.id,
        quantity=quantity,
        restock_type=entry.restock_type,
        location_id=location,
        restocked=entry.restock_type in ("CANCEL", "RETURN"),
        subtotal=subtotal,
        total_tax=totals.included_tax(subtotal, order.tax_rate) if line.taxable else Decimal(0),
    )


def apply_refund(
    context: ResolveContext,
    order: OrderRecord,
    lines: list[RefundLine],
    shipping: Decimal,
    money: list[RefundMoney],
    note: str | None = None,
) -> RefundRecord:
    """Apply a refund already checked; announces ``refunds/create`` (not orders/updated)."""
    state = context.state
    sale = next((t for t in order.transactions if t.kind == "SALE"), None)
    transactions = [
        TransactionRecord(
            id=state.new_id("OrderTransaction"),
            kind="REFUND",
            gateway=m.gateway,
            amount=totals.money(m.amount),
            parent_id=m.parent_id or (sale.id if sale else None),
            created_at=context.now,
        )
        for m in money
    ]
    order.transactions += transactions
    # Cancelled units first, written-off ones last: a write-off takes unshipped units
    # before shipped ones, so it must not take those a CANCEL line in this refund names.
    priority = {"CANCEL": 0, "RETURN": 1}
    applied: dict[int, RefundLineItemRecord] = {}
    for index in sorted(range(len(lines)), key=lambda i: priority.get(lines[i].restock_type, 2)):
        applied[index] = _apply_line(context, order, lines[index])
    refund = RefundRecord(
        id=state.new_id("Refund"),
        note=note,
        line_items=[applied[index] for index in range(len(lines))],
        shipping_amount=totals.money(shipping),
        transaction_ids=[t.id for t in transactions],
        total_refunded=sum((t.amount for t in transactions), Decimal("0.00")),
        created_at=context.now,
        updated_at=context.now,
    )
    order.refunds.append(refund)
    register_parts(state, order)
    context.announce("refunds/create", refund_payload(state, order, refund))
    return refund


# --- refundCreate -------------------------------------------------------------------


def _money_errors(order: OrderRecord, data: Any) -> tuple[Decimal, list[RefundMoney], list[Any]]:
    errors: list[dict[str, Any]] = []
    shipping = Decimal(0)
    given = data.get("shipping") or {}
    refundable_shipping = order.shipping_price - totals.refunded_shipping(order)
    try:
        if given.get("fullRefund"):
            shipping = refundable_shipping
        elif given.get("amount") is not None:
            shipping = Decimal(str(given["amount"]))
    except InvalidOperation:
        errors.append(_error(["input", "shipping", "amount"], "Amount is not a valid amount."))
    if not 0 <= shipping <= refundable_shipping:
        errors.append(
            _error(
                ["input", "shipping", "amount"],
                f"Shipping refund amount must be between 0 and {refundable_shipping}.",
            )
        )
    money: list[RefundMoney] = []
    parents = {t.id for t in order.transactions if t.kind in ("SALE", "CAPTURE")}
    for index, entry in enumerate(data.get("transactions") or []):
        where = ["input", "transactions", str(index)]
        try:
            amount = Decimal(str(entry["amount"]))
        except InvalidOperation:
            errors.append(_error([*where, "amount"], "Amount is not a valid amount."))
            continue
        if entry["kind"] != "REFUND":
            message = "Transactions of a refund must be of kind REFUND."
            errors.append(_error([*where, "kind"], message))
        elif entry["orderId"] != order.id:
            errors.append(_error([*where, "orderId"], "The transaction is for another order."))
        elif amount <= 0:
            errors.append(_error([*where, "amount"], "Amount must be greater than 0."))
        elif entry.get("parentId") and entry["parentId"] not in parents:
            errors.append(_error([*where, "parentId"], "The parent transaction does not exist."))
        else:
            money.append(RefundMoney(amount, entry["gateway"], entry.get("parentId")))
    left = totals.total_received(order) - totals.total_refunded(order)
    asked = sum((m.amount for m in money), Decimal(0))
    if asked > left and not data.get("allowOverRefunding"):
        errors.append(
            _error(
                ["input", "transactions"],
                f"Refund amount {totals.money(asked)} is greater than the refundable amount "
                f"{totals.money(left)}.",
            )
        )
    return shipping, money, errors


def resolve_refund_create(_root: None, info: Info, input: Any) -> dict[str, Any]:
    require_scope(info, *WRITE_ORDERS)
    context = _ctx(info)
    state = context.state
    with state.lock:
        order = state.orders.get(input["orderId"])
        if order is None:
            return _failed([_error(["input", "orderId"], "Order does not exist.")])
        lines: list[RefundLine] = []
        errors: list[dict[str, Any]] = []
        for index, entry in enumerate(input.get("refundLineItems") or []):
            line = next((li for li in order.line_items if li.id == entry["lineItemId"]), None)
            if line is None:
                where = ["input", "refundLineItems", str(index), "lineItemId"]
                errors.append(_error(where, "Line item does not exist on this order."))
                continue
            location = entry.get("locationId")
            if location is not None and location not in state.locations:
                where = ["input", "refundLineItems", str(index), "locationId"]
                errors.append(_error(where, "Location does not exist."))
                continue
            restock = entry.get("restockType") or "NO_RESTOCK"
            lines.append(RefundLine(line, entry["quantity"], restock, location))
        if not errors:
            errors += check_lines(order, lines, ["input", "refundLineItems"])
        shipping, money, money_errors = _money_errors(order, input)
        errors += money_errors
        if errors:
            return _failed(errors)
        refund = apply_refund(context, order, lines, shipping, money, input.get("note"))
        touch(context, order)
        return {"order": order, "refund": refund, "userErrors": []}


def _failed(errors: list[Any]) -> dict[str, Any]:
    return {"order": None, "refund": None, "userErrors": errors}


MUTATIONS: dict[str, Callable[..., Any]] = {"refundCreate": resolve_refund_create}
