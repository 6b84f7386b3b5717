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

Every example starts from empty tables (the ``sessions`` fixture empties them once per
test, hypothesis runs many examples in it), and builds its small shop again.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce.orders import ImportOutcome, import_order
from stockbridge.db.models import Base, EcomOrder, EcomOrderItem, OrderStatus
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
        lines = [line(f"L{n}", sku=sku, quantity=qty) for n, (sku, qty) in enumerate(step.lines)]
        payload = order(step.order, *lines, updated=at(step.minute), cancelled=step.cancelled)
        with sessions.begin() as session:
            result = import_order(session, channel_id, payload)

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
