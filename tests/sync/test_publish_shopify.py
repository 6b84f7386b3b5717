"""The ``listings`` job on Shopify: the API queues it, the consumer runs it against the sandbox.

The channel connects with a custom-app token through the API (tested, then saved); the
sandbox runs over HTTP with every document checked against Shopify's official schema.
"""

from __future__ import annotations

from typing import Any

from tests.channels.shopify.conftest import contract_mode, sandbox, sandbox_config
from tests.channels.shopify.helpers import TOKEN, RunningSandbox, graphql, shop_variants
from tests.sandbox.shopify.shop_client import PRODUCT_SET, product_input
from tests.sync.storefront import Store, store

__all__ = ["contract_mode", "sandbox", "sandbox_config", "store"]


def connect_shopify(store: Store, shop: RunningSandbox, **settings: Any) -> int:
    body = {
        "provider": "shopify",
        "name": "Web shop",
        "currency": "GBP",
        "base_url": shop.url,
        "credentials": {"access_token": TOKEN},
        "settings": {"branch_ids": [store.branch_id], **settings},
    }
    channel = store.post("/api/ecom/channels", body, 201)
    assert channel["status"] == "active"
    return int(channel["id"])


def variants(shop: RunningSandbox, *skus: str) -> dict[str, Any]:
    location = shop.connect().setup().location_id
    return shop_variants(shop, location, " OR ".join(f"sku:{sku}" for sku in skus))


def test_bulk_publish_makes_active_products_with_title_price_and_quantity(
    store: Store, sandbox: RunningSandbox
) -> None:
    channel_id = connect_shopify(store, sandbox, safety_buffer=2)
    mug = store.listing(store.product("MUG-1", on_hand=7, price_cents=899), title="Blue mug")
    jug = store.listing(store.product("JUG-1", on_hand=1))

    job = store.bulk("publish", channel_id, [mug, jug])

    assert job["status"] == "succeeded", job
    assert (job["counts"]["published"], job["counts"]["failed"]) == (2, 0)
    shown = variants(sandbox, "MUG-1", "JUG-1")
    assert shown["MUG-1"]["product"]["title"] == "Blue mug"
    assert (shown["MUG-1"]["price"], shown["MUG-1"]["available"]) == ("8.99", 5)
    assert shown["JUG-1"]["available"] == 0  # 1 on hand, 2 held back: never below 0
    assert {v["product"]["status"] for v in shown.values()} == {"ACTIVE"}
    published = store.publication(mug, channel_id)
    assert published["external_id"] == shown["MUG-1"]["product"]["id"]
    assert published["external_refs"]["inventory_item_id"].startswith("gid://")
    assert (published["status"], published["sync_state"]) == ("published", "in_sync")


def test_unpublish_takes_the_product_off_the_shop(store: Store, sandbox: RunningSandbox) -> None:
    channel_id = connect_shopify(store, sandbox)
    mug = store.listing(store.product("MUG-1", on_hand=2))
    store.bulk("publish", channel_id, [mug])

    job = store.bulk("unpublish", channel_id, [mug])

    assert (job["status"], job["counts"]["ended"]) == ("succeeded", 1)
    assert variants(sandbox, "MUG-1")["MUG-1"]["product"]["status"] == "DRAFT"
    ended = store.publication(mug, channel_id)
    assert (ended["status"], ended["sync_state"]) == ("unpublished", "in_sync")


def test_a_listing_shopify_refuses_gets_its_message_and_the_others_are_listed(
    store: Store, sandbox: RunningSandbox
) -> None:
    channel_id = connect_shopify(store, sandbox)
    euro = store.listing(store.product("EURO-1", on_hand=2), price_cents=500, currency="EUR")
    mugs = [store.listing(store.product(f"MUG-{n}", on_hand=2)) for n in range(1, 3)]

    job = store.bulk("publish", channel_id, [mugs[0], euro, mugs[1]])

    assert job["status"] == "succeeded", job
    assert (job["counts"]["published"], job["counts"]["failed"]) == (2, 1)
    refused = store.publication(euro, channel_id)
    assert (refused["status"], refused["sync_state"]) == ("error", "error")
    assert "EUR" in refused["last_error"]
    assert "EURO-1" not in variants(sandbox, "EURO-1")
    assert set(variants(sandbox, "MUG-1", "MUG-2")) == {"MUG-1", "MUG-2"}


def test_a_product_made_in_the_shop_first_is_adopted_by_the_initial_sync(
    store: Store, sandbox: RunningSandbox
) -> None:
    location = sandbox.connect().setup().location_id
    old = product_input("Old mug", {"One": "MUG-1"})
    stocked = [{"locationId": location, "name": "available", "quantity": 1}]
    old["variants"][0]["inventoryQuantities"] = stocked
    made = graphql(sandbox, PRODUCT_SET, {"input": old})
    product_id = made["productSet"]["product"]["id"]
    mug = store.listing(store.product("MUG-1", on_hand=4, price_cents=1500), active=True)
    draft = store.listing(store.product("DRAFT-1", on_hand=4))  # a draft is not published

    channel_id = connect_shopify(store, sandbox)

    [job] = store.jobs(channel_id)
    job = store.finished(job["id"])
    assert job["status"] == "succeeded", job
    assert (job["counts"]["adopted"], job["counts"]["updated"]) == (1, 1)
    adopted = store.publication(mug, channel_id)
    assert (adopted["external_id"], adopted["status"]) == (product_id, "published")
    products = graphql(sandbox, "{ products(first: 10) { nodes { id } } }")["products"]["nodes"]
    assert products == [{"id": product_id}]
    shown = variants(sandbox, "MUG-1")["MUG-1"]
    assert (shown["price"], shown["available"]) == ("15.00", 4)
    listing = store.client.get(f"/api/ecom/listings/{draft}", headers=store.headers).json()
    assert listing["publications"] == []


def test_new_credentials_that_pass_their_test_start_the_initial_sync(
    store: Store, sandbox: RunningSandbox
) -> None:
    mug = store.listing(store.product("MUG-1", on_hand=3), active=True)
    body = {"provider": "shopify", "name": "Web shop", "currency": "GBP", "base_url": sandbox.url,
            "credentials": {"access_token": "shpat_not_yet"},
            "settings": {"branch_ids": [store.branch_id]}}  # fmt: skip
    answer = store.client.post(
        "/api/ecom/channels", params={"verify": "false"}, json=body, headers=store.headers
    )
    assert answer.status_code == 201, answer.text
    channel_id = answer.json()["id"]
    assert store.jobs(channel_id) == []  # untested: nothing is published yet

    fixed = store.client.patch(
        f"/api/ecom/channels/{channel_id}",
        json={"credentials": {"access_token": TOKEN}},
        headers=store.headers,
    )

    assert fixed.status_code == 200, fixed.text
    [job] = store.jobs(channel_id)
    assert store.finished(job["id"])["counts"]["published"] == 1
    assert variants(sandbox, "MUG-1")["MUG-1"]["product"]["status"] == "ACTIVE"
    assert store.publication(mug, channel_id)["status"] == "published"
