"""Answers and filters of the stock ledger."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import Condition, LedgerReason
from stockbridge.pos.schemas import RowId


class LedgerEntryPublic(PublicModel):
    """One movement of stock of one version."""

    id: int
    version_id: int
    product_code_id: int
    sku: str
    branch_id: int
    condition: Condition
    delta_on_hand: int
    delta_reserved: int
    reason: LedgerReason
    reference_type: str | None = Field(description="What the movement belongs to, e.g. pos_order.")
    reference_id: str | None
    note: str | None
    actor: str = Field(description="Who moved it, e.g. key:<api key name>.")
    created_at: datetime


class LedgerEntriesPublic(PagePublic[LedgerEntryPublic]):
    pass


class LedgerQuery(PageQuery):
    version_id: RowId | None = None
    product_code_id: RowId | None = None
    branch_id: RowId | None = None
    reason: LedgerReason | None = None
    reference_type: str | None = Field(None, max_length=40)
    reference_id: str | None = Field(None, max_length=64)
    since: AwareDatetime | None = Field(None, description="Inclusive; ISO 8601 with offset.")
    until: AwareDatetime | None = Field(None, description="Exclusive; ISO 8601 with offset.")
