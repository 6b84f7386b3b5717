"""Fixtures of the API tests: an app on the test database, and API keys of each role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import create_key
from stockbridge.api.app import create_app
from stockbridge.db.models import Role
from stockbridge.settings import Settings
from stockbridge.sync.queue import JobQueue

Headers = dict[str, str]


@pytest.fixture
def job_queue(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[JobQueue]:
    """The app's job queue: a SQLite file of this test, with no consumer (jobs stay queued)."""
    queue = JobQueue(Settings(redis_url=None), sessions, sqlite_path=tmp_path / "queue.db")
    yield queue
    queue.close()


@pytest.fixture
def app(sessions: sessionmaker[Session], job_queue: JobQueue) -> FastAPI:
    return create_app(session_factory=sessions, job_queue=job_queue)


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
