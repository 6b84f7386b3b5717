"""The leaky bucket per access token: it drains, answers THROTTLED, and refills with time."""

from __future__ import annotations

from pathlib import Path

import pytest

from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.sandbox.shopify.shop_client import TOKEN, FakeClock, ShopifyClient

OTHER_TOKEN = "shpat_other_app"
ADD_PRODUCT = (
    'mutation { productSet(input: {title: "Tiny"}) { product { id } userErrors { code } } }'
)


@pytest.fixture
def config(clock: FakeClock, contract_mode: Path) -> ShopifySandboxConfig:
    # A small bucket so a few mutations (10 points each) drain it.
    return ShopifySandboxConfig(
        access_tokens=frozenset({TOKEN, OTHER_TOKEN}), clock=clock, bucket_size=25, restore_rate=5
    )


def _status(answer: dict[str, object]) -> dict[str, object]:
    cost = answer["extensions"]["cost"]  # type: ignore[index]
    return cost["throttleStatus"]  # type: ignore[no-any-return,index]


def test_the_bucket_drains_throttles_and_restores(shopify: ShopifyClient) -> None:
    first = shopify.run(ADD_PRODUCT)
    assert first["extensions"]["cost"]["requestedQueryCost"] == 10
    assert first["extensions"]["cost"]["actualQueryCost"] == 10
    assert _status(first) == {
        "maximumAvailable": 25.0,
        "currentlyAvailable": 15,
        "restoreRate": 5.0,
    }
    assert _status(shopify.run(ADD_PRODUCT))["currentlyAvailable"] == 5

    throttled = shopify.run(ADD_PRODUCT)
    assert "data" not in throttled
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 10
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    assert _status(throttled)["currentlyAvailable"] == 5
    products = shopify.sandbox.state.products
    assert len(products) == 2  # the throttled mutation did not run

    shopify.clock.advance(1.0)  # 5 points per second
    restored = shopify.run(ADD_PRODUCT)
    assert "errors" not in restored
    assert _status(restored)["currentlyAvailable"] == 0
    shopify.clock.advance(60)
    assert _status(shopify.run("{ shop { name } }"))["currentlyAvailable"] == 24  # full, minus 1


def test_each_access_token_has_its_own_bucket(shopify: ShopifyClient) -> None:
    for _ in range(2):
        shopify.run(ADD_PRODUCT)
    assert shopify.run(ADD_PRODUCT)["errors"][0]["extensions"]["code"] == "THROTTLED"
    other = shopify.post(ADD_PRODUCT, token=OTHER_TOKEN).json()
    assert "errors" not in other
    assert _status(other)["currentlyAvailable"] == 15
