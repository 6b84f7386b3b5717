"""Order imports racing on real connections: one order, one reservation, never oversold."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.base import NormalizedOrder
from stockbridge.commerce.orders import ImportOutcome, ImportResult, import_order
from stockbridge.db.models import (
    EcomOrder,
    EcomOrderItem,
    LedgerReason,
    OrderStatus,
    StockLedgerEntry,
)
from tests.commerce.order_payloads import at, line, make_channel, order, stock_problems
from tests.concurrency import Job, errors_other_than, run_together
from tests.factories import make_branch, make_product, make_version

THREADS = 10


def importing(channel_id: int, payload: NormalizedOrder) -> Job:
    def job(session: Session) -> ImportResult:
        result = import_order(session, channel_id, payload)
        session.commit()
        return result

    return job


def shop(sessions: sessionmaker[Session], on_hand: int) -> tuple[int, int]:
    """A channel and one product version with ``on_hand`` units; their ids."""
    with sessions.begin() as session:
        branch = make_branch(session)
        version = make_version(
            session, product=make_product(session, sku="SKU-A"), branch=branch, on_hand=on_hand
        )
        return make_channel(session, branch).id, version.id


def count(session: Session, model: type[EcomOrder] | type[EcomOrderItem]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def ledger_count(session: Session, reason: LedgerReason) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(StockLedgerEntry)
            .where(StockLedgerEntry.reason == reason)
        )
        or 0
    )


def test_the_same_order_imported_ten_times_at_once_is_one_order_and_one_reservation(
    sessions: sessionmaker[Session], backend: str
) -> None:
    channel_id, _ = shop(sessions, on_hand=10)
    payload = order("1001", line(quantity=3))

    outcomes = run_together(sessions, [importing(channel_id, payload)] * THREADS, backend=backend)

    assert errors_other_than(outcomes) == []
    assert Counter(outcome.result.outcome for outcome in outcomes) == {
        ImportOutcome.CREATED: 1,
        ImportOutcome.UNCHANGED: THREADS - 1,
    }
    with sessions() as session:
        assert (count(session, EcomOrder), count(session, EcomOrderItem)) == (1, 1)
        assert ledger_count(session, LedgerReason.RESERVE) == 1
        assert stock_problems(session) == []


def test_a_cancellation_delivered_ten_times_at_once_releases_once(
    sessions: sessionmaker[Session], backend: str
) -> None:
    channel_id, _ = shop(sessions, on_hand=10)
    with sessions.begin() as session:
        import_order(session, channel_id, order("1001", line(quantity=3)))
    cancel = order("1001", line(quantity=3), updated=at(1), cancelled=True)

    outcomes = run_together(sessions, [importing(channel_id, cancel)] * THREADS, backend=backend)

    assert errors_other_than(outcomes) == []
    assert Counter(outcome.result.outcome for outcome in outcomes) == {
        ImportOutcome.UPDATED: 1,
        ImportOutcome.UNCHANGED: THREADS - 1,
    }
    with sessions() as session:
        assert ledger_count(session, LedgerReason.RELEASE) == 1
        assert stock_problems(session) == []


def test_orders_racing_for_the_last_units_never_oversell(
    sessions: sessionmaker[Session], backend: str
) -> None:
    channel_id, _ = shop(sessions, on_hand=3)
    jobs = [importing(channel_id, order(f"10{n:02d}", line(quantity=1))) for n in range(THREADS)]

    outcomes = run_together(sessions, jobs, backend=backend)

    assert errors_other_than(outcomes) == []
    statuses = Counter(outcome.result.status for outcome in outcomes)
    assert statuses == {OrderStatus.PENDING: 3, OrderStatus.NEEDS_ATTENTION: THREADS - 3}
    with sessions() as session:
        assert stock_problems(session) == []
