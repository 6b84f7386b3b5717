"""``stockbridge db upgrade``: creates the schema (and a SQLite file's folder), idempotently."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from tests.cli.conftest import Invoke


def test_upgrade_creates_a_sqlite_database_in_a_new_folder(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "shop.db"
    url = f"sqlite:///{path}"

    result = invoke("db", "upgrade", env={"STOCKBRIDGE_DATABASE_URL": url})

    assert result.exit_code == 0, result.output
    assert f"Database schema is up to date: {url}" in result.stdout
    engine = create_engine(url)
    try:
        assert {"product_codes", "stock_ledger", "api_keys"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_upgrade_of_an_up_to_date_database_changes_nothing(
    cli: Invoke, sessions: sessionmaker[Session]
) -> None:
    assert cli("db", "upgrade").exit_code == 0
    assert cli("db", "upgrade").exit_code == 0
    assert cli("keys", "list").exit_code == 0
