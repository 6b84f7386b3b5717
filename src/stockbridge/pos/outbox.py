"""Marks channel publications dirty when a product code's stock or price changes.

This is the one place ``pos`` writes to a marketplace table, and it writes only the dirty
marker (see ``EcomListingChannel``): the sync engine reads the markers later, so nothing
here knows any marketplace, and no network call happens inside a stock transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from stockbridge.db.models import EcomListing, EcomListingChannel
from stockbridge.db.types import utcnow


def mark_listings_dirty(session: Session, product_code_ids: Iterable[int]) -> int:
    """Bump the dirty marker of every publication of these product codes; returns rows marked."""
    ids = sorted(set(product_code_ids))
    if not ids:
        return 0
    listing_ids = select(EcomListing.id).where(EcomListing.product_code_id.in_(ids))
    result = session.execute(
        update(EcomListingChannel)
        .where(EcomListingChannel.listing_id.in_(listing_ids))
        .values(
            dirty_seq=EcomListingChannel.dirty_seq + 1,
            dirty_at=func.coalesce(EcomListingChannel.dirty_at, utcnow()),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
