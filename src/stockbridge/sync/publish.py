"""The ``listings`` job: create, update or end a channel's listings on its marketplace.

Which publications: those of the listings named in the payload (``{"listing_ids":
[...]}``, queued by the listings API), or, for an initial sync (``{"initial": true}``,
queued when a channel is connected), every publication of the channel still marked
dirty. They are worked through in batches of the marketplace's bulk size
(``Capabilities.max_listings_per_call``); per batch, one short transaction reads the
rows and builds the payloads (``commerce/listing_payloads``), the calls are made with no
transaction open (``sync/listing_calls``), and a second transaction records each
publication's outcome, its history row (``ecom_channel_logs``, operation
``listing_sync``) and any token the adapter refreshed. Progress is reported after each
batch. Listings jobs of one channel run one at a time (a later one waits).

Recording: external ids, SKU and refs of each listing the marketplace answered for;
``status`` (``published`` / ``unpublished``; a listing refused before it was ever live
becomes ``error``), ``sync_state`` (``in_sync`` or ``error``), ``last_error`` (the
marketplace's message), ``last_synced_at`` and what was pushed. A publication changed
while its calls ran keeps the new wish and stays dirty for the next job.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from stockbridge.channels.base import ChannelAdapter, TokenSet
from stockbridge.commerce.channels import (
    ChannelContext,
    channel_settings,
    connected_link,
    get_channel,
    keep_refreshed,
    link_adapter,
)
from stockbridge.commerce.listing_payloads import listing_payload
from stockbridge.commerce.offer import ChannelRules, offers_for, own_price
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ChannelLogStatus,
    ChannelOperation,
    EcomChannelLog,
    EcomListing,
    EcomListingChannel,
    JobKind,
    JobStatus,
    ListingStatus,
    ProductCode,
    PublicationStatus,
    SyncJob,
    SyncState,
)
from stockbridge.db.types import utcnow
from stockbridge.errors import InvalidInput
from stockbridge.sync.context import JobRun
from stockbridge.sync.listing_calls import ListingAction, ListingOutcome, ListingWork, sync_batch

#: How often a job waiting for an earlier listings job of its channel looks again.
WAIT_SECONDS = 0.25


def publish_listings(run: JobRun, *, channels: ChannelContext) -> dict[str, int]:
    if run.channel_id is None:
        raise InvalidInput("a listings job needs a channel")
    channel_id = run.channel_id
    _wait_for_earlier_jobs(run, channel_id)
    with transaction(run.sessions) as session:
        link = connected_link(session, channels, channel_id)
        ids = _publication_ids(session, channel_id, run.payload)
    refreshed: list[TokenSet] = []
    adapter = link_adapter(channels, link, refreshed)
    size = max(1, adapter.capabilities.max_listings_per_call)
    for name in ListingAction:
        run.counts.setdefault(name.value, 0)
    run.counts.setdefault("adopted", 0)
    run.progress(0, len(ids))
    try:
        for start in range(0, len(ids), size):
            _run_batch(run, channels, adapter, ids[start : start + size], (refreshed, link.tokens))
            run.progress(min(start + size, len(ids)), len(ids))
    finally:
        _close(adapter)
    return run.counts


def _run_batch(
    run: JobRun,
    channels: ChannelContext,
    adapter: ChannelAdapter,
    ids: Sequence[int],
    tokens: tuple[list[TokenSet], TokenSet | None],
) -> None:
    """One batch sent and recorded; ``tokens`` are the job's refreshed tokens and the
    ones it started from."""
    refreshed, started = tokens
    assert run.channel_id is not None
    with transaction(run.sessions) as session:
        works = _load(session, run.channel_id, ids)
    outcomes = sync_batch(adapter, works)
    with transaction(run.sessions) as session:
        for work in works:
            outcome = outcomes[work.publication_id]
            _record(session, run, work, outcome)
            run.count(outcome.action.value)
            run.count("adopted", int(outcome.adopted))
        keep_refreshed(session, channels, run.channel_id, refreshed, started=started)


def _wait_for_earlier_jobs(run: JobRun, channel_id: int) -> None:
    """One listings job per channel at a time: this one waits while another started
    before it still runs, else both could act on one listing in either order (a publish
    landing after the unpublish that followed it). Ordered by start, then id, so two
    jobs never wait for each other; a dead job's row is failed by the sweeper."""
    while True:
        with transaction(run.sessions) as session:
            mine = session.get_one(SyncJob, run.job_id)
            started = mine.started_at or utcnow()
            earlier = session.scalar(
                select(SyncJob.id)
                .where(
                    SyncJob.kind == JobKind.LISTINGS,
                    SyncJob.channel_id == channel_id,
                    SyncJob.status == JobStatus.RUNNING,
                    SyncJob.id != run.job_id,
                    or_(
                        SyncJob.started_at < started,
                        and_(SyncJob.started_at == started, SyncJob.id < run.job_id),
                    ),
                )
                .limit(1)
            )
        if earlier is None:
            return
        run.progress(0)  # a heartbeat, and the way out if this job is cancelled
        time.sleep(WAIT_SECONDS)


def _close(adapter: ChannelAdapter) -> None:
    # Not part of the protocol: adapters that hold an HTTP pool close it.
    close = getattr(adapter, "close", None)
    if callable(close):
        close()


# --- reading -------------------------------------------------------------------------


def _publication_ids(session: Session, channel_id: int, payload: Mapping[str, Any]) -> list[int]:
    query = select(EcomListingChannel.id).where(EcomListingChannel.channel_id == channel_id)
    if payload.get("initial"):
        query = query.where(EcomListingChannel.dirty_seq > EcomListingChannel.synced_seq)
    else:
        listing_ids = [int(listing_id) for listing_id in payload.get("listing_ids") or []]
        query = query.where(EcomListingChannel.listing_id.in_(listing_ids))
    return list(session.scalars(query.order_by(EcomListingChannel.id)))


def _load(session: Session, channel_id: int, ids: Sequence[int]) -> list[ListingWork]:
    channel = get_channel(session, channel_id)
    rows = session.execute(
        select(EcomListingChannel, EcomListing, ProductCode)
        .join(EcomListing, EcomListing.id == EcomListingChannel.listing_id)
        .join(ProductCode, ProductCode.id == EcomListing.product_code_id)
        .where(EcomListingChannel.id.in_(ids))
        .order_by(EcomListingChannel.id)
    ).all()
    own_prices = {
        publication.listing_id: price
        for publication, _, _ in rows
        if (price := own_price(publication.overrides)) is not None
    }
    offers = offers_for(
        session,
        ChannelRules.of(channel_settings(channel)),
        [listing.id for _, listing, _ in rows],
        own_prices=own_prices,
    )
    return [
        ListingWork(
            publication_id=publication.id,
            listing_id=listing.id,
            seq=publication.dirty_seq,
            payload=listing_payload(
                publication,
                listing,
                product,
                provider=channel.provider,
                offer=offers[listing.id],
            ),
            live=publication.status is not PublicationStatus.UNPUBLISHED
            and listing.status is ListingStatus.ACTIVE,
            was_published=publication.status is PublicationStatus.PUBLISHED,
            known=publication.external_id is not None,
        )
        for publication, listing, product in rows
    ]


# --- recording -----------------------------------------------------------------------


def _record(session: Session, run: JobRun, work: ListingWork, outcome: ListingOutcome) -> None:
    publication = session.get(EcomListingChannel, work.publication_id, with_for_update=True)
    if publication is None:  # deleted with its listing meanwhile
        return
    now = utcnow()
    if outcome.ref is not None:
        publication.external_id = outcome.ref.external_id
        publication.external_sku = outcome.ref.sku
        url = {"url": outcome.ref.url} if outcome.ref.url else {}
        publication.external_refs = {**publication.external_refs, **outcome.ref.refs, **url}
    unchanged = publication.dirty_seq == work.seq
    if outcome.error is not None:
        publication.last_error = outcome.error
        if unchanged:
            publication.sync_state = SyncState.ERROR
            if publication.status is PublicationStatus.PENDING:
                publication.status = PublicationStatus.ERROR
    else:
        publication.last_error = None
        publication.last_synced_at = now
        if work.live:
            publication.last_pushed_qty = work.payload.quantity
            publication.last_pushed_price_cents = work.payload.price.cents
        if unchanged:
            publication.sync_state = SyncState.IN_SYNC
            publication.status = (
                PublicationStatus.PUBLISHED if work.live else PublicationStatus.UNPUBLISHED
            )
    publication.synced_seq = max(publication.synced_seq, work.seq)
    if unchanged:
        publication.dirty_at = None
    session.add(_history(run, work, outcome, now))


def _history(
    run: JobRun, work: ListingWork, outcome: ListingOutcome, now: datetime
) -> EcomChannelLog:
    assert run.channel_id is not None
    failed = outcome.error is not None
    return EcomChannelLog(
        channel_id=run.channel_id,
        listing_id=work.listing_id,
        operation=ChannelOperation.LISTING_SYNC,
        status=ChannelLogStatus.FAILED if failed else ChannelLogStatus.SUCCESS,
        records_processed=1,
        records_failed=int(failed),
        error_message=outcome.error,
        details={
            "job_id": run.job_id,
            "action": outcome.action.value,
            "sku": work.sku,
            "external_id": outcome.ref.external_id if outcome.ref else None,
            "adopted": outcome.adopted,
            "quantity": work.payload.quantity,
            "price_cents": work.payload.price.cents,
        },
        started_at=now,
        completed_at=now,
    )
