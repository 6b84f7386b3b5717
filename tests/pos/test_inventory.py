"""Each inventory operation, on SQLite and PostgreSQL: quantities, ledger rows, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stockbridge.db.models import (
    Condition,
    EcomListingChannel,
    LedgerReason,
    ProductCodeVersion,
    StockLedgerEntry,
)
from stockbridge.errors import InsufficientStock, InvalidInput, InvalidStockOperation, NotFound
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Reference, SaleLine
from tests.factories import ACTOR, make_branch, make_product, make_publication, make_version

REF = Reference("test", "1")


def ledger(session: Session, version_id: int) -> list[tuple[LedgerReason, int, int]]:
    rows = session.scalars(
        select(StockLedgerEntry)
        .where(StockLedgerEntry.version_id == version_id)
        .order_by(StockLedgerEntry.id)
    )
    return [(row.reason, row.delta_on_hand, row.delta_reserved) for row in rows]


def quantities(session: Session, version_id: int) -> tuple[int, int]:
    version = session.get(ProductCodeVersion, version_id)
    assert version is not None
    session.refresh(version)
    return version.qty_on_hand, version.qty_reserved


def test_receive_reserve_ship_release_keep_ledger_and_quantities(session: Session) -> None:
    version = make_version(session, on_hand=10)
    inventory.reserve(session, version.id, 4, actor=ACTOR, reference=REF)
    inventory.ship(session, version.id, 3, actor=ACTOR, reference=REF)
    inventory.release(session, version.id, 1, actor=ACTOR, reference=REF)
    session.commit()

    assert quantities(session, version.id) == (7, 0)
    assert ledger(session, version.id) == [
        (LedgerReason.RECEIVE, 10, 0),
        (LedgerReason.RESERVE, 0, 4),
        (LedgerReason.SHIP, -3, -3),
        (LedgerReason.RELEASE, 0, -1),
    ]


def test_reserve_more_than_available_raises_with_available_and_writes_nothing(
    session: Session,
) -> None:
    version = make_version(session, on_hand=5)
    inventory.reserve(session, version.id, 3, actor=ACTOR, reference=REF)
    with pytest.raises(InsufficientStock) as raised:
        inventory.reserve(session, version.id, 3, actor=ACTOR, reference=REF)
    assert raised.value.available == 2
    assert raised.value.requested == 3
    assert quantities(session, version.id) == (5, 3)
    assert len(ledger(session, version.id)) == 2


def test_sale_is_all_or_nothing(session: Session) -> None:
    plenty = make_version(session, on_hand=10)
    scarce = make_version(session, on_hand=1)
    with pytest.raises(InsufficientStock) as raised:
        inventory.sell(
            session,
            [SaleLine(plenty.id, 2), SaleLine(scarce.id, 2)],
            actor=ACTOR,
            reference=REF,
        )
    assert raised.value.available == 1
    assert quantities(session, plenty.id) == (10, 0)
    inventory.sell(
        session, [SaleLine(plenty.id, 2), SaleLine(plenty.id, 3)], actor=ACTOR, reference=REF
    )
    assert quantities(session, plenty.id) == (5, 0)


def test_sale_cannot_take_reserved_units(session: Session) -> None:
    version = make_version(session, on_hand=3)
    inventory.reserve(session, version.id, 2, actor=ACTOR, reference=REF)
    with pytest.raises(InsufficientStock):
        inventory.sell(session, [SaleLine(version.id, 2)], actor=ACTOR, reference=REF)


def test_release_and_ship_need_reserved_units(session: Session) -> None:
    version = make_version(session, on_hand=3)
    with pytest.raises(InvalidStockOperation):
        inventory.release(session, version.id, 1, actor=ACTOR, reference=REF)
    with pytest.raises(InvalidStockOperation):
        inventory.ship(session, version.id, 1, actor=ACTOR, reference=REF)
    assert ledger(session, version.id) == [(LedgerReason.RECEIVE, 3, 0)]


def test_adjust_to_count_records_difference_with_reason(session: Session) -> None:
    version = make_version(session, on_hand=10)
    inventory.reserve(session, version.id, 2, actor=ACTOR, reference=REF)
    inventory.adjust_to_count(session, version.id, 7, reason="cycle count", actor=ACTOR)
    assert quantities(session, version.id) == (7, 2)
    entry = session.scalars(
        select(StockLedgerEntry).where(StockLedgerEntry.reason == LedgerReason.ADJUST)
    ).one()
    assert (entry.delta_on_hand, entry.note) == (-3, "cycle count")
    with pytest.raises(InvalidStockOperation):
        inventory.adjust_to_count(session, version.id, 1, reason="miscount", actor=ACTOR)
    with pytest.raises(InvalidInput):
        inventory.adjust_to_count(session, version.id, 5, reason="  ", actor=ACTOR)


def test_write_off_only_from_available(session: Session) -> None:
    version = make_version(session, on_hand=4)
    inventory.reserve(session, version.id, 3, actor=ACTOR, reference=REF)
    with pytest.raises(InsufficientStock):
        inventory.write_off(session, version.id, 2, reason="broken", actor=ACTOR)
    inventory.write_off(session, version.id, 1, reason="broken", actor=ACTOR)
    assert quantities(session, version.id) == (3, 3)


def test_transfer_moves_available_stock_to_same_condition_elsewhere(session: Session) -> None:
    product = make_product(session)
    shop, depot = make_branch(session), make_branch(session)
    source = make_version(
        session, product=product, branch=shop, condition=Condition.USED, on_hand=5
    )
    _, target = inventory.transfer(session, source.id, depot.id, 2, actor=ACTOR)
    assert (target.branch_id, target.condition) == (depot.id, Condition.USED)
    assert quantities(session, source.id) == (3, 0)
    assert quantities(session, target.id) == (2, 0)
    out, into = ledger(session, source.id)[-1], ledger(session, target.id)[-1]
    assert out == (LedgerReason.TRANSFER_OUT, -2, 0)
    assert into == (LedgerReason.TRANSFER_IN, 2, 0)
    with pytest.raises(InsufficientStock):
        inventory.transfer(session, source.id, depot.id, 4, actor=ACTOR)
    with pytest.raises(InvalidInput):
        inventory.transfer(session, source.id, shop.id, 1, actor=ACTOR)


def test_restock_adds_to_the_chosen_condition(session: Session) -> None:
    version = make_version(session, on_hand=1)
    restocked = inventory.restock(
        session,
        product_code_id=version.product_code_id,
        branch_id=version.branch_id,
        condition=Condition.OPEN_BOX,
        quantity=1,
        actor=ACTOR,
        reference=REF,
    )
    assert restocked.id != version.id
    assert restocked.condition == Condition.OPEN_BOX
    assert ledger(session, restocked.id) == [(LedgerReason.RETURN, 1, 0)]


def test_allocation_prefers_first_branch_that_covers_the_line(session: Session) -> None:
    product = make_product(session)
    first, second, third = make_branch(session), make_branch(session), make_branch(session)
    make_version(session, product=product, branch=first, on_hand=1)
    make_version(session, product=product, branch=second, on_hand=3)
    make_version(session, product=product, branch=third, on_hand=9)
    allocation = inventory.allocate(
        session,
        product_code_id=product.id,
        quantity=2,
        branch_ids=[first.id, second.id, third.id],
        actor=ACTOR,
        reference=REF,
    )
    assert (allocation.branch_id, allocation.quantity, allocation.complete) == (second.id, 2, True)


def test_allocation_falls_back_to_most_available_and_partial_only_when_allowed(
    session: Session,
) -> None:
    product = make_product(session)
    first, second = make_branch(session), make_branch(session)
    make_version(session, product=product, branch=first, on_hand=1)
    make_version(session, product=product, branch=second, on_hand=2)
    with pytest.raises(InsufficientStock) as raised:
        inventory.allocate(
            session,
            product_code_id=product.id,
            quantity=5,
            branch_ids=[first.id, second.id],
            actor=ACTOR,
            reference=REF,
        )
    assert raised.value.available == 2
    partial = inventory.allocate(
        session,
        product_code_id=product.id,
        quantity=5,
        branch_ids=[first.id, second.id],
        allow_partial=True,
        actor=ACTOR,
        reference=REF,
    )
    assert (partial.branch_id, partial.quantity, partial.complete) == (second.id, 2, False)


def test_allocation_only_uses_the_channel_branches(session: Session) -> None:
    product = make_product(session)
    allowed, other = make_branch(session), make_branch(session)
    make_version(session, product=product, branch=other, on_hand=9)
    with pytest.raises(InsufficientStock):
        inventory.allocate(
            session,
            product_code_id=product.id,
            quantity=1,
            branch_ids=[allowed.id],
            actor=ACTOR,
            reference=REF,
        )


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_quantities_must_be_positive_whole_numbers(session: Session, bad: object) -> None:
    version = make_version(session, on_hand=1)
    with pytest.raises(InvalidInput):
        inventory.receive(session, version.id, bad, actor=ACTOR)  # type: ignore[arg-type]


def test_unknown_version_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        inventory.reserve(session, 999_999, 1, actor=ACTOR, reference=REF)


def test_every_stock_change_marks_publications_dirty(session: Session) -> None:
    version = make_version(session, on_hand=2)
    publication = make_publication(session, version.product_code)
    seq_before = publication.dirty_seq
    inventory.reserve(session, version.id, 1, actor=ACTOR, reference=REF)
    session.refresh(publication)
    assert publication.dirty_seq == seq_before + 1
    assert publication.is_dirty
    assert publication.dirty_at is not None


def test_check_constraint_refuses_reserved_above_on_hand(session: Session) -> None:
    version = make_version(session, on_hand=1)
    version.qty_reserved = 2
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_ledger_sums_match_stored_quantities(session: Session) -> None:
    version = make_version(session, on_hand=8)
    inventory.reserve(session, version.id, 5, actor=ACTOR, reference=REF)
    inventory.ship(session, version.id, 2, actor=ACTOR, reference=REF)
    inventory.write_off(session, version.id, 1, reason="scratched", actor=ACTOR)
    sums = session.execute(
        select(
            func.sum(StockLedgerEntry.delta_on_hand), func.sum(StockLedgerEntry.delta_reserved)
        ).where(StockLedgerEntry.version_id == version.id)
    ).one()
    assert tuple(sums) == quantities(session, version.id) == (5, 3)
    assert session.scalar(select(func.count()).select_from(EcomListingChannel)) == 0
