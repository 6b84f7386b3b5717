"""``INSERT ... ON CONFLICT DO NOTHING`` in the dialect of the session's database.

Both SQLite and PostgreSQL support it; SQLAlchemy spells it per dialect, so the one
choice between the two lives here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from stockbridge.db.models import Base


def insert_unless_present(
    session: Session,
    model: type[Base] | Table,
    values: Mapping[str, Any],
    *,
    unique_on: Sequence[str],
) -> Insert:
    """An insert of ``values`` that does nothing when a row with the same ``unique_on`` exists.

    Given a model, the statement is ORM-enabled (the session flushes its pending objects
    first); given a table, it is plain Core, which skips the ORM's statement handling:
    for a hot path whose session holds nothing pending.

    Safe under concurrency: of two transactions inserting the same key, the second waits
    for the first and then inserts nothing (PostgreSQL); SQLite serialises writers.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique_on))
