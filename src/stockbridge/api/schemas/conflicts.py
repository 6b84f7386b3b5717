"""Answers, filters and the body of the conflicts API: marketplace-side differences."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import ConflictField, ConflictSide, ConflictSource, ConflictStatus
from stockbridge.pos.schemas import RowId
from stockbridge.statuses import ConflictPolicy


class ConflictPublic(PublicModel):
    id: int
    channel_id: int
    publication_id: int
    listing_id: int
    sku: str
    field: ConflictField
    store_value: int = Field(description="What stockbridge offers: units, or price in cents.")
    marketplace_value: int | None = Field(
        description="What the marketplace showed; null when it holds no value."
    )
    policy: ConflictPolicy = Field(description="The channel's policy when it was seen.")
    status: ConflictStatus
    source: ConflictSource
    detected_at: datetime = Field(description="When it was last seen.")
    resolved_at: datetime | None
    resolution: ConflictSide | None


class ConflictsPublic(PagePublic[ConflictPublic]):
    pass


class ConflictQuery(PageQuery):
    channel_id: RowId | None = None
    status: ConflictStatus = Field(
        ConflictStatus.OPEN,
        description="`open` (default), `resolved`, `repaired`, `kept` or `gone`.",
    )
    field: ConflictField | None = None


class ConflictResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: RowId
    field: ConflictField
    keep: ConflictSide = Field(
        description="`store`: stockbridge's value is pushed again; `marketplace`: the "
        "marketplace's value the conflict recorded last (`marketplace_value`) stays (a "
        "price becomes the publication's override price)."
    )
