"""Fulfilment orders and fulfilments as read, and ``fulfillmentCreate``.

A fulfilment order is ``OPEN`` until something of it ships, ``IN_PROGRESS`` while some
of it has, and ``CLOSED`` once nothing remains (shipped, cancelled or refunded). One
``fulfillmentCreate`` ships from fulfilment orders of one order at one location, as
Shopify requires; without ``fulfillmentOrderLineItems`` it ships all that remains.
Shipping more than remains, or from a closed fulfilment order, is a user error and
ships nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from stockbridge.sandbox.shopify import order_stock
from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.checkout import register_parts
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.order_records import (
    FulfillmentLineItemRecord,
    FulfillmentOrderLineItemRecord,
    FulfillmentOrderRecord,
    FulfillmentRecord,
    OrderRecord,
    TrackingRecord,
)
from stockbridge.sandbox.shopify.orders import (
    READ_ORDERS,
    line_item,
    money_bag,
    order_field,
    order_of,
    touch,
)
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.payloads import fulfillment_payload
from stockbridge.sandbox.shopify.scopes import require_scope
from stockbridge.sandbox.shopify.state import gid_number

WRITE_FULFILLMENTS = (
    "write_merchant_managed_fulfillment_orders",
    "write_assigned_fulfillment_orders",
    "write_fulfillments",
)
READ_FULFILLMENT_ORDERS = (
    "read_merchant_managed_fulfillment_orders",
    "read_assigned_fulfillment_orders",
    *READ_ORDERS,
)
FULFILLABLE = ("OPEN", "IN_PROGRESS")
#: The sandbox's locations have no address; their country is the shop's.
LOCATION_COUNTRY = "GB"


def _ctx(info: Info) -> ResolveContext:
    return info.context


def _by_number(record: Any) -> int:
    return gid_number(record.id)


def fulfillment_order_status(fo: FulfillmentOrderRecord) -> str:
    if all(line.remaining_quantity == 0 for line in fo.line_items):
        return "CLOSED"
    shipped = any(line.remaining_quantity < line.total_quantity for line in fo.line_items)
    return "IN_PROGRESS" if shipped and fo.fulfillment_ids else "OPEN"


# --- reads --------------------------------------------------------------------------


def resolve_fulfillment_order(_root: None, info: Info, id: str) -> Any:
    require_scope(info, *READ_FULFILLMENT_ORDERS)
    order = _ctx(info).state.order_of(id)
    if order is None:
        return None
    return next((fo for fo in order.fulfillment_orders if fo.id == id), None)


def _assigned_location(fo: FulfillmentOrderRecord, info: Info) -> dict[str, Any]:
    location = _ctx(info).state.locations.get(fo.location_id)
    return {
        "location": location,
        "name": location.name if location else "",
        "countryCode": LOCATION_COUNTRY,
    }


def _fulfillments_of(fo: FulfillmentOrderRecord, info: Info, **page: Any) -> Any:
    order = order_of(info, fo)
    found = [f for f in order.fulfillments if f.id in fo.fulfillment_ids]
    return connection(found, key=_by_number, **page)


def _orders_of(fulfillment: FulfillmentRecord, info: Info, **page: Any) -> Any:
    order = order_of(info, fulfillment)
    found = [fo for fo in order.fulfillment_orders if fo.id in fulfillment.fulfillment_order_ids]
    return connection(found, key=_by_number, **page)


def _foli_line(compute: Callable[[Any], Any]) -> Callable[..., Any]:
    """A fulfilment order line's field taken from the order line it ships."""
    return lambda foli, info: compute(line_item(_ctx(info).state, foli.line_item_id))


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "QueryRoot": {"fulfillmentOrder": resolve_fulfillment_order},
    "FulfillmentOrder": {
        "status": lambda fo, info: fulfillment_order_status(fo),
        "assignedLocation": _assigned_location,
        "order": order_field,
        "orderId": lambda fo, info: order_of(info, fo).id,
        "orderName": lambda fo, info: order_of(info, fo).name,
        "orderProcessedAt": lambda fo, info: order_of(info, fo).processed_at,
        "lineItems": lambda fo, info, **page: connection(fo.line_items, key=_by_number, **page),
        "fulfillments": _fulfillments_of,
    },
    "FulfillmentOrderLineItem": {
        "lineItem": _foli_line(lambda line: line),
        "inventoryItemId": _foli_line(lambda line: line.inventory_item_id),
        "productTitle": _foli_line(lambda line: line.title),
        "requiresShipping": _foli_line(lambda line: line.requires_shipping),
        "sku": _foli_line(lambda line: line.sku),
        "variantTitle": _foli_line(lambda line: line.variant_title),
        "vendor": _foli_line(lambda line: line.vendor),
        "variant": lambda foli, info: _ctx(info).state.variants.get(
            line_item(_ctx(info).state, foli.line_item_id).variant_id or ""  # type: ignore[union-attr]
        ),
    },
    "Fulfillment": {
        "location": lambda f, info: _ctx(info).state.locations.get(f.location_id),
        "order": order_field,
        "requiresShipping": lambda f, info: True,
        "trackingInfo": lambda f, info, first=None: f.tracking_info[:first],
        "fulfillmentLineItems": lambda f, info, **page: connection(
            f.line_items, key=_by_number, **page
        ),
        "fulfillmentOrders": _orders_of,
    },
    "FulfillmentLineItem": {
        "lineItem": lambda fli, info: line_item(_ctx(info).state, fli.line_item_id),
        "originalTotalSet": lambda fli, info: money_bag(
            _ctx(info).state,
            totals.line_subtotal(line_item(_ctx(info).state, fli.line_item_id), fli.quantity),  # type: ignore[arg-type]
        ),
    },
}


# --- fulfillmentCreate --------------------------------------------------------------


def _error(field: list[str], message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _plan(
    context: ResolveContext, groups: list[Any]
) -> tuple[OrderRecord | None, list[tuple[FulfillmentOrderLineItemRecord, int]], list[Any]]:
    """What to ship from which fulfilment order line, or the user errors that stop it."""
    state = context.state
    errors: list[dict[str, Any]] = []
    order: OrderRecord | None = None
    location: str | None = None
    plan: list[tuple[FulfillmentOrderLineItemRecord, int]] = []
    for index, group in enumerate(groups):
        path = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
        fo_id = group["fulfillmentOrderId"]
        found = state.order_of(fo_id)
        fo = next((f for f in (found.fulfillment_orders if found else []) if f.id == fo_id), None)
        if found is None or fo is None:
            message = "Fulfillment order does not exist."
            errors.append(_error([*path, "fulfillmentOrderId"], message))
            continue
        if (order and order.id != found.id) or (location and location != fo.location_id):
            errors.append(
                _error(
                    [*path, "fulfillmentOrderId"],
                    "All fulfillment orders must belong to the same order and be assigned "
                    "to the same location.",
                )
            )
            continue
        order, location = found, fo.location_id
        if fulfillment_order_status(fo) not in FULFILLABLE:
            errors.append(
                _error(
                    [*path, "fulfillmentOrderId"],
                    f"Fulfillment order {gid_number(fo.id)} has an unfulfillable status= "
                    f"{fulfillment_order_status(fo).lower()}.",
                )
            )
            continue
        wanted = group.get("fulfillmentOrderLineItems")
        if wanted is None:
            plan += [(li, li.remaining_quantity) for li in fo.line_items if li.remaining_quantity]
            continue
        lines = {line.id: line for line in fo.line_items}
        for position, entry in enumerate(wanted):
            where = [*path, "fulfillmentOrderLineItems", str(position)]
            line = lines.get(entry["id"])
            already = sum(q for planned, q in plan if planned is line)
            if line is None:
                errors.append(_error([*where, "id"], "Fulfillment order line item does not exist."))
            elif not 0 < entry["quantity"] <= line.remaining_quantity - already:
                errors.append(
                    _error(
                        [*where, "quantity"],
                        "Invalid fulfillment order line item quantity requested.",
                    )
                )
            else:
                plan.append((line, entry["quantity"]))
    if not errors and not plan:
        errors.append(
            _error(["fulfillment", "lineItemsByFulfillmentOrder"], "Nothing is left to fulfill.")
        )
    return order, plan, errors


def _tracking(given: Any) -> list[TrackingRecord]:
    if not given:
        return []
    numbers = given.get("numbers") or ([given["number"]] if given.get("number") else [])
    urls = given.get("urls") or ([given["url"]] if given.get("url") else [])
    count = max(len(numbers), len(urls), 1)
    return [
        TrackingRecord(
            company=given.get("company"),
            number=numbers[i] if i < len(numbers) else None,
            url=urls[i] if i < len(urls) else None,
        )
        for i in range(count)
    ]


def resolve_fulfillment_create(
    _root: None, info: Info, fulfillment: Any, message: str | None = None
) -> dict[str, Any]:
    require_scope(info, *WRITE_FULFILLMENTS)
    context = _ctx(info)
    state = context.state
    with state.lock:
        order, plan, errors = _plan(context, fulfillment["lineItemsByFulfillmentOrder"])
        if errors or order is None:
            return {"fulfillment": None, "userErrors": errors}
        shipped: dict[str, int] = defaultdict(int)
        fo_ids: list[str] = []
        location_id = ""
        for fo in order.fulfillment_orders:
            for line in fo.line_items:
                for planned, quantity in plan:
                    if planned is line:
                        line.remaining_quantity -= quantity
                        shipped[line.line_item_id] += quantity
                        location_id = fo.location_id
                        if fo.id not in fo_ids:
                            fo_ids.append(fo.id)
        record = FulfillmentRecord(
            id=state.new_id("Fulfillment"),
            name=f"{order.name}.{len(order.fulfillments) + 1}",
            location_id=location_id,
            tracking_info=_tracking(fulfillment.get("trackingInfo")),
            line_items=[
                FulfillmentLineItemRecord(
                    id=state.new_id("FulfillmentLineItem"), line_item_id=line_id, quantity=q
                )
                for line_id, q in shipped.items()
            ],
            fulfillment_order_ids=fo_ids,
            notify_customer=bool(fulfillment.get("notifyCustomer")),
            created_at=context.now,
            updated_at=context.now,
        )
        order.fulfillments.append(record)
        lines = {line.id: line for line in order.line_items}
        for line_id, quantity in shipped.items():
            order_stock.ship(context, lines[line_id], location_id, quantity)
        for fo in order.fulfillment_orders:
            if fo.id in fo_ids:
                fo.fulfillment_ids.append(record.id)
                fo.status = fulfillment_order_status(fo)
                fo.updated_at = context.now
        register_parts(state, order)
        done = totals.fulfillment_status(order) == "FULFILLED"
        touch(context, order, "orders/fulfilled" if done else "orders/partially_fulfilled")
        context.announce("fulfillments/create", fulfillment_payload(state, order, record))
        return {"fulfillment": record, "userErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {"fulfillmentCreate": resolve_fulfillment_create}
