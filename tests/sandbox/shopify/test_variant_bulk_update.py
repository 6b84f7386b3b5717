"""productVariantsBulkUpdate: one product's variants changed together, all or nothing."""

from __future__ import annotations

from typing import Any

from tests.sandbox.shopify.shop_client import ShopifyClient, create_product

BULK_UPDATE = """
mutation ($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { sku price compareAtPrice }
    userErrors { field message code }
  }
}
"""
PRICES = "query ($id: ID!) { product(id: $id) { variants(first: 5) { nodes { sku price } } } }"


def _prices(shopify: ShopifyClient, product_id: str) -> dict[str, str]:
    nodes = shopify.data(PRICES, {"id": product_id})["product"]["variants"]["nodes"]
    return {node["sku"]: node["price"] for node in nodes}


def _update(shopify: ShopifyClient, product_id: str, variants: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = shopify.data(
        BULK_UPDATE, {"productId": product_id, "variants": variants}
    )["productVariantsBulkUpdate"]
    return result


def test_several_variants_of_a_product_change_in_one_call(shopify: ShopifyClient) -> None:
    tee = create_product(shopify, "Tee", {"S": "TEE-S", "M": "TEE-M"})
    small, medium = (v["id"] for v in tee["variants"]["nodes"])

    result = _update(
        shopify,
        tee["id"],
        [{"id": small, "price": "11.00", "compareAtPrice": "15.00"}, {"id": medium, "price": "12"}],
    )

    assert result["userErrors"] == []
    assert result["productVariants"] == [
        {"sku": "TEE-S", "price": "11.00", "compareAtPrice": "15.00"},
        {"sku": "TEE-M", "price": "12.00", "compareAtPrice": None},
    ]
    assert _prices(shopify, tee["id"]) == {"TEE-S": "11.00", "TEE-M": "12.00"}


def test_a_variant_of_another_product_or_a_bad_price_changes_nothing(
    shopify: ShopifyClient,
) -> None:
    tee = create_product(shopify, "Tee", {"S": "TEE-S"})
    mug = create_product(shopify, "Mug", {"One": "MUG-1"})
    [small] = (v["id"] for v in tee["variants"]["nodes"])
    [other] = (v["id"] for v in mug["variants"]["nodes"])

    foreign = _update(shopify, tee["id"], [{"id": small, "price": "1.00"}, {"id": other}])
    negative = _update(shopify, tee["id"], [{"id": small, "price": "-1.00"}])
    missing = _update(shopify, "gid://shopify/Product/999999", [{"id": small, "price": "1"}])

    assert foreign["userErrors"] == [
        {
            "field": ["variants", "1", "id"],
            "message": "Product variant does not exist on this product.",
            "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
        }
    ]
    assert negative["userErrors"][0]["field"] == ["variants", "0", "price"]
    assert missing["userErrors"][0]["code"] == "PRODUCT_DOES_NOT_EXIST"
    assert _prices(shopify, tee["id"]) == {"TEE-S": "10.00"}
