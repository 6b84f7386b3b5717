"""Marks channel publications dirty when a product code's stock or price changes.

This is the one place ``pos`` writes to a marketplace table, and it writes only the dirty
marker (see ``EcomListingChannel``): the sync engine reads the markers later, so nothing
here knows any marketplace, and no network call happens inside a stock transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, func, select, update
from sqlalchemy.orm import Session

from stockbridge.db.models import EcomListing, EcomListingChannel
from stockbridge.db.types import utcnow

_PUBLICATIONS = cast(Table, EcomListingChannel.__table__)
_LISTINGS = cast(Table, EcomListing.__table__)


#: ``session.info`` key: the channels whose publications this transaction marked dirty
#: (read after commit by the sync engine to queue their pushes).
DIRTY_CHANNELS = "stockbridge.dirty_channels"


def dirty_marker(product_code_ids: Any) -> Update:
    """The UPDATE that bumps the marker of every publication of ``product_code_ids``,
    returning each marked row's channel id.

    ``product_code_ids`` is anything ``IN`` accepts: an expanding bind parameter here, a
    sub-select when ``pos.inventory`` folds the marker into its one-statement movement.
    The sub-select locks the rows in id order before the update touches them (on
    PostgreSQL; SQLite serialises writers anyway): updating them in scan order instead
    would let two stock changes of the same products deadlock on each other.
    """
    return (
        update(_PUBLICATIONS)
        .where(
            _PUBLICATIONS.c.id.in_(
                select(_PUBLICATIONS.c.id)
                .join(_LISTINGS, _LISTINGS.c.id == _PUBLICATIONS.c.listing_id)
                .where(_LISTINGS.c.product_code_id.in_(product_code_ids))
                .order_by(_PUBLICATIONS.c.id)
                .with_for_update(of=_PUBLICATIONS)
                .scalar_subquery()
            )
        )
        .values(
            dirty_seq=_PUBLICATIONS.c.dirty_seq + 1,
            dirty_at=func.coalesce(_PUBLICATIONS.c.dirty_at, bindparam("now")),
            updated_at=bindparam("now"),
        )
        .returning(_PUBLICATIONS.c.channel_id)
    )


# Built once: this runs with every stock change.
_MARK_DIRTY = dirty_marker(bindparam("product_code_ids", expanding=True))


def mark_listings_dirty(session: Session, product_code_ids: Iterable[int]) -> int:
    """Bump the dirty marker of every publication of these product codes; returns rows marked."""
    ids = sorted(set(product_code_ids))
    if not ids:
        return 0
    channel_ids = session.scalars(_MARK_DIRTY, {"product_code_ids": ids, "now": utcnow()}).all()
    note_dirty_channels(session, channel_ids)
    return len(channel_ids)


def note_dirty_channels(session: Session, channel_ids: Iterable[int]) -> None:
    """Remember on the session which channels this transaction marked dirty."""
    session.info.setdefault(DIRTY_CHANNELS, set()).update(channel_ids)
