"""A page of orders: each in its own transaction, counted, failures logged and not raised."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import OrderPage
from stockbridge.commerce.orders import PageCounts, import_page
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
