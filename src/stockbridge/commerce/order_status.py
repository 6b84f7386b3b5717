"""The status of a marketplace order: which changes are allowed, and the history they leave.

Every change of ``EcomOrder.status`` goes through :func:`change_status`, which checks it
against :data:`TRANSITIONS` and writes a ``status_change`` event in the caller's
transaction. Other history (notes, allocations, what the marketplace changed) goes
through :func:`record_event`.
"""

from __future__ import annotations

from stockbridge.db.models import EcomOrder, EcomOrderEvent, OrderEventKind, OrderStatus
from stockbridge.errors import Conflict

_S = OrderStatus

#: Where an order may go from each status. Cancelled and refunded orders are final;
#: a shipped order can no longer be cancelled (its stock has left).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.PENDING: frozenset({_S.NEEDS_ATTENTION, _S.PICKING, _S.CANCELLED}),
    _S.NEEDS_ATTENTION: frozenset({_S.PENDING, _S.PICKING, _S.CANCELLED}),
    _S.PICKING: frozenset({_S.PENDING, _S.NEEDS_ATTENTION, _S.PACKED, _S.CANCELLED}),
    _S.PACKED: frozenset({_S.PICKING, _S.NEEDS_ATTENTION, _S.SHIPPED, _S.CANCELLED}),
    _S.SHIPPED: frozenset({_S.DELIVERED, _S.REFUNDED}),
    _S.DELIVERED: frozenset({_S.REFUNDED}),
    _S.CANCELLED: frozenset(),
    _S.REFUNDED: frozenset(),
}

#: Orders still waiting to leave the building: their lines may still change.
OPEN = frozenset({_S.PENDING, _S.NEEDS_ATTENTION, _S.PICKING, _S.PACKED})


def can_change(order: EcomOrder, to: OrderStatus) -> bool:
    return to in TRANSITIONS[order.status]


def record_event(
    order: EcomOrder,
    kind: OrderEventKind,
    message: str,
    *,
    actor: str,
    from_status: OrderStatus | None = None,
    to_status: OrderStatus | None = None,
) -> EcomOrderEvent:
    event = EcomOrderEvent(
        kind=kind,
        message=message,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
    )
    order.events.append(event)
    return event


def change_status(order: EcomOrder, to: OrderStatus, *, reason: str, actor: str) -> None:
    """Move the order to ``to`` and record why; refused with ``Conflict`` if not allowed."""
    if not can_change(order, to):
        raise Conflict(
            f"order {order.id} cannot go from {order.status} to {to}",
            from_status=str(order.status),
            to_status=str(to),
        )
    record_event(
        order,
        OrderEventKind.STATUS_CHANGE,
        reason,
        actor=actor,
        from_status=order.status,
        to_status=to,
    )
    order.status = to
