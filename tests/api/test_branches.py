"""/api/pos/branches: create, read, change, list, delete."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.conftest import Headers
from tests.factories import make_version

URL = "/api/pos/branches"


def test_create_get_change_and_delete_a_branch(client: TestClient, staff_headers: Headers) -> None:
    created = client.post(
        URL,
        headers=staff_headers,
        json={"code": "NORTH", "name": "North store", "address": {"city": "Ghent"}},
    )
    assert created.status_code == 201
    branch = created.json()
    assert branch["code"] == "NORTH"
    assert branch["address"] == {"city": "Ghent"}
    assert branch["active"] is True

    changed = client.patch(
        f"{URL}/{branch['id']}", headers=staff_headers, json={"name": "North", "active": False}
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["active"]) == ("North", False)
    assert client.get(f"{URL}/{branch['id']}", headers=staff_headers).json() == changed.json()

    assert client.delete(f"{URL}/{branch['id']}", headers=staff_headers).status_code == 204
    assert client.get(f"{URL}/{branch['id']}", headers=staff_headers).status_code == 404


def test_the_code_cannot_change(client: TestClient, staff_headers: Headers) -> None:
    branch = client.post(URL, headers=staff_headers, json={"code": "A", "name": "A"}).json()
    response = client.patch(f"{URL}/{branch['id']}", headers=staff_headers, json={"code": "B"})
    assert response.status_code == 422


def test_list_filters_on_active_and_paginates(client: TestClient, staff_headers: Headers) -> None:
    for code, active in [("A", True), ("B", False), ("C", True)]:
        client.post(URL, headers=staff_headers, json={"code": code, "name": code, "active": active})

    everything = client.get(URL, headers=staff_headers).json()
    active = client.get(URL, headers=staff_headers, params={"active": "true"}).json()
    second = client.get(URL, headers=staff_headers, params={"per_page": 2, "page": 2}).json()

    assert [b["code"] for b in everything["items"]] == ["A", "B", "C"]
    assert [b["code"] for b in active["items"]] == ["A", "C"]
    assert active["total"] == 2
    assert second == {"items": [everything["items"][2]], "total": 3, "page": 2, "per_page": 2}


def test_a_branch_holding_stock_records_cannot_be_deleted(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        version = make_version(session)

    response = client.delete(f"{URL}/{version.branch_id}", headers=staff_headers)

    assert response.status_code == 409
    assert "active=false" in response.json()["detail"]
    assert client.get(f"{URL}/{version.branch_id}", headers=staff_headers).status_code == 200


def test_duplicate_branch_code_is_409(client: TestClient, staff_headers: Headers) -> None:
    client.post(URL, headers=staff_headers, json={"code": "MAIN", "name": "Main"})
    response = client.post(URL, headers=staff_headers, json={"code": "MAIN", "name": "Other"})
    assert response.status_code == 409
    assert client.get(URL, headers=staff_headers).json()["total"] == 1
