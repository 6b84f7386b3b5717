"""Offers: create, update, get, list by SKU, publish, withdraw, delete, bulk calls."""

from __future__ import annotations

import pytest

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness


@pytest.fixture
def stocked(ebay: EbayHarness) -> EbayHarness:
    """A seller with a shop location and two items in stock."""
    location = ebay.call("POST", f"/location/{payloads.LOCATION_KEY}", json=payloads.location())
    assert location.status_code == 204
    for sku, quantity in (("LAMP-1", 5), ("LAMP-2", 2)):
        item = payloads.inventory_item(quantity=quantity)
        assert ebay.call("PUT", f"/inventory_item/{sku}", json=item).status_code == 204
    return ebay


def create_offer(ebay: EbayHarness, sku: str, quantity: int | None = None) -> str:
    answer = ebay.call("POST", "/offer", json=payloads.offer(sku, quantity))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["offerId"])


def test_create_and_get_offer(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1", quantity=3)

    offer = stocked.call("GET", f"/offer/{offer_id}").json()

    assert offer["offerId"] == offer_id
    assert (offer["sku"], offer["marketplaceId"], offer["format"]) == (
        "LAMP-1",
        "EBAY_GB",
        "FIXED_PRICE",
    )
    assert offer["status"] == "UNPUBLISHED"
    assert offer["availableQuantity"] == 3
    assert offer["pricingSummary"]["price"] == {"currency": "GBP", "value": "49.99"}
    assert "listing" not in offer


def test_offer_for_unknown_sku_and_duplicate_offer(stocked: EbayHarness) -> None:
    missing = stocked.call("POST", "/offer", json=payloads.offer("NOPE"))
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["errorId"] == 25702

    offer_id = create_offer(stocked, "LAMP-1")
    twin = stocked.call("POST", "/offer", json=payloads.offer("LAMP-1"))
    assert twin.status_code == 400
    assert twin.json()["errors"][0]["parameters"] == [{"name": "offerId", "value": offer_id}]


def test_get_offers_by_sku(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1")
    create_offer(stocked, "LAMP-2")

    listed = stocked.call("GET", "/offer", params={"sku": "LAMP-1"}).json()

    assert [offer["offerId"] for offer in listed["offers"]] == [offer_id]
    assert listed["total"] == 1
    none = stocked.call("GET", "/offer", params={"sku": "OTHER"})
    assert none.status_code == 404
    assert none.json()["errors"][0]["errorId"] == 25713


def test_update_offer_replaces_it(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1", quantity=3)
    update = payloads.offer("LAMP-1", quantity=1, price="39.00")
    for key in ("sku", "marketplaceId", "format"):
        del update[key]

    assert stocked.call("PUT", f"/offer/{offer_id}", json=update).status_code == 204

    offer = stocked.call("GET", f"/offer/{offer_id}").json()
    assert offer["availableQuantity"] == 1
    assert offer["pricingSummary"]["price"]["value"] == "39.00"
    assert stocked.call("PUT", "/offer/999", json=update).status_code == 404


def test_publish_lists_the_lower_of_item_and_offer_quantity(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1", quantity=3)

    published = stocked.call("POST", f"/offer/{offer_id}/publish")

    assert published.status_code == 200
    listing_id = published.json()["listingId"]
    offer = stocked.call("GET", f"/offer/{offer_id}").json()
    assert offer["status"] == "PUBLISHED"
    assert offer["listing"] == {
        "listingId": listing_id,
        "listingStatus": "ACTIVE",
        "soldQuantity": 0,
    }
    listing = stocked.get_state()["listings"][listing_id]
    assert listing["quantity"] == 3  # item has 5, offer 3
    # Publishing a live offer again revises the same listing.
    again = stocked.call("POST", f"/offer/{offer_id}/publish")
    assert again.json() == {"listingId": listing_id}


def test_publish_refuses_an_incomplete_offer(stocked: EbayHarness) -> None:
    body = payloads.offer("LAMP-1")
    del body["categoryId"]
    body["merchantLocationKey"] = "nowhere"
    offer_id = stocked.call("POST", "/offer", json=body).json()["offerId"]

    answer = stocked.call("POST", f"/offer/{offer_id}/publish")

    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["errorId"] == 25002
    assert "categoryId" in error["message"]
    assert stocked.call("POST", "/offer/999/publish").status_code == 404


def test_publish_refuses_zero_quantity(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1", quantity=0)
    answer = stocked.call("POST", f"/offer/{offer_id}/publish")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["errorId"] == 25760


def test_withdraw_ends_the_listing(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1")
    listing_id = stocked.call("POST", f"/offer/{offer_id}/publish").json()["listingId"]

    withdrawn = stocked.call("POST", f"/offer/{offer_id}/withdraw")

    assert withdrawn.status_code == 200
    assert withdrawn.json() == {"listingId": listing_id}
    offer = stocked.call("GET", f"/offer/{offer_id}").json()
    assert offer["status"] == "UNPUBLISHED"
    assert offer["listing"]["listingStatus"] == "ENDED"
    assert stocked.call("POST", f"/offer/{offer_id}/withdraw").status_code == 400


def test_delete_offer(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1")
    assert stocked.call("DELETE", f"/offer/{offer_id}").status_code == 204
    assert stocked.call("GET", f"/offer/{offer_id}").status_code == 404
    assert stocked.call("DELETE", f"/offer/{offer_id}").status_code == 404


def test_deleting_a_published_offer_or_its_item_ends_the_listing(stocked: EbayHarness) -> None:
    first = create_offer(stocked, "LAMP-1")
    second = create_offer(stocked, "LAMP-2")
    ended_by_offer = stocked.call("POST", f"/offer/{first}/publish").json()["listingId"]
    ended_by_item = stocked.call("POST", f"/offer/{second}/publish").json()["listingId"]

    assert stocked.call("DELETE", f"/offer/{first}").status_code == 204
    assert stocked.call("DELETE", "/inventory_item/LAMP-2").status_code == 204

    listings = stocked.get_state()["listings"]
    for listing_id in (ended_by_offer, ended_by_item):
        assert (listings[listing_id]["status"], listings[listing_id]["quantity"]) == ("ENDED", 0)
    assert stocked.call("GET", f"/offer/{second}").status_code == 404


def test_bulk_create_and_publish(stocked: EbayHarness) -> None:
    created = stocked.call(
        "POST",
        "/bulk_create_offer",
        json={
            "requests": [payloads.offer("LAMP-1"), payloads.offer("LAMP-2"), payloads.offer("X")]
        },
    )
    assert created.status_code == 207
    responses = created.json()["responses"]
    assert [(r["sku"], r["statusCode"]) for r in responses] == [
        ("LAMP-1", 200),
        ("LAMP-2", 200),
        ("X", 400),
    ]
    offer_ids = [r["offerId"] for r in responses[:2]]

    published = stocked.call(
        "POST", "/bulk_publish_offer", json={"requests": [{"offerId": i} for i in offer_ids]}
    )

    assert published.status_code == 200
    answers = published.json()["responses"]
    assert [(a["offerId"], a["statusCode"]) for a in answers] == [(i, 200) for i in offer_ids]
    assert all(a["listingId"] for a in answers)
    too_many = {"requests": [{"offerId": str(n)} for n in range(26)]}
    over = stocked.call("POST", "/bulk_publish_offer", json=too_many)
    assert over.status_code == 400
    assert over.json()["errors"][0]["errorId"] == 25730


def test_bulk_update_price_quantity(stocked: EbayHarness) -> None:
    offer_id = create_offer(stocked, "LAMP-1", quantity=5)
    listing_id = stocked.call("POST", f"/offer/{offer_id}/publish").json()["listingId"]

    answer = stocked.call(
        "POST",
        "/bulk_update_price_quantity",
        json={
            "requests": [
                {
                    "sku": "LAMP-1",
                    "shipToLocationAvailability": {"quantity": 2},
                    "offers": [
                        {
                            "offerId": offer_id,
                            "availableQuantity": 4,
                            "price": {"currency": "GBP", "value": "45.00"},
                        }
                    ],
                },
                {"sku": "LAMP-2", "shipToLocationAvailability": {"quantity": 0}},
                {"sku": "NOPE", "shipToLocationAvailability": {"quantity": 1}},
            ]
        },
    )

    assert answer.status_code == 207
    assert [(r.get("offerId"), r["sku"], r["statusCode"]) for r in answer.json()["responses"]] == [
        (offer_id, "LAMP-1", 200),
        (None, "LAMP-2", 200),
        (None, "NOPE", 400),
    ]
    state = stocked.get_state()
    assert state["listings"][listing_id]["quantity"] == 2  # item 2, offer 4: the lower
    assert state["offers"][offer_id]["body"]["pricingSummary"]["price"]["value"] == "45.00"
    assert state["inventory_items"]["LAMP-2"]["availability"]["shipToLocationAvailability"] == {
        "quantity": 0
    }
    revisions = state["listings"][listing_id]["revisions"]
    assert sum(revisions.values()) == 1
