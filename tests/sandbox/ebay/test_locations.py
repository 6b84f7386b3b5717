"""Inventory locations: create, get, list (offset counts records here)."""

from __future__ import annotations

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness


def test_create_and_get_location(ebay: EbayHarness) -> None:
    assert ebay.call("POST", "/location/main-shop", json=payloads.location()).status_code == 204

    location = ebay.call("GET", "/location/main-shop").json()

    assert location["merchantLocationKey"] == "main-shop"
    assert location["merchantLocationStatus"] == "ENABLED"
    assert location["locationTypes"] == ["STORE"]
    assert location["location"]["address"]["postalCode"] == "BS1 4DJ"
    assert location["name"] == "Main shop"


def test_a_key_is_created_once(ebay: EbayHarness) -> None:
    ebay.call("POST", "/location/main-shop", json=payloads.location())
    again = ebay.call("POST", "/location/main-shop", json=payloads.location())
    assert again.status_code == 409
    assert again.json()["errors"][0]["errorId"] == 25803


def test_address_needs_a_country(ebay: EbayHarness) -> None:
    body = payloads.location()
    del body["location"]["address"]["country"]
    answer = ebay.call("POST", "/location/main-shop", json=body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["errorId"] == 25801


def test_unknown_location_is_404(ebay: EbayHarness) -> None:
    answer = ebay.call("GET", "/location/nowhere")
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["errorId"] == 25805


def test_list_locations_with_record_offset(ebay: EbayHarness) -> None:
    for key in ("a", "b", "c"):
        ebay.call("POST", f"/location/{key}", json=payloads.location())

    page = ebay.call("GET", "/location", params={"limit": "2", "offset": "1"}).json()

    assert [loc["merchantLocationKey"] for loc in page["locations"]] == ["b", "c"]
    assert (page["total"], page["offset"], page["limit"]) == (3, 1, 2)
    assert "next" not in page
    assert page["prev"].endswith("offset=0")


def test_update_changes_details_but_not_the_address(ebay: EbayHarness) -> None:
    ebay.call("POST", "/location/main-shop", json=payloads.location())
    update = {
        "name": "Main shop (High St)",
        "phone": "0117 496 0000",
        "location": {"address": {"city": "Bath", "country": "GB"}},
    }

    answer = ebay.call("POST", "/location/main-shop/update_location_details", json=update)

    assert answer.status_code == 204
    location = ebay.call("GET", "/location/main-shop").json()
    assert (location["name"], location["phone"]) == ("Main shop (High St)", "0117 496 0000")
    assert location["location"]["address"]["city"] == "Bristol"
    assert (
        ebay.call("POST", "/location/nowhere/update_location_details", json=update).status_code
        == 404
    )


def test_disable_enable_and_delete(ebay: EbayHarness) -> None:
    ebay.call("POST", "/location/main-shop", json=payloads.location())

    disabled = ebay.call("POST", "/location/main-shop/disable")
    assert (disabled.status_code, disabled.json()) == (200, {})
    status = ebay.call("GET", "/location/main-shop").json()["merchantLocationStatus"]
    assert status == "DISABLED"

    assert ebay.call("POST", "/location/main-shop/enable").status_code == 200
    status = ebay.call("GET", "/location/main-shop").json()["merchantLocationStatus"]
    assert status == "ENABLED"

    assert ebay.call("DELETE", "/location/main-shop").status_code == 204
    assert ebay.call("GET", "/location/main-shop").status_code == 404
    assert ebay.call("DELETE", "/location/main-shop").status_code == 404
    assert ebay.call("POST", "/location/main-shop/enable").status_code == 404


def test_an_offer_cannot_be_published_from_a_disabled_location(ebay: EbayHarness) -> None:
    ebay.call("POST", f"/location/{payloads.LOCATION_KEY}", json=payloads.location())
    ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item())
    offer_id = ebay.call("POST", "/offer", json=payloads.offer("LAMP-1")).json()["offerId"]
    ebay.call("POST", f"/location/{payloads.LOCATION_KEY}/disable")

    answer = ebay.call("POST", f"/offer/{offer_id}/publish")

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["errorId"] == 25012
