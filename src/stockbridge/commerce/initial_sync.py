"""The initial sync of a newly connected channel: every active listing published to it.

When a channel becomes usable (created with a connection that passed its test, given
new credentials that passed it, or connected by OAuth), each active listing without a
publication on it gets one (``pending``, marked dirty) and one ``listings`` job is
queued, in the caller's transaction, to publish them all in batches (``{"initial":
true}``: the job takes every dirty publication of the channel). Items the shop already
had on the marketplace under the same SKU are adopted by that job, not listed twice.
Listings already published to the channel (a reconnect) are left as they are.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stockbridge.db.models import (
    ChannelStatus,
    EcomChannel,
    EcomListing,
    EcomListingChannel,
    JobKind,
    ListingStatus,
    PublicationStatus,
    SyncJob,
    SyncState,
)
from stockbridge.db.types import utcnow
from stockbridge.sync.jobs import Waker, enqueue_job


def queue_initial_sync(session: Session, waker: Waker, channel: EcomChannel) -> SyncJob | None:
    """Publish every active listing to ``channel`` if it is active; the job, or None when
    the channel is not active or has nothing to publish."""
    if channel.status is not ChannelStatus.ACTIVE:
        return None
    on_channel = select(EcomListingChannel.listing_id).where(
        EcomListingChannel.channel_id == channel.id
    )
    new = session.scalars(
        select(EcomListing.id)
        .where(EcomListing.status == ListingStatus.ACTIVE, EcomListing.id.not_in(on_channel))
        .order_by(EcomListing.id)
    ).all()
    now = utcnow()
    session.add_all(
        EcomListingChannel(
            listing_id=listing_id,
            channel_id=channel.id,
            status=PublicationStatus.PENDING,
            sync_state=SyncState.PENDING,
            dirty_seq=1,
            synced_seq=0,
            dirty_at=now,
        )
        for listing_id in new
    )
    session.flush()
    dirty = session.scalar(
        select(func.count())
        .select_from(EcomListingChannel)
        .where(
            EcomListingChannel.channel_id == channel.id,
            EcomListingChannel.dirty_seq > EcomListingChannel.synced_seq,
        )
    )
    if not dirty:
        return None
    return enqueue_job(
        session,
        waker,
        kind=JobKind.LISTINGS,
        channel_id=channel.id,
        payload={"initial": True},
        total=dirty,
    )
