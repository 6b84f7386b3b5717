"""Listings on eBay: inventory items and offers upserted in bulk, published, withdrawn."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.channels.base import ListingRef, Money
from stockbridge.channels.ebay import mapping
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.money import to_minor_units
from stockbridge.statuses import Condition
from tests.channels.ebay.conftest import Connected, calls, connect, listing
from tests.sandbox.ebay.conftest import EbayHarness


@pytest.mark.parametrize(
    ("condition", "ebay"),
    [
        (Condition.NEW, "NEW"),
        (Condition.OPEN_BOX, "NEW_OTHER"),
        (Condition.REFURBISHED, "SELLER_REFURBISHED"),
        (Condition.USED, "USED_EXCELLENT"),
        (Condition.FOR_PARTS, "FOR_PARTS_OR_NOT_WORKING"),
    ],
)
def test_every_condition_has_an_ebay_condition(condition: Condition, ebay: str) -> None:
    assert mapping.inventory_item(listing("A", condition=condition), "en_GB")["condition"] == ebay


@given(
    cents=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["GBP", "JPY", "KWD"]),
)
def test_prices_are_written_exactly_in_the_currencys_decimals(cents: int, currency: str) -> None:
    written = mapping.amount(Money(cents, currency))

    assert written["currency"] == currency
    assert to_minor_units(written["value"], currency) == cents


def test_upsert_creates_items_and_offers_in_bulk(connected: Connected, shop: EbayHarness) -> None:
    refs = connected.adapter.upsert_listings([listing(f"LAMP-{n}", quantity=n) for n in range(30)])

    assert [ref.sku for ref in refs] == [f"LAMP-{n}" for n in range(30)]
    assert all(ref.external_id == ref.refs["offer_id"] and not ref.published for ref in refs)
    counts = calls(shop)
    assert counts["bulkCreateOrReplaceInventoryItem"] == 2
    assert counts["bulkCreateOffer"] == 2
    state = shop.get_state()
    item = state["inventory_items"]["LAMP-7"]
    assert item["condition"] == "USED_EXCELLENT"
    assert item["availability"]["shipToLocationAvailability"]["quantity"] == 7
    assert item["packageWeightAndSize"]["weight"] == {"value": 1200, "unit": "GRAM"}
    offer = state["offers"][refs[7].external_id]
    assert offer["body"]["pricingSummary"]["price"] == {"currency": "GBP", "value": "49.99"}
    assert offer["body"]["listingPolicies"]["paymentPolicyId"] == "6196932000"
    assert offer["marketplace_id"] == "EBAY_GB"


def test_upserting_again_replaces_the_item_and_updates_the_one_offer(
    connected: Connected, shop: EbayHarness
) -> None:
    first = connected.adapter.upsert_listings([listing("LAMP-1", cents=4999)])
    again = connected.adapter.upsert_listings(
        [listing("LAMP-1", cents=3500, title="Lamp, new title", brand=None)]
    )

    assert again[0].external_id == first[0].external_id
    state = shop.get_state()
    assert len(state["offers"]) == 1
    assert state["offers"][first[0].external_id]["body"]["pricingSummary"]["price"]["value"] == (
        "35.00"
    )
    product = state["inventory_items"]["LAMP-1"]["product"]
    assert product["title"] == "Lamp, new title"
    assert "brand" not in product  # the whole record is replaced
    assert calls(shop)["updateOffer"] == 1


def test_a_fresh_adapter_takes_over_an_existing_live_offer(
    connected: Connected, shop: EbayHarness
) -> None:
    first = connected.adapter.upsert_listings([listing("LAMP-1")])
    connected.adapter.publish("LAMP-1")
    other = connect(shop).adapter

    again = other.upsert_listings([listing("LAMP-1", cents=100)])

    assert again[0].external_id == first[0].external_id
    assert again[0].published
    offers = shop.get_state()["offers"]
    assert len(offers) == 1
    assert offers[first[0].external_id]["body"]["pricingSummary"]["price"]["value"] == "1.00"
    counts = calls(shop)
    # Created blind (no look-up for a new SKU); the twin refused names the offer to update.
    assert (counts["bulkCreateOffer"], counts["getOffers"], counts["updateOffer"]) == (2, 1, 1)


def test_refused_listings_are_named_and_the_others_still_stored(
    connected: Connected, shop: EbayHarness
) -> None:
    too_long = "X" * 51

    with pytest.raises(ChannelError) as raised:
        connected.adapter.upsert_listings([listing("LAMP-1"), listing(too_long)])

    assert raised.value.category is ChannelErrorCategory.VALIDATION
    rejected = raised.value.extra["rejected"]
    assert list(rejected) == [too_long]
    assert "25707" in rejected[too_long]
    assert "LAMP-1" in shop.get_state()["inventory_items"]


def test_publish_lists_the_offer_and_unpublish_withdraws_it(
    connected: Connected, shop: EbayHarness
) -> None:
    adapter = connected.adapter
    adapter.upsert_listings([listing("LAMP-1", quantity=4)])

    ref = adapter.publish("LAMP-1")

    assert ref.published
    listing_id = ref.refs["listing_id"]
    shown = shop.get_state()["listings"][listing_id]
    assert (shown["status"], shown["quantity"]) == ("ACTIVE", 4)

    adapter.unpublish("LAMP-1")
    adapter.unpublish("LAMP-1")  # withdrawing twice is harmless

    assert shop.get_state()["listings"][listing_id]["status"] == "ENDED"
    assert calls(shop)["withdrawOffer"] == 2


def test_publishing_an_unknown_sku_or_an_incomplete_offer_fails_clearly(
    connected: Connected, shop: EbayHarness
) -> None:
    with pytest.raises(ChannelError) as unknown:
        connected.adapter.publish("NOPE")
    connected.adapter.upsert_listings([listing("LAMP-1", quantity=0)])
    with pytest.raises(ChannelError) as empty:
        connected.adapter.publish("LAMP-1")

    assert unknown.value.category is ChannelErrorCategory.NOT_FOUND
    assert empty.value.category is ChannelErrorCategory.VALIDATION
    assert empty.value.code == "25760"


def test_remembered_refs_spare_the_offer_look_ups(connected: Connected, shop: EbayHarness) -> None:
    refs = connected.adapter.upsert_listings([listing("LAMP-1")])
    other = connect(shop).adapter
    other.remember([ListingRef(sku="LAMP-1", external_id="x", refs=refs[0].refs)])
    shop.http.delete("/_sandbox/calls")

    other.publish("LAMP-1")

    assert calls(shop) == {"publishOffer": 1}
