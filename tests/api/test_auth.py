"""Who may call what: every /api route needs a key, and a readonly key may only read.

The route lists come from the application's own OpenAPI document (FastAPI nests included
routers, so ``app.routes`` does not list them flat), so a route added later is covered
without touching these tests.
"""

from __future__ import annotations

import re
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import create_key, revoke_key
from stockbridge.db.models import Branch, Role
from tests.api.conftest import Headers, bearer_for


def api_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation under /api, path parameters filled in."""
    operations = [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
        if not operation.get("x-authenticated-by")
    ]
    assert len(operations) >= 20, "the route walk found too few routes to be trusted"
    return operations


def assert_problem(response_json: dict[str, object], status: int) -> None:
    assert response_json["status"] == status
    assert {"type", "title", "detail", "instance"} <= response_json.keys()


def test_only_health_is_served_outside_api(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert [path for path in paths if not path.startswith("/api/")] == ["/healthz"]


def test_every_api_route_answers_401_without_a_key(app: FastAPI, client: TestClient) -> None:
    for method, path in api_operations(app):
        response = client.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"
        assert_problem(response.json(), 401)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer sb_00000000_not-a-real-secret", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"],
)
def test_every_api_route_answers_401_to_a_bad_key(
    app: FastAPI, client: TestClient, authorization: str
) -> None:
    for method, path in api_operations(app):
        response = client.request(method, path, headers={"Authorization": authorization})
        assert response.status_code == 401, (method, path)


def test_every_writing_route_answers_403_to_a_readonly_key(
    app: FastAPI, client: TestClient, readonly_headers: Headers
) -> None:
    writing = [(method, path) for method, path in api_operations(app) if method != "GET"]
    assert writing
    for method, path in writing:
        response = client.request(method, path, headers=readonly_headers, json={})
        assert response.status_code == 403, (method, path)
        assert_problem(response.json(), 403)


def test_the_only_routes_without_a_key_are_the_oauth_callback_and_webhook_deliveries(
    app: FastAPI,
) -> None:
    exempt = sorted(
        (method, path, operation["x-authenticated-by"])
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if operation.get("x-authenticated-by")
    )
    assert exempt == [
        ("get", "/api/ecom/oauth/{provider}/callback", "oauth-state"),
        ("get", "/api/ecom/webhooks/ebay/{channel_id}", "signature"),
        ("post", "/api/ecom/webhooks/ebay/{channel_id}", "signature"),
        ("post", "/api/ecom/webhooks/shopify/{channel_id}", "signature"),
    ]


@pytest.mark.parametrize("state", [None, "", "forged", "gAAAAABnot-a-real-token"])
def test_the_oauth_callback_refuses_a_missing_or_forged_state(
    client: TestClient, state: str | None
) -> None:
    params = {"code": "abc"} | ({"state": state} if state is not None else {})
    response = client.get("/api/ecom/oauth/ebay/callback", params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "state" in response.json()["detail"]


def test_a_readonly_key_reads(client: TestClient, readonly_headers: Headers) -> None:
    response = client.get("/api/pos/branches", headers=readonly_headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "page": 1, "per_page": 50}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_admin_and_staff_keys_write(
    client: TestClient, sessions: sessionmaker[Session], role: Role
) -> None:
    response = client.post(
        "/api/pos/branches",
        headers=bearer_for(sessions, role),
        json={"code": "MAIN", "name": "Main street"},
    )
    assert response.status_code == 201


def test_a_revoked_key_is_refused(client: TestClient, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        issued = create_key(session, name="leaver", role=Role.ADMIN)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/pos/branches", headers=headers).status_code == 200
    with sessions.begin() as session:
        revoke_key(session, issued.key.prefix)

    response = client.get("/api/pos/branches", headers=headers)

    assert response.status_code == 401
    assert response.json()["detail"] == "the API key is unknown or revoked"


def test_a_key_with_a_tampered_secret_is_refused(
    client: TestClient, admin_headers: Headers
) -> None:
    tampered = {"Authorization": admin_headers["Authorization"][:-2] + "xx"}
    assert client.get("/api/pos/branches", headers=tampered).status_code == 401


def test_health_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_reads_do_not_wait_for_a_writer_holding_the_database(
    client: TestClient, sessions: sessionmaker[Session], readonly_headers: Headers
) -> None:
    """A long write (an import, a big sale) must not stall reads: they run on a snapshot,
    and the key's last-use bookkeeping gives up instead of queueing behind the writer."""
    with sessions() as writer:
        writer.add(Branch(code="LOCKER", name="Holds the write lock"))
        writer.flush()  # the writer's transaction now holds the database's write lock
        outcome: list[int] = []
        reader = threading.Thread(
            target=lambda: outcome.append(
                client.get("/api/pos/branches", headers=readonly_headers).status_code
            )
        )
        reader.start()
        reader.join(timeout=10)
        finished = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert finished, "a read waited for the writer"
    assert outcome == [200]
