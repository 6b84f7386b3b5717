"""/api/pos/sales and /api/pos/orders: a counter sale is stock, ledger, order and payments
together, or nothing at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import (
    Branch,
    LedgerReason,
    Order,
    OrderItem,
    Payment,
    ProductCode,
    ProductCodeVersion,
    StockLedgerEntry,
)
from tests.api.conftest import Headers
from tests.factories import make_branch, make_product, make_version

SALES = "/api/pos/sales"
ORDERS = "/api/pos/orders"


@dataclass(frozen=True)
class Shop:
    branch: Branch
    other_branch: Branch
    mug: ProductCodeVersion  # 10 on hand, product price 1200
    lamp: ProductCodeVersion  # 2 on hand, price override 4500 (product 4000)


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> Shop:
    with sessions.begin() as session:
        branch, other_branch = make_branch(session, "MAIN"), make_branch(session, "MALL")
        mug = make_version(
            session, product=make_product(session, "MUG", 1200), branch=branch, on_hand=10
        )
        lamp = make_version(
            session, product=make_product(session, "LAMP", 4000), branch=branch, on_hand=2
        )
        lamp.price_cents = 4500
    return Shop(branch, other_branch, mug, lamp)


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Order, OrderItem, Payment, StockLedgerEntry)
        }


def on_hand(sessions: sessionmaker[Session], version: ProductCodeVersion) -> int:
    with sessions() as session:
        stored = session.get(ProductCodeVersion, version.id)
        assert stored is not None
        return stored.qty_on_hand


def sale(shop: Shop, lines: list[dict[str, Any]], paid: list[int], **extra: Any) -> dict[str, Any]:
    payments = [{"method": "cash", "amount_cents": amount} for amount in paid]
    return {"branch_id": shop.branch.id, "lines": lines, "payments": payments} | extra


def test_a_sale_takes_stock_ledgers_it_and_records_order_and_payments(
    client: TestClient, staff_headers: Headers, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    body = {
        "branch_id": shop.branch.id,
        "lines": [
            {"sku": "MUG", "quantity": 3},
            {"version_id": shop.lamp.id, "quantity": 1},
            {"sku": "MUG", "quantity": 1, "unit_price_cents": 1000},
        ],
        "payments": [
            {"method": "card", "amount_cents": 8000, "reference": "T-991"},
            {"method": "cash", "amount_cents": 1100},
        ],
        "customer_name": "Ada",
        "customer_email": "ada@example.org",
    }

    response = client.post(SALES, headers=staff_headers, json=body)

    assert response.status_code == 201, response.text
    order = response.json()
    assert re.fullmatch(r"POS-\d{8}", order["number"])
    assert int(order["number"].removeprefix("POS-")) == order["id"]
    assert (order["source"], order["status"], order["branch_id"]) == (
        "pos",
        "completed",
        shop.branch.id,
    )
    assert (order["subtotal_cents"], order["total_cents"], order["currency"]) == (9100, 9100, "EUR")
    assert [
        (i["sku"], i["quantity"], i["unit_price_cents"], i["total_cents"]) for i in order["items"]
    ] == [
        ("MUG", 3, 1200, 3600),
        ("LAMP", 1, 4500, 4500),
        ("MUG", 1, 1000, 1000),
    ]
    assert [(p["method"], p["amount_cents"], p["reference"]) for p in order["payments"]] == [
        ("card", 8000, "T-991"),
        ("cash", 1100, None),
    ]
    assert (on_hand(sessions, shop.mug), on_hand(sessions, shop.lamp)) == (6, 1)

    ledger = client.get(
        "/api/pos/ledger",
        headers=staff_headers,
        params={"reference_type": "pos_order", "reference_id": str(order["id"])},
    ).json()
    assert sorted((e["version_id"], e["reason"], e["delta_on_hand"]) for e in ledger["items"]) == [
        (shop.mug.id, LedgerReason.SALE.value, -4),
        (shop.lamp.id, LedgerReason.SALE.value, -1),
    ]
    assert {e["actor"] for e in ledger["items"]} == {"key:test-staff"}
    assert client.get(f"{ORDERS}/{order['id']}", headers=staff_headers).json() == order


def test_short_stock_is_409_and_leaves_no_order_payment_or_movement(
    client: TestClient, staff_headers: Headers, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    before = counts(sessions)
    body = sale(
        shop,
        [{"sku": "MUG", "quantity": 2}, {"version_id": shop.lamp.id, "quantity": 3}],
        paid=[2400 + 3 * 4500],
    )

    response = client.post(SALES, headers=staff_headers, json=body)

    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert (problem["available"], problem["requested"]) == (2, 3)
    assert problem["type"] == "tag:stockbridge,2026:insufficient-stock"
    assert counts(sessions) == before
    assert counts(sessions)["orders"] == 0
    assert (on_hand(sessions, shop.mug), on_hand(sessions, shop.lamp)) == (10, 2)


def test_the_same_version_on_two_lines_counts_once_against_stock(
    client: TestClient, staff_headers: Headers, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    lines = [{"sku": "LAMP", "quantity": 1}, {"version_id": shop.lamp.id, "quantity": 2}]
    response = client.post(SALES, headers=staff_headers, json=sale(shop, lines, paid=[13500]))
    assert response.status_code == 409
    assert response.json()["available"] == 2
    assert counts(sessions)["orders"] == 0


def test_a_sku_never_stocked_in_the_branch_is_short(
    client: TestClient, staff_headers: Headers, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    body = sale(shop, [{"sku": "MUG", "quantity": 1}], paid=[1200]) | {
        "branch_id": shop.other_branch.id
    }
    response = client.post(SALES, headers=staff_headers, json=body)
    assert response.status_code == 409
    assert (response.json()["available"], response.json()["requested"]) == (0, 1)


@pytest.mark.parametrize(
    ("lines", "paid", "extra"),
    [
        ([{"sku": "MUG", "quantity": 1}], [1000], {}),
        ([{"sku": "MUG", "quantity": 1}], [1200, 100], {}),
        ([{"sku": "MUG", "quantity": 1}], [], {}),
        ([{"sku": "MUG", "quantity": 1}], [1200], {"currency": "USD"}),
        ([{"sku": "MUG", "quantity": 0}], [0], {}),
        ([{"sku": "MUG", "version_id": 1, "quantity": 1}], [1200], {}),
        ([{"quantity": 1}], [1200], {}),
        ([], [], {}),
    ],
)
def test_bad_sales_are_422_and_record_nothing(
    client: TestClient,
    staff_headers: Headers,
    shop: Shop,
    sessions: sessionmaker[Session],
    lines: list[dict[str, Any]],
    paid: list[int],
    extra: dict[str, Any],
) -> None:
    response = client.post(SALES, headers=staff_headers, json=sale(shop, lines, paid, **extra))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert counts(sessions) == {"orders": 0, "order_items": 0, "payments": 0, "stock_ledger": 2}


def test_payments_that_do_not_add_up_name_both_sums(
    client: TestClient, staff_headers: Headers, shop: Shop
) -> None:
    body = sale(shop, [{"sku": "MUG", "quantity": 2}], paid=[2000])
    problem = client.post(SALES, headers=staff_headers, json=body).json()
    assert (problem["total_cents"], problem["paid_cents"]) == (2400, 2000)


def test_payments_in_another_currency_are_refused(
    client: TestClient, staff_headers: Headers, shop: Shop
) -> None:
    body = sale(shop, [{"sku": "MUG", "quantity": 1}], paid=[]) | {
        "payments": [{"method": "cash", "amount_cents": 1200, "currency": "USD"}]
    }
    assert client.post(SALES, headers=staff_headers, json=body).status_code == 422


def test_mixed_currencies_are_refused(
    client: TestClient, staff_headers: Headers, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        dollar = ProductCode(sku="DOLLAR", name="Import", price_cents=500, currency="USD")
        session.add(dollar)
        session.flush()
        make_version(session, product=dollar, branch=shop.branch, on_hand=1)
    lines = [{"sku": "MUG", "quantity": 1}, {"sku": "DOLLAR", "quantity": 1}]

    response = client.post(SALES, headers=staff_headers, json=sale(shop, lines, paid=[1700]))

    assert response.status_code == 422
    assert response.json()["currencies"] == ["EUR", "USD"]


def test_a_version_of_another_branch_is_refused(
    client: TestClient, staff_headers: Headers, shop: Shop, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        elsewhere = make_version(
            session,
            product=session.get(ProductCode, shop.mug.product_code_id),
            branch=shop.other_branch,
            on_hand=5,
        )
    body = sale(shop, [{"version_id": elsewhere.id, "quantity": 1}], paid=[1200])
    assert client.post(SALES, headers=staff_headers, json=body).status_code == 422
    assert on_hand(sessions, elsewhere) == 5


def test_unknown_and_inactive_branches(
    client: TestClient, staff_headers: Headers, shop: Shop
) -> None:
    body = sale(shop, [{"sku": "MUG", "quantity": 1}], paid=[1200])
    unknown = client.post(SALES, headers=staff_headers, json=body | {"branch_id": 999})
    client.patch(
        f"/api/pos/branches/{shop.branch.id}", headers=staff_headers, json={"active": False}
    )
    closed = client.post(SALES, headers=staff_headers, json=body)
    assert (unknown.status_code, closed.status_code) == (404, 409)


def test_orders_list_newest_first_with_filters_and_pages(
    client: TestClient, staff_headers: Headers, shop: Shop
) -> None:
    numbers = [
        client.post(
            SALES, headers=staff_headers, json=sale(shop, [{"sku": "MUG", "quantity": 1}], [1200])
        ).json()["number"]
        for _ in range(3)
    ]

    def listed(**params: Any) -> dict[str, Any]:
        page: dict[str, Any] = client.get(ORDERS, headers=staff_headers, params=params).json()
        return page

    everything = listed()
    assert [order["number"] for order in everything["items"]] == numbers[::-1]
    assert everything["items"][0]["items"][0]["sku"] == "MUG"
    assert listed(per_page=2, page=2)["items"][0]["number"] == numbers[0]
    assert listed(source="pos", status="completed", branch_id=shop.branch.id)["total"] == 3
    assert listed(branch_id=shop.other_branch.id)["total"] == 0
    assert listed(status="refunded")["total"] == 0
    assert client.get(ORDERS, headers=staff_headers, params={"source": "fax"}).status_code == 422
