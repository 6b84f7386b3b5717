"""``/api/ecom/orders``: imported marketplace orders, listed and shown with allocations."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce.orders import import_order
from tests.api.conftest import Headers
from tests.commerce.order_payloads import at, line, make_channel, order
from tests.factories import make_branch, make_product, make_version

URL = "/api/ecom/orders"


def imported(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Three orders on two channels: 1001 reserved, 1002 oversold, 2001 on the other channel."""
    with sessions.begin() as session:
        branch = make_branch(session)
        version = make_version(
            session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=2
        )
        shop, other = make_channel(session, branch), make_channel(session, branch)
        ids = {
            "1001": import_order(session, shop.id, order("1001", line(quantity=2))).order_id,
            "1002": import_order(
                session, shop.id, order("1002", line(quantity=1), placed_at=at(60))
            ).order_id,
            "2001": import_order(
                session, other.id, order("2001", line(sku="NONE"), placed_at=at(120))
            ).order_id,
        }
        return {**ids, "shop": shop.id, "branch": branch.id, "version": version.id}


def test_orders_are_listed_newest_first_and_filtered(
    client: TestClient, sessions: sessionmaker[Session], readonly_headers: Headers
) -> None:
    ids = imported(sessions)

    everything = client.get(URL, headers=readonly_headers).json()
    by_channel = client.get(URL, params={"channel_id": ids["shop"]}, headers=readonly_headers)
    flagged = client.get(URL, params={"status": "needs_attention"}, headers=readonly_headers)
    placed = client.get(
        URL,
        params={"placed_since": at(30).isoformat(), "placed_until": at(120).isoformat()},
        headers=readonly_headers,
    )
    second_page = client.get(URL, params={"per_page": 2, "page": 2}, headers=readonly_headers)

    assert [o["external_id"] for o in everything["items"]] == ["2001", "1002", "1001"]
    assert everything["total"] == 3
    assert [o["external_id"] for o in by_channel.json()["items"]] == ["1002", "1001"]
    assert [o["external_id"] for o in flagged.json()["items"]] == ["2001", "1002"]
    assert [o["external_id"] for o in placed.json()["items"]] == ["1002"]
    assert second_page.json() | {"items": None} == {
        "items": None,
        "total": 3,
        "page": 2,
        "per_page": 2,
    }
    assert [o["external_id"] for o in second_page.json()["items"]] == ["1001"]
    item = everything["items"][2]["items"][0]
    assert (item["allocated_branch_id"], item["allocated_version_id"]) == (
        ids["branch"],
        ids["version"],
    )
    assert item["quantity_allocated"] == 2
    assert "events" not in everything["items"][0]


def test_one_order_has_its_allocations_and_history(
    client: TestClient, sessions: sessionmaker[Session], readonly_headers: Headers
) -> None:
    ids = imported(sessions)

    response = client.get(f"{URL}/{ids['1002']}", headers=readonly_headers)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["currency"], body["total_cents"]) == (
        "needs_attention",
        "EUR",
        1450,
    )
    assert "none in stock" in body["attention_reason"]
    assert body["items"][0]["quantity_allocated"] == 0
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in body["events"]] == [
        ("status_change", None, "pending"),
        ("status_change", "pending", "needs_attention"),
    ]


def test_a_missing_order_or_a_bad_filter_is_a_problem(
    client: TestClient, sessions: sessionmaker[Session], readonly_headers: Headers
) -> None:
    missing = client.get(f"{URL}/999", headers=readonly_headers)
    bad_status = client.get(URL, params={"status": "lost"}, headers=readonly_headers)
    naive = client.get(
        URL, params={"placed_since": "2026-12-01T09:00:00"}, headers=readonly_headers
    )

    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "marketplace order 999 does not exist"
    for refused in (bad_status, naive):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"


def test_the_store_orders_stay_apart(
    client: TestClient, sessions: sessionmaker[Session], readonly_headers: Headers
) -> None:
    imported(sessions)

    store = client.get("/api/pos/orders", headers=readonly_headers).json()

    assert store["total"] == 0
