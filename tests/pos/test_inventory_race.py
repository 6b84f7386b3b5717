"""Stock operations racing on real connections: no oversell, no lost update, no deadlock.

The threads are run by ``tests.concurrency.run_together`` (its docstring says how they
are made to collide on each backend).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import (
    EcomListingChannel,
    LedgerReason,
    ProductCodeVersion,
    StockLedgerEntry,
)
from stockbridge.errors import InsufficientStock
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Reference, SaleLine
from tests.concurrency import Job, errors_other_than, run_together
from tests.factories import ACTOR, make_branch, make_product, make_publication, make_version


def stored(session: Session, version_id: int) -> tuple[int, int]:
    version = session.get(ProductCodeVersion, version_id, populate_existing=True)
    assert version is not None
    return version.qty_on_hand, version.qty_reserved


def ledger_sums(session: Session, version_id: int) -> tuple[int, int]:
    on_hand, reserved = session.execute(
        select(
            func.coalesce(func.sum(StockLedgerEntry.delta_on_hand), 0),
            func.coalesce(func.sum(StockLedgerEntry.delta_reserved), 0),
        ).where(StockLedgerEntry.version_id == version_id)
    ).one()
    return on_hand, reserved


def ledger_rows(session: Session, version_id: int, reason: LedgerReason) -> int:
    return session.execute(
        select(func.count())
        .select_from(StockLedgerEntry)
        .where(StockLedgerEntry.version_id == version_id, StockLedgerEntry.reason == reason)
    ).scalar_one()


def dirty_seqs(session: Session) -> dict[int, int]:
    """Dirty counter of every publication, by publication id."""
    rows = session.execute(select(EcomListingChannel.id, EcomListingChannel.dirty_seq))
    return {publication_id: seq for publication_id, seq in rows}


def test_only_the_stock_on_hand_can_be_reserved(
    sessions: sessionmaker[Session], backend: str
) -> None:
    with sessions.begin() as session:
        version_id = make_version(session, on_hand=5).id

    def reserve_one(session: Session) -> None:
        inventory.reserve(session, version_id, 1, actor=ACTOR, reference=Reference("t", "1"))
        session.commit()

    outcomes = run_together(sessions, [reserve_one] * 20, backend=backend)

    assert errors_other_than(outcomes, InsufficientStock) == []
    refusals = [o.error for o in outcomes if isinstance(o.error, InsufficientStock)]
    assert len(outcomes) - len(refusals) == 5
    assert len(refusals) == 15
    assert all((e.available, e.requested) == (0, 1) for e in refusals)
    with sessions() as session:
        assert stored(session, version_id) == (5, 5)
        assert ledger_rows(session, version_id, LedgerReason.RESERVE) == 5
        assert ledger_sums(session, version_id) == (5, 5)


def test_till_sales_racing_reservations_never_oversell(
    sessions: sessionmaker[Session], backend: str
) -> None:
    each_kind, on_hand = 8, 10
    with sessions.begin() as session:
        version_id = make_version(session, on_hand=on_hand).id

    def sell_one(session: Session) -> str:
        inventory.sell(session, [SaleLine(version_id, 1)], actor=ACTOR, reference=None)
        session.commit()
        return "sold"

    def reserve_one(session: Session) -> str:
        inventory.reserve(session, version_id, 1, actor=ACTOR, reference=Reference("t", "1"))
        session.commit()
        return "reserved"

    outcomes = run_together(sessions, [sell_one, reserve_one] * each_kind, backend=backend)

    assert errors_other_than(outcomes, InsufficientStock) == []
    refusals = [o.error for o in outcomes if isinstance(o.error, InsufficientStock)]
    assert all(e.available == 0 for e in refusals)
    sold = sum(outcome.result == "sold" for outcome in outcomes)
    reserved = sum(outcome.result == "reserved" for outcome in outcomes)
    assert sold + reserved == len(outcomes) - len(refusals)
    # Demand (16) exceeds supply (10): every unit went exactly once, to one or the other.
    assert sold + reserved == on_hand
    with sessions() as session:
        stored_on_hand, stored_reserved = stored(session, version_id)
        assert (stored_on_hand, stored_reserved) == (on_hand - sold, reserved)
        assert 0 <= stored_reserved <= stored_on_hand
        assert ledger_sums(session, version_id) == (stored_on_hand, stored_reserved)
        assert ledger_rows(session, version_id, LedgerReason.SALE) == sold
        assert ledger_rows(session, version_id, LedgerReason.RESERVE) == reserved


def test_multi_version_operations_in_opposite_orders_do_not_deadlock(
    sessions: sessionmaker[Session], backend: str
) -> None:
    rounds, start = 5, 100
    with sessions.begin() as session:
        here, there = make_branch(session), make_branch(session)
        p, q = make_product(session), make_product(session)
        publications = {make_publication(session, product).id: product.id for product in (p, q)}
        ids = {
            (product.id, branch.id): make_version(
                session, product=product, branch=branch, on_hand=start
            ).id
            for product in (p, q)
            for branch in (here, there)
        }
        marks_before = dirty_seqs(session)
    p_here, p_there = ids[p.id, here.id], ids[p.id, there.id]
    q_here, q_there = ids[q.id, here.id], ids[q.id, there.id]

    def sale(*version_ids: int) -> Job:
        def job(session: Session) -> None:
            for _ in range(rounds):
                lines = [SaleLine(version_id, 1) for version_id in version_ids]
                inventory.sell(session, lines, actor=ACTOR, reference=None)
                session.commit()

        return job

    def transfer(version_id: int, to_branch_id: int) -> Job:
        def job(session: Session) -> None:
            for _ in range(rounds):
                inventory.transfer(session, version_id, to_branch_id, 1, actor=ACTOR)
                session.commit()

        return job

    jobs = [
        # The same versions, listed in opposite orders.
        sale(p_here, q_here, p_there),
        sale(p_there, q_here, p_here),
        sale(q_there, p_here),
        sale(p_here, q_there),
        # Transfers both ways between the same two versions.
        transfer(p_here, there.id),
        transfer(p_there, here.id),
        transfer(q_here, there.id),
        transfer(q_there, here.id),
    ] * 2

    outcomes = run_together(sessions, jobs, backend=backend)

    assert errors_other_than(outcomes) == []
    # Every job succeeded every round, so the end state is exact.
    sold = {p_here: 4, p_there: 2, q_here: 2, q_there: 2}
    expected = {version_id: start - 2 * rounds * sold[version_id] for version_id in ids.values()}
    with sessions() as session:
        for version_id, on_hand in expected.items():
            assert stored(session, version_id) == (on_hand, 0)
            assert ledger_sums(session, version_id) == (on_hand, 0)
            assert ledger_rows(session, version_id, LedgerReason.TRANSFER_OUT) == 2 * rounds
            assert ledger_rows(session, version_id, LedgerReason.TRANSFER_IN) == 2 * rounds
        # One mark per committed operation touching the product (each sale touches both,
        # each transfer one): no lost update on the publications either.
        assert dirty_seqs(session) == {
            publication_id: marks_before[publication_id] + 2 * rounds * (4 + 2)
            for publication_id in publications
        }


def test_changes_to_different_versions_of_shared_products_do_not_deadlock(
    sessions: sessionmaker[Session], backend: str
) -> None:
    """Each thread sells from its own branch, so no version lock is shared; what is shared
    are the products' publications, whose dirty counters every sale bumps (the multi-line
    test above keeps clear of this case: all its sales share one version)."""
    threads, rounds, start = 8, 20, 1000
    with sessions.begin() as session:
        products = [make_product(session) for _ in range(3)]
        publications = {
            make_publication(session, product).id: product.id
            for product in products
            for _ in range(3)
        }
        branches = [make_branch(session) for _ in range(threads)]
        ids = [
            [make_version(session, product=p, branch=b, on_hand=start).id for p in products]
            for b in branches
        ]
        marks_before = dirty_seqs(session)

    def lines(thread: int, round_: int) -> list[SaleLine]:
        """Rotating subsets of the thread's versions, in the thread's own order."""
        mine = ids[thread][thread % 3 :] + ids[thread][: thread % 3]
        if thread % 2:
            mine.reverse()
        return [SaleLine(version_id, 1) for version_id in mine[: 1 + (thread + round_) % 3]]

    def seller(thread: int) -> Job:
        def job(session: Session) -> None:
            for round_ in range(rounds):
                inventory.sell(session, lines(thread, round_), actor=ACTOR, reference=None)
                session.commit()

        return job

    outcomes = run_together(sessions, [seller(t) for t in range(threads)], backend=backend)

    errors = errors_other_than(outcomes)
    assert errors == []
    sold: dict[int, int] = {}
    touched = {product.id: 0 for product in products}
    by_version = {v: p.id for row in ids for v, p in zip(row, products, strict=True)}
    for thread in range(threads):
        for round_ in range(rounds):
            for line in lines(thread, round_):
                sold[line.version_id] = sold.get(line.version_id, 0) + 1
                touched[by_version[line.version_id]] += 1
    with sessions() as session:
        for version_id, units in sold.items():
            assert stored(session, version_id) == (start - units, 0)
        assert dirty_seqs(session) == {
            publication_id: marks_before[publication_id] + touched[product_id]
            for publication_id, product_id in publications.items()
        }
