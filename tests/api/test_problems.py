"""Every error is an RFC 9457 problem, and a failed request leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.api.deps import SessionDep
from stockbridge.db.models import Branch
from stockbridge.errors import Conflict
from stockbridge.pos import catalog
from stockbridge.pos.schemas import BranchCreate
from tests.api.conftest import Headers

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem body of a response, after checking its status, media type and members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= body.keys()
    return body


def branch_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Branch)) or 0


def test_invalid_body_is_422_with_each_error_located(
    client: TestClient, admin_headers: Headers
) -> None:
    response = client.post(
        "/api/pos/branches", headers=admin_headers, json={"code": "has space", "extra": 1}
    )

    body = problem(response, 422)
    assert body["title"] == "Invalid input"
    assert body["instance"] == "/api/pos/branches"
    located = {tuple(error["loc"]): error["msg"] for error in body["errors"]}
    assert set(located) == {("body", "code"), ("body", "name"), ("body", "extra")}
    assert all(isinstance(message, str) and message for message in located.values())


def test_malformed_json_is_422(client: TestClient, admin_headers: Headers) -> None:
    response = client.post(
        "/api/pos/branches",
        headers={**admin_headers, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert problem(response, 422)["errors"]


def test_invalid_query_and_path_parameters_are_422(
    client: TestClient, readonly_headers: Headers
) -> None:
    for url in (
        "/api/pos/branches/abc",
        "/api/pos/branches/0",
        "/api/pos/branches/99999999999999999999",
        "/api/pos/product-codes?per_page=201",
        "/api/pos/ledger?since=yesterday",
    ):
        response = client.get(url, headers=readonly_headers)
        assert problem(response, 422)["errors"][0]["loc"][0] in {"path", "query"}, url


@pytest.mark.parametrize(
    "path",
    [
        "/api/pos/branches/999",
        "/api/pos/product-codes/999",
        "/api/pos/product-codes/by-sku/NOPE",
        "/api/pos/product-codes/999/versions",
        "/api/pos/versions/999",
        "/api/pos/orders/999",
    ],
)
def test_unknown_ids_are_404(client: TestClient, readonly_headers: Headers, path: str) -> None:
    body = problem(client.get(path, headers=readonly_headers), 404)
    assert body["type"] == "tag:stockbridge,2026:not-found"
    assert body["instance"] == path


def test_duplicate_sku_is_409_naming_the_holder(client: TestClient, admin_headers: Headers) -> None:
    product = {"sku": "MUG-1", "name": "Mug", "price_cents": 900, "currency": "EUR"}
    first = client.post("/api/pos/product-codes", headers=admin_headers, json=product)
    again = client.post("/api/pos/product-codes", headers=admin_headers, json=product)

    body = problem(again, 409)
    assert body["type"] == "tag:stockbridge,2026:conflict"
    assert body["id"] == first.json()["id"]


def test_unknown_route_and_wrong_method(client: TestClient, readonly_headers: Headers) -> None:
    problem(client.get("/api/pos/nothing-here", headers=readonly_headers), 404)
    response = client.put("/api/pos/branches", headers=readonly_headers)
    assert problem(response, 405)["title"] == "Method Not Allowed"
    assert "GET" in response.headers["allow"]


def test_unexpected_error_is_500_without_internals(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    body = problem(response, 500)
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["title"] == "Internal Server Error"


def test_integrity_error_is_409_and_rolls_back_the_request(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session]
) -> None:
    @app.post("/twins")
    def twins(session: SessionDep) -> None:
        catalog.create_branch(session, BranchCreate(code="ONE", name="First write"))
        # Bypasses the service's duplicate check, as a concurrent request would.
        session.add(Branch(code="ONE", name="Its twin"))
        session.flush()

    response = client.post("/twins")

    problem(response, 409)
    assert "INSERT" not in response.text
    assert branch_count(sessions) == 0


def test_a_domain_error_after_a_write_rolls_the_write_back(
    app: FastAPI, client: TestClient, sessions: sessionmaker[Session]
) -> None:
    @app.post("/half")
    def half(session: SessionDep) -> None:
        catalog.create_branch(session, BranchCreate(code="HALF", name="Half done"))
        raise Conflict("changed my mind", reason="test")

    body = problem(client.post("/half"), 409)

    assert body["reason"] == "test"
    assert branch_count(sessions) == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/pos/product-codes",
            {"sku": "B-1", "name": "Bool", "price_cents": True, "currency": "EUR"},
            "price_cents",
        ),
        ("/api/pos/stock/receive", {"sku": "B-1", "branch_id": 1, "quantity": True}, "quantity"),
    ],
)
def test_true_or_false_is_no_number(
    client: TestClient, admin_headers: Headers, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, headers=admin_headers, json=body)
    details = problem(response, 422)
    assert [error["loc"][-1] for error in details["errors"]] == [field]
    assert "not true or false" in details["errors"][0]["msg"]
