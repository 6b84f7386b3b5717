"""Stock and prices on eBay: bulkUpdatePriceQuantity, 25 SKUs a call, outcomes per SKU."""

from __future__ import annotations

import pytest

from stockbridge.channels.base import Money, PriceUpdate, StockLevel
from stockbridge.channels.ebay.adapter import EbayAdapter
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


def recreate_offer(shop: EbayHarness, sku: str) -> tuple[str, str]:
    """The seller deletes the SKU's offer on eBay and creates it again (a new offer id),
    as Seller Hub does; (old id, new id)."""
    offers = shop.get_state()["offers"]
    old_id, old = next((key, o) for key, o in offers.items() if o["sku"] == sku)
    assert shop.call("DELETE", f"/offer/{old_id}").status_code == 204
    keys = {"sku": sku, "marketplaceId": old["marketplace_id"], "format": old["format"]}
    created = shop.call("POST", "/offer", json=old["body"] | keys)
    assert created.status_code == 201, created.text
    shop.http.delete("/_sandbox/calls")
    return old_id, str(created.json()["offerId"])


def remembering(shop: EbayHarness, listed: Connected) -> EbayAdapter:
    """A fresh adapter told the offer ids stored when the SKUs were listed, as a push is."""
    refs = listed.adapter.find_listings([f"LAMP-{n}" for n in range(3)])
    adapter = connect(shop).adapter
    adapter.remember(refs.values())
    return adapter


def test_a_stale_offer_id_is_looked_up_again_and_the_quantity_sent_once_more(
    listed: Connected, shop: EbayHarness
) -> None:
    adapter = remembering(shop, listed)
    _, new_id = recreate_offer(shop, "LAMP-0")

    result = adapter.set_quantities([StockLevel("LAMP-0", 2), StockLevel("LAMP-1", 3)])

    assert sorted(result.accepted) == ["LAMP-0", "LAMP-1"]
    assert result.rejected == {}
    # The refused entry, the look-up of LAMP-0 alone, and LAMP-0 sent again.
    assert calls(shop) == {"bulkUpdatePriceQuantity": 2, "getOffers": 1}
    assert result.calls == 3
    assert shop.get_state()["offers"][new_id]["body"]["availableQuantity"] == 2
    assert result.found["LAMP-0"].external_id == new_id
    assert set(result.found) == {"LAMP-0"}
    adapter.set_quantities([StockLevel("LAMP-0", 1)])  # the new id is kept: no look-up
    assert calls(shop) == {"bulkUpdatePriceQuantity": 3, "getOffers": 1}


def test_a_stale_offer_id_is_looked_up_again_for_a_price(
    listed: Connected, shop: EbayHarness
) -> None:
    adapter = remembering(shop, listed)
    _, new_id = recreate_offer(shop, "LAMP-1")

    result = adapter.set_prices([PriceUpdate("LAMP-1", Money(1250, "GBP"))])

    assert result.accepted == ("LAMP-1",)
    price = shop.get_state()["offers"][new_id]["body"]["pricingSummary"]["price"]
    assert price == {"currency": "GBP", "value": "12.50"}


def test_an_offer_deleted_and_not_recreated_is_retried_once_then_refused_for_its_price(
    listed: Connected, shop: EbayHarness
) -> None:
    adapter = remembering(shop, listed)
    offers = shop.get_state()["offers"]
    old_id = next(key for key, o in offers.items() if o["sku"] == "LAMP-2")
    assert shop.call("DELETE", f"/offer/{old_id}").status_code == 204
    shop.http.delete("/_sandbox/calls")

    priced = adapter.set_prices([PriceUpdate("LAMP-2", Money(1250, "GBP"))])
    counted = adapter.set_quantities([StockLevel("LAMP-2", 1)])

    assert "no eBay offer" in priced.rejected["LAMP-2"]
    assert counted.accepted == ("LAMP-2",)  # its item's quantity, as for a SKU never offered
    assert calls(shop) == {"bulkUpdatePriceQuantity": 2, "getOffers": 1}
