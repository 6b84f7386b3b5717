"""productSet and the product/variant queries, as Shopify documents them."""

from __future__ import annotations

from typing import Any

from tests.sandbox.shopify.shop_client import (
    PRODUCT_SET,
    ShopifyClient,
    create_product,
    location_ids,
    product_input,
)

VARIANTS_BY_QUERY = """
query ($query: String, $after: String) {
  productVariants(first: 2, after: $after, query: $query) {
    edges { cursor node { sku product { title } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRODUCTS_BY_QUERY = """
query ($query: String, $after: String, $first: Int = 10) {
  products(first: $first, after: $after, query: $query) {
    nodes { title }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _titles(shopify: ShopifyClient, query: str) -> list[str]:
    data = shopify.data(PRODUCTS_BY_QUERY, {"query": query})
    return [node["title"] for node in data["products"]["nodes"]]


def test_product_set_creates_a_product_with_its_options_variants_and_stock(
    shopify: ShopifyClient,
) -> None:
    main, _ = location_ids(shopify)
    new = product_input("Wool Jumper", {"S": "JUMP-S", "M": "JUMP-M"})
    new["variants"][0]["inventoryQuantities"] = [
        {"locationId": main, "name": "available", "quantity": 4}
    ]
    result = shopify.data(PRODUCT_SET, {"input": new})["productSet"]
    assert result["userErrors"] == []
    product = result["product"]
    assert product["id"].startswith("gid://shopify/Product/")
    assert product["handle"] == "wool-jumper"
    assert product["options"] == [{"name": "Size", "values": ["S", "M"]}]
    variants = product["variants"]["nodes"]
    assert [(v["sku"], v["price"], v["title"]) for v in variants] == [
        ("JUMP-S", "10.00", "S"),
        ("JUMP-M", "10.00", "M"),
    ]
    assert [v["inventoryQuantity"] for v in variants] == [4, 0]


def test_product_set_update_replaces_the_variant_list(shopify: ShopifyClient) -> None:
    created = create_product(
        shopify, "Scarf", {"Red": "SCARF-R", "Blue": "SCARF-B", "Green": "SCARF-G"}
    )
    red = created["variants"]["nodes"][0]
    update = product_input("Scarf (wool)", {"Red": "SCARF-R", "Black": "SCARF-K"})
    update["variants"][0]["id"] = red["id"]
    update["variants"][0]["price"] = "12.5"
    result = shopify.data(PRODUCT_SET, {"input": update, "identifier": {"id": created["id"]}})
    product = result["productSet"]["product"]
    assert product["id"] == created["id"]
    assert product["title"] == "Scarf (wool)"
    assert product["handle"] == "scarf"  # the handle stays when the title changes
    variants = product["variants"]["nodes"]
    assert [(v["sku"], v["price"]) for v in variants] == [
        ("SCARF-R", "12.50"),
        ("SCARF-K", "10.00"),
    ]
    assert variants[0]["id"] == red["id"]
    assert variants[0]["inventoryItem"]["id"] == red["inventoryItem"]["id"]
    # Blue and Green were left out, so they are gone, inventory items included.
    gone = created["variants"]["nodes"][1]
    missing = shopify.data(
        "query ($v: ID!, $i: ID!) { productVariant(id: $v) { id } inventoryItem(id: $i) { id } }",
        {"v": gone["id"], "i": gone["inventoryItem"]["id"]},
    )
    assert missing == {"productVariant": None, "inventoryItem": None}


def test_product_set_without_variants_gets_shopifys_default_variant(shopify: ShopifyClient) -> None:
    result = shopify.data(PRODUCT_SET, {"input": {"title": "Gift Wrap"}})["productSet"]
    variants = result["product"]["variants"]["nodes"]
    assert [v["title"] for v in variants] == ["Default Title"]
    assert result["product"]["options"] == [{"name": "Title", "values": ["Default Title"]}]


def test_product_set_user_errors_change_nothing(shopify: ShopifyClient) -> None:
    unknown = shopify.data(
        PRODUCT_SET,
        {"input": {"title": "Ghost"}, "identifier": {"id": "gid://shopify/Product/999999"}},
    )["productSet"]
    assert unknown["product"] is None
    assert unknown["userErrors"] == [
        {
            "field": ["identifier", "id"],
            "message": "Product does not exist",
            "code": "PRODUCT_DOES_NOT_EXIST",
        }
    ]
    bad_value = product_input("Hat", {"S": "HAT-S"})
    bad_value["variants"][0]["optionValues"] = [{"optionName": "Size", "name": "XXL"}]
    errors = shopify.data(PRODUCT_SET, {"input": bad_value})["productSet"]["userErrors"]
    assert [e["code"] for e in errors] == ["OPTION_VALUE_DOES_NOT_EXIST"]
    assert errors[0]["field"] == ["input", "variants", "0", "optionValues", "0"]
    assert _titles(shopify, "") == []


def test_an_asynchronous_product_set_reports_a_completed_operation(shopify: ShopifyClient) -> None:
    answer = shopify.data(
        """mutation ($input: ProductSetInput!) {
             productSet(input: $input, synchronous: false) {
               product { id }
               productSetOperation { status product { title } userErrors { code } }
               userErrors { code }
             }
           }""",
        {"input": product_input("Socks", {"S": "SOCK-S"})},
    )["productSet"]
    assert answer["product"] is None
    assert answer["productSetOperation"] == {
        "status": "COMPLETE",
        "product": {"title": "Socks"},
        "userErrors": [],
    }


def test_product_variants_filter_by_sku_and_page_across_pages(shopify: ShopifyClient) -> None:
    create_product(shopify, "Mug", {"S": "MUG-1", "M": "MUG-2", "L": "MUG-3"})
    create_product(shopify, "Plate", {"S": "PLATE-1"})
    exact = shopify.data(VARIANTS_BY_QUERY, {"query": "sku:MUG-2"})["productVariants"]
    assert [e["node"]["sku"] for e in exact["edges"]] == ["MUG-2"]
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = shopify.data(VARIANTS_BY_QUERY, {"query": "sku:MUG*", "after": after})[
            "productVariants"
        ]
        seen += [e["node"]["sku"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert (seen, pages) == (["MUG-1", "MUG-2", "MUG-3"], 2)
    either = shopify.data(VARIANTS_BY_QUERY, {"query": "sku:MUG-3 OR sku:PLATE-1"})[
        "productVariants"
    ]
    assert [e["node"]["sku"] for e in either["edges"]] == ["MUG-3", "PLATE-1"]


def test_products_filter_by_sku_title_and_updated_at(shopify: ShopifyClient) -> None:
    create_product(shopify, "Blue Teapot", {"One": "POT-1"})
    shopify.clock.advance(3600)
    create_product(shopify, "Green Teacup", {"One": "CUP-1"})
    assert _titles(shopify, "sku:CUP-1") == ["Green Teacup"]
    assert _titles(shopify, "title:teapot") == ["Blue Teapot"]
    assert _titles(shopify, "-title:teapot") == ["Green Teacup"]
    assert _titles(shopify, "updated_at:>'2026-01-05T09:30:00Z'") == ["Green Teacup"]
    assert _titles(shopify, 'updated_at:<="2026-01-05T09:30:00Z"') == ["Blue Teapot"]
    assert _titles(shopify, "updated_at:>'2026-01-05T09:30:00Z' AND sku:POT-1") == []


def test_an_update_moves_a_product_into_an_updated_at_window(shopify: ShopifyClient) -> None:
    product = create_product(shopify, "Kettle", {"One": "KET-1"})
    shopify.clock.advance(60)
    since = "updated_at:>'2026-01-05T09:00:30Z'"
    assert _titles(shopify, since) == []
    shopify.data(PRODUCT_SET, {"input": {"title": "Kettle 2"}, "identifier": {"id": product["id"]}})
    assert _titles(shopify, since) == ["Kettle 2"]


def test_products_page_in_creation_order(shopify: ShopifyClient) -> None:
    for n in range(5):
        create_product(shopify, f"Card {n}", {"One": f"CARD-{n}"})
    titles: list[str] = []
    after: str | None = None
    while True:
        data: dict[str, Any] = shopify.data(PRODUCTS_BY_QUERY, {"first": 2, "after": after})
        titles += [node["title"] for node in data["products"]["nodes"]]
        if not data["products"]["pageInfo"]["hasNextPage"]:
            break
        after = data["products"]["pageInfo"]["endCursor"]
    assert titles == [f"Card {n}" for n in range(5)]


def test_product_and_variant_by_id(shopify: ShopifyClient) -> None:
    product = create_product(shopify, "Lamp", {"One": "LAMP-1"})
    variant = product["variants"]["nodes"][0]
    data = shopify.data(
        """query ($p: ID!, $v: ID!) {
             product(id: $p) { title variantsCount { count precision } totalInventory }
             productVariant(id: $v) {
               sku displayName selectedOptions { name value } product { id }
               inventoryItem { sku tracked }
             }
           }""",
        {"p": product["id"], "v": variant["id"]},
    )
    assert data["product"] == {
        "title": "Lamp",
        "variantsCount": {"count": 1, "precision": "EXACT"},
        "totalInventory": 0,
    }
    assert data["productVariant"] == {
        "sku": "LAMP-1",
        "displayName": "Lamp - One",
        "selectedOptions": [{"name": "Size", "value": "One"}],
        "product": {"id": product["id"]},
        "inventoryItem": {"sku": "LAMP-1", "tracked": True},
    }


def test_an_existing_variant_gets_quantities_only_where_it_is_stocked(
    shopify: ShopifyClient,
) -> None:
    main, warehouse = location_ids(shopify)
    new = product_input("Rug", {"One": "RUG-1"})
    new["variants"][0]["inventoryQuantities"] = [
        {"locationId": main, "name": "available", "quantity": 2}
    ]
    created = shopify.data(PRODUCT_SET, {"input": new})["productSet"]["product"]
    update = product_input("Rug", {"One": "RUG-1"})
    update["variants"][0]["inventoryQuantities"] = [
        {"locationId": main, "name": "on_hand", "quantity": 7}
    ]
    ok = shopify.data(PRODUCT_SET, {"input": update, "identifier": {"id": created["id"]}})
    assert ok["productSet"]["product"]["variants"]["nodes"][0]["inventoryQuantity"] == 7
    update["variants"][0]["inventoryQuantities"] = [
        {"locationId": warehouse, "name": "available", "quantity": 1}
    ]
    refused = shopify.data(PRODUCT_SET, {"input": update, "identifier": {"id": created["id"]}})
    assert [e["field"] for e in refused["productSet"]["userErrors"]] == [
        ["input", "variants", "0", "inventoryQuantities", "0", "locationId"]
    ]
