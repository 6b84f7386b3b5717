"""The application as a whole: building it, its health check, its OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from stockbridge.api.app import create_app
from stockbridge.settings import Settings


def test_create_app_opens_its_own_database_from_settings(tmp_path: Path) -> None:
    database = tmp_path / "var" / "stockbridge.db"
    app = create_app(settings=Settings(database_url=f"sqlite:///{database}"))

    with TestClient(app) as client:
        response = client.get("/healthz")

    assert response.json() == {"status": "ok"}
    assert database.parent.is_dir()


def test_health_check_is_503_problem_when_the_database_is_unreachable() -> None:
    # Nothing listens on port 1; the connection is refused at once.
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings=settings)) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert "the database is busy or cannot be reached" in response.json()["detail"]


def test_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Stockbridge"


def test_every_api_operation_is_documented_and_secured(app: FastAPI) -> None:
    openapi = app.openapi()
    assert "ProblemDetails" in openapi["components"]["schemas"]
    operations = [
        (path, operation)
        for path, item in openapi["paths"].items()
        if path.startswith("/api/")
        for operation in item.values()
    ]
    assert operations
    for path, operation in operations:
        assert operation.get("summary"), path
        assert operation.get("tags"), path
        if operation.get("x-authenticated-by") in ("oauth-state", "signature"):
            continue  # OAuth callback (tests/api/test_auth.py), webhooks (tests/webhooks)
        assert operation["security"] == [{"ApiKey": []}], path
        unauthorised = operation["responses"]["401"]["content"]
        assert unauthorised["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/ProblemDetails"
        }
