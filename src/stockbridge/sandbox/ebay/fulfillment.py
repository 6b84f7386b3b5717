"""Sell Fulfillment API: orders (getOrders, getOrder) and their shipping fulfilments.

Paths, parameters, bodies and statuses follow sell_fulfillment_v1_oas3.json (base path
``/sell/fulfillment/v1``); issueRefund lives in refunds.py. Orders are placed by buyers
(buyers.py). getOrders takes ``orderIds`` (at most 50; then every other parameter is
ignored) or ``filter`` (order_filter.py; without one, orders created in the last 90
days) with ``limit`` (1-200, default 50) and ``offset`` (records skipped), oldest order
first. createShippingFulfillment ships units of the order's lines; a line may not ship
more units than were bought, and the order's status follows (orders.py). Every change
to an order stamps its ``lastModifiedDate`` with the sandbox clock.

Reads take ``sell.fulfillment`` or ``sell.fulfillment.readonly``, writes the first.
An unknown order is 404 errorId 32100 where the file declares a 404 (getOrder,
getShippingFulfillment) and 400 errorId 32100 where it does not.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from stockbridge.sandbox.control import operation_from_route_name
from stockbridge.sandbox.ebay import errors
from stockbridge.sandbox.ebay.context import EbaySandbox, SandboxDep
from stockbridge.sandbox.ebay.errors import EbayError
from stockbridge.sandbox.ebay.fulfillment_schemas import ShippingFulfillmentDetails
from stockbridge.sandbox.ebay.oauth import (
    SELL_FULFILLMENT,
    SELL_FULFILLMENT_READONLY,
    require_scope,
)
from stockbridge.sandbox.ebay.order_filter import OrderFilter, Window, parse_filter
from stockbridge.sandbox.ebay.orders import (
    BASE_PATH,
    iso_ms,
    now_ms,
    order_json,
    parse_iso,
)
from stockbridge.sandbox.ebay.state import FulfillmentRecord, OrderRecord, ShippedLine

READ = [Depends(require_scope(SELL_FULFILLMENT, SELL_FULFILLMENT_READONLY))]
WRITE = [Depends(require_scope(SELL_FULFILLMENT))]
ORDER_IDS_LIMIT = 50
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
DEFAULT_DAYS_MS = 90 * 24 * 3600 * 1000
#: An order id: eBay's ``12-34567-89012``, or the legacy ``itemId-transactionId``.
ORDER_ID = re.compile(r"^\d+(-\d+)+$")
#: eBay takes tracking numbers of letters and digits only.
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9]{1,64}$")
OrderId = Annotated[str, Path(alias="orderId")]

router = APIRouter(
    prefix=BASE_PATH,
    tags=["eBay Sell Fulfillment"],
    dependencies=[Depends(operation_from_route_name)],
)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def invalid_order_id(order_id: str, status: int = 400) -> EbayError:
    return errors.fulfillment_error(
        status, 32100, f"Invalid order ID: {order_id}", [("orderId", order_id)]
    )


def find_order(sandbox: EbaySandbox, order_id: str, missing_status: int = 400) -> OrderRecord:
    """The order (call under the lock); malformed ids are 400, unknown ones ``missing_status``."""
    if not ORDER_ID.match(order_id):
        raise invalid_order_id(order_id)
    order = sandbox.store.state.orders.get(order_id)
    if order is None:
        raise invalid_order_id(order_id, missing_status)
    return order


def _check_field_groups(field_groups: str | None) -> None:
    for group in (g.strip() for g in (field_groups or "").split(",")):
        if group and group != "TAX_BREAKDOWN":
            raise errors.fulfillment_error(400, 32800, f"Invalid field group: {group}")


def _page_numbers(limit: str | None, offset: str | None) -> tuple[int, int]:
    size = DEFAULT_LIMIT if limit is None else int(limit) if limit.isdigit() else -1
    if not 1 <= size <= MAX_LIMIT:
        raise errors.fulfillment_error(400, 31100, f"Invalid limit: {limit}")
    if offset is not None and not offset.isdigit():
        raise errors.fulfillment_error(400, 31000, f"Invalid offset: {offset}")
    return size, int(offset or 0)


@router.get("/order", name="getOrders", dependencies=READ)
def get_orders(
    request: Request,
    sandbox: SandboxDep,
    filter: str | None = None,
    orderIds: str | None = None,  # noqa: N803 (eBay's parameter name)
    limit: str | None = None,
    offset: str | None = None,
    fieldGroups: str | None = None,  # noqa: N803 (eBay's parameter name)
) -> JSONResponse:
    _check_field_groups(fieldGroups)
    root = base_url(request)
    if orderIds is not None:
        return JSONResponse(_orders_by_id(sandbox, orderIds, root))
    size, skip = _page_numbers(limit, offset)
    now = now_ms(sandbox)
    criteria = parse_filter(filter, now)
    if criteria == OrderFilter():
        criteria = OrderFilter(created=Window(now - DEFAULT_DAYS_MS, None))
    with sandbox.store.lock:
        chosen = sorted(
            (o for o in sandbox.store.state.orders.values() if criteria.matches(o)),
            key=lambda order: (order.created_ms, order.order_id),
        )
        page = [order_json(sandbox, o, root, False) for o in chosen[skip : skip + size]]

    def href(at: int) -> str:
        query = {"filter": filter} if filter else {}
        return f"{root}{BASE_PATH}/order?" + urlencode({**query, "limit": size, "offset": at})

    body: dict[str, Any] = {
        "href": href(skip),
        "total": len(chosen),
        "limit": size,
        "offset": skip,
        "orders": page,
    }
    if skip + size < len(chosen):
        body["next"] = href(skip + size)
    if skip > 0:
        body["prev"] = href(max(skip - size, 0))
    return JSONResponse(body)


def _orders_by_id(sandbox: EbaySandbox, raw_ids: str, root: str) -> dict[str, Any]:
    wanted = [part.strip() for part in raw_ids.split(",") if part.strip()]
    if len(wanted) > ORDER_IDS_LIMIT:
        raise errors.fulfillment_error(
            400,
            30900,
            f"Exceeded maximum number of order IDs (the current limit is {ORDER_IDS_LIMIT})",
        )
    with sandbox.store.lock:
        found = [sandbox.store.state.orders.get(order_id) for order_id in wanted]
        orders = [order_json(sandbox, o, root, False) for o in found if o is not None]
    href = f"{root}{BASE_PATH}/order?" + urlencode({"orderIds": ",".join(wanted)})
    return {
        "href": href,
        "total": len(orders),
        "limit": ORDER_IDS_LIMIT,
        "offset": 0,
        "orders": orders,
    }


@router.get("/order/{orderId}", name="getOrder", dependencies=READ)
def get_order(
    request: Request,
    order_id: OrderId,
    sandbox: SandboxDep,
    fieldGroups: str | None = None,  # noqa: N803 (eBay's parameter name)
) -> JSONResponse:
    _check_field_groups(fieldGroups)
    with sandbox.store.lock:
        order = find_order(sandbox, order_id, missing_status=404)
        return JSONResponse(order_json(sandbox, order, base_url(request)))


# --- shipping fulfilments -----------------------------------------------------------


def fulfillment_json(record: FulfillmentRecord) -> dict[str, Any]:
    """The official ``ShippingFulfillment``."""
    body: dict[str, Any] = {
        "fulfillmentId": record.fulfillment_id,
        "lineItems": [
            {"lineItemId": line.line_item_id, "quantity": line.quantity} for line in record.lines
        ],
        "shippedDate": record.shipped_date,
    }
    if record.carrier:
        body["shippingCarrierCode"] = record.carrier
    if record.tracking_number:
        body["shipmentTrackingNumber"] = record.tracking_number
    return body


def _shipped_lines(order: OrderRecord, details: ShippingFulfillmentDetails) -> list[ShippedLine]:
    """The package's lines, checked against what is left to ship on each."""
    if not details.line_items:
        raise errors.fulfillment_error(400, 32600, "Invalid input data. lineItems is required.")
    lines = {line.line_item_id: line for line in order.line_items}
    shipped: list[ShippedLine] = []
    for reference in details.line_items:
        line_id = reference.line_item_id or ""
        line = lines.get(line_id)
        if line is None:
            raise errors.fulfillment_error(
                400, 32200, f"Invalid line item id: {line_id}", [("lineItemId", line_id)]
            )
        if any(done.line_item_id == line_id for done in shipped):
            raise errors.fulfillment_error(400, 32210, "Duplicate line item in the request")
        quantity = 1 if reference.quantity is None else reference.quantity
        left = line.quantity - line.shipped
        if quantity < 1 or quantity > left:
            raise errors.fulfillment_error(
                400,
                32600,
                f"Invalid input data. Line item {line_id} has {left} unit(s) left to ship; "
                f"quantity {quantity} is not allowed.",
                [("lineItemId", line_id)],
            )
        shipped.append(ShippedLine(line_item_id=line_id, quantity=quantity))
    return shipped


def _shipped_date(order: OrderRecord, raw: str | None, now: int) -> str:
    if raw is None:
        return iso_ms(now)
    moment = parse_iso(raw)
    if moment is None or moment < order.created_ms or moment > now:
        raise errors.fulfillment_error(400, 32500, "Invalid shipped date")
    return iso_ms(moment)


def _tracking(details: ShippingFulfillmentDetails) -> None:
    carrier, number = details.shipping_carrier_code, details.tracking_number
    if (carrier is None) != (number is None) or (
        number is not None and not TRACKING_NUMBER.match(number)
    ):
        raise errors.fulfillment_error(400, 32300, "Invalid shipment tracking number or carrier")


@router.post(
    "/order/{orderId}/shipping_fulfillment",
    name="createShippingFulfillment",
    status_code=201,
    dependencies=WRITE,
)
def create_shipping_fulfillment(
    request: Request, order_id: OrderId, details: ShippingFulfillmentDetails, sandbox: SandboxDep
) -> JSONResponse:
    _tracking(details)
    with sandbox.store.change() as state:
        order = find_order(sandbox, order_id)
        if order.cancelled_ms is not None:
            raise errors.fulfillment_error(
                400, 32600, "Invalid input data. The order was cancelled."
            )
        now = now_ms(sandbox)
        record = FulfillmentRecord(
            fulfillment_id=f"94{sandbox.store.new_id():0>20}",
            order_id=order.order_id,
            lines=_shipped_lines(order, details),
            shipped_date=_shipped_date(order, details.shipped_date, now),
            carrier=details.shipping_carrier_code,
            tracking_number=details.tracking_number,
        )
        lines = {line.line_item_id: line for line in order.line_items}
        for shipped in record.lines:
            lines[shipped.line_item_id].shipped += shipped.quantity
        state.fulfillments[record.fulfillment_id] = record
        order.fulfillment_ids.append(record.fulfillment_id)
        order.modified_ms = now
    location = (
        f"{base_url(request)}{BASE_PATH}/order/{order_id}/shipping_fulfillment/"
        f"{record.fulfillment_id}"
    )
    return JSONResponse({}, status_code=201, headers={"Location": location})


@router.get(
    "/order/{orderId}/shipping_fulfillment", name="getShippingFulfillments", dependencies=READ
)
def get_shipping_fulfillments(order_id: OrderId, sandbox: SandboxDep) -> JSONResponse:
    with sandbox.store.lock:
        order = find_order(sandbox, order_id)
        found = [sandbox.store.state.fulfillments[fid] for fid in order.fulfillment_ids]
        return JSONResponse(
            {"fulfillments": [fulfillment_json(f) for f in found], "total": len(found)}
        )


@router.get(
    "/order/{orderId}/shipping_fulfillment/{fulfillmentId}",
    name="getShippingFulfillment",
    dependencies=READ,
)
def get_shipping_fulfillment(
    order_id: OrderId,
    fulfillment_id: Annotated[str, Path(alias="fulfillmentId")],
    sandbox: SandboxDep,
) -> JSONResponse:
    with sandbox.store.lock:
        order = find_order(sandbox, order_id, missing_status=404)
        if not fulfillment_id.isalnum():
            raise errors.fulfillment_error(
                400, 32110, f"Invalid shipping fulfillment ID: {fulfillment_id}"
            )
        if fulfillment_id not in order.fulfillment_ids:
            raise errors.fulfillment_error(
                404, 32110, f"Invalid shipping fulfillment ID: {fulfillment_id}"
            )
        return JSONResponse(fulfillment_json(sandbox.store.state.fulfillments[fulfillment_id]))
