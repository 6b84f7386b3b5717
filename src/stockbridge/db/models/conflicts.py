"""Marketplace-side differences: every quantity or price a marketplace showed otherwise
than stockbridge offers, found by a reconcile (scheduled, or queued by a webhook).

A row is the record of one difference and of what the channel's conflict policy did
with it: ``repaired`` (stockbridge's value was set back), ``kept`` (the marketplace's
value stays), or ``open`` (``manual`` policy: waits for a person, who resolves it by
keeping one side). At most one open row per publication and field: seen again, it is
updated; once the marketplace shows stockbridge's value again it is ``gone``, and decided
by a policy no longer ``manual`` it becomes ``repaired`` or ``kept``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from stockbridge.db.models.base import Base
from stockbridge.db.types import BigId, UTCDateTime, str_enum, utcnow
from stockbridge.statuses import ConflictPolicy


class ConflictField(StrEnum):
    QUANTITY = "quantity"
    PRICE = "price"  # in the channel's currency, integer minor units


class ConflictStatus(StrEnum):
    OPEN = "open"  # waiting for a person (manual policy)
    RESOLVED = "resolved"  # an open one a person decided
    REPAIRED = "repaired"  # stockbridge's value was set back on the marketplace
    KEPT = "kept"  # the marketplace's value stays (marketplace_wins)
    GONE = "gone"  # an open one whose difference went away before anyone decided


class ConflictSource(StrEnum):
    RECONCILE = "reconcile"  # the scheduled reconcile of the whole channel
    WEBHOOK = "webhook"  # a reconcile queued by a marketplace's change notification


class ConflictSide(StrEnum):
    """Which value a person kept when resolving an open conflict."""

    STORE = "store"
    MARKETPLACE = "marketplace"


class EcomConflict(Base):
    __tablename__ = "ecom_conflicts"
    __table_args__ = (
        Index(
            "ix_ecom_conflicts_one_open",
            "publication_id",
            "field",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(None, "channel_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("ecom_channels.id"))
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("ecom_listing_channels.id", ondelete="CASCADE")
    )
    listing_id: Mapped[int] = mapped_column(ForeignKey("ecom_listings.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(100))
    field: Mapped[ConflictField] = mapped_column(str_enum(ConflictField))
    store_value: Mapped[int] = mapped_column(BigInteger)
    #: None when the marketplace shows no value (e.g. the SKU is not stocked there).
    marketplace_value: Mapped[int | None] = mapped_column(BigInteger)
    policy: Mapped[ConflictPolicy] = mapped_column(str_enum(ConflictPolicy))
    status: Mapped[ConflictStatus] = mapped_column(str_enum(ConflictStatus))
    source: Mapped[ConflictSource] = mapped_column(str_enum(ConflictSource))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[ConflictSide | None] = mapped_column(str_enum(ConflictSide))
