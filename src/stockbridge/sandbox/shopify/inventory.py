"""The shop and its locations, inventory items and levels, and the inventory mutations.

Quantities follow Shopify's inventory states: ``on_hand`` is ``available`` plus the
unavailable states (committed, reserved, damaged, quality_control, safety_stock);
``incoming`` stands apart. Setting or adjusting ``available`` moves ``on_hand`` by the
same delta, setting ``on_hand`` moves ``available``. A mutation with any user error
changes nothing, as on Shopify.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError

from stockbridge.sandbox.shopify.context import Info, ResolveContext
from stockbridge.sandbox.shopify.pagination import connection
from stockbridge.sandbox.shopify.payloads import inventory_level_payload
from stockbridge.sandbox.shopify.search import Searchable, matches
from stockbridge.sandbox.shopify.state import (
    QUANTITY_NAMES,
    AdjustmentChange,
    AdjustmentGroupRecord,
    InventoryItemRecord,
    InventoryLevelRecord,
    LocationRecord,
    ShopState,
    gid_number,
)

#: Reasons Shopify accepts for quantity changes (its inventory-states documentation).
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
SETTABLE_NAMES = ("available", "on_hand")
#: Adjustable states that are part of on_hand; ``incoming`` is adjustable but is not.
ON_HAND_PARTS = ("available", "damaged", "quality_control", "reserved", "safety_stock")
ADJUSTABLE_NAMES = (*ON_HAND_PARTS, "incoming")
MAX_QUANTITY = 1_000_000_000


def _ctx(info: Info) -> ResolveContext:
    return info.context


# --- quantity arithmetic, shared with productSet ------------------------------------


def set_quantity(level: InventoryLevelRecord, name: str, quantity: int) -> list[tuple[str, int]]:
    """Set ``available`` or ``on_hand``; returns the (name, delta) pairs that changed."""
    delta = quantity - level.quantities[name]
    return adjust_quantity(level, name if name == "available" else "on_hand", delta)


def adjust_quantity(level: InventoryLevelRecord, name: str, delta: int) -> list[tuple[str, int]]:
    if name == "on_hand":  # on_hand moves through available, the state it is made of
        name = "available"
    level.quantities[name] += delta
    if name in ON_HAND_PARTS:
        level.quantities["on_hand"] += delta
        return [(name, delta), ("on_hand", delta)]
    return [(name, delta)]


# --- query fields -------------------------------------------------------------------


def resolve_locations(
    _root: None,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    query: str | None = None,
    includeInactive: bool = False,  # noqa: N803 (GraphQL argument name)
) -> dict[str, Any]:
    state = _ctx(info).state
    found = [
        location
        for location in state.locations.values()
        if (location.is_active or includeInactive)
        and matches(query, Searchable(words={"name": location.name, "title": location.name}))
    ]
    return connection(found, key=lambda loc: gid_number(loc.id), first=first, after=after)


def resolve_location(_root: None, info: Info, id: str | None = None) -> Any:
    locations = _ctx(info).state.locations
    if id is None:  # Shopify answers the shop's primary location
        return next(iter(locations.values()), None)
    return locations.get(id)


def resolve_inventory_item(_root: None, info: Info, id: str) -> Any:
    return _ctx(info).state.inventory_items.get(id)


def resolve_inventory_level(_root: None, info: Info, id: str) -> Any:
    return _ctx(info).state.inventory_levels.get(id)


def _level_page(
    levels: list[InventoryLevelRecord], key: Callable[[InventoryLevelRecord], int], args: Any
) -> dict[str, Any]:
    return connection(
        levels,
        key=key,
        first=args.get("first"),
        after=args.get("after"),
        reverse=bool(args.get("reverse")),
    )


def resolve_item_levels(item: InventoryItemRecord, info: Info, **args: Any) -> Any:
    levels = _ctx(info).state.levels_of_item(item.id)
    return _level_page(levels, lambda level: gid_number(level.location_id), args)


def resolve_location_levels(location: LocationRecord, info: Info, **args: Any) -> Any:
    levels = _ctx(info).state.levels_at(location.id)
    return _level_page(levels, lambda level: gid_number(level.item_id), args)


def resolve_quantities(
    level: InventoryLevelRecord, _info: Info, names: list[str]
) -> list[dict[str, Any]]:
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"Invalid quantity names: {', '.join(unknown)}")
    return [
        {
            "id": f"gid://shopify/InventoryQuantity/{gid_number(level.location_id)}"
            f"?inventory_item_id={gid_number(level.item_id)}&name={name}",
            "name": name,
            "quantity": level.quantities[name],
            "updatedAt": level.updated_at,
        }
        for name in names
    ]


def resolve_group_changes(
    group: AdjustmentGroupRecord,
    _info: Info,
    inventoryItemIds: list[str] | None = None,  # noqa: N803 (GraphQL argument names)
    locationIds: list[str] | None = None,  # noqa: N803
    quantityNames: list[str] | None = None,  # noqa: N803
) -> list[AdjustmentChange]:
    return [
        change
        for change in group.changes
        if (inventoryItemIds is None or change.item_id in inventoryItemIds)
        and (locationIds is None or change.location_id in locationIds)
        and (quantityNames is None or change.name in quantityNames)
    ]


RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "QueryRoot": {
        "shop": lambda _root, info: _ctx(info).state.shop,
        "locations": resolve_locations,
        "location": resolve_location,
        "inventoryItem": resolve_inventory_item,
        "inventoryLevel": resolve_inventory_level,
    },
    "Location": {
        "hasActiveInventory": lambda loc, info: bool(_ctx(info).state.levels_at(loc.id)),
        "inventoryLevel": lambda loc, info, **args: _ctx(info).state.level(
            args["inventoryItemId"], loc.id
        ),
        "inventoryLevels": resolve_location_levels,
    },
    "InventoryItem": {
        "variant": lambda item, info: _ctx(info).state.variants[item.variant_id],
        "inventoryLevel": lambda item, info, **args: _ctx(info).state.level(
            item.id, args["locationId"]
        ),
        "inventoryLevels": resolve_item_levels,
    },
    "InventoryLevel": {
        "item": lambda level, info: _ctx(info).state.inventory_items[level.item_id],
        "location": lambda level, info: _ctx(info).state.locations[level.location_id],
        "quantities": resolve_quantities,
    },
    "InventoryAdjustmentGroup": {"changes": resolve_group_changes},
    "InventoryChange": {
        "item": lambda change, info: _ctx(info).state.inventory_items.get(change.item_id),
        "location": lambda change, info: _ctx(info).state.locations.get(change.location_id),
    },
}


# --- mutations ----------------------------------------------------------------------


def _user_error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def _common_errors(name: str, reason: str, allowed: tuple[str, ...]) -> list[dict[str, Any]]:
    errors = []
    if name not in allowed:
        code = "INVALID_NAME" if allowed == SETTABLE_NAMES else "INVALID_QUANTITY_NAME"
        errors.append(
            _user_error(["input", "name"], f"The quantity name '{name}' is not valid.", code)
        )
    if reason not in REASONS:
        errors.append(
            _user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")
        )
    return errors


def _target_errors(
    state: ShopState, path: list[str], item_id: str, location_id: str
) -> list[dict[str, Any]]:
    if item_id not in state.inventory_items:
        return [
            _user_error(
                [*path, "inventoryItemId"],
                "The specified inventory item could not be found.",
                "INVALID_INVENTORY_ITEM",
            )
        ]
    if location_id not in state.locations:
        return [
            _user_error(
                [*path, "locationId"],
                "The specified location could not be found.",
                "INVALID_LOCATION",
            )
        ]
    if state.level(item_id, location_id) is None:
        return [
            _user_error(
                [*path, "locationId"],
                "The item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        ]
    return []


def _new_group(
    context: ResolveContext, reason: str, uri: str | None, changes: list[AdjustmentChange]
) -> AdjustmentGroupRecord:
    # Not kept in the state: no served query reads a group back, and a benchmark's
    # thousands of pushes must not grow the state (or its file) without bound.
    context.changed = True
    _announce_available(context, changes)
    return AdjustmentGroupRecord(
        id=context.state.new_id("InventoryAdjustmentGroup"),
        reason=reason,
        reference_document_uri=uri,
        changes=changes,
        created_at=context.now,
    )


def _announce_available(context: ResolveContext, changes: list[AdjustmentChange]) -> None:
    """``inventory_levels/update`` once per level whose available quantity changed."""
    state = context.state
    moved = {(c.item_id, c.location_id) for c in changes if c.name == "available" and c.delta}
    for item_id, location_id in sorted(moved):
        level = state.level(item_id, location_id)
        if level is not None:
            context.announce("inventory_levels/update", inventory_level_payload(state, level))


def resolve_set_quantities(_root: None, info: Info, input: Any) -> dict[str, Any]:
    context = _ctx(info)
    state = context.state
    name, reason = input["name"], input["reason"]
    with state.lock:
        errors = _common_errors(name, reason, SETTABLE_NAMES)
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(input["quantities"]):
            path = ["input", "quantities", str(index)]
            pair = (entry["inventoryItemId"], entry["locationId"])
            if pair in seen:
                errors.append(
                    _user_error(
                        path,
                        "The combination of inventoryItemId and locationId must be unique.",
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    )
                )
                continue
            seen.add(pair)
            errors += _target_errors(state, path, *pair)
            if entry["quantity"] > MAX_QUANTITY:
                errors.append(
                    _user_error(
                        [*path, "quantity"],
                        "The quantity can't be higher than 1,000,000,000.",
                        "INVALID_QUANTITY_TOO_HIGH",
                    )
                )
            errors += _compare_errors(state, input, entry, path)
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes: list[AdjustmentChange] = []
        for entry in input["quantities"]:
            level = state.stock_level(entry["inventoryItemId"], entry["locationId"], context.now)
            for changed_name, delta in set_quantity(level, name, entry["quantity"]):
                changes.append(_change(level, changed_name, delta))
            level.updated_at = context.now
        group = _new_group(context, reason, input.get("referenceDocumentUri"), changes)
        return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _compare_errors(
    state: ShopState,
    input: Any,
    entry: Any,
    path: list[str],
) -> list[dict[str, Any]]:
    if input.get("ignoreCompareQuantity"):
        return []
    compare = entry.get("compareQuantity")
    if compare is None:
        return [
            _user_error(
                [*path, "compareQuantity"],
                "The compareQuantity argument must be given to each quantity or ignored "
                "using ignoreCompareQuantity.",
                "COMPARE_QUANTITY_REQUIRED",
            )
        ]
    level = state.level(entry["inventoryItemId"], entry["locationId"])
    if level is not None and level.quantities[input["name"]] != compare:
        return [
            _user_error(
                [*path, "compareQuantity"],
                "The compareQuantity argument no longer matches the persisted quantity.",
                "COMPARE_QUANTITY_STALE",
            )
        ]
    return []


def _change(
    level: InventoryLevelRecord, name: str, delta: int, uri: str | None = None
) -> AdjustmentChange:
    return AdjustmentChange(
        name=name,
        delta=delta,
        item_id=level.item_id,
        location_id=level.location_id,
        quantity_after_change=level.quantities[name],
        ledger_document_uri=uri,
    )


def resolve_adjust_quantities(_root: None, info: Info, input: Any) -> dict[str, Any]:
    context = _ctx(info)
    state = context.state
    name, reason = input["name"], input["reason"]
    with state.lock:
        errors = _common_errors(name, reason, ADJUSTABLE_NAMES)
        for index, entry in enumerate(input["changes"]):
            path = ["input", "changes", str(index)]
            errors += _target_errors(state, path, entry["inventoryItemId"], entry["locationId"])
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes: list[AdjustmentChange] = []
        for entry in input["changes"]:
            level = state.stock_level(entry["inventoryItemId"], entry["locationId"], context.now)
            uri = entry.get("ledgerDocumentUri")
            for changed_name, delta in adjust_quantity(level, name, entry["delta"]):
                changes.append(_change(level, changed_name, delta, uri))
            level.updated_at = context.now
        group = _new_group(context, reason, input.get("referenceDocumentUri"), changes)
        return {"inventoryAdjustmentGroup": group, "userErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {
    "inventorySetQuantities": resolve_set_quantities,
    "inventoryAdjustQuantities": resolve_adjust_quantities,
}
