"""``stockbridge db ...``: the database schema (Alembic migrations)."""

from __future__ import annotations

import typer

from stockbridge.cli.database import printable_url
from stockbridge.db import migrate
from stockbridge.settings import get_settings

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the schema, or bring it up to the latest migration."""
    settings = get_settings()
    settings.ensure_sqlite_directory()
    migrate.upgrade(settings.database_url)
    typer.echo(f"Database schema is up to date: {printable_url(settings.database_url)}")
