"""A page of orders: each in its own transaction, counted, failures logged and not raised."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import OrderPage
from stockbridge.commerce.orders import DATABASE_ATTEMPTS, PageCounts, import_page
from stockbridge.db.engine import make_engine, make_session_factory
from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    EcomChannelLog,
    EcomOrder,
    EcomOrderEvent,
    OrderEventKind,
    OrderStatus,
    ProductCodeVersion,
)
from stockbridge.errors import NotFound
from tests.commerce.order_payloads import at, line, make_channel, order, stock_problems
from tests.factories import make_branch, make_product, make_version
from tests.pos.test_inventory_statements import counting_statements


def shop(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        branch = make_branch(session)
        make_version(session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=2)
        return make_channel(session, branch).id


def test_every_good_order_is_imported_and_the_rest_recorded(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)
    import_page(sessions, channel_id, OrderPage((order("1"), order("2")), None))

    page = OrderPage(
        orders=(
            order("1", updated=at(1), cancelled=True),  # updated
            order("2"),  # unchanged
            order("2", updated=at(-5)),  # stale
            order("3", line(quantity=5)),  # created, oversold
            order("4", line(quantity=0)),  # refused
            order("1", updated=at(-1)),  # stale
        ),
        next_cursor="c2",
        rejected={"5": "line 1 has no price"},
    )
    counts = import_page(sessions, channel_id, page)

    assert counts == PageCounts(
        created=1, updated=1, unchanged=1, stale=2, needs_attention=1, rejected=2
    )
    with sessions() as session:
        imported = session.scalars(select(EcomOrder.external_id).order_by(EcomOrder.id)).all()
        assert imported == ["1", "2", "3"]
        entry = session.scalars(select(EcomChannelLog).order_by(EcomChannelLog.id.desc())).first()
        assert entry is not None
        assert (entry.operation, entry.status) == (
            ChannelOperation.ORDER_IMPORT,
            ChannelLogStatus.PARTIAL,
        )
        assert (entry.records_processed, entry.records_failed) == (7, 2)
        assert set(entry.details["rejected"]) == {"4", "5"}
        assert "quantity must be positive" in entry.details["rejected"]["4"]
        assert entry.details["counts"]["created"] == 1
        assert stock_problems(session) == []


def test_an_update_that_cannot_be_imported_is_noted_on_the_stored_order(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)
    import_page(sessions, channel_id, OrderPage((order("1"),), None))

    counts = import_page(
        sessions, channel_id, OrderPage((), None, rejected={"1": "unknown currency XXX"})
    )

    assert counts == PageCounts(rejected=1)
    with sessions() as session:
        note = session.scalars(select(EcomOrderEvent).order_by(EcomOrderEvent.id.desc())).first()
        assert note is not None
        assert note.kind == OrderEventKind.NOTE
        assert note.message == "a marketplace update could not be imported: unknown currency XXX"
        entry = session.scalars(select(EcomChannelLog).order_by(EcomChannelLog.id.desc())).first()
        assert entry is not None
        assert entry.status == ChannelLogStatus.FAILED


def test_a_clean_page_is_logged_as_a_success(sessions: sessionmaker[Session]) -> None:
    channel_id = shop(sessions)

    counts = import_page(sessions, channel_id, OrderPage((order("1"),), None))

    assert counts == PageCounts(created=1)
    with sessions() as session:
        entry = session.scalars(select(EcomChannelLog)).one()
        assert (entry.status, entry.records_processed, entry.records_failed) == (
            ChannelLogStatus.SUCCESS,
            1,
            0,
        )


def test_an_unknown_channel_is_an_error_of_the_caller(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotFound):
        import_page(sessions, 404, OrderPage((order("1"),), None))


def statuses_and_reserved(sessions: sessionmaker[Session]) -> tuple[dict[str, OrderStatus], int]:
    """Each order's status, and what the shop's one version has reserved."""
    with sessions() as session:
        assert stock_problems(session) == []
        statuses = dict(session.execute(select(EcomOrder.external_id, EcomOrder.status)).all())
        return statuses, session.scalars(select(ProductCodeVersion.qty_reserved)).one()


def test_a_unit_a_cancellation_frees_goes_to_a_new_order_later_in_the_page(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)  # two units, both sold below
    import_page(sessions, channel_id, OrderPage((order("1"), order("2")), None))

    page = OrderPage((order("1", updated=at(1), cancelled=True), order("3")), None)
    counts = import_page(sessions, channel_id, page)

    assert counts == PageCounts(created=1, updated=1)
    statuses, reserved = statuses_and_reserved(sessions)
    assert statuses == {
        "1": OrderStatus.CANCELLED,
        "2": OrderStatus.PENDING,
        "3": OrderStatus.PENDING,
    }
    assert reserved == 2  # order 3 holds the unit order 1 gave back: none left to offer


def test_a_new_order_before_a_cancellation_in_the_page_is_short_as_it_would_be_alone(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)
    import_page(sessions, channel_id, OrderPage((order("1"), order("2")), None))

    page = OrderPage((order("3"), order("1", updated=at(1), cancelled=True)), None)
    counts = import_page(sessions, channel_id, page)

    assert counts == PageCounts(created=1, updated=1, needs_attention=1)
    statuses, reserved = statuses_and_reserved(sessions)
    assert statuses == {
        "1": OrderStatus.CANCELLED,
        "2": OrderStatus.PENDING,
        "3": OrderStatus.NEEDS_ATTENTION,
    }
    assert reserved == 1


def test_a_line_added_to_a_stored_order_reserves_before_a_new_order_after_it(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)
    import_page(sessions, channel_id, OrderPage((order("1"),), None))

    grown = order("1", line("L1"), line("L2"), updated=at(1))  # one more unit of SKU-A
    counts = import_page(sessions, channel_id, OrderPage((grown, order("2")), None))

    assert counts == PageCounts(created=1, updated=1, needs_attention=1)
    statuses, reserved = statuses_and_reserved(sessions)
    assert statuses == {"1": OrderStatus.PENDING, "2": OrderStatus.NEEDS_ATTENTION}
    assert reserved == 2


def new_orders(first: int, count: int) -> OrderPage:
    """``count`` new orders of two lines each (SKU-A and SKU-B), ids from ``first``."""
    return OrderPage(
        tuple(
            order(str(n), line("L1", "SKU-A"), line("L2", "SKU-B", quantity=2))
            for n in range(first, first + count)
        ),
        None,
    )


def batched(statements: list[str], backend: str) -> list[str]:
    """The statements that must not grow with a page: all of them on PostgreSQL. SQLite
    cannot say which generated id is whose in a many-row insert, so SQLAlchemy inserts
    the orders, items and events there a row at a time (in process, no round trips)."""
    if backend == "sqlite":
        return [sql for sql in statements if not sql.startswith("INSERT INTO ecom_order")]
    return statements


def test_a_page_of_new_orders_takes_as_many_statements_whatever_its_size(
    sessions: sessionmaker[Session], backend: str
) -> None:
    with sessions.begin() as session:
        branch = make_branch(session)
        for sku in ("SKU-A", "SKU-B"):
            make_version(session, product=make_product(session, sku=sku), branch=branch,
                         on_hand=100)  # fmt: skip
        channel_id = make_channel(session, branch).id

    with sessions() as session, counting_statements(session) as small:
        counts_small = import_page(sessions, channel_id, new_orders(1, 2))
    with sessions() as session, counting_statements(session) as large:
        counts_large = import_page(sessions, channel_id, new_orders(100, 30))

    assert (counts_small, counts_large) == (PageCounts(created=2), PageCounts(created=30))
    assert len(batched(large, backend)) == len(batched(small, backend)), "\n".join(large)
    assert len(batched(large, backend)) <= 25
    with sessions() as session:
        reserved = session.scalars(select(ProductCodeVersion.qty_reserved).order_by(
            ProductCodeVersion.id)).all()  # fmt: skip
        assert reserved == [32, 64]
        assert stock_problems(session) == []


def test_an_order_the_database_refuses_does_not_fail_the_page(
    sessions: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's driver refuses an out-of-range integer before the database does")
    channel_id = shop(sessions)
    too_dear = line(price=2**62, quantity=2)  # its total does not fit a BIGINT
    page = OrderPage((order("1"), order("2", too_dear, line("L2")), order("3")), None)

    counts = import_page(sessions, channel_id, page)

    assert counts == PageCounts(created=2, rejected=1)
    with sessions() as session:
        imported = session.scalars(select(EcomOrder.external_id).order_by(EcomOrder.id)).all()
        assert imported == ["1", "3"]
        entry = session.scalars(select(EcomChannelLog)).one()
        assert entry.status == ChannelLogStatus.PARTIAL
        assert set(entry.details["rejected"]) == {"2"}
        assert stock_problems(session) == []


@contextmanager
def deadlocking(sessions: sessionmaker[Session], times: int, sql: str) -> Iterator[None]:
    """The next ``times`` statements starting with ``sql`` fail as a deadlock would: the
    driver's own error, raised where the statement would run, so SQLAlchemy wraps it
    (``OperationalError``) and the transaction is rolled back as for a real one."""
    engine = sessions.kw["bind"]
    left = [times]

    def refuse(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if left[0] > 0 and statement.startswith(sql):
            left[0] -= 1
            if engine.dialect.name == "postgresql":
                raise psycopg.errors.DeadlockDetected("deadlock detected")
            raise sqlite3.OperationalError("database is locked")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def test_a_page_the_database_deadlocks_on_is_imported_again_not_recorded_as_failed(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)

    # Twice: the whole page's transaction, then (before the fix) the order's own one.
    with deadlocking(sessions, DATABASE_ATTEMPTS - 1, "UPDATE product_code_versions"):
        counts = import_page(sessions, channel_id, OrderPage((order("1"),), None))

    assert counts == PageCounts(created=1)
    statuses, reserved = statuses_and_reserved(sessions)
    assert (statuses, reserved) == ({"1": OrderStatus.PENDING}, 1)
    with sessions() as session:
        entry = session.scalars(select(EcomChannelLog)).one()
        assert (entry.status, entry.records_failed) == (ChannelLogStatus.SUCCESS, 0)


def test_a_database_still_deadlocking_after_the_last_try_fails_the_page(
    sessions: sessionmaker[Session],
) -> None:
    channel_id = shop(sessions)

    with (
        deadlocking(sessions, DATABASE_ATTEMPTS, "UPDATE product_code_versions"),
        pytest.raises(OperationalError),
    ):
        import_page(sessions, channel_id, OrderPage((order("1"),), None))

    with sessions() as session:  # nothing stored: the caller keeps its cursor before the page
        assert session.scalars(select(EcomOrder)).all() == []
        assert session.scalars(select(EcomChannelLog)).all() == []
    assert import_page(sessions, channel_id, OrderPage((order("1"),), None)) == PageCounts(
        created=1
    )


def test_stock_another_transaction_holds_past_lock_timeout_fails_the_page_and_nothing_else(
    sessions: sessionmaker[Session], database_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no row locks: its writers wait for one another (busy_timeout)")
    channel_id = shop(sessions)
    impatient = make_engine(database_url, connect_args={"options": "-c lock_timeout=100ms"})
    page = OrderPage((order("1"),), None)
    try:
        with sessions() as holder:
            holder.execute(select(ProductCodeVersion.id).with_for_update()).all()
            with pytest.raises(OperationalError) as raised:
                import_page(make_session_factory(impatient), channel_id, page)
            holder.rollback()
    finally:
        impatient.dispose()

    assert getattr(raised.value.orig, "sqlstate", None) == "55P03"  # lock_not_available
    with sessions() as session:
        assert session.scalars(select(EcomOrder)).all() == []
        assert session.scalars(select(EcomChannelLog)).all() == []
    assert import_page(sessions, channel_id, page) == PageCounts(created=1)
    assert statuses_and_reserved(sessions) == ({"1": OrderStatus.PENDING}, 1)
