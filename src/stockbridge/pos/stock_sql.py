"""The SQL statements of ``pos.inventory``, built once; nothing else executes them.

Constructing SQL expressions on every call costs more CPU than running them, so the
statements of the hot path live here as module constants.

``MOVE_ONE`` is the PostgreSQL fast path of a movement of one version: a single
statement whose data-modifying CTEs

1. change the quantities only if the result keeps ``0 <= qty_reserved <= qty_on_hand``
   (the ``UPDATE`` takes the same row lock ``SELECT ... FOR UPDATE`` would, and under
   READ COMMITTED re-checks the guard against the row as the previous lock holder left
   it),
2. write the ledger row of exactly the rows changed, and
3. bump the dirty markers of the product code's publications (``outbox.dirty_marker``),
   answering their channel ids so the sync engine can queue their pushes after commit.

It returns the changed version, or no row when the version is missing or the movement
would break the guard; ``pos.inventory`` then takes the locking path, which tells the
two apart and raises the precise error. SQLite has no data-modifying CTEs, and there a
writer holds the database lock anyway, so it always takes the locking path.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Integer, Select, Table, bindparam, func, insert, select, tuple_, update
from sqlalchemy.orm import aliased

from stockbridge.db.models import ProductCodeVersion, StockLedgerEntry
from stockbridge.pos.outbox import dirty_marker

_VERSIONS = cast(Table, ProductCodeVersion.__table__)
_LEDGER = cast(Table, StockLedgerEntry.__table__)

_VERSION_ID = bindparam("version_id", type_=_VERSIONS.c.id.type)
_ON_HAND = bindparam("on_hand", type_=Integer())
_RESERVED = bindparam("reserved", type_=Integer())
_NOW = bindparam("now", type_=_VERSIONS.c.updated_at.type)
_NEW_ON_HAND = _VERSIONS.c.qty_on_hand + _ON_HAND
_NEW_RESERVED = _VERSIONS.c.qty_reserved + _RESERVED
_MOVEMENT = update(_VERSIONS).values(
    qty_on_hand=_NEW_ON_HAND, qty_reserved=_NEW_RESERVED, updated_at=_NOW
)

LOCK_VERSIONS = (
    select(ProductCodeVersion)
    .where(ProductCodeVersion.id.in_(bindparam("ids", expanding=True)))
    .order_by(ProductCodeVersion.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)
"""Lock versions (parameter ``ids``) in primary-key order and load them."""

LOCK_CANDIDATES = (
    select(ProductCodeVersion)
    .where(
        tuple_(ProductCodeVersion.product_code_id, ProductCodeVersion.condition).in_(
            bindparam("pairs", expanding=True)
        ),
        ProductCodeVersion.branch_id.in_(bindparam("branch_ids", expanding=True)),
    )
    .order_by(ProductCodeVersion.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)
"""Lock and load, in primary-key order, the versions an allocation may take from: those
of the (product code id, condition) ``pairs`` in the branches ``branch_ids``."""

APPLY_MOVEMENT = _MOVEMENT.where(_VERSIONS.c.id == _VERSION_ID).returning(
    _VERSIONS.c.qty_on_hand, _VERSIONS.c.qty_reserved
)
"""Add ``on_hand`` / ``reserved`` to a locked, already checked version."""

WRITE_LEDGER = insert(_LEDGER)
"""One ledger row (``StockLedgerEntry`` columns as parameters)."""


def _move_one() -> Select[Any]:
    moved = (
        _MOVEMENT.where(
            _VERSIONS.c.id == _VERSION_ID,
            _NEW_RESERVED >= 0,
            _NEW_RESERVED <= _NEW_ON_HAND,
        )
        .returning(*_VERSIONS.c)
        .cte("moved")
    )
    ledger_row = select(
        moved.c.id,
        _ON_HAND,
        _RESERVED,
        bindparam("reason", type_=_LEDGER.c.reason.type),
        bindparam("reference_type", type_=_LEDGER.c.reference_type.type),
        bindparam("reference_id", type_=_LEDGER.c.reference_id.type),
        bindparam("note", type_=_LEDGER.c.note.type),
        bindparam("actor", type_=_LEDGER.c.actor.type),
        _NOW,
    )
    columns = [
        "version_id",
        "delta_on_hand",
        "delta_reserved",
        "reason",
        "reference_type",
        "reference_id",
        "note",
        "actor",
        "created_at",
    ]
    ledger = insert(_LEDGER).from_select(columns, ledger_row).cte("ledger")
    dirty = dirty_marker(select(moved.c.product_code_id)).cte("dirty")
    dirty_channels = select(func.array_agg(dirty.c.channel_id)).scalar_subquery()
    return (
        select(aliased(ProductCodeVersion, moved), dirty_channels)
        .add_cte(ledger)
        .execution_options(populate_existing=True)
    )


MOVE_ONE = _move_one()
"""PostgreSQL only: guarded movement + ledger row + dirty markers in one statement;
answers the moved version and the ids of the channels marked dirty (``None`` if none)."""
