"""Concurrent calls: handlers run in a thread pool, so state changes must not be lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness

CALLS = 24


def test_concurrent_writes_are_all_kept(ebay: EbayHarness) -> None:
    ebay.call("POST", f"/location/{payloads.LOCATION_KEY}", json=payloads.location())
    ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item(quantity=1))
    offer_id = ebay.call("POST", "/offer", json=payloads.offer("LAMP-1")).json()["offerId"]
    listing_id = ebay.call("POST", f"/offer/{offer_id}/publish").json()["listingId"]

    def create(number: int) -> int:
        item = payloads.inventory_item(quantity=number)
        return ebay.call("PUT", f"/inventory_item/SKU-{number}", json=item).status_code

    def revise(number: int) -> int:
        body = {"requests": [{"sku": "LAMP-1", "shipToLocationAvailability": {"quantity": number}}]}
        return ebay.call("POST", "/bulk_update_price_quantity", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(create, range(CALLS)))
        revised = list(pool.map(revise, range(CALLS)))

    assert created == [204] * CALLS
    assert revised == [200] * CALLS
    state = ebay.get_state()
    assert len(state["inventory_items"]) == CALLS + 1
    assert sum(state["listings"][listing_id]["revisions"].values()) == CALLS
