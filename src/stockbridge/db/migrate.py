"""Run Alembic migrations from code (``stockbridge db upgrade``, tests, the demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# An installed wheel carries the scripts inside the package; a checkout keeps them at its root.
MIGRATIONS_DIR = next(
    path
    for path in (_PACKAGE_ROOT / "migrations", _PACKAGE_ROOT.parents[1] / "migrations")
    if path.is_dir() or path == _PACKAGE_ROOT.parents[1] / "migrations"
)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration (False for an empty database)."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
