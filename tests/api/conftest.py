"""Fixtures of the API tests: an app on the test database, and API keys of each role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import create_key
from stockbridge.api.app import create_app
from stockbridge.db.models import Role

Headers = dict[str, str]


@pytest.fixture
def app(sessions: sessionmaker[Session]) -> FastAPI:
    return create_app(session_factory=sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def bearer_for(sessions: sessionmaker[Session], role: Role) -> Headers:
    """Headers carrying a new, committed API key with this role."""
    with sessions.begin() as session:
        issued = create_key(session, name=f"test-{role.value}", role=role)
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def admin_headers(sessions: sessionmaker[Session]) -> Headers:
    return bearer_for(sessions, Role.ADMIN)


@pytest.fixture
def staff_headers(sessions: sessionmaker[Session]) -> Headers:
    return bearer_for(sessions, Role.STAFF)


@pytest.fixture
def readonly_headers(sessions: sessionmaker[Session]) -> Headers:
    return bearer_for(sessions, Role.READONLY)
