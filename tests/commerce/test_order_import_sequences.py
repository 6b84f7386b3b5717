"""Any sequence of order payloads keeps stock consistent and each order single.

Hypothesis draws sequences of payloads for a few orders: new orders, updates with changed
lines, cancellations, repeats, and payloads older than what was stored, with SKUs that
are short of stock or unknown. Each payload is imported in a transaction of its own, as
a poll or a webhook would, and after each one:

- ``0 <= reserved <= on_hand`` for every version, the ledger sums equal the stored
  quantities, and each version's reserved quantity equals what the order items
  allocated to it hold (``stock_problems``),
- there is one order row per external id imported, a cancelled order holds nothing,
- an import is ``stale`` exactly when its ``updated_at`` is older than the newest seen,
  or the same and not cancelled while the order is stored cancelled.

The same sequences, cut into pages at random and imported a page at a time by
``import_page``, leave exactly what the payloads imported one by one leave: the same
orders, statuses, reasons, events, reservations, ledger and counts.

Every example starts from empty tables (the ``sessions`` fixture empties them once per
test, hypothesis runs many examples in it), and builds its small shop again.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from stockbridge.channels.base import NormalizedOrder, OrderPage
from stockbridge.commerce.orders import ImportOutcome, PageCounts, import_order, import_page
from stockbridge.db.models import (
    Base,
    EcomOrder,
    EcomOrderItem,
    OrderStatus,
    ProductCodeVersion,
    StockLedgerEntry,
)
from tests.commerce.order_payloads import at, line, make_channel, order, stock_problems
from tests.factories import make_branch, make_product, make_version

ORDERS = ("1", "2", "3")
SKUS = ("SKU-A", "SKU-B", "NO-SUCH-SKU")


@dataclass(frozen=True)
class Payload:
    order: str
    lines: tuple[tuple[str, int], ...]  # (sku, quantity) per line, ids by position
    minute: int
    cancelled: bool


payloads = st.builds(
    Payload,
    order=st.sampled_from(ORDERS),
    lines=st.lists(
        st.tuples(st.sampled_from(SKUS), st.integers(min_value=1, max_value=4)),
        min_size=1,
        max_size=3,
    ).map(tuple),
    minute=st.integers(min_value=0, max_value=6),
    cancelled=st.booleans(),
)


def normalized(step: Payload) -> NormalizedOrder:
    lines = [line(f"L{n}", sku=sku, quantity=qty) for n, (sku, qty) in enumerate(step.lines)]
    return order(step.order, *lines, updated=at(step.minute), cancelled=step.cancelled)


def fresh_shop(sessions: sessionmaker[Session]) -> int:
    """Empty tables, then two branches with a little stock of two SKUs; the channel id."""
    with sessions.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    with sessions.begin() as session:
        near, far = make_branch(session), make_branch(session)
        a, b = make_product(session, sku="SKU-A"), make_product(session, sku="SKU-B")
        make_version(session, product=a, branch=near, on_hand=3)
        make_version(session, product=a, branch=far, on_hand=2)
        make_version(session, product=b, branch=far, on_hand=1)
        return make_channel(session, near, far).id


def check_orders(session: Session, imported: set[str]) -> None:
    assert stock_problems(session) == []
    ids = session.scalars(select(EcomOrder.external_id)).all()
    assert sorted(ids) == sorted(imported)
    holding = session.scalar(
        select(func.coalesce(func.sum(EcomOrderItem.quantity_allocated), 0))
        .join(EcomOrder)
        .where(EcomOrder.status == OrderStatus.CANCELLED)
    )
    assert holding == 0


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(payloads, min_size=1, max_size=10))
def test_any_sequence_of_payloads_keeps_stock_consistent(
    sessions: sessionmaker[Session], steps: list[Payload]
) -> None:
    channel_id = fresh_shop(sessions)
    newest: dict[str, int] = {}
    cancelled: set[str] = set()  # stored cancelled: marketplaces never reopen an order
    for step in steps:
        with sessions.begin() as session:
            result = import_order(session, channel_id, normalized(step))

        seen = newest.get(step.order)
        reopens = step.order in cancelled and not step.cancelled
        is_stale = seen is not None and (step.minute < seen or (step.minute == seen and reopens))
        assert (result.outcome == ImportOutcome.STALE) == is_stale
        assert (result.outcome == ImportOutcome.CREATED) == (step.order not in newest)
        newest[step.order] = max(step.minute, newest.get(step.order, step.minute))
        if step.cancelled and not is_stale:
            cancelled.add(step.order)
        with sessions() as session:
            check_orders(session, set(newest))


def what_is_left(session: Session) -> dict[str, Any]:
    """Orders, stock and ledger, in terms free of row ids and clocks (versions by position,
    ledger references by order and line)."""
    versions = session.scalars(select(ProductCodeVersion).order_by(ProductCodeVersion.id)).all()
    position = {version.id: n for n, version in enumerate(versions)}
    stored = session.scalars(
        select(EcomOrder)
        .order_by(EcomOrder.external_id)
        .options(selectinload(EcomOrder.items), selectinload(EcomOrder.events))
    ).all()
    items = {str(item.id): (row.external_id, item.external_item_id)
             for row in stored for item in row.items}  # fmt: skip
    orders = {}
    for row in stored:
        lines = sorted(
            (item.external_item_id or "", item.quantity, item.quantity_allocated,
             position.get(item.allocated_version_id or 0))
            for item in row.items
        )  # fmt: skip
        events = [
            (event.kind, event.from_status, event.to_status, event.message)
            for event in sorted(row.events, key=lambda event: event.id)
        ]
        orders[row.external_id] = (
            row.status, row.attention_reason, row.marketplace_updated_at, lines, events
        )  # fmt: skip
    ledger = [
        (position[entry.version_id], entry.delta_on_hand, entry.delta_reserved, entry.reason,
         items.get(entry.reference_id or ""), entry.note)
        for entry in session.scalars(select(StockLedgerEntry).order_by(StockLedgerEntry.id))
    ]  # fmt: skip
    stock = [(version.qty_on_hand, version.qty_reserved) for version in versions]
    return {"orders": orders, "stock": stock, "ledger": ledger}


def cut(steps: list[Payload], cuts: set[int]) -> list[OrderPage]:
    """The payloads as pages, a new page starting at each index in ``cuts``."""
    bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(steps)), len(steps)]
    return [
        OrderPage(tuple(normalized(step) for step in steps[start:end]), None)
        for start, end in itertools.pairwise(bounds)
    ]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(payloads, min_size=1, max_size=10),
    cuts=st.sets(st.integers(min_value=1, max_value=9)),
)
def test_payloads_imported_a_page_at_a_time_leave_what_they_leave_one_by_one(
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    steps: list[Payload],
    cuts: set[int],
) -> None:
    channel_id = fresh_shop(sessions)
    one_by_one = PageCounts()
    for step in steps:
        with sessions.begin() as session:
            one_by_one.add(import_order(session, channel_id, normalized(step)))
    with sessions() as session:
        expected = what_is_left(session)

    channel_id = fresh_shop(sessions)
    caplog.clear()
    paged = PageCounts()
    with caplog.at_level(logging.INFO, logger="stockbridge.commerce.orders"):
        for page in cut(steps, cuts):
            counts = import_page(sessions, channel_id, page)
            for name, value in vars(counts).items():
                setattr(paged, name, getattr(paged, name) + value)
    assert "one by one" not in caplog.text  # each page went through in one transaction

    assert paged == one_by_one
    with sessions() as session:
        assert what_is_left(session) == expected
        assert stock_problems(session) == []
