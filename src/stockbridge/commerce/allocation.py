"""Reserving stock for a marketplace order line and recording where it was reserved.

The branch and version are chosen by ``pos.inventory.allocate`` (its docstring states the
rule); this module writes the choice onto the order item in the same transaction, so the
picker knows which shelf to go to and a cancellation releases exactly what was reserved.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from stockbridge.db.models import Condition, EcomOrderItem
from stockbridge.errors import InvalidStockOperation
from stockbridge.pos import inventory

REFERENCE_TYPE = "ecom_order_item"


def allocate_order_item(
    session: Session,
    item: EcomOrderItem,
    *,
    branch_ids: Sequence[int],
    condition: Condition = Condition.NEW,
    allow_partial: bool = False,
    actor: str,
) -> inventory.Allocation:
    """Reserve the item's quantity and record branch, version and quantity on the item.

    ``branch_ids`` are the channel's branches in preference order. With ``allow_partial``
    a short line reserves what the best branch has (the caller flags the order); without
    it ``InsufficientStock`` is raised and nothing changes.
    """
    if item.product_code_id is None:
        raise InvalidStockOperation(f"order item {item.id} has no known product code to allocate")
    if item.allocated_version_id is not None:
        raise InvalidStockOperation(f"order item {item.id} is already allocated")
    allocation = inventory.allocate(
        session,
        product_code_id=item.product_code_id,
        quantity=item.quantity,
        condition=condition,
        branch_ids=branch_ids,
        allow_partial=allow_partial,
        actor=actor,
        reference=inventory.Reference(REFERENCE_TYPE, str(item.id)),
    )
    item.allocated_branch_id = allocation.branch_id
    item.allocated_version_id = allocation.version_id
    item.quantity_allocated = allocation.quantity
    session.flush()
    return allocation
