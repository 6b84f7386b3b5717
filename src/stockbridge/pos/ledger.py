"""Reading the stock ledger: filtered, newest first, one page at a time.

Writing ledger rows is ``pos/inventory``'s job alone; this module only reads them and
adds what a reader needs beside each movement (product, SKU, branch, condition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, joinedload

from stockbridge.db.models import Condition, LedgerReason, ProductCodeVersion, StockLedgerEntry
from stockbridge.errors import InvalidInput
from stockbridge.pos.catalog import Page, paginate


@dataclass(frozen=True)
class LedgerFilter:
    version_id: int | None = None
    product_code_id: int | None = None
    branch_id: int | None = None
    reason: LedgerReason | None = None
    reference_type: str | None = None
    reference_id: str | None = None
    since: datetime | None = None
    """Inclusive."""
    until: datetime | None = None
    """Exclusive."""


@dataclass(frozen=True)
class LedgerLine:
    """One ledger row with the version it moved."""

    id: int
    version_id: int
    product_code_id: int
    sku: str
    branch_id: int
    condition: Condition
    delta_on_hand: int
    delta_reserved: int
    reason: LedgerReason
    reference_type: str | None
    reference_id: str | None
    note: str | None
    actor: str
    created_at: datetime


def _conditions(filters: LedgerFilter) -> list[ColumnElement[bool]]:
    entry, version = StockLedgerEntry, ProductCodeVersion
    conditions: list[ColumnElement[bool]] = []
    if filters.version_id is not None:
        conditions.append(entry.version_id == filters.version_id)
    if filters.product_code_id is not None:
        conditions.append(version.product_code_id == filters.product_code_id)
    if filters.branch_id is not None:
        conditions.append(version.branch_id == filters.branch_id)
    if filters.reason is not None:
        conditions.append(entry.reason == filters.reason)
    if filters.reference_type is not None:
        conditions.append(entry.reference_type == filters.reference_type)
    if filters.reference_id is not None:
        conditions.append(entry.reference_id == filters.reference_id)
    # The column type refuses naive datetimes (ValueError); an aware one is compared in UTC.
    if filters.since is not None:
        conditions.append(entry.created_at >= _aware(filters.since))
    if filters.until is not None:
        conditions.append(entry.created_at < _aware(filters.until))
    return conditions


def _aware(moment: datetime) -> datetime:
    """The moment in UTC; refused if naive or outside the years a UTC datetime can hold."""
    if moment.tzinfo is None:
        raise InvalidInput("since and until must carry a time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{moment.isoformat()} is out of range once moved to UTC") from None


def search_ledger(
    session: Session, filters: LedgerFilter, *, page: int, per_page: int
) -> Page[LedgerLine]:
    query = (
        select(StockLedgerEntry)
        .join(ProductCodeVersion, ProductCodeVersion.id == StockLedgerEntry.version_id)
        .where(*_conditions(filters))
        # Ids grow with time; they also order entries written in the same instant.
        .order_by(StockLedgerEntry.id.desc())
    )
    found = paginate(session, query, page=page, per_page=per_page)
    return Page(_with_versions(session, found.items), found.total, page, per_page)


def _with_versions(session: Session, entries: Sequence[StockLedgerEntry]) -> list[LedgerLine]:
    version_ids = {entry.version_id for entry in entries}
    versions = {
        version.id: version
        for version in session.scalars(
            select(ProductCodeVersion)
            .where(ProductCodeVersion.id.in_(version_ids))
            .options(joinedload(ProductCodeVersion.product_code))
        )
    }
    return [_line(entry, versions[entry.version_id]) for entry in entries]


def _line(entry: StockLedgerEntry, version: ProductCodeVersion) -> LedgerLine:
    return LedgerLine(
        id=entry.id,
        version_id=entry.version_id,
        product_code_id=version.product_code_id,
        sku=version.product_code.sku,
        branch_id=version.branch_id,
        condition=version.condition,
        delta_on_hand=entry.delta_on_hand,
        delta_reserved=entry.delta_reserved,
        reason=entry.reason,
        reference_type=entry.reference_type,
        reference_id=entry.reference_id,
        note=entry.note,
        actor=entry.actor,
        created_at=entry.created_at,
    )
