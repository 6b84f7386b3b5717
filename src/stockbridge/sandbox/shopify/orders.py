"""Orders as read: ``orders`` (search, sort, pagination), ``order``, ``customer``, and the
computed fields of orders, line items and transactions; plus what every order mutation
shares (finding parts by id, stamping ``updatedAt``, announcing the change).

``fulfillment``, ``refunds``, ``returns`` and ``cancellation`` own the changes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.order_records import (
    LineItemRecord,
    OrderRecord,
    TransactionRecord,
)
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.payloads import order_payload
from stockbridge.sandbox.shopify.scopes import require_scope
from stockbridge.sandbox.shopify.search import Searchable, matches
from stockbridge.sandbox.shopify.state import ShopState, gid_number

READ_ORDERS = ("read_orders",)
WRITE_ORDERS = ("write_orders",)
#: Search aliases Shopify still accepts for the fulfilment status values.
_FULFILLMENT_ALIASES = {
    "UNFULFILLED": ["unfulfilled", "unshipped"],
    "PARTIALLY_FULFILLED": ["partially_fulfilled", "partial"],
    "FULFILLED": ["fulfilled", "shipped"],
    "RESTOCKED": ["restocked"],
}


def _ctx(info: Info) -> ResolveContext:
    return info.context


# --- shared with the order mutations --------------------------------------------------


def money_bag(state: ShopState, amount: Decimal) -> dict[str, Any]:
    """A ``MoneyBag``; the sandbox sells in the shop's currency, so both monies agree."""
    money = {"amount": str(totals.money(amount)), "currencyCode": state.shop.currency_code}
    return {"shopMoney": money, "presentmentMoney": money}


def line_item(state: ShopState, line_item_id: str) -> LineItemRecord | None:
    order = state.order_of(line_item_id)
    if order is None:
        return None
    return next((line for line in order.line_items if line.id == line_item_id), None)


def order_of(info: Info, record: Any) -> OrderRecord:
    """The order an order part (fulfilment order, refund, line item, ...) belongs to."""
    order = _ctx(info).state.order_of(record.id)
    assert order is not None, record.id
    return order


def order_field(record: Any, info: Info) -> OrderRecord:
    """Resolver of a part's ``order`` field."""
    return order_of(info, record)


def touch(context: ResolveContext, order: OrderRecord, *topics: str) -> None:
    """Stamp the change on the order and announce it: ``orders/updated`` and ``topics``."""
    order.updated_at = context.now
    context.changed = True
    payload = order_payload(context.state, order)
    for topic in ("orders/updated", *topics):
        context.announce(topic, payload)


# --- orders query -------------------------------------------------------------------


def _search(order: OrderRecord) -> Searchable:
    status = ["any", "cancelled", "closed"] if order.cancelled_at else ["any", "open"]
    if order.closed_at and not order.cancelled_at:
        status = ["any", "closed"]
    return Searchable(
        text={
            "status": status,
            "financial_status": [totals.financial_status(order).lower()],
            "fulfillment_status": _FULFILLMENT_ALIASES[totals.fulfillment_status(order)],
            "return_status": [totals.return_status(order).lower()],
            "name": [order.name, str(order.number)],
            "id": [str(gid_number(order.id))],
            "email": [order.email],
            "sku": [line.sku for line in order.line_items if line.sku],
            "tag": order.tags,
        },
        times={
            "created_at": order.created_at,
            "updated_at": order.updated_at,
            "processed_at": order.processed_at,
        },
    )


def _micros(order: OrderRecord, attribute: str) -> int:
    return int(getattr(order, attribute).timestamp() * 1_000_000)


#: Sort key -> the order's position as one integer. Cursors hold one integer (see
#: pagination.py), so a time is combined with the id to stay unique and stable.
_SORT_KEYS: dict[str, Callable[[OrderRecord], int]] = {
    "ID": lambda order: gid_number(order.id),
    "ORDER_NUMBER": lambda order: order.number,
    "CREATED_AT": lambda o: _micros(o, "created_at") * 10**12 + gid_number(o.id),
    "PROCESSED_AT": lambda o: _micros(o, "processed_at") * 10**12 + gid_number(o.id),
    "UPDATED_AT": lambda o: _micros(o, "updated_at") * 10**12 + gid_number(o.id),
    "TOTAL_PRICE": lambda o: int(totals.total_price(o) * 100) * 10**12 + gid_number(o.id),
}


def resolve_orders(
    _root: None,
    info: Info,
    query: str | None = None,
    sortKey: str = "PROCESSED_AT",  # noqa: N803 (GraphQL argument name)
    **page: Any,
) -> dict[str, Any]:
    require_scope(info, *READ_ORDERS)
    state = _ctx(info).state
    found = [order for order in state.orders.values() if matches(query, _search(order))]
    return connection(found, key=_SORT_KEYS[sortKey], **page)


def resolve_order(_root: None, info: Info, id: str) -> OrderRecord | None:
    require_scope(info, *READ_ORDERS)
    return _ctx(info).state.orders.get(id)


def resolve_customer(_root: None, info: Info, id: str) -> Any:
    require_scope(info, "read_customers")
    return _ctx(info).state.customers.get(id)


# --- object fields ------------------------------------------------------------------


def _order_money(compute: Callable[[OrderRecord], Decimal]) -> Callable[..., Any]:
    return lambda order, info: money_bag(_ctx(info).state, compute(order))


def _first(items: list[Any], first: int | None) -> list[Any]:
    return items if first is None else items[:first]


def _vat(order: OrderRecord, info: Info, amount: Decimal) -> dict[str, Any]:
    return {
        "title": "VAT",
        "rate": float(order.tax_rate),
        "ratePercentage": float(order.tax_rate * 100),
        "priceSet": money_bag(_ctx(info).state, amount),
    }


def _tax_lines(order: OrderRecord, info: Info) -> list[dict[str, Any]]:
    return [_vat(order, info, totals.total_tax(order))]


def _line_tax_lines(line: LineItemRecord, info: Info, first: int | None = None) -> Any:
    """VAT inside the line's price as bought (refunded units included, as on Shopify)."""
    if not line.taxable:
        return []
    order = order_of(info, line)
    tax = totals.included_tax(totals.line_subtotal(line), order.tax_rate)
    return _first([_vat(order, info, tax)], first)


def _shipping_line(order: OrderRecord, info: Info) -> dict[str, Any]:
    price = money_bag(_ctx(info).state, order.shipping_price)
    return {
        "code": order.shipping_title,
        "title": order.shipping_title,
        "originalPriceSet": price,
        "discountedPriceSet": price,
    }


def _by_number(record: Any) -> int:
    return gid_number(record.id)


def _line_field(compute: Callable[[OrderRecord, LineItemRecord], Any]) -> Callable[..., Any]:
    return lambda line, info: compute(order_of(info, line), line)


def _line_money(compute: Callable[[LineItemRecord], Decimal]) -> Callable[..., Any]:
    return lambda line, info: money_bag(_ctx(info).state, compute(line))


def _non_fulfillable(order: OrderRecord, line: LineItemRecord) -> int:
    open_or_shipped = totals.fulfilled_quantity(order, line.id) + totals.unfulfilled_quantity(
        order, line.id
    )
    return max(0, line.quantity - open_or_shipped)


def _parent(transaction: TransactionRecord, info: Info) -> TransactionRecord | None:
    order = order_of(info, transaction)
    return next((t for t in order.transactions if t.id == transaction.parent_id), None)


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "QueryRoot": {
        "orders": resolve_orders,
        "order": resolve_order,
        "customer": resolve_customer,
    },
    "Order": {
        "closed": lambda order, info: order.closed_at is not None,
        "confirmed": lambda order, info: True,
        "test": lambda order, info: False,
        "presentmentCurrencyCode": lambda order, info: order.currency_code,
        "displayFinancialStatus": lambda order, info: totals.financial_status(order),
        "displayFulfillmentStatus": lambda order, info: totals.fulfillment_status(order),
        "returnStatus": lambda order, info: totals.return_status(order),
        "fullyPaid": lambda o, info: totals.total_received(o) >= totals.total_price(o),
        "unpaid": lambda order, info: totals.total_received(order) == 0,
        "refundable": lambda o, info: totals.total_received(o) > totals.total_refunded(o),
        "requiresShipping": lambda o, info: any(li.requires_shipping for li in o.line_items),
        "subtotalLineItemsQuantity": lambda o, info: sum(li.quantity for li in o.line_items),
        "currentSubtotalLineItemsQuantity": lambda o, info: sum(
            li.current_quantity for li in o.line_items
        ),
        "subtotalPriceSet": _order_money(totals.subtotal),
        "totalPriceSet": _order_money(totals.total_price),
        "totalShippingPriceSet": _order_money(lambda order: order.shipping_price),
        "totalTaxSet": _order_money(totals.total_tax),
        "totalReceivedSet": _order_money(totals.total_received),
        "totalRefundedSet": _order_money(totals.total_refunded),
        "totalRefundedShippingSet": _order_money(totals.refunded_shipping),
        "totalOutstandingSet": _order_money(
            lambda o: max(Decimal(0), totals.total_price(o) - totals.total_received(o))
        ),
        "netPaymentSet": _order_money(
            lambda o: totals.total_received(o) - totals.total_refunded(o)
        ),
        "currentSubtotalPriceSet": _order_money(totals.current_subtotal),
        "currentTotalPriceSet": _order_money(totals.current_total),
        "taxLines": _tax_lines,
        "shippingLine": _shipping_line,
        "customer": lambda order, info: _ctx(info).state.customers.get(order.customer_id or ""),
        "billingAddress": lambda order, info: order.shipping_address,
        "lineItems": lambda order, info, **page: connection(
            order.line_items, key=_by_number, **page
        ),
        "fulfillmentOrders": lambda order, info, **page: connection(
            order.fulfillment_orders, key=_by_number, **page
        ),
        "fulfillments": lambda order, info, first=None: _first(order.fulfillments, first),
        "refunds": lambda order, info, first=None: _first(order.refunds, first),
        "returns": lambda order, info, **page: connection(order.returns, key=_by_number, **page),
        "transactions": lambda order, info, first=None: _first(order.transactions, first),
    },
    "LineItem": {
        "refundableQuantity": lambda line, info: line.current_quantity,
        "unfulfilledQuantity": _line_field(lambda o, li: totals.unfulfilled_quantity(o, li.id)),
        "nonFulfillableQuantity": _line_field(_non_fulfillable),
        "restockable": lambda line, info: (
            line.tracked and line.inventory_item_id in _ctx(info).state.inventory_items
        ),
        "originalUnitPriceSet": _line_money(lambda line: line.unit_price),
        "discountedUnitPriceSet": _line_money(lambda line: line.unit_price),
        "originalTotalSet": _line_money(totals.line_subtotal),
        "taxLines": _line_tax_lines,
        # The sandbox sells without discount codes, so nothing is ever allocated.
        "discountAllocations": lambda line, info: [],
        "variant": lambda line, info: _ctx(info).state.variants.get(line.variant_id or ""),
        "product": lambda line, info: _ctx(info).state.products.get(line.product_id or ""),
    },
    "OrderTransaction": {
        "amountSet": lambda t, info: money_bag(_ctx(info).state, t.amount),
        "processedAt": lambda t, info: t.created_at,
        "parentTransaction": _parent,
        "test": lambda t, info: False,
    },
    "Customer": {
        "defaultEmailAddress": lambda customer, info: {"emailAddress": customer.email},
    },
}
