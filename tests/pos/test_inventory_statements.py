"""What a single-version movement sends to the database, on SQLite and PostgreSQL.

On PostgreSQL a reserve, release, ship, write-off or receipt is one guarded statement
(quantities, ledger row and dirty markers together); a refused one falls back to the
locking path, which raises the precise error and writes nothing. SQLite always takes the
locking path (lock, update, ledger row, dirty markers). Either way the outcome is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from stockbridge.db.models import LedgerReason, ProductCodeVersion, StockLedgerEntry
from stockbridge.errors import InsufficientStock, InvalidStockOperation, NotFound
from stockbridge.pos import inventory
from stockbridge.pos.inventory import Reference
from tests.factories import ACTOR, make_publication, make_version

REF = Reference("test", "1")
STATEMENTS_PER_MOVEMENT = {"postgresql": 1, "sqlite": 4}

Operation = Callable[[Session, int], ProductCodeVersion]
OPERATIONS: dict[str, tuple[Operation, LedgerReason, tuple[int, int]]] = {
    "reserve": (
        lambda s, v: inventory.reserve(s, v, 2, actor=ACTOR, reference=REF),
        LedgerReason.RESERVE,
        (0, 2),
    ),
    "release": (
        lambda s, v: inventory.release(s, v, 1, actor=ACTOR, reference=REF),
        LedgerReason.RELEASE,
        (0, -1),
    ),
    "ship": (
        lambda s, v: inventory.ship(s, v, 1, actor=ACTOR, reference=REF),
        LedgerReason.SHIP,
        (-1, -1),
    ),
    "write_off": (
        lambda s, v: inventory.write_off(s, v, 3, reason="broken", actor=ACTOR),
        LedgerReason.WRITE_OFF,
        (-3, 0),
    ),
    "receive": (
        lambda s, v: inventory.receive(s, v, 4, actor=ACTOR, reference=REF),
        LedgerReason.RECEIVE,
        (4, 0),
    ),
}


@contextmanager
def counting_statements(session: Session) -> Iterator[list[str]]:
    """The SQL of every statement the session's engine runs inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", record)


def last_ledger_row(session: Session, version_id: int) -> tuple[LedgerReason, int, int, str]:
    row = session.scalars(
        select(StockLedgerEntry)
        .where(StockLedgerEntry.version_id == version_id)
        .order_by(StockLedgerEntry.id.desc())
        .limit(1)
    ).one()
    return row.reason, row.delta_on_hand, row.delta_reserved, row.actor


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_movement_is_one_statement_on_postgresql_with_the_same_effects(
    session: Session, backend: str, name: str
) -> None:
    operation, reason, (delta_on_hand, delta_reserved) = OPERATIONS[name]
    version = make_version(session, on_hand=10)
    inventory.reserve(session, version.id, 2, actor=ACTOR, reference=REF)
    publication = make_publication(session, version.product_code)
    session.flush()
    seq_before = publication.dirty_seq

    with counting_statements(session) as statements:
        moved = operation(session, version.id)

    assert len(statements) == STATEMENTS_PER_MOVEMENT[backend], statements
    # The object the session already held is the one returned, with the new figures.
    assert moved is version
    assert (version.qty_on_hand, version.qty_reserved) == (10 + delta_on_hand, 2 + delta_reserved)
    session.commit()
    session.refresh(version)
    session.refresh(publication)
    assert (version.qty_on_hand, version.qty_reserved) == (10 + delta_on_hand, 2 + delta_reserved)
    assert last_ledger_row(session, version.id) == (reason, delta_on_hand, delta_reserved, ACTOR)
    assert publication.dirty_seq == seq_before + 1


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("reserve", InsufficientStock),
        ("write_off", InsufficientStock),
        ("release", InvalidStockOperation),
        ("ship", InvalidStockOperation),
    ],
)
def test_a_refused_movement_reports_the_stored_figures_and_writes_nothing(
    session: Session, name: str, error: type[Exception]
) -> None:
    # 2 on hand; 1 reserved where availability is the limit, none where reservations are.
    reserved = 1 if error is InsufficientStock else 0
    version = make_version(session, on_hand=2)
    if reserved:
        inventory.reserve(session, version.id, reserved, actor=ACTOR, reference=REF)
    session.commit()
    ledger_before = session.scalar(select(func.count()).select_from(StockLedgerEntry))

    with pytest.raises(error) as raised:
        OPERATIONS[name][0](session, version.id)

    assert raised.value.extra["version_id"] == version.id
    if isinstance(raised.value, InsufficientStock):
        assert raised.value.available == 1
    else:
        assert raised.value.extra["reserved"] == 0
    session.commit()
    assert session.scalar(select(func.count()).select_from(StockLedgerEntry)) == ledger_before
    assert (version.qty_on_hand, version.qty_reserved) == (2, reserved)
    session.refresh(version)
    assert (version.qty_on_hand, version.qty_reserved) == (2, reserved)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_movement_of_an_unknown_version_is_not_found(session: Session, name: str) -> None:
    with pytest.raises(NotFound):
        OPERATIONS[name][0](session, 999_999)
