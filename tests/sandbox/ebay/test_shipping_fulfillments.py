"""Sell Fulfillment: shipping fulfilments move an order NOT_STARTED -> IN_PROGRESS -> FULFILLED."""

from __future__ import annotations

from typing import Any

import pytest

from stockbridge.sandbox.ebay.config import FULFILLMENT_SPEC
from tests.sandbox.ebay.conftest import EbayHarness
from tests.sandbox.ebay.official import unknown_fields
from tests.sandbox.ebay.shop import FULFILLMENT, api, bought, error_id, get_order, list_item, ship


@pytest.fixture
def order(ebay: EbayHarness) -> dict[str, Any]:
    """An order for 3 LAMP-1 and 1 VASE-1."""
    list_item(ebay, "LAMP-1", 5)
    list_item(ebay, "VASE-1", 2, price="20.00")
    return bought(ebay, ("LAMP-1", 3), ("VASE-1", 1))


def lines(order: dict[str, Any]) -> tuple[str, str]:
    lamp, vase = (line["lineItemId"] for line in order["lineItems"])
    return lamp, vase


def test_shipping_lines_moves_the_statuses(ebay: EbayHarness, order: dict[str, Any]) -> None:
    order_id = order["orderId"]
    lamp, vase = lines(order)

    ebay.clock.advance(600)
    first = ship(ebay, order_id, (lamp, 2))
    assert first.status_code == 201, first.text
    after_first = get_order(ebay, order_id)
    ebay.clock.advance(600)
    assert ship(ebay, order_id, (lamp, 1), (vase, 1), trackingNumber="CD9876").status_code == 201
    done = get_order(ebay, order_id)

    location = first.headers["location"]
    assert location.startswith(
        f"{ebay.base_url}{FULFILLMENT}/order/{order_id}/shipping_fulfillment/"
    )
    assert after_first["orderFulfillmentStatus"] == "IN_PROGRESS"
    assert [li["lineItemFulfillmentStatus"] for li in after_first["lineItems"]] == [
        "IN_PROGRESS",
        "NOT_STARTED",
    ]
    assert after_first["lastModifiedDate"] == "2026-09-21T14:23:20.000Z"
    assert done["orderFulfillmentStatus"] == "FULFILLED"
    assert {li["lineItemFulfillmentStatus"] for li in done["lineItems"]} == {"FULFILLED"}
    assert done["lastModifiedDate"] == "2026-09-21T14:33:20.000Z"
    assert len(done["fulfillmentHrefs"]) == 2
    assert done["fulfillmentHrefs"][0] == location


def test_get_shipping_fulfillments(ebay: EbayHarness, order: dict[str, Any]) -> None:
    order_id = order["orderId"]
    lamp, _ = lines(order)
    location = ship(ebay, order_id, (lamp, 2), shippedDate="2026-09-21T14:13:20.000Z").headers[
        "location"
    ]
    fulfillment_id = location.rsplit("/", 1)[-1]
    base = f"{FULFILLMENT}/order/{order_id}/shipping_fulfillment"

    listed = api(ebay, "GET", base).json()
    one = api(ebay, "GET", f"{base}/{fulfillment_id}").json()

    assert listed["total"] == 1
    assert listed["fulfillments"] == [one]
    assert one == {
        "fulfillmentId": fulfillment_id,
        "lineItems": [{"lineItemId": lamp, "quantity": 2}],
        "shippedDate": "2026-09-21T14:13:20.000Z",
        "shippingCarrierCode": "RoyalMail",
        "shipmentTrackingNumber": "AB123456789GB",
    }
    assert unknown_fields(FULFILLMENT_SPEC, "ShippingFulfillmentPagedCollection", listed) == []
    missing = api(ebay, "GET", f"{base}/12345")
    assert (missing.status_code, error_id(missing)) == (404, 32110)
    unknown_order = api(ebay, "GET", f"{FULFILLMENT}/order/99-99999-99999/shipping_fulfillment/1")
    assert unknown_order.status_code == 404


@pytest.mark.parametrize(
    ("shipment", "extra", "expected"),
    [
        ([("LAMP", 4)], {}, 32600),  # 3 were bought
        ([("LAMP", 0)], {}, 32600),
        ([("NOPE", 1)], {}, 32200),
        ([("LAMP", 1), ("LAMP", 1)], {}, 32210),
        ([("LAMP", 1)], {"trackingNumber": "AB 123"}, 32300),
        ([("LAMP", 1)], {"shippingCarrierCode": None}, 32300),
        ([("LAMP", 1)], {"shippedDate": "last week"}, 32500),
        ([("LAMP", 1)], {"shippedDate": "2027-01-01T00:00:00.000Z"}, 32500),
        ([], {}, 32600),
    ],
)
def test_bad_shipments_are_refused_and_change_nothing(
    ebay: EbayHarness,
    order: dict[str, Any],
    shipment: list[tuple[str, int]],
    extra: dict[str, Any],
    expected: int,
) -> None:
    lamp, _ = lines(order)
    ids = {"LAMP": lamp, "NOPE": "99999"}
    answer = ship(ebay, order["orderId"], *[(ids[n], q) for n, q in shipment], **extra)

    assert (answer.status_code, error_id(answer)) == (400, expected), answer.text
    unchanged = get_order(ebay, order["orderId"])
    assert unchanged["orderFulfillmentStatus"] == "NOT_STARTED"
    assert unchanged["lastModifiedDate"] == order["lastModifiedDate"]


def test_over_shipping_after_a_partial_shipment(ebay: EbayHarness, order: dict[str, Any]) -> None:
    lamp, _ = lines(order)
    assert ship(ebay, order["orderId"], (lamp, 2)).status_code == 201

    answer = ship(ebay, order["orderId"], (lamp, 2))

    assert (answer.status_code, error_id(answer)) == (400, 32600)
    assert "1 unit(s) left" in answer.json()["errors"][0]["message"]


def test_a_cancelled_order_does_not_ship(ebay: EbayHarness, order: dict[str, Any]) -> None:
    lamp, _ = lines(order)
    assert ebay.http.post(f"/_sandbox/buyers/orders/{order['orderId']}/cancel").status_code == 200

    answer = ship(ebay, order["orderId"], (lamp, 1))

    assert (answer.status_code, error_id(answer)) == (400, 32600)
