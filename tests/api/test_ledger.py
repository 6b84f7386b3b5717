"""/api/pos/ledger: every movement, newest first, narrowed by any combination of filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import Condition
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Reference
from tests.api.conftest import Headers
from tests.factories import ACTOR, make_branch, make_product, make_version

URL = "/api/pos/ledger"


@pytest.fixture
def movements(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Two products in two branches with receive, reserve, sale and write-off rows."""
    with sessions.begin() as session:
        north, south = make_branch(session, "NORTH"), make_branch(session, "SOUTH")
        chair, table = make_product(session, "CHAIR"), make_product(session, "TABLE")
        chair_north = make_version(session, product=chair, branch=north, on_hand=5)
        chair_south = make_version(session, product=chair, branch=south, on_hand=2)
        table_north = make_version(
            session, product=table, branch=north, condition=Condition.USED, on_hand=1
        )
        inventory.reserve(session, chair_north.id, 2, actor=ACTOR, reference=Reference("ecom", "9"))
        inventory.sell(
            session,
            [inventory.SaleLine(table_north.id, 1)],
            actor=ACTOR,
            reference=Reference("pos_order", "77"),
        )
        inventory.write_off(session, chair_south.id, 1, reason="scratched", actor=ACTOR)
    return {
        "north": north.id,
        "south": south.id,
        "chair": chair.id,
        "chair_north": chair_north.id,
        "chair_south": chair_south.id,
        "table_north": table_north.id,
    }


def entries(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get(URL, headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_newest_first_with_what_moved(
    client: TestClient, readonly_headers: Headers, movements: dict[str, int]
) -> None:
    rows = entries(client, readonly_headers)
    assert [row["reason"] for row in rows] == [
        "write_off",
        "sale",
        "reserve",
        "receive",
        "receive",
        "receive",
    ]
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    write_off = rows[0]
    assert write_off | {"id": 0, "created_at": ""} == {
        "id": 0,
        "version_id": movements["chair_south"],
        "product_code_id": movements["chair"],
        "sku": "CHAIR",
        "branch_id": movements["south"],
        "condition": "new",
        "delta_on_hand": -1,
        "delta_reserved": 0,
        "reason": "write_off",
        "reference_type": None,
        "reference_id": None,
        "note": "scratched",
        "actor": ACTOR,
        "created_at": "",
    }


def test_filters_narrow_and_combine(
    client: TestClient, readonly_headers: Headers, movements: dict[str, int]
) -> None:
    def reasons(**params: Any) -> list[str]:
        return [row["reason"] for row in entries(client, readonly_headers, **params)]

    assert reasons(version_id=movements["chair_north"]) == ["reserve", "receive"]
    assert reasons(product_code_id=movements["chair"]) == [
        "write_off",
        "reserve",
        "receive",
        "receive",
    ]
    assert reasons(branch_id=movements["north"]) == ["sale", "reserve", "receive", "receive"]
    assert reasons(reason="receive", branch_id=movements["south"]) == ["receive"]
    assert reasons(reference_type="pos_order", reference_id="77") == ["sale"]
    assert reasons(reference_type="pos_order", reference_id="78") == []
    assert reasons(version_id=999) == []


def test_since_is_inclusive_and_until_exclusive(
    client: TestClient, readonly_headers: Headers, movements: dict[str, int]
) -> None:
    rows = entries(client, readonly_headers)
    moments = {row["id"]: datetime.fromisoformat(row["created_at"]) for row in rows}
    pivot = moments[rows[2]["id"]]

    since = entries(client, readonly_headers, since=pivot.isoformat())
    until = entries(client, readonly_headers, until=pivot.isoformat())

    # Derived from the stored times, so rows written in the same microsecond cannot fool it.
    assert {row["id"] for row in since} == {i for i, at in moments.items() if at >= pivot}
    assert {row["id"] for row in until} == {i for i, at in moments.items() if at < pivot}
    assert rows[2]["id"] in {row["id"] for row in since}


def test_times_need_a_time_zone(
    client: TestClient, readonly_headers: Headers, movements: dict[str, int]
) -> None:
    response = client.get(URL, headers=readonly_headers, params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "since"]
    offset = client.get(
        URL, headers=readonly_headers, params={"until": "2000-01-01T02:00:00+02:00"}
    )
    assert offset.json()["total"] == 0


def test_pages(client: TestClient, readonly_headers: Headers, movements: dict[str, int]) -> None:
    everything = entries(client, readonly_headers)
    page = client.get(URL, headers=readonly_headers, params={"per_page": 4, "page": 2}).json()
    assert (page["total"], page["page"], page["per_page"]) == (6, 2, 4)
    assert page["items"] == everything[4:]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_times_that_leave_the_calendar_in_utc_are_422(
    client: TestClient, readonly_headers: Headers, moment: str
) -> None:
    response = client.get("/api/pos/ledger", params={"since": moment}, headers=readonly_headers)
    assert response.status_code == 422
    assert "out of range" in response.json()["detail"]
