"""The shared /_sandbox control API on the Shopify sandbox, and the state file."""

from __future__ import annotations

from pathlib import Path

import httpx

from stockbridge.sandbox.shopify import ShopifySandboxConfig, create_app
from tests.sandbox.servers import serve_in_thread
from tests.sandbox.shopify.shop_client import (
    GRAPHQL_PATH,
    TOKEN,
    FakeClock,
    ShopifyClient,
    create_product,
    location_ids,
)


def test_an_injected_503_is_answered_in_shopifys_shape(shopify: ShopifyClient) -> None:
    rule = shopify.http.post(
        "/_sandbox/faults",
        json={"path_pattern": "/graphql\\.json$", "status": 503, "message": "Service Unavailable"},
    )
    assert rule.status_code == 201
    faulted = shopify.post("{ shop { name } }")
    assert faulted.status_code == 503
    assert faulted.json() == {"errors": "Service Unavailable"}
    assert shopify.http.delete("/_sandbox/faults").status_code == 204
    assert shopify.post("{ shop { name } }").status_code == 200


def test_a_forced_token_expiry_is_a_401(shopify: ShopifyClient) -> None:
    shopify.http.post("/_sandbox/faults", json={"path_pattern": "graphql", "expire_token": True})
    assert shopify.post("{ shop { name } }").status_code == 401


def test_calls_are_counted_per_graphql_operation(shopify: ShopifyClient) -> None:
    create_product(shopify, "Bowl", {"One": "BOWL-1"})
    shopify.run("{ shop { name } locations(first: 5) { nodes { id } } }")
    shopify.run("{ shop { name } }")
    counts = shopify.http.get("/_sandbox/calls").json()["counts"]
    assert counts == {"productSet": 1, "shop,locations": 1, "shop": 1}


def test_state_is_readable_and_reset_empties_it(shopify: ShopifyClient) -> None:
    create_product(shopify, "Jug", {"One": "JUG-1"})
    state = shopify.http.get("/_sandbox/state").json()
    assert [p["title"] for p in state["products"].values()] == ["Jug"]
    assert shopify.http.post("/_sandbox/reset").status_code == 204
    assert shopify.http.get("/_sandbox/state").json()["products"] == {}
    assert shopify.data("{ products(first: 5) { nodes { id } } }") == {"products": {"nodes": []}}


def test_state_survives_a_restart_through_the_state_file(
    tmp_path: Path, config: ShopifySandboxConfig
) -> None:
    state_file = tmp_path / "shopify.json"
    config.state_file = state_file
    first_app = create_app(config)
    with serve_in_thread(first_app) as base_url, httpx.Client(base_url=base_url) as http:
        client = ShopifyClient(http, first_app.state.sandbox, FakeClock())
        product = create_product(client, "Tray", {"One": "TRAY-1"})
        main = location_ids(client)[0]
    assert state_file.is_file()

    second_app = create_app(config)
    with serve_in_thread(second_app) as base_url, httpx.Client(base_url=base_url) as http:
        answer = http.post(
            GRAPHQL_PATH,
            json={
                "query": "query ($id: ID!) "
                "{ product(id: $id) { title variants(first: 1) { nodes { sku } } } }",
                "variables": {"id": product["id"]},
            },
            headers={"X-Shopify-Access-Token": TOKEN},
        ).json()
        assert answer["data"]["product"] == {
            "title": "Tray",
            "variants": {"nodes": [{"sku": "TRAY-1"}]},
        }
        client = ShopifyClient(http, second_app.state.sandbox, FakeClock())
        assert location_ids(client)[0] == main
        # New ids continue after the old ones rather than colliding with them.
        again = create_product(client, "Tray 2", {"One": "TRAY-2"})
        assert again["id"] != product["id"]
