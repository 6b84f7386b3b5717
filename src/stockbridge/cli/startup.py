"""What every long-running process does as it starts: logging, and the schema check."""

from __future__ import annotations

import logging

from stockbridge.db import migrate
from stockbridge.db.engine import make_engine
from stockbridge.errors import StockbridgeError


class SchemaNotCurrent(StockbridgeError):
    title = "Database schema not current"


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every schema check at INFO; only its warnings concern an operator.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    # httpx logs every marketplace call at INFO; the channel logs record what matters.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))


def require_current_schema(database_url: str) -> None:
    """Refuse to serve a database whose schema is missing or behind: every call would fail."""
    engine = make_engine(database_url)
    try:
        current = migrate.schema_is_current(engine)
    finally:
        engine.dispose()
    if not current:
        raise SchemaNotCurrent(
            "the database schema is missing or out of date: run `stockbridge db upgrade` first"
        )
