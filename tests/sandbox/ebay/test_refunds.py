"""Sell Fulfillment: issueRefund, whole order or per line, never more than was paid."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stockbridge.sandbox.ebay.oauth import SELL_FULFILLMENT
from tests.sandbox.ebay.conftest import EbayHarness
from tests.sandbox.ebay.shop import FULFILLMENT, api, bought, error_id, get_order, list_item


@pytest.fixture
def order(ebay: EbayHarness) -> dict[str, Any]:
    """Paid: 2 x 49.99 (LAMP-1) + 1 x 20.00 (VASE-1) = 119.98 GBP."""
    list_item(ebay, "LAMP-1", 5)
    list_item(ebay, "VASE-1", 2, price="20.00")
    return bought(ebay, ("LAMP-1", 2), ("VASE-1", 1))


def refund(
    ebay: EbayHarness, order_id: str, body: dict[str, Any] | None, token: str | None = None
) -> httpx.Response:
    path = f"{FULFILLMENT}/order/{order_id}/issue_refund"
    if body is None:
        return api(ebay, "POST", path, token=token, headers={"Content-Type": "application/json"})
    return api(ebay, "POST", path, token=token, json=body)


def gbp(value: str) -> dict[str, str]:
    return {"currency": "GBP", "value": value}


def test_a_line_refund_then_the_rest(ebay: EbayHarness, order: dict[str, Any]) -> None:
    order_id = order["orderId"]
    vase = order["lineItems"][1]["lineItemId"]
    ebay.clock.advance(60)

    partial = refund(
        ebay,
        order_id,
        {
            "reasonForRefund": "ITEM_NOT_AS_DESCRIBED",
            "comment": "Chip on the rim",
            "refundItems": [{"lineItemId": vase, "refundAmount": gbp("5.00")}],
        },
    )

    assert partial.status_code == 200, partial.text
    assert partial.json()["refundStatus"] == "PENDING"
    after = get_order(ebay, order_id)
    assert after["orderPaymentStatus"] == "PARTIALLY_REFUNDED"
    assert after["lastModifiedDate"] == "2026-09-21T14:14:20.000Z"
    [recorded] = after["paymentSummary"]["refunds"]
    assert (recorded["refundId"], recorded["amount"], recorded["refundStatus"]) == (
        partial.json()["refundId"],
        gbp("5.00"),
        "REFUNDED",
    )
    assert after["lineItems"][1]["refunds"][0]["amount"] == gbp("5.00")
    assert after["lineItems"][0]["refunds"] == []
    assert after["paymentSummary"]["totalDueSeller"] == gbp("114.98")

    rest = refund(
        ebay, order_id, {"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": gbp("114.98")}
    )

    assert rest.status_code == 200, rest.text
    done = get_order(ebay, order_id)
    assert done["orderPaymentStatus"] == "FULLY_REFUNDED"
    assert len(done["paymentSummary"]["refunds"]) == 2
    again = refund(
        ebay, order_id, {"reasonForRefund": "BUYER_RETURN", "orderLevelRefundAmount": gbp("1.00")}
    )
    assert (again.status_code, error_id(again)) == (400, 34917)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (None, 400, 34902),
        ({"orderLevelRefundAmount": {"currency": "GBP", "value": "1.00"}}, 400, 34903),
        ({"reasonForRefund": "BECAUSE", "orderLevelRefundAmount": gbp("1.00")}, 400, 34903),
        ({"reasonForRefund": "OTHER_ADJUSTMENT"}, 400, 34905),
        (
            {"reasonForRefund": "OTHER_ADJUSTMENT", "orderLevelRefundAmount": gbp("120.00")},
            400,
            34915,
        ),
        (
            {"reasonForRefund": "OTHER_ADJUSTMENT", "orderLevelRefundAmount": gbp("1.005")},
            400,
            34907,
        ),
        (
            {
                "reasonForRefund": "OTHER_ADJUSTMENT",
                "orderLevelRefundAmount": {"currency": "USD", "value": "1.00"},
            },
            400,
            34909,
        ),
        (
            {
                "reasonForRefund": "OTHER_ADJUSTMENT",
                "refundItems": [{"lineItemId": "1", "refundAmount": gbp("1.00")}],
            },
            400,
            34914,
        ),
        (
            {"reasonForRefund": "OTHER_ADJUSTMENT", "refundItems": [{"refundAmount": gbp("1.00")}]},
            400,
            34910,
        ),
        (
            {
                "reasonForRefund": "OTHER_ADJUSTMENT",
                "refundItems": [{"lineItemId": "VASE", "refundAmount": gbp("20.01")}],
            },
            409,
            34924,
        ),
    ],
)
def test_bad_refunds_are_refused_and_change_nothing(
    ebay: EbayHarness,
    order: dict[str, Any],
    body: dict[str, Any] | None,
    status: int,
    expected: int,
) -> None:
    vase = order["lineItems"][1]["lineItemId"]
    for item in (body or {}).get("refundItems", []):
        if item.get("lineItemId") == "VASE":
            item["lineItemId"] = vase

    answer = refund(ebay, order["orderId"], body)

    assert (answer.status_code, error_id(answer)) == (status, expected), answer.text
    unchanged = get_order(ebay, order["orderId"])
    assert unchanged["orderPaymentStatus"] == "PAID"
    assert unchanged["lastModifiedDate"] == order["lastModifiedDate"]


def test_unknown_order_and_the_finances_scope(ebay: EbayHarness, order: dict[str, Any]) -> None:
    body = {"reasonForRefund": "BUYER_CANCEL", "orderLevelRefundAmount": gbp("1.00")}

    missing = refund(ebay, "99-99999-99999", body)
    without_finances = refund(
        ebay, order["orderId"], body, token=ebay.user_token([SELL_FULFILLMENT])
    )

    assert (missing.status_code, error_id(missing)) == (404, 34913)
    assert (without_finances.status_code, error_id(without_finances)) == (403, 1100)
