"""How orders move stock, in the quantity names of ``inventory.py``; the one place that does.

Shopify's inventory states: ``on_hand`` = ``available`` + ``committed`` + the other
unavailable states. So a purchase moves units from available to committed (on_hand
stays); shipping takes them out of committed and on_hand; a cancellation or refund of
unshipped units either restocks them (committed back to available) or writes them off
(committed and on_hand drop); a restocked return puts them back in available and on_hand.

Every movement stamps the level's ``updatedAt`` and, when ``available`` changed,
announces ``inventory_levels/update`` as Shopify does for a purchase. Untracked items
and lines whose variant has since been deleted move nothing.
"""

from __future__ import annotations

from stockbridge.sandbox.shopify.context import ResolveContext
from stockbridge.sandbox.shopify.order_records import LineItemRecord
from stockbridge.sandbox.shopify.payloads import inventory_level_payload
from stockbridge.sandbox.shopify.state import InventoryLevelRecord

INVENTORY_LEVELS_UPDATE = "inventory_levels/update"


def _level(
    context: ResolveContext, line: LineItemRecord, location_id: str
) -> InventoryLevelRecord | None:
    item_id = line.inventory_item_id
    if not line.tracked or item_id is None or item_id not in context.state.inventory_items:
        return None
    return context.state.stock_level(item_id, location_id, context.now)


def _move(
    context: ResolveContext,
    line: LineItemRecord,
    location_id: str,
    deltas: dict[str, int],
) -> None:
    level = _level(context, line, location_id)
    if level is None or not any(deltas.values()):
        return
    for name, delta in deltas.items():
        level.quantities[name] += delta
    level.updated_at = context.now
    if deltas.get("available"):
        announce_level(context, level)


def announce_level(context: ResolveContext, level: InventoryLevelRecord) -> None:
    context.announce(INVENTORY_LEVELS_UPDATE, inventory_level_payload(context.state, level))


def commit(context: ResolveContext, line: LineItemRecord, location_id: str, quantity: int) -> None:
    """A purchase: the units are promised to the order."""
    _move(context, line, location_id, {"available": -quantity, "committed": quantity})


def ship(context: ResolveContext, line: LineItemRecord, location_id: str, quantity: int) -> None:
    """A fulfilment: the promised units leave the building."""
    _move(context, line, location_id, {"committed": -quantity, "on_hand": -quantity})


def release(
    context: ResolveContext,
    line: LineItemRecord,
    location_id: str,
    quantity: int,
    *,
    restock: bool,
) -> None:
    """Unshipped units no longer owed: back on sale if restocked, else written off."""
    if restock:
        _move(context, line, location_id, {"committed": -quantity, "available": quantity})
    else:
        _move(context, line, location_id, {"committed": -quantity, "on_hand": -quantity})


def take_back(
    context: ResolveContext, line: LineItemRecord, location_id: str, quantity: int
) -> None:
    """Shipped units come back and are restocked."""
    _move(context, line, location_id, {"available": quantity, "on_hand": quantity})
