"""/api/pos/product-codes: the catalogue, its search and pagination, and versions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import Condition
from stockbridge.pos import inventory
from tests.api.conftest import Headers
from tests.factories import ACTOR, make_branch, make_product, make_version

URL = "/api/pos/product-codes"


def create(client: TestClient, headers: Headers, sku: str, **fields: Any) -> dict[str, Any]:
    body = {"sku": sku, "name": f"Product {sku}", "price_cents": 1000, "currency": "EUR"}
    response = client.post(URL, headers=headers, json=body | fields)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def skus(page: dict[str, Any]) -> list[str]:
    return [item["sku"] for item in page["items"]]


def test_create_read_change_and_delete(client: TestClient, staff_headers: Headers) -> None:
    product = create(client, staff_headers, "KETTLE-1", brand="Acme", currency="eur")
    assert product["currency"] == "EUR"
    assert product["versions"] == []

    by_id = client.get(f"{URL}/{product['id']}", headers=staff_headers).json()
    by_sku = client.get(f"{URL}/by-sku/KETTLE-1", headers=staff_headers).json()
    assert by_id == by_sku == product

    changed = client.patch(
        f"{URL}/{product['id']}", headers=staff_headers, json={"price_cents": 1250}
    ).json()
    assert (changed["price_cents"], changed["name"]) == (1250, "Product KETTLE-1")

    assert client.delete(f"{URL}/{product['id']}", headers=staff_headers).status_code == 204
    assert client.get(f"{URL}/{product['id']}", headers=staff_headers).status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        {"sku": "HAS SPACE"},
        {"price_cents": -1},
        {"currency": "EURO"},
        {"name": ""},
        {"unknown_field": 1},
    ],
)
def test_invalid_product_is_422_and_not_stored(
    client: TestClient, staff_headers: Headers, bad: dict[str, Any]
) -> None:
    body = {"sku": "OK-1", "name": "Fine", "price_cents": 100, "currency": "EUR"} | bad
    response = client.post(URL, headers=staff_headers, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(URL, headers=staff_headers).json()["total"] == 0


def test_a_product_with_stock_history_cannot_be_deleted(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session, on_hand=1)
    response = client.delete(f"{URL}/{version.product_code_id}", headers=staff_headers)
    assert response.status_code == 409
    assert client.get(f"{URL}/{version.product_code_id}", headers=staff_headers).status_code == 200


def test_search_matches_sku_name_barcode_and_brand(
    client: TestClient, staff_headers: Headers
) -> None:
    create(client, staff_headers, "MUG-RED", name="Red mug", brand="Potters")
    create(client, staff_headers, "MUG-BLUE", name="Blue mug", barcode="4006381333931")
    create(client, staff_headers, "PLATE-1", name="Plate", brand="potters", category="Tableware")

    def search(**params: Any) -> list[str]:
        return skus(client.get(URL, headers=staff_headers, params=params).json())

    assert search(q="mug") == ["MUG-BLUE", "MUG-RED"]
    assert search(q="RED") == ["MUG-RED"]
    assert search(q="3339") == ["MUG-BLUE"]
    assert search(q="POTTERS") == ["MUG-RED", "PLATE-1"]
    assert search(brand="Potters") == ["MUG-RED"]
    assert search(category="Tableware") == ["PLATE-1"]
    assert search(q="nothing like it") == []


def test_search_text_is_literal_not_a_pattern(client: TestClient, staff_headers: Headers) -> None:
    create(client, staff_headers, "A_1", name="Fifty % off")
    create(client, staff_headers, "AB1", name="Full price")
    create(client, staff_headers, "C\\D", name="Backslash")

    def search(q: str) -> list[str]:
        return skus(client.get(URL, headers=staff_headers, params={"q": q}).json())

    assert search("%") == ["A_1"]
    assert search("a_") == ["A_1"]
    assert search("\\") == ["C\\D"]


def test_pagination_reports_total_and_slices_in_sku_order(
    client: TestClient, staff_headers: Headers
) -> None:
    for n in range(7):
        create(client, staff_headers, f"SKU-{n}")

    first = client.get(URL, headers=staff_headers, params={"per_page": 3}).json()
    last = client.get(URL, headers=staff_headers, params={"per_page": 3, "page": 3}).json()
    beyond = client.get(URL, headers=staff_headers, params={"per_page": 3, "page": 4}).json()

    assert (first["total"], first["page"], first["per_page"]) == (7, 1, 3)
    assert skus(first) == ["SKU-0", "SKU-1", "SKU-2"]
    assert skus(last) == ["SKU-6"]
    assert (beyond["items"], beyond["total"]) == ([], 7)


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 0}, {"per_page": 201}])
def test_pagination_bounds_are_422(
    client: TestClient, staff_headers: Headers, params: dict[str, int]
) -> None:
    assert client.get(URL, headers=staff_headers, params=params).status_code == 422


def test_stock_filters_and_versions_in_items(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        north, south = make_branch(session, "NORTH"), make_branch(session, "SOUTH")
        stocked = make_version(session, product=make_product(session, "STOCKED"), branch=north)
        inventory.receive(session, stocked.id, 4, actor=ACTOR)
        sold_out = make_version(session, product=make_product(session, "SOLD-OUT"), branch=south)
        make_product(session, "NEVER-STOCKED")
        make_version(session, product=stocked.product_code, branch=south, condition=Condition.USED)

    def search(**params: Any) -> list[str]:
        return skus(client.get(URL, headers=staff_headers, params=params).json())

    assert search(in_stock="true") == ["STOCKED"]
    assert search(in_stock="false") == ["NEVER-STOCKED", "SOLD-OUT"]
    assert search(branch_id=south.id) == ["SOLD-OUT", "STOCKED"]
    assert search(branch_id=south.id, in_stock="true") == []
    assert search(branch_id=north.id, in_stock="true") == ["STOCKED"]

    page = client.get(URL, headers=staff_headers, params={"in_stock": "true"}).json()
    item = page["items"][0]
    assert [(v["branch_id"], v["condition"], v["qty_available"]) for v in item["versions"]] == [
        (north.id, "new", 4),
        (south.id, "used", 0),
    ]
    versions = client.get(f"{URL}/{sold_out.product_code_id}/versions", headers=staff_headers)
    assert [v["id"] for v in versions.json()] == [sold_out.id]
