"""Property: buyers see the lower of the item's quantity and the offer's, whatever is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness, FakeClock, running_sandbox

quantities = st.integers(min_value=0, max_value=10_000)


@pytest.fixture(scope="module")
def published() -> Iterator[tuple[EbayHarness, str, str]]:
    """One live listing, shared by every example (hypothesis reruns the test body)."""
    with running_sandbox(FakeClock()) as ebay:
        ebay.call("POST", f"/location/{payloads.LOCATION_KEY}", json=payloads.location())
        ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item(quantity=1))
        offer_id = ebay.call("POST", "/offer", json=payloads.offer("LAMP-1")).json()["offerId"]
        listing_id = ebay.call("POST", f"/offer/{offer_id}/publish").json()["listingId"]
        yield ebay, offer_id, listing_id


@settings(max_examples=40, deadline=None)
@given(item_quantity=quantities, offer_quantity=st.none() | quantities)
def test_listed_quantity_is_the_lower_one(
    published: tuple[EbayHarness, str, str], item_quantity: int, offer_quantity: int | None
) -> None:
    ebay, offer_id, listing_id = published
    offers = []
    if offer_quantity is not None:
        offers = [{"offerId": offer_id, "availableQuantity": offer_quantity}]
    keys = {"sku", "marketplaceId", "format"}
    offer = {name: value for name, value in payloads.offer("LAMP-1").items() if name not in keys}
    # Start each example from an offer without its own quantity.
    assert ebay.call("PUT", f"/offer/{offer_id}", json=offer).status_code == 204
    answer = ebay.call(
        "POST",
        "/bulk_update_price_quantity",
        json={
            "requests": [
                {
                    "sku": "LAMP-1",
                    "shipToLocationAvailability": {"quantity": item_quantity},
                    "offers": offers,
                }
            ]
        },
    )
    assert answer.status_code == 200

    shown = ebay.get_state()["listings"][listing_id]["quantity"]

    expected = item_quantity if offer_quantity is None else min(item_quantity, offer_quantity)
    assert shown == expected
