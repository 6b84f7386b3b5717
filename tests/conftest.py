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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import make_engine, make_session_factory
from stockbridge.db.migrate import upgrade
from stockbridge.db.models import Base

BACKENDS = [
    name.strip()
    for name in os.environ.get("STOCKBRIDGE_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]
PG_ADMIN_URL = os.environ.get(
    "STOCKBRIDGE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _create_pg_database() -> str:
    name = f"sb_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of one backend, kept for the whole run."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'stockbridge.db'}"
        upgrade(url)
        yield url
    elif backend == "postgresql":
        url = _create_pg_database()
        try:
            upgrade(url)
            yield url
        finally:
            _drop_pg_database(url)
    else:
        raise ValueError(f"unknown test backend {backend!r}")


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
