"""Inventory items: create-or-replace, get, list, delete, and their bulk calls."""

from __future__ import annotations

from tests.sandbox.ebay import payloads
from tests.sandbox.ebay.conftest import EbayHarness


def test_create_then_get_returns_what_was_stored(ebay: EbayHarness) -> None:
    created = ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item(quantity=3))
    assert created.status_code == 204
    assert created.content == b""

    got = ebay.call("GET", "/inventory_item/LAMP-1")
    assert got.status_code == 200
    body = got.json()
    assert body["sku"] == "LAMP-1"
    assert body["locale"] == "en_US"
    assert body["availability"]["shipToLocationAvailability"]["quantity"] == 3
    assert body["product"]["title"] == "Vintage brass desk lamp"
    assert body["packageWeightAndSize"] == {"weight": {"value": 1.2, "unit": "KILOGRAM"}}


def test_create_or_replace_replaces_the_whole_record(ebay: EbayHarness) -> None:
    ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item())
    replacement = {"availability": {"shipToLocationAvailability": {"quantity": 1}}}
    assert ebay.call("PUT", "/inventory_item/LAMP-1", json=replacement).status_code == 204

    body = ebay.call("GET", "/inventory_item/LAMP-1").json()
    assert body == {**replacement, "sku": "LAMP-1", "locale": "en_US"}


def test_unknown_sku_is_404_in_ebay_shape(ebay: EbayHarness) -> None:
    answer = ebay.call("GET", "/inventory_item/NOPE")
    assert answer.status_code == 404
    assert answer.json() == {
        "errors": [
            {
                "errorId": 25710,
                "domain": "API_INVENTORY",
                "category": "REQUEST",
                "message": "We didn't find the resource/entity you are requesting. "
                "Please verify the request",
            }
        ]
    }
    assert ebay.call("DELETE", "/inventory_item/NOPE").status_code == 404


def test_list_pages_by_page_number(ebay: EbayHarness) -> None:
    for number in range(5):
        ebay.call("PUT", f"/inventory_item/SKU-{number}", json=payloads.inventory_item())

    first = ebay.call("GET", "/inventory_item", params={"limit": "2", "offset": "0"}).json()
    last = ebay.call("GET", "/inventory_item", params={"limit": "2", "offset": "2"}).json()

    assert [i["sku"] for i in first["inventoryItems"]] == ["SKU-0", "SKU-1"]
    assert (first["total"], first["size"], first["limit"]) == (5, 2, 2)
    assert first["next"].endswith("limit=2&offset=1")
    assert "prev" not in first
    assert [i["sku"] for i in last["inventoryItems"]] == ["SKU-4"]
    assert "next" not in last
    bad = ebay.call("GET", "/inventory_item", params={"limit": "500"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["errorId"] == 25706


def test_delete_removes_the_item(ebay: EbayHarness) -> None:
    ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item())
    assert ebay.call("DELETE", "/inventory_item/LAMP-1").status_code == 204
    assert ebay.call("GET", "/inventory_item/LAMP-1").status_code == 404


def test_bulk_create_or_replace_answers_per_item(ebay: EbayHarness) -> None:
    requests = [
        {"sku": f"BULK-{n}", "locale": "en_GB", **payloads.inventory_item(quantity=n)}
        for n in range(3)
    ]
    requests.append({"sku": "NO-LOCALE", **payloads.inventory_item()})

    answer = ebay.call(
        "POST", "/bulk_create_or_replace_inventory_item", json={"requests": requests}
    )

    assert answer.status_code == 207
    responses = answer.json()["responses"]
    assert [(r["sku"], r["statusCode"]) for r in responses] == [
        ("BULK-0", 200),
        ("BULK-1", 200),
        ("BULK-2", 200),
        ("NO-LOCALE", 400),
    ]
    assert responses[3]["errors"][0]["errorId"] == 25733
    stored = ebay.call("GET", "/inventory_item/BULK-2").json()
    assert stored["locale"] == "en_GB"
    assert stored["availability"]["shipToLocationAvailability"]["quantity"] == 2


def test_bulk_calls_take_at_most_25_requests(ebay: EbayHarness) -> None:
    def items(count: int) -> list[dict[str, object]]:
        return [
            {"sku": f"S{n}", "locale": "en_US", **payloads.inventory_item()} for n in range(count)
        ]

    full = ebay.call("POST", "/bulk_create_or_replace_inventory_item", json={"requests": items(25)})
    assert full.status_code == 200

    over = ebay.call("POST", "/bulk_create_or_replace_inventory_item", json={"requests": items(26)})
    assert over.status_code == 400
    assert over.json()["errors"][0]["errorId"] == 25727
    assert "cannot exceed 25" in over.json()["errors"][0]["message"]

    gets = {"requests": [{"sku": f"S{n}"} for n in range(26)]}
    assert (
        ebay.call("POST", "/bulk_get_inventory_item", json=gets).json()["errors"][0]["errorId"]
        == 25727
    )
    prices = {"requests": [{"sku": f"S{n}"} for n in range(26)]}
    over_prices = ebay.call("POST", "/bulk_update_price_quantity", json=prices)
    assert over_prices.status_code == 400
    assert over_prices.json()["errors"][0]["errorId"] == 25709


def test_bulk_get_marks_missing_skus(ebay: EbayHarness) -> None:
    ebay.call("PUT", "/inventory_item/LAMP-1", json=payloads.inventory_item())

    answer = ebay.call(
        "POST", "/bulk_get_inventory_item", json={"requests": [{"sku": "LAMP-1"}, {"sku": "NOPE"}]}
    )

    assert answer.status_code == 207
    found, missing = answer.json()["responses"]
    assert (found["statusCode"], found["inventoryItem"]["sku"]) == (200, "LAMP-1")
    assert (missing["statusCode"], missing["errors"][0]["errorId"]) == (404, 25702)


def test_invalid_body_is_400_in_ebay_shape(ebay: EbayHarness) -> None:
    body = payloads.inventory_item()
    body["availability"]["shipToLocationAvailability"]["quantity"] = "ten"

    answer = ebay.call("PUT", "/inventory_item/LAMP-1", json=body)

    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert (error["errorId"], error["domain"], error["category"]) == (
        25709,
        "API_INVENTORY",
        "REQUEST",
    )
    assert "quantity" in error["message"]
    ebay.violations.take()  # provoked on purpose when contract mode is on


def test_missing_content_language_is_refused(ebay: EbayHarness) -> None:
    headers = {"Authorization": f"Bearer {ebay.default_token}"}
    answer = ebay.http.put(
        "/sell/inventory/v1/inventory_item/LAMP-1", json=payloads.inventory_item(), headers=headers
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["errorId"] == 25709
    assert "Content-Language" in answer.json()["errors"][0]["message"]
    ebay.violations.take()


def test_calls_the_sandbox_does_not_serve_are_501(ebay: EbayHarness) -> None:
    answer = ebay.call("GET", "/inventory_item_group/GROUP-1")
    assert answer.status_code == 501
    error = answer.json()["errors"][0]
    assert error["domain"] == "SANDBOX"
    assert "GET /sell/inventory/v1/inventory_item_group/GROUP-1" in error["message"]
    assert ebay.call("POST", "/offer/get_listing_fees", json={"offers": []}).status_code == 501
