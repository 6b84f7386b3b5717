"""Listings: master content per product code and condition, and their publications.

A publication (``ecom_listing_channels``) says what the shop wants on one channel and
whether the marketplace matches it yet: ``status`` is the wish (``pending`` = to be
published, ``unpublished`` = to be ended) or the confirmed state, ``sync_state`` is
``pending`` while a push job still has to act, and the dirty marker (``dirty_seq``)
tells the push job which rows to send. Nothing here calls a marketplace: publishing,
unpublishing and syncing write those rows, and the push jobs written for each channel
do the calls.

The caller owns the transaction. Bulk actions run each listing in a savepoint, so one
bad listing is reported and rolled back alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from stockbridge.commerce.listing_schemas import (
    BulkActionKind,
    ListingBulk,
    ListingCreate,
    ListingUpdate,
)
from stockbridge.db.models import (
    EcomChannel,
    EcomChannelLog,
    EcomListing,
    EcomListingChannel,
    JobKind,
    ListingStatus,
    ProductCode,
    ProductCodeVersion,
    PublicationStatus,
    SyncJob,
    SyncState,
)
from stockbridge.db.search import contains_text
from stockbridge.db.types import utcnow
from stockbridge.errors import Conflict, InvalidInput, NotFound, StockbridgeError
from stockbridge.pos.catalog import Page, paginate
from stockbridge.sync.jobs import Waker, enqueue_job


@dataclass(frozen=True)
class ListingFilter:
    q: str | None = None
    status: ListingStatus | None = None
    channel_id: int | None = None
    sync_state: SyncState | None = None


@dataclass(frozen=True)
class ListingView:
    """A listing with what its answer shows besides its own columns."""

    listing: EcomListing
    product: ProductCode
    stock_available: int
    channels: dict[int, EcomChannel]


@dataclass
class BulkOutcome:
    listing_id: int
    ok: bool
    status: int = 200
    error: str | None = None


@dataclass
class BulkResult:
    results: list[BulkOutcome] = field(default_factory=list)
    job: SyncJob | None = None


# --- reading -------------------------------------------------------------------------


def get_listing(session: Session, listing_id: int) -> EcomListing:
    listing = session.get(EcomListing, listing_id)
    if listing is None:
        raise NotFound(f"listing {listing_id} does not exist", listing_id=listing_id)
    return listing


def search_listings(
    session: Session, filters: ListingFilter, *, page: int, per_page: int
) -> Page[EcomListing]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        conditions.append(contains_text(filters.q, EcomListing.title, ProductCode.sku))
    if filters.status is not None:
        conditions.append(EcomListing.status == filters.status)
    if filters.channel_id is not None or filters.sync_state is not None:
        published = select(EcomListingChannel.id).where(
            EcomListingChannel.listing_id == EcomListing.id
        )
        if filters.channel_id is not None:
            published = published.where(EcomListingChannel.channel_id == filters.channel_id)
        if filters.sync_state is not None:
            published = published.where(EcomListingChannel.sync_state == filters.sync_state)
        conditions.append(exists(published))
    query = (
        select(EcomListing)
        .join(ProductCode, ProductCode.id == EcomListing.product_code_id)
        .where(*conditions)
        .options(selectinload(EcomListing.publications))
        .order_by(EcomListing.id)
    )
    return paginate(session, query, page=page, per_page=per_page)


def listing_views(session: Session, listings: Sequence[EcomListing]) -> list[ListingView]:
    """Product code, stock available in the listing's condition, and channel of each."""
    if not listings:
        return []
    product_ids = {listing.product_code_id for listing in listings}
    products = {
        product.id: product
        for product in session.scalars(select(ProductCode).where(ProductCode.id.in_(product_ids)))
    }
    stock_rows = session.execute(
        select(
            ProductCodeVersion.product_code_id,
            ProductCodeVersion.condition,
            func.sum(ProductCodeVersion.qty_on_hand - ProductCodeVersion.qty_reserved),
        )
        .where(ProductCodeVersion.product_code_id.in_(product_ids))
        .group_by(ProductCodeVersion.product_code_id, ProductCodeVersion.condition)
    ).all()
    stock = {(product_id, condition): int(qty or 0) for product_id, condition, qty in stock_rows}
    channel_ids = {p.channel_id for listing in listings for p in listing.publications}
    channels = {
        channel.id: channel
        for channel in session.scalars(select(EcomChannel).where(EcomChannel.id.in_(channel_ids)))
    }
    return [
        ListingView(
            listing=listing,
            product=products[listing.product_code_id],
            stock_available=stock.get((listing.product_code_id, listing.condition), 0),
            channels=channels,
        )
        for listing in listings
    ]


def listing_view(session: Session, listing: EcomListing) -> ListingView:
    session.flush()
    session.refresh(listing, ["publications"])
    return listing_views(session, [listing])[0]


def listing_history(
    session: Session, listing_id: int, *, page: int, per_page: int
) -> Page[EcomChannelLog]:
    get_listing(session, listing_id)
    query = (
        select(EcomChannelLog)
        .where(EcomChannelLog.listing_id == listing_id)
        .order_by(EcomChannelLog.started_at.desc(), EcomChannelLog.id.desc())
    )
    return paginate(session, query, page=page, per_page=per_page)


# --- master content ------------------------------------------------------------------


def create_listing(session: Session, data: ListingCreate) -> EcomListing:
    product = session.get(ProductCode, data.product_code_id)
    if product is None:
        raise InvalidInput(
            f"product_code_id: product code {data.product_code_id} does not exist",
            field="product_code_id",
        )
    taken = session.scalar(
        select(EcomListing.id).where(
            EcomListing.product_code_id == product.id, EcomListing.condition == data.condition
        )
    )
    if taken is not None:
        raise Conflict(
            f"product code {product.sku} already has a listing in condition "
            f"{data.condition.value!r} (listing {taken})",
            listing_id=taken,
        )
    values = data.stored_values()
    values.pop("product_code_id", None)
    values.pop("condition", None)
    listing = EcomListing(
        product_code_id=product.id,
        condition=data.condition,
        status=ListingStatus.DRAFT,
        **{
            "title": product.name,
            "description": product.description,
            "image_urls": [],
            "category_mapping": {},
            "attributes": {},
            **{key: value for key, value in values.items() if value is not None},
        },
    )
    session.add(listing)
    session.flush()
    return listing


NOT_NULL = ("title", "description", "image_urls", "category_mapping", "attributes")


def update_listing(session: Session, listing_id: int, data: ListingUpdate) -> EcomListing:
    listing = get_listing(session, listing_id)
    values = data.stored_values()
    if data.status is not None:
        values["status"] = data.status
    _apply(session, listing, values)
    return listing


def _apply(session: Session, listing: EcomListing, values: dict[str, Any]) -> None:
    for name in NOT_NULL:
        if name in values and values[name] is None:
            raise InvalidInput(f"{name}: may not be null", field=name)
    changed = False
    for name, value in values.items():
        if getattr(listing, name) != value:
            setattr(listing, name, value)
            changed = True
    if changed:
        session.flush()
        _mark_dirty(session, listing.id, channel_id=None)


def delete_listing(session: Session, listing_id: int) -> None:
    """Refused while any marketplace may still show it: published, being published, or
    unpublished but not yet ended there by a push."""
    listing = get_listing(session, listing_id)
    live = sorted(
        p.channel_id
        for p in listing.publications
        if p.status != PublicationStatus.UNPUBLISHED or p.is_dirty
    )
    if live:
        raise Conflict(
            f"listing {listing_id} is published, or not yet ended, on channel "
            f"{', '.join(map(str, live))}: unpublish it and let the sync finish first",
            channel_ids=live,
        )
    for publication in listing.publications:
        session.delete(publication)
    session.delete(listing)
    session.flush()


# --- publications --------------------------------------------------------------------


def _live_channel(session: Session, channel_id: int) -> EcomChannel:
    channel = session.get(EcomChannel, channel_id)
    if channel is None or channel.deleted_at is not None:
        raise InvalidInput(f"channel_id: channel {channel_id} does not exist", field="channel_id")
    return channel


def _publication(session: Session, listing_id: int, channel_id: int) -> EcomListingChannel | None:
    return session.scalars(
        select(EcomListingChannel).where(
            EcomListingChannel.listing_id == listing_id,
            EcomListingChannel.channel_id == channel_id,
        )
    ).one_or_none()


def _mark_dirty(session: Session, listing_id: int, *, channel_id: int | None) -> None:
    """The listing's publications (on one channel, or all) need a push."""
    now = utcnow()
    statement = update(EcomListingChannel).where(EcomListingChannel.listing_id == listing_id)
    if channel_id is not None:
        statement = statement.where(EcomListingChannel.channel_id == channel_id)
    session.execute(
        statement.values(
            dirty_seq=EcomListingChannel.dirty_seq + 1,
            dirty_at=func.coalesce(EcomListingChannel.dirty_at, now),
            sync_state=SyncState.PENDING,
            updated_at=now,
        ).execution_options(synchronize_session=False)
    )
    session.expire_all()


def publish(session: Session, listing_id: int, channel_id: int) -> EcomListingChannel:
    listing = get_listing(session, listing_id)
    _live_channel(session, channel_id)
    if listing.status is ListingStatus.ARCHIVED:
        raise Conflict(f"listing {listing_id} is archived: set its status first")
    publication = _publication(session, listing_id, channel_id)
    if publication is None:
        publication = EcomListingChannel(
            listing_id=listing_id,
            channel_id=channel_id,
            status=PublicationStatus.PENDING,
            sync_state=SyncState.PENDING,
        )
        session.add(publication)
    elif publication.status is not PublicationStatus.PUBLISHED:
        publication.status = PublicationStatus.PENDING
    if listing.status is ListingStatus.DRAFT:
        listing.status = ListingStatus.ACTIVE
    session.flush()
    _mark_dirty(session, listing_id, channel_id=channel_id)
    return _publication(session, listing_id, channel_id) or publication


def unpublish(session: Session, listing_id: int, channel_id: int) -> EcomListingChannel:
    get_listing(session, listing_id)
    publication = _publication(session, listing_id, channel_id)
    if publication is None:
        raise Conflict(f"listing {listing_id} is not published on channel {channel_id}")
    publication.status = PublicationStatus.UNPUBLISHED
    session.flush()
    _mark_dirty(session, listing_id, channel_id=channel_id)
    return publication


def _mark_for_sync(session: Session, listing_id: int, channel_id: int) -> None:
    get_listing(session, listing_id)
    if _publication(session, listing_id, channel_id) is None:
        raise Conflict(f"listing {listing_id} is not published on channel {channel_id}")
    _mark_dirty(session, listing_id, channel_id=channel_id)


def request_sync(
    session: Session, waker: Waker, channel_id: int, listing_ids: Sequence[int]
) -> SyncJob:
    """Mark the listings' publications on the channel dirty and queue a listings job."""
    _live_channel(session, channel_id)
    ids = sorted(set(listing_ids))
    for listing_id in ids:
        try:
            _mark_for_sync(session, listing_id, channel_id)
        except StockbridgeError as error:
            raise InvalidInput(f"listing_ids: {error.detail}", field="listing_ids") from None
    return _listings_job(session, waker, channel_id, ids)


def _listings_job(
    session: Session, waker: Waker, channel_id: int, listing_ids: list[int]
) -> SyncJob:
    return enqueue_job(
        session,
        waker,
        kind=JobKind.LISTINGS,
        channel_id=channel_id,
        payload={"listing_ids": listing_ids},
        total=len(listing_ids),
    )


# --- bulk ----------------------------------------------------------------------------


def bulk(session: Session, waker: Waker, request: ListingBulk) -> BulkResult:
    """Apply one action to many listings; each succeeds or fails on its own."""
    if request.channel_id is not None:
        _live_channel(session, request.channel_id)
    result = BulkResult()
    for listing_id in dict.fromkeys(request.listing_ids):
        savepoint = session.begin_nested()
        try:
            _bulk_one(session, request, listing_id)
            savepoint.commit()
            result.results.append(BulkOutcome(listing_id, ok=True))
        except StockbridgeError as error:
            savepoint.rollback()
            result.results.append(
                BulkOutcome(listing_id, ok=False, status=error.status, error=error.detail)
            )
    synced = [outcome.listing_id for outcome in result.results if outcome.ok]
    if synced and request.channel_id is not None and request.action is not BulkActionKind.UPDATE:
        result.job = _listings_job(session, waker, request.channel_id, synced)
    return result


def _bulk_one(session: Session, request: ListingBulk, listing_id: int) -> None:
    if request.action is BulkActionKind.UPDATE:
        assert request.changes is not None
        values = request.changes.model_dump(mode="json", exclude_unset=True)
        _apply(session, get_listing(session, listing_id), values)
        return
    assert request.channel_id is not None
    if request.action is BulkActionKind.PUBLISH:
        publish(session, listing_id, request.channel_id)
    elif request.action is BulkActionKind.UNPUBLISH:
        unpublish(session, listing_id, request.channel_id)
    else:
        _mark_for_sync(session, listing_id, request.channel_id)
