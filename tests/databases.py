"""Throwaway databases for tests: a SQLite file, or a PostgreSQL database made and dropped."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get(
    "STOCKBRIDGE_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin_execute(statement: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


@contextmanager
def throwaway_database(backend: str, directory: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database of ``backend``; it is removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'stockbridge-{uuid.uuid4().hex[:8]}.db'}"
    elif backend == "postgresql":
        name = f"sb_test_{uuid.uuid4().hex[:10]}"
        _admin_execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        raise ValueError(f"unknown test backend {backend!r}")
