"""Connecting, listing, publishing: the Shopify adapter against the sandbox over HTTP."""

from __future__ import annotations

import pytest

from stockbridge.channels.base import ChannelAdapter
from stockbridge.channels.registry import BUILTIN_MODULES, registry
from stockbridge.channels.shopify import ShopifyAdapter, ShopifyProvider
from stockbridge.channels.shopify.mapping import handle_for_sku
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.statuses import Condition
from tests.channels.shopify.helpers import RunningSandbox, graphql, listing, shop_variants
from tests.sandbox.shopify.shop_client import PRODUCT_SET, product_input


def test_the_shopify_provider_is_built_in() -> None:
    provider = registry.get("shopify")

    assert "stockbridge.channels.shopify" in BUILTIN_MODULES
    assert isinstance(provider, ShopifyProvider)
    assert provider.capabilities.max_quantities_per_call == 250


def test_test_connection_names_the_shop_and_its_location(adapter: ShopifyAdapter) -> None:
    info = adapter.test_connection()

    assert isinstance(adapter, ChannelAdapter)
    assert info.account_name == "Stockbridge Sandbox"
    assert info.currency == "GBP"
    assert info.details["domain"] == "stockbridge-sandbox.myshopify.com"
    assert info.details["location_id"].startswith("gid://shopify/Location/")


def test_a_configured_location_is_used(sandbox: RunningSandbox) -> None:
    first = sandbox.connect().setup()
    locations = graphql(sandbox, "{ locations(first: 5) { nodes { id } } }")["locations"]
    other = next(n["id"] for n in locations["nodes"] if n["id"] != first.location_id)

    adapter = sandbox.connect(location_id=other)
    [ref] = adapter.upsert_listings([listing("LOC-1", quantity=4)])

    assert shop_variants(sandbox, other, "sku:LOC-1")["LOC-1"]["available"] == 4
    assert ref.sku == "LOC-1"


def test_upsert_creates_a_draft_product_with_stock(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    payload = listing(
        "LAMP-1",
        quantity=5,
        cents=4999,
        title="Brass desk lamp",
        description="Rewired <2024>.",
        brand="Anglepoise",
        category="Lighting",
        barcode="5012345678900",
        condition=Condition.USED,
        attributes={"Colour": "Brass"},
    )

    [ref] = adapter.upsert_listings([payload])

    assert ref.published is False
    assert ref.refs["handle"] == handle_for_sku("LAMP-1") == "sku-lamp-1"
    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:LAMP-1")["LAMP-1"]
    assert shown["available"] == 5
    assert shown["price"] == "49.99"
    assert shown["product"]["id"] == ref.external_id
    assert shown["product"]["status"] == "DRAFT"
    product = graphql(
        sandbox,
        "query P($id: ID!) { product(id: $id) { vendor productType tags descriptionHtml } }",
        {"id": ref.external_id},
    )["product"]
    assert product["vendor"] == "Anglepoise"
    assert product["productType"] == "Lighting"
    assert set(product["tags"]) == {"condition:used", "Colour:Brass"}
    assert product["descriptionHtml"] == "<p>Rewired &lt;2024&gt;.</p>"


def test_a_repeated_upsert_updates_and_never_makes_a_twin(
    sandbox: RunningSandbox, adapter: ShopifyAdapter
) -> None:
    adapter.upsert_listings([listing("TWIN-1", quantity=2, title="First")])
    # A retry from another worker that has not seen the first answer: a fresh cache.
    again = sandbox.connect()
    [ref] = again.upsert_listings([listing("TWIN-1", quantity=7, title="Second", cents=900)])

    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:TWIN-1")
    assert len(shown) == 1
    products = graphql(sandbox, "{ products(first: 10) { nodes { id title } } }")["products"]
    assert [p["title"] for p in products["nodes"]] == ["Second"]
    assert shown["TWIN-1"]["available"] == 7
    assert shown["TWIN-1"]["price"] == "9.00"
    assert ref.external_id == products["nodes"][0]["id"]


def test_upsert_goes_by_the_skus_handle_when_no_variant_has_the_sku(
    sandbox: RunningSandbox, adapter: ShopifyAdapter
) -> None:
    """A product with the SKU's handle is the one an unanswered earlier attempt made: it is
    updated, never doubled."""
    handle = handle_for_sku("LATE-1")
    data = graphql(
        sandbox,
        PRODUCT_SET,
        {"input": product_input("Late", {"One": "OTHER-SKU"}, handle=handle)},
    )
    created = data["productSet"]["product"]["id"]

    [ref] = adapter.upsert_listings([listing("LATE-1", quantity=2)])

    products = graphql(sandbox, "{ products(first: 10) { nodes { id handle } } }")["products"]
    assert products["nodes"] == [{"id": created, "handle": handle}]
    assert ref.external_id == created
    shown = shop_variants(sandbox, adapter.setup().location_id, f"product_id:{created[22:]}")
    assert list(shown) == ["LATE-1"]
    assert shown["LATE-1"]["available"] == 2


def test_a_shop_product_with_several_variants_keeps_them(
    sandbox: RunningSandbox, adapter: ShopifyAdapter
) -> None:
    """A product the owner made before stockbridge: its SKU is linked, not replaced."""
    location = adapter.setup().location_id
    level = {"locationId": location, "name": "available", "quantity": 1}
    stocked = {"inventoryQuantities": [level]}
    tee = product_input("Tee", {"S": "TEE-S", "M": "TEE-M"})
    tee["variants"] = [{**variant, **stocked} for variant in tee["variants"]]
    product_id = graphql(sandbox, PRODUCT_SET, {"input": tee})["productSet"]["product"]["id"]
    sandbox.clear_calls()

    [ref] = adapter.upsert_listings([listing("TEE-S", quantity=6, cents=1000, title="Other")])

    after = shop_variants(sandbox, location, "sku:TEE-S OR sku:TEE-M")
    assert set(after) == {"TEE-S", "TEE-M"}
    assert after["TEE-S"]["available"] == 6
    assert after["TEE-M"]["available"] == 1
    assert after["TEE-S"]["product"]["title"] == "Tee"
    assert ref.external_id == product_id
    assert "productSet" not in sandbox.calls()  # the price was already 10.00


def test_publish_and_unpublish_switch_the_product_status(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    adapter.upsert_listings([listing("PUB-1")])
    location = adapter.setup().location_id

    ref = adapter.publish("PUB-1")

    assert ref.published is True
    assert shop_variants(sandbox, location, "sku:PUB-1")["PUB-1"]["product"]["status"] == "ACTIVE"
    adapter.unpublish("PUB-1")
    assert shop_variants(sandbox, location, "sku:PUB-1")["PUB-1"]["product"]["status"] == "DRAFT"
    # An upsert of a published product leaves it published.
    adapter.publish("PUB-1")
    [again] = sandbox.connect().upsert_listings([listing("PUB-1", title="New title")])
    assert again.published is True


def test_publishing_an_unknown_sku_is_not_found(adapter: ShopifyAdapter) -> None:
    with pytest.raises(ChannelError) as missing:
        adapter.publish("NOPE-1")

    assert missing.value.category is ChannelErrorCategory.NOT_FOUND


def test_a_product_gone_from_the_shop_is_not_found(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    adapter.upsert_listings([listing("GONE-1")])
    sandbox.control.post("/_sandbox/reset").raise_for_status()

    with pytest.raises(ChannelError) as gone:
        adapter.publish("GONE-1")

    assert gone.value.category is ChannelErrorCategory.NOT_FOUND
    assert gone.value.code == "PRODUCT_DOES_NOT_EXIST"


def test_a_price_in_another_currency_is_refused(adapter: ShopifyAdapter) -> None:
    with pytest.raises(ChannelError) as refused:
        adapter.upsert_listings([listing("EUR-1", currency="EUR")])

    assert refused.value.category is ChannelErrorCategory.VALIDATION
