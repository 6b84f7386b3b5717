"""How a command reaches the database: an engine for that one command, disposed afterwards.

The command owns the transaction: it commits once when its work is done; leaving the
``with`` block without a commit (an error, a dry run) rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from stockbridge.db.engine import make_engine, make_session_factory
from stockbridge.settings import Settings


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def printable_url(database_url: str) -> str:
    """The database URL with any password hidden, for messages."""
    return make_url(database_url).render_as_string(hide_password=True)
