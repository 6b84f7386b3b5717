"""Stock and price pushes of the Shopify adapter, against the sandbox over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockbridge.channels.base import Money, PriceUpdate, StockLevel
from stockbridge.channels.shopify import ShopifyAdapter, stock
from stockbridge.channels.shopify.stock import NOT_STOCKED, UNKNOWN_SKU
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.channels.shopify.helpers import TOKENS, RunningSandbox, graphql, listing, shop_variants
from tests.sandbox.shopify.shop_client import PRODUCT_SET, product_input


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    """A Plus plan's restore rate (1,000 points/s), so listing hundreds of SKUs is quick."""
    return ShopifySandboxConfig(access_tokens=TOKENS, restore_rate=1000)


ADJUST = """
mutation Sale($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) { userErrors { code message } }
}
"""


def _listed(adapter: ShopifyAdapter, count: int, prefix: str = "SKU") -> list[str]:
    skus = [f"{prefix}-{n:04d}" for n in range(count)]
    adapter.upsert_listings([listing(sku, quantity=1) for sku in skus])
    return skus


def test_three_hundred_quantities_take_two_mutations(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    skus = _listed(adapter, 300)
    fresh = sandbox.connect()  # nothing cached: look-ups are counted too
    sandbox.clear_calls()

    result = fresh.set_quantities([StockLevel(sku, n % 7) for n, sku in enumerate(skus)])

    assert set(result.accepted) == set(skus)
    assert result.rejected == {}
    calls = sandbox.calls()
    assert calls["inventorySetQuantities"] == 2
    assert calls["productVariants"] == 3  # 100 SKUs a look-up
    assert result.calls == sum(calls.values())
    shown = shop_variants(sandbox, fresh.setup().location_id, "sku:SKU-*")
    assert {sku: shown[sku]["available"] for sku in skus} == {
        sku: n % 7 for n, sku in enumerate(skus)
    }


def test_unknown_and_unstocked_skus_are_rejected_and_the_rest_is_set(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    _listed(adapter, 2)
    graphql(sandbox, PRODUCT_SET, {"input": product_input("Elsewhere", {"One": "AWAY-1"})})

    result = adapter.set_quantities(
        [StockLevel("SKU-0000", 4), StockLevel("NOPE", 1), StockLevel("AWAY-1", 2)]
    )

    assert result.accepted == ("SKU-0000",)
    assert result.rejected == {"NOPE": UNKNOWN_SKU, "AWAY-1": NOT_STOCKED}
    location = adapter.setup().location_id
    assert shop_variants(sandbox, location, "sku:SKU-0000")["SKU-0000"]["available"] == 4


def test_a_sale_on_shopify_since_the_read_is_reread_and_the_set_still_lands(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    [sku] = _listed(adapter, 1)
    ref = adapter.skus.resolve([sku])[sku]
    location = adapter.setup().location_id
    graphql(
        sandbox,
        ADJUST,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "changes": [
                    {"delta": -1, "inventoryItemId": ref.inventory_item_id, "locationId": location}
                ],
            }
        },
    )
    sandbox.clear_calls()

    result = adapter.set_quantities([StockLevel(sku, 5)])

    assert result.accepted == (sku,)
    assert sandbox.calls()["inventorySetQuantities"] == 2  # stale, re-read, set
    assert shop_variants(sandbox, location, f"sku:{sku}")[sku]["available"] == 5


def test_the_last_level_of_a_sku_wins_and_zero_is_always_resent(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    [sku] = _listed(adapter, 1)
    adapter.set_quantities([StockLevel(sku, 0)])
    sandbox.clear_calls()

    result = adapter.set_quantities([StockLevel(sku, 9), StockLevel(sku, 0)])

    assert result.accepted == (sku,)
    assert sandbox.calls()["inventorySetQuantities"] == 1
    assert shop_variants(sandbox, adapter.setup().location_id, f"sku:{sku}")[sku]["available"] == 0


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pushes=st.lists(
        st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 40)), min_size=1, max_size=8),
        min_size=1,
        max_size=4,
    )
)
def test_the_shop_shows_the_last_quantity_pushed_for_every_sku(
    sandbox: RunningSandbox, pushes: list[list[tuple[int, int]]]
) -> None:
    """Whatever the order of pushes, each SKU ends at its last pushed level (never below 0)."""
    adapter = sandbox.connect()
    skus = [f"PROP-{n}" for n in range(6)]
    if not adapter.skus.resolve(skus):
        adapter.upsert_listings([listing(sku, quantity=0) for sku in skus])
    expected: dict[str, int] = {}
    for push in pushes:
        levels = [StockLevel(skus[i], quantity) for i, quantity in push]
        result = adapter.set_quantities(levels)
        assert result.rejected == {}
        expected.update({level.sku: max(0, level.quantity) for level in levels})

    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:PROP-*")
    assert {sku: shown[sku]["available"] for sku in expected} == expected


def test_prices_are_set_in_one_call_per_product(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    skus = _listed(adapter, 3)
    graphql(sandbox, PRODUCT_SET, {"input": product_input("Tee", {"S": "TEE-S", "M": "TEE-M"})})
    wanted = [*skus, "TEE-S", "TEE-M"]
    adapter.skus.resolve(wanted)
    sandbox.clear_calls()

    result = adapter.set_prices([PriceUpdate(sku, Money(1999, "GBP")) for sku in wanted])

    assert set(result.accepted) == set(wanted)
    assert result.rejected == {}
    assert sandbox.calls() == {"productVariantsBulkUpdate": 4}  # 3 listings and the tee
    assert result.calls == 4
    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:SKU-* OR sku:TEE-*")
    assert {sku: shown[sku]["price"] for sku in wanted} == dict.fromkeys(wanted, "19.99")


def test_a_product_of_more_variants_than_a_call_takes_is_priced_in_several_calls(
    adapter: ShopifyAdapter, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shopify takes 250 a call, and 250 is also the most one productSet can make here;
    # a smaller cap shows the split with a product of five variants.
    monkeypatch.setattr(stock, "MAX_PRICES", 2)
    sizes = {f"S{n}": f"BIG-{n}" for n in range(5)}
    graphql(sandbox, PRODUCT_SET, {"input": product_input("Big", sizes)})
    sandbox.clear_calls()

    result = adapter.set_prices([PriceUpdate(sku, Money(700, "GBP")) for sku in sizes.values()])

    assert sorted(result.accepted) == sorted(sizes.values())
    assert sandbox.calls()["productVariantsBulkUpdate"] == 3
    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:BIG-*")
    assert {node["price"] for node in shown.values()} == {"7.00"}


def test_a_price_shopify_refuses_rejects_its_products_skus_only(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    good, bad = _listed(adapter, 2)

    result = adapter.set_prices(
        [PriceUpdate(good, Money(500, "GBP")), PriceUpdate(bad, Money(-1, "GBP"))]
    )

    assert result.accepted == (good,)
    assert set(result.rejected) == {bad}
    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:SKU-*")
    assert (shown[good]["price"], shown[bad]["price"]) == ("5.00", "12.50")


def test_prices_in_another_currency_or_for_unknown_skus_are_rejected_unsent(
    adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    [sku] = _listed(adapter, 1)
    sandbox.clear_calls()

    result = adapter.set_prices(
        [PriceUpdate(sku, Money(100, "EUR")), PriceUpdate("NOPE", Money(100, "GBP"))]
    )

    assert result.accepted == ()
    assert set(result.rejected) == {sku, "NOPE"}
    assert "productVariantsBulkUpdate" not in sandbox.calls()
