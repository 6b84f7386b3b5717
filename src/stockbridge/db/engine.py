"""Engines and sessions for SQLite (embedded) and PostgreSQL (scaled out).

SQLite runs in WAL mode with foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE``: writers are serialised from their first statement, so a
check-then-update in ``pos/inventory`` cannot interleave with another writer (the
role ``SELECT ... FOR UPDATE`` plays on PostgreSQL). A session marked read-only with
:func:`mark_read_only` begins a plain deferred transaction instead, so readers never
wait for a writer (WAL gives them a snapshot); on PostgreSQL it runs READ ONLY.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "stockbridge_read_only"
NO_WAIT_OPTION = "stockbridge_no_wait"
PG_NO_WAIT_LOCK_TIMEOUT = "100ms"


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    if is_sqlite(url):
        return _make_sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # No pre-ping (a round trip per transaction): a connection lost to a server restart
    # fails one transaction, and SQLAlchemy then replaces the whole pool.
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(NO_WAIT_OPTION, False):
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_NO_WAIT_LOCK_TIMEOUT}'")

    return engine


def _make_sqlite_engine(url: str | URL, **kwargs: Any) -> Engine:
    connect_args = kwargs.pop("connect_args", {})
    # Python's sqlite3 module must not open transactions by itself: we emit BEGIN.
    connect_args.setdefault("isolation_level", None)
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ONLY_OPTION, False):
            connection.exec_driver_sql("BEGIN")
        elif options.get(NO_WAIT_OPTION, False):
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def mark_read_only(session: Session) -> None:
    """Make the session's coming transaction read-only; call before its first statement."""
    session.connection(execution_options={READ_ONLY_OPTION: True, "postgresql_readonly": True})


def mark_no_wait(session: Session) -> None:
    """Make the session's coming transaction fail at once (``OperationalError``) instead of
    waiting for a lock another transaction holds: for best-effort bookkeeping writes."""
    session.connection(execution_options={NO_WAIT_OPTION: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on any error."""
    with factory() as session, session.begin():
        yield session
