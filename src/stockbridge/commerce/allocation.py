"""Reserving stock for a marketplace order line and recording where it was reserved.

The branch and version are chosen by ``pos.inventory.allocate`` (its docstring states the
rule); this module writes the choice onto the order item in the same transaction, so the
picker knows which shelf to go to and a cancellation releases exactly what was reserved.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from stockbridge.db.models import Condition, EcomOrderItem
from stockbridge.errors import InsufficientStock, InvalidStockOperation
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


def allocate_order_items(
    session: Session,
    items: Sequence[tuple[EcomOrderItem, Condition]],
    *,
    branch_ids: Sequence[int],
    allow_partial: bool = False,
    actor: str,
) -> list[inventory.Allocation | InsufficientStock]:
    """``allocate_order_item`` for many items at once (``inventory.allocate_many``), in turn;
    an item that gets nothing answers its ``InsufficientStock`` and stays unallocated.

    The items must have been flushed (their ids are the ledger's references); what is
    recorded on them is flushed by the caller.
    """
    for item, _condition in items:
        if item.product_code_id is None:
            raise InvalidStockOperation(
                f"order item {item.id} has no known product code to allocate"
            )
        if item.allocated_version_id is not None:
            raise InvalidStockOperation(f"order item {item.id} is already allocated")
    requests = [
        inventory.AllocationRequest(
            product_code_id=item.product_code_id,
            quantity=item.quantity,
            condition=condition,
            allow_partial=allow_partial,
            reference=inventory.Reference(REFERENCE_TYPE, str(item.id)),
        )
        for item, condition in items
        if item.product_code_id is not None
    ]
    results = inventory.allocate_many(session, requests, branch_ids=branch_ids, actor=actor)
    for (item, _condition), result in zip(items, results, strict=True):
        if isinstance(result, inventory.Allocation):
            item.allocated_branch_id = result.branch_id
            item.allocated_version_id = result.version_id
            item.quantity_allocated = result.quantity
    return results
