"""/api/pos/stock and /api/pos/versions: movements by hand, each ledgered with its actor."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import LedgerReason, ProductCodeVersion, StockLedgerEntry
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Reference
from tests.api.conftest import Headers
from tests.factories import ACTOR, make_branch, make_product, make_version

STAFF_ACTOR = "key:test-staff"


def ledger_rows(sessions: sessionmaker[Session]) -> list[tuple[int, LedgerReason, int, str]]:
    with sessions() as session:
        rows = session.scalars(select(StockLedgerEntry).order_by(StockLedgerEntry.id))
        return [(row.version_id, row.reason, row.delta_on_hand, row.actor) for row in rows]


def post(client: TestClient, headers: Headers, action: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/pos/stock/{action}", headers=headers, json=body)


def test_receive_by_sku_creates_the_version_then_adds_to_it(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        product, branch = make_product(session, "LAMP"), make_branch(session)

    first = post(
        client, staff_headers, "receive", {"sku": "LAMP", "branch_id": branch.id, "quantity": 3}
    )
    second = post(
        client,
        staff_headers,
        "receive",
        {"product_code_id": product.id, "branch_id": branch.id, "quantity": 2, "note": "PO 7"},
    )

    assert first.status_code == second.status_code == 200
    version = second.json()
    assert version["id"] == first.json()["id"]
    assert (version["condition"], version["qty_on_hand"], version["qty_available"]) == ("new", 5, 5)
    assert ledger_rows(sessions) == [
        (version["id"], LedgerReason.RECEIVE, 3, STAFF_ACTOR),
        (version["id"], LedgerReason.RECEIVE, 2, STAFF_ACTOR),
    ]


def test_receive_in_another_condition_is_another_version(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session, on_hand=1)
    body = {
        "product_code_id": version.product_code_id,
        "branch_id": version.branch_id,
        "condition": "refurbished",
        "quantity": 1,
    }
    received = post(client, staff_headers, "receive", body).json()
    assert received["id"] != version.id
    assert received["condition"] == "refurbished"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"branch_id": 1, "quantity": 1}, 422),
        ({"sku": "LAMP", "product_code_id": 1, "branch_id": 1, "quantity": 1}, 422),
        ({"sku": "LAMP", "branch_id": 1, "quantity": 0}, 422),
        ({"sku": "LAMP", "branch_id": 1, "quantity": 1, "condition": "mint"}, 422),
        ({"sku": "UNKNOWN", "branch_id": 1, "quantity": 1}, 404),
        ({"sku": "LAMP", "branch_id": 999, "quantity": 1}, 404),
    ],
)
def test_bad_receive_is_refused_and_writes_nothing(
    client: TestClient,
    staff_headers: Headers,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    status: int,
) -> None:
    with sessions.begin() as session:
        make_product(session, "LAMP")
        make_branch(session)
    response = post(client, staff_headers, "receive", body)
    assert response.status_code == status
    with sessions() as session:
        assert session.scalars(select(ProductCodeVersion)).all() == []
    assert ledger_rows(sessions) == []


def test_adjust_sets_on_hand_to_the_count(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session, on_hand=10)

    response = post(
        client, staff_headers, "adjust", {"version_id": version.id, "counted": 7, "reason": "count"}
    )

    assert response.status_code == 200
    assert response.json()["qty_on_hand"] == 7
    assert ledger_rows(sessions)[-1] == (version.id, LedgerReason.ADJUST, -3, STAFF_ACTOR)


def test_adjust_below_reserved_is_409(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session, on_hand=5)
        inventory.reserve(session, version.id, 4, actor=ACTOR, reference=Reference("test", "1"))

    response = post(
        client, staff_headers, "adjust", {"version_id": version.id, "counted": 3, "reason": "count"}
    )

    assert response.status_code == 409
    assert response.json()["reserved"] == 4
    assert (
        client.get(f"/api/pos/versions/{version.id}", headers=staff_headers).json()["qty_on_hand"]
        == 5
    )


def test_transfer_moves_stock_to_the_same_product_in_another_branch(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        source = make_version(session, on_hand=6)
        destination = make_branch(session)

    response = post(
        client,
        staff_headers,
        "transfer",
        {"version_id": source.id, "to_branch_id": destination.id, "quantity": 4},
    )

    assert response.status_code == 200
    moved = response.json()
    assert (moved["source"]["id"], moved["source"]["qty_on_hand"]) == (source.id, 2)
    target = moved["target"]
    assert (target["branch_id"], target["product_code_id"]) == (
        destination.id,
        source.product_code_id,
    )
    assert target["qty_on_hand"] == 4
    assert ledger_rows(sessions)[-2:] == [
        (source.id, LedgerReason.TRANSFER_OUT, -4, STAFF_ACTOR),
        (target["id"], LedgerReason.TRANSFER_IN, 4, STAFF_ACTOR),
    ]


def test_transfer_of_more_than_available_is_409_with_available(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        source = make_version(session, on_hand=2)
        destination = make_branch(session)

    response = post(
        client,
        staff_headers,
        "transfer",
        {"version_id": source.id, "to_branch_id": destination.id, "quantity": 3},
    )

    assert response.status_code == 409
    assert (response.json()["available"], response.json()["requested"]) == (2, 3)
    with sessions() as session:
        assert len(session.scalars(select(ProductCodeVersion)).all()) == 1


def test_write_off_takes_available_stock_away(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session, on_hand=3)

    broken = post(
        client,
        staff_headers,
        "write-off",
        {"version_id": version.id, "quantity": 1, "reason": "dropped"},
    )
    too_many = post(
        client,
        staff_headers,
        "write-off",
        {"version_id": version.id, "quantity": 5, "reason": "lost"},
    )

    assert broken.status_code == 200
    assert broken.json()["qty_on_hand"] == 2
    assert too_many.status_code == 409
    assert (too_many.json()["available"], too_many.json()["requested"]) == (2, 5)
    assert ledger_rows(sessions)[-1] == (version.id, LedgerReason.WRITE_OFF, -1, STAFF_ACTOR)


def test_stock_movements_on_unknown_versions_are_404(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        branch = make_branch(session)
    for action, body in [
        ("adjust", {"version_id": 999, "counted": 1, "reason": "count"}),
        ("transfer", {"version_id": 999, "to_branch_id": branch.id, "quantity": 1}),
        ("write-off", {"version_id": 999, "quantity": 1, "reason": "lost"}),
    ]:
        assert post(client, staff_headers, action, body).status_code == 404, action


def test_version_price_override_and_cost(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session, on_hand=2)
    url = f"/api/pos/versions/{version.id}"

    changed = client.patch(
        url, headers=staff_headers, json={"price_cents": 1500, "cost_cents": 700}
    )
    cleared = client.patch(url, headers=staff_headers, json={"price_cents": None})
    refused = client.patch(url, headers=staff_headers, json={"qty_on_hand": 99})

    assert (changed.json()["price_cents"], changed.json()["cost_cents"]) == (1500, 700)
    assert (cleared.json()["price_cents"], cleared.json()["cost_cents"]) == (None, 700)
    assert refused.status_code == 422
    assert client.get(url, headers=staff_headers).json()["qty_on_hand"] == 2
