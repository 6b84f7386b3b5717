"""Fixtures shared by every test.

Database tests take the ``sessions`` (or ``session``) fixture and run once on SQLite and
once on PostgreSQL. Each run migrates a database of its own (a fresh SQLite file; a
PostgreSQL database named ``sb_test_<random>``, dropped at the end) and every test starts
from empty tables.

Environment:
  STOCKBRIDGE_TEST_BACKENDS   comma list, default ``sqlite,postgresql``
  STOCKBRIDGE_TEST_PG_ADMIN   admin URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import make_engine, make_session_factory
from stockbridge.db.migrate import upgrade
from stockbridge.db.models import Base
from tests.databases import throwaway_database

BACKENDS = [
    name.strip()
    for name in os.environ.get("STOCKBRIDGE_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of one backend, kept for the whole run."""
    with throwaway_database(request.param, tmp_path_factory.mktemp("db")) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Session factory on an empty database; tables are emptied again after the test."""
    yield make_session_factory(engine)
    _empty_all_tables(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]
