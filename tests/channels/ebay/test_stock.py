"""Stock and prices on eBay: bulkUpdatePriceQuantity, 25 SKUs a call, outcomes per SKU."""

from __future__ import annotations

import pytest

from stockbridge.channels.base import Money, PriceUpdate, StockLevel
from tests.channels.ebay.conftest import Connected, calls, connect, listing
from tests.sandbox.ebay.conftest import EbayHarness


@pytest.fixture
def listed(connected: Connected) -> Connected:
    skus = [f"LAMP-{n}" for n in range(60)]
    connected.adapter.upsert_listings([listing(sku, quantity=5) for sku in skus])
    for sku in skus[:3]:
        connected.adapter.publish(sku)
    return connected


def _shown(shop: EbayHarness) -> dict[str, int]:
    return {row["sku"]: row["quantity"] for row in shop.get_state()["listings"].values()}


def test_quantities_go_out_25_a_call_on_item_and_offer(
    listed: Connected, shop: EbayHarness
) -> None:
    shop.http.delete("/_sandbox/calls")

    result = listed.adapter.set_quantities([StockLevel(f"LAMP-{n}", n % 4) for n in range(60)])

    assert sorted(result.accepted) == sorted(f"LAMP-{n}" for n in range(60))
    assert result.rejected == {}
    assert result.calls == 3
    assert calls(shop) == {"bulkUpdatePriceQuantity": 3}
    assert _shown(shop) == {"LAMP-0": 0, "LAMP-1": 1, "LAMP-2": 2}
    state = shop.get_state()
    offer = next(o for o in state["offers"].values() if o["sku"] == "LAMP-7")
    assert offer["body"]["availableQuantity"] == 3
    assert state["inventory_items"]["LAMP-7"]["availability"]["shipToLocationAvailability"] == {
        "quantity": 3
    }


def test_zero_and_negative_quantities_are_sent_as_zero(
    listed: Connected, shop: EbayHarness
) -> None:
    result = listed.adapter.set_quantities([StockLevel("LAMP-0", 0), StockLevel("LAMP-1", -2)])

    assert sorted(result.accepted) == ["LAMP-0", "LAMP-1"]
    assert _shown(shop)["LAMP-1"] == 0


def test_an_unknown_sku_is_rejected_and_the_rest_accepted(
    listed: Connected, shop: EbayHarness
) -> None:
    result = listed.adapter.set_quantities([StockLevel("LAMP-0", 2), StockLevel("GHOST", 1)])

    assert result.accepted == ("LAMP-0",)
    assert "25702" in result.rejected["GHOST"]


def test_a_repeated_sku_is_sent_once_with_its_last_quantity(
    listed: Connected, shop: EbayHarness
) -> None:
    result = listed.adapter.set_quantities([StockLevel("LAMP-0", 4), StockLevel("LAMP-0", 1)])

    assert result.accepted == ("LAMP-0",)
    assert _shown(shop)["LAMP-0"] == 1


def test_a_cold_adapter_looks_each_offer_up_once(listed: Connected, shop: EbayHarness) -> None:
    cold = connect(shop).adapter
    shop.http.delete("/_sandbox/calls")

    cold.set_quantities([StockLevel(f"LAMP-{n}", 1) for n in range(5)])
    cold.set_quantities([StockLevel(f"LAMP-{n}", 2) for n in range(5)])

    assert calls(shop) == {"getOffers": 5, "bulkUpdatePriceQuantity": 2}
    assert _shown(shop)["LAMP-2"] == 2


def test_prices_change_on_the_offer(listed: Connected, shop: EbayHarness) -> None:
    result = listed.adapter.set_prices(
        [PriceUpdate("LAMP-0", Money(1250, "GBP")), PriceUpdate("GHOST", Money(100, "GBP"))]
    )

    assert result.accepted == ("LAMP-0",)
    assert "no eBay offer" in result.rejected["GHOST"]
    assert result.calls == 2  # the look-up of GHOST's offer, then one bulk call
    offer = next(o for o in shop.get_state()["offers"].values() if o["sku"] == "LAMP-0")
    assert offer["body"]["pricingSummary"]["price"] == {"currency": "GBP", "value": "12.50"}
