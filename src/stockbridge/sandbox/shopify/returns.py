"""Returns as read, and their life: requested, approved or declined, closed, reopened,
cancelled.

A buyer's request (``returnRequest``, or the buyer control route) starts ``REQUESTED``;
the merchant approves it (``OPEN``) or declines it (``DECLINED``). ``returnCreate`` is
the merchant opening a return directly (``OPEN``). An open return is closed when dealt
with (``CLOSED``) and may be reopened; a requested or open one may be cancelled
(``CANCELED``). Other moves are ``INVALID_STATE`` user errors. Only shipped units can be
returned, and each unit only once. Money and stock go back through ``refundCreate``
(``restockType: RETURN``); ``returnProcess`` is not served.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stockbridge.sandbox.shopify import order_totals as totals
from stockbridge.sandbox.shopify.checkout import register_parts
from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.order_records import (
    OrderRecord,
    ReturnDeclineRecord,
    ReturnLineItemRecord,
    ReturnRecord,
)
from stockbridge.sandbox.shopify.orders import order_field, order_of, touch
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.payloads import return_payload
from stockbridge.sandbox.shopify.scopes import require_scope
from stockbridge.sandbox.shopify.state import gid_number

READ_RETURNS = ("read_returns",)
WRITE_RETURNS = ("write_returns",)

#: Mutation -> (the statuses it may start from, the status it leaves, its webhook topic).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "returnApproveRequest": (("REQUESTED",), "OPEN", "returns/approve"),
    "returnDeclineRequest": (("REQUESTED",), "DECLINED", "returns/decline"),
    "returnClose": (("OPEN",), "CLOSED", "returns/close"),
    "returnReopen": (("CLOSED",), "OPEN", "returns/reopen"),
    "returnCancel": (("REQUESTED", "OPEN"), "CANCELED", "returns/cancel"),
}


def _ctx(info: Info) -> ResolveContext:
    return info.context


def _by_number(record: Any) -> int:
    return gid_number(record.id)


def resolve_return(_root: None, info: Info, id: str) -> ReturnRecord | None:
    require_scope(info, *READ_RETURNS)
    order = _ctx(info).state.order_of(id)
    return next((r for r in order.returns if r.id == id), None) if order else None


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "QueryRoot": {"return": resolve_return},
    "Return": {
        "order": order_field,
        "returnLineItems": lambda ret, info, **page: connection(
            ret.line_items, key=_by_number, **page
        ),
        "refunds": lambda ret, info, **page: connection(
            [r for r in order_of(info, ret).refunds if r.return_id == ret.id],
            key=_by_number,
            **page,
        ),
    },
    "ReturnLineItem": {
        "fulfillmentLineItem": lambda rli, info: totals.fulfillment_line_item(
            order_of(info, rli), rli.fulfillment_line_item_id
        ),
        "processedQuantity": lambda rli, info: 0,
        "unprocessedQuantity": lambda rli, info: rli.quantity,
        "refundableQuantity": lambda rli, info: rli.quantity,
        "refundedQuantity": lambda rli, info: 0,
    },
}


# --- opening a return ---------------------------------------------------------------


@dataclass
class ReturnedLine:
    fulfillment_line_item_id: str
    quantity: int
    reason: str = "UNKNOWN"
    customer_note: str | None = None
    reason_note: str = ""


class ReturnRefused(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors


def _error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def open_return(
    context: ResolveContext,
    order: OrderRecord,
    lines: list[ReturnedLine],
    *,
    status: str,
    path: list[str],
) -> ReturnRecord:
    """A new return of shipped units, ``REQUESTED`` or ``OPEN``; raises ReturnRefused."""
    errors: list[dict[str, Any]] = []
    asked: dict[str, int] = {}
    for index, line in enumerate(lines):
        where = [*path, str(index)]
        shipped = totals.fulfillment_line_item(order, line.fulfillment_line_item_id)
        if shipped is None:
            errors.append(
                _error(
                    [*where, "fulfillmentLineItemId"],
                    "Fulfillment line item does not exist on this order.",
                    "NOT_FOUND",
                )
            )
            continue
        asked[shipped.id] = asked.get(shipped.id, 0) + line.quantity
        returnable = shipped.quantity - totals.quantity_in_returns(order, shipped.id)
        if line.quantity < 1:
            errors.append(_error([*where, "quantity"], "Quantity must be at least 1.", "INVALID"))
        elif asked[shipped.id] > returnable:
            errors.append(
                _error(
                    [*where, "quantity"],
                    f"Quantity is greater than the {returnable} units that can be returned.",
                    "GREATER_THAN",
                )
            )
    if not lines:
        errors.append(_error(path, "A return needs at least one line item.", "INVALID"))
    if errors:
        raise ReturnRefused(errors)
    state = context.state
    record = ReturnRecord(
        id=state.new_id("Return"),
        name=f"{order.name}-R{len(order.returns) + 1}",
        status=status,
        line_items=[
            ReturnLineItemRecord(
                id=state.new_id("ReturnLineItem"),
                fulfillment_line_item_id=line.fulfillment_line_item_id,
                quantity=line.quantity,
                return_reason=line.reason,
                customer_note=line.customer_note,
                return_reason_note=line.reason_note,
            )
            for line in lines
        ],
        request_approved_at=context.now if status == "OPEN" else None,
        created_at=context.now,
        updated_at=context.now,
    )
    order.returns.append(record)
    register_parts(state, order)
    touch(context, order)
    topic = "returns/request" if status == "REQUESTED" else "returns/approve"
    context.announce(topic, return_payload(state, order, record))
    return record


def _open(info: Info, data: Any, status: str, root: str, reason_key: str) -> dict[str, Any]:
    require_scope(info, *WRITE_RETURNS)
    context = _ctx(info)
    with context.state.lock:
        order = context.state.orders.get(data["orderId"])
        if order is None:
            error = _error([root, "orderId"], "Order does not exist.", "NOT_FOUND")
            return {"return": None, "userErrors": [error]}
        lines = [
            ReturnedLine(
                fulfillment_line_item_id=entry["fulfillmentLineItemId"],
                quantity=entry["quantity"],
                reason=entry.get(reason_key) or "UNKNOWN",
                customer_note=entry.get("customerNote"),
                reason_note=entry.get("returnReasonNote") or "",
            )
            for entry in data["returnLineItems"]
        ]
        try:
            record = open_return(
                context, order, lines, status=status, path=[root, "returnLineItems"]
            )
        except ReturnRefused as refused:
            return {"return": None, "userErrors": refused.errors}
        return {"return": record, "userErrors": []}


# --- moving a return on -------------------------------------------------------------


def _move(info: Info, mutation: str, return_id: str, **extra: Any) -> dict[str, Any]:
    require_scope(info, *WRITE_RETURNS)
    context = _ctx(info)
    state = context.state
    allowed_from, target, topic = TRANSITIONS[mutation]
    field = ["input", "id"] if mutation.endswith("Request") else ["id"]
    with state.lock:
        order = state.order_of(return_id)
        record = next((r for r in order.returns if r.id == return_id), None) if order else None
        if order is None or record is None:
            error = _error(field, "Return does not exist.", "NOT_FOUND")
            return {"return": None, "userErrors": [error]}
        if record.status not in allowed_from:
            message = f"A {record.status.lower()} return can't move to {target.lower()}."
            return {"return": None, "userErrors": [_error(field, message, "INVALID_STATE")]}
        record.status = target
        record.updated_at = context.now
        if mutation == "returnApproveRequest":
            record.request_approved_at = context.now
        if mutation == "returnDeclineRequest":
            record.decline = ReturnDeclineRecord(reason=extra["reason"], note=extra.get("note"))
        record.closed_at = context.now if target == "CLOSED" else None
        touch(context, order)
        context.announce(topic, return_payload(state, order, record))
        return {"return": record, "userErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {
    "returnRequest": lambda _r, info, input: _open(
        info, input, "REQUESTED", "input", "returnReason"
    ),
    "returnCreate": lambda _r, info, **args: _open(
        info, args["returnInput"], "OPEN", "returnInput", "returnReason"
    ),
    "returnApproveRequest": lambda _r, info, input: _move(
        info, "returnApproveRequest", input["id"]
    ),
    "returnDeclineRequest": lambda _r, info, input: _move(
        info,
        "returnDeclineRequest",
        input["id"],
        reason=input["declineReason"],
        note=input.get("declineNote"),
    ),
    "returnClose": lambda _r, info, id: _move(info, "returnClose", id),
    "returnReopen": lambda _r, info, id: _move(info, "returnReopen", id),
    "returnCancel": lambda _r, info, id, **_notify: _move(info, "returnCancel", id),
}
