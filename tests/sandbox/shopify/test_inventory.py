"""inventorySetQuantities, inventoryAdjustQuantities and the inventory reads."""

from __future__ import annotations

from typing import Any

from tests.sandbox.shopify.shop_client import (
    PRODUCT_SET,
    ShopifyClient,
    location_ids,
    product_input,
)

SET_QUANTITIES = """
mutation ($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup {
      reason referenceDocumentUri changes { name delta quantityAfterChange }
    }
    userErrors { field message code }
  }
}
"""

ADJUST_QUANTITIES = """
mutation ($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange location { name } } }
    userErrors { field message code }
  }
}
"""

LEVEL = """
query ($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    sku
    inventoryLevel(locationId: $location) {
      id
      quantities(names: ["available", "on_hand", "committed"]) { name quantity }
    }
  }
}
"""


def _stocked_item(shopify: ShopifyClient, sku: str, quantities: dict[str, int]) -> str:
    """Create a one-variant product stocked at the given location ids; its inventory item id."""
    new = product_input(f"Item {sku}", {"One": sku})
    new["variants"][0]["inventoryQuantities"] = [
        {"locationId": location, "name": "available", "quantity": quantity}
        for location, quantity in quantities.items()
    ]
    result = shopify.data(PRODUCT_SET, {"input": new})["productSet"]
    assert result["userErrors"] == []
    item_id: str = result["product"]["variants"]["nodes"][0]["inventoryItem"]["id"]
    return item_id


def _quantities(shopify: ShopifyClient, item: str, location: str) -> dict[str, int]:
    level = shopify.data(LEVEL, {"item": item, "location": location})["inventoryItem"][
        "inventoryLevel"
    ]
    return {q["name"]: q["quantity"] for q in level["quantities"]}


def _set(shopify: ShopifyClient, quantities: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    inputs = {"name": "available", "reason": "correction", "quantities": quantities, **extra}
    result: dict[str, Any] = shopify.data(SET_QUANTITIES, {"input": inputs})[
        "inventorySetQuantities"
    ]
    return result


def test_set_quantities_with_a_matching_compare_quantity(shopify: ShopifyClient) -> None:
    main, warehouse = location_ids(shopify)
    item = _stocked_item(shopify, "SET-1", {main: 5, warehouse: 1})
    result = _set(
        shopify,
        [
            {"inventoryItemId": item, "locationId": main, "quantity": 8, "compareQuantity": 5},
            {"inventoryItemId": item, "locationId": warehouse, "quantity": 0, "compareQuantity": 1},
        ],
        referenceDocumentUri="gid://stockbridge/SyncJob/1",
    )
    assert result["userErrors"] == []
    group = result["inventoryAdjustmentGroup"]
    assert group["reason"] == "correction"
    assert group["referenceDocumentUri"] == "gid://stockbridge/SyncJob/1"
    assert {"name": "available", "delta": 3, "quantityAfterChange": 8} in group["changes"]
    assert {"name": "on_hand", "delta": -1, "quantityAfterChange": 0} in group["changes"]
    assert _quantities(shopify, item, main) == {"available": 8, "on_hand": 8, "committed": 0}
    assert _quantities(shopify, item, warehouse)["available"] == 0


def test_a_stale_compare_quantity_is_refused_and_changes_nothing(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    item = _stocked_item(shopify, "STALE-1", {main: 5})
    result = _set(
        shopify,
        [{"inventoryItemId": item, "locationId": main, "quantity": 2, "compareQuantity": 7}],
    )
    assert result["inventoryAdjustmentGroup"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("COMPARE_QUANTITY_STALE", ["input", "quantities", "0", "compareQuantity"])
    ]
    assert _quantities(shopify, item, main)["available"] == 5


def test_compare_quantity_is_required_unless_ignored(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    item = _stocked_item(shopify, "CMP-1", {main: 5})
    entry = {"inventoryItemId": item, "locationId": main, "quantity": 3}
    refused = _set(shopify, [entry])
    assert [e["code"] for e in refused["userErrors"]] == ["COMPARE_QUANTITY_REQUIRED"]
    accepted = _set(shopify, [entry], ignoreCompareQuantity=True)
    assert accepted["userErrors"] == []
    assert _quantities(shopify, item, main)["available"] == 3


def test_setting_on_hand_moves_available_by_the_same_delta(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    item = _stocked_item(shopify, "ONH-1", {main: 5})
    result = _set(
        shopify,
        [{"inventoryItemId": item, "locationId": main, "quantity": 9, "compareQuantity": 5}],
        name="on_hand",
    )
    assert result["userErrors"] == []
    assert _quantities(shopify, item, main) == {"available": 9, "on_hand": 9, "committed": 0}


def test_bad_names_reasons_items_and_unstocked_locations_are_user_errors(
    shopify: ShopifyClient,
) -> None:
    main, warehouse = location_ids(shopify)
    item = _stocked_item(shopify, "ERR-1", {main: 1})
    result = _set(
        shopify,
        [
            {"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": main, "quantity": 1},
            {"inventoryItemId": item, "locationId": warehouse, "quantity": 1},
        ],
        name="committed",
        reason="because",
        ignoreCompareQuantity=True,
    )
    assert [e["code"] for e in result["userErrors"]] == [
        "INVALID_NAME",
        "INVALID_REASON",
        "INVALID_INVENTORY_ITEM",
        "ITEM_NOT_STOCKED_AT_LOCATION",
    ]


def test_more_than_250_quantities_is_refused_before_anything_runs(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    item = _stocked_item(shopify, "BIG-1", {main: 5})
    entries = [{"inventoryItemId": item, "locationId": main, "quantity": n} for n in range(251)]
    answer = shopify.run(
        SET_QUANTITIES,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": entries,
                "ignoreCompareQuantity": True,
            }
        },
    )
    assert "data" not in answer
    assert answer["errors"][0]["message"] == (
        "The input array size of 251 is greater than the maximum allowed of 250."
    )
    assert answer["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert _quantities(shopify, item, main)["available"] == 5


def test_adjust_quantities_adds_deltas(shopify: ShopifyClient) -> None:
    main, warehouse = location_ids(shopify)
    item = _stocked_item(shopify, "ADJ-1", {main: 5, warehouse: 2})
    answer = shopify.data(
        ADJUST_QUANTITIES,
        {
            "input": {
                "name": "available",
                "reason": "received",
                "changes": [
                    {"inventoryItemId": item, "locationId": main, "delta": -2},
                    {"inventoryItemId": item, "locationId": warehouse, "delta": 10},
                ],
            }
        },
    )["inventoryAdjustQuantities"]
    assert answer["userErrors"] == []
    available = [
        c for c in answer["inventoryAdjustmentGroup"]["changes"] if c["name"] == "available"
    ]
    assert available == [
        {
            "name": "available",
            "delta": -2,
            "quantityAfterChange": 3,
            "location": {"name": "Main Street"},
        },
        {
            "name": "available",
            "delta": 10,
            "quantityAfterChange": 12,
            "location": {"name": "Warehouse"},
        },
    ]
    assert _quantities(shopify, item, main) == {"available": 3, "on_hand": 3, "committed": 0}


def test_inventory_level_by_id_and_levels_of_an_item(shopify: ShopifyClient) -> None:
    main, warehouse = location_ids(shopify)
    item = _stocked_item(shopify, "LVL-1", {main: 4, warehouse: 6})
    level_id = shopify.data(LEVEL, {"item": item, "location": main})["inventoryItem"][
        "inventoryLevel"
    ]["id"]
    main_number, item_number = main.rsplit("/", 1)[1], item.rsplit("/", 1)[1]
    assert level_id == f"gid://shopify/InventoryLevel/{main_number}?inventory_item_id={item_number}"
    data = shopify.data(
        """query ($level: ID!, $item: ID!) {
             inventoryLevel(id: $level) { item { sku } location { name } }
             inventoryItem(id: $item) {
               inventoryLevels(first: 5) {
                 nodes { location { name } quantities(names: ["available"]) { quantity } }
               }
               variant { sku inventoryQuantity }
             }
           }""",
        {"level": level_id, "item": item},
    )
    assert data["inventoryLevel"] == {"item": {"sku": "LVL-1"}, "location": {"name": "Main Street"}}
    levels = data["inventoryItem"]["inventoryLevels"]["nodes"]
    assert [(lvl["location"]["name"], lvl["quantities"][0]["quantity"]) for lvl in levels] == [
        ("Main Street", 4),
        ("Warehouse", 6),
    ]
    assert data["inventoryItem"]["variant"] == {"sku": "LVL-1", "inventoryQuantity": 10}


def test_a_malformed_id_finds_nothing_instead_of_failing(shopify: ShopifyClient) -> None:
    main, _ = location_ids(shopify)
    data = shopify.data(
        'query ($loc: ID!) { location(id: $loc) { inventoryLevel(inventoryItemId: "gid://x/y/z") '
        "{ id } } }",
        {"loc": main},
    )
    assert data == {"location": {"inventoryLevel": None}}
