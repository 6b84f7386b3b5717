"""``/api/ecom/listings``: master content, publications per channel, bulk actions, sync."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import JobQueueDep, SessionDep, WriterPrincipal
from stockbridge.api.problems import problem_responses
from stockbridge.api.schemas.channel_logs import ChannelLogPublic, ChannelLogsPublic
from stockbridge.api.schemas.common import PathId
from stockbridge.api.schemas.conflicts import ConflictPublic, ConflictResolve
from stockbridge.api.schemas.listings import (
    BulkResultPublic,
    HistoryQuery,
    ListingPublic,
    ListingQuery,
    ListingsPublic,
    SyncRequestedPublic,
)
from stockbridge.commerce import conflicts, listings
from stockbridge.commerce.listing_schemas import (
    ListingBulk,
    ListingCreate,
    ListingSync,
    ListingUpdate,
)
from stockbridge.commerce.listings import ListingFilter

router = APIRouter(prefix="/listings", tags=["listings"])


@router.get(
    "",
    summary="List listings",
    description="By id; search `q` in title and SKU; filter on status, channel and the "
    "sync state of a publication. Each with its product code, stock and publications.",
)
def list_listings(session: SessionDep, query: Annotated[ListingQuery, Query()]) -> ListingsPublic:
    filters = ListingFilter(
        q=query.q, status=query.status, channel_id=query.channel_id, sync_state=query.sync_state
    )
    page = listings.search_listings(session, filters, page=query.page, per_page=query.per_page)
    return ListingsPublic(
        items=[ListingPublic.of(view) for view in listings.listing_views(session, page.items)],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )


@router.post(
    "",
    status_code=201,
    summary="Create a listing",
    description="For an existing product code (422 otherwise), as a `draft`. One listing "
    "per product code and condition (409 if it exists). Title and description default "
    "to the product code's.",
    responses=problem_responses(409),
)
def create_listing(session: SessionDep, _: WriterPrincipal, body: ListingCreate) -> ListingPublic:
    listing = listings.create_listing(session, body)
    return ListingPublic.of(listings.listing_view(session, listing))


@router.post(
    "/bulk",
    summary="Act on many listings",
    description="`publish`, `unpublish` or `sync` on `channel_id`, or `update` with "
    "`changes`. Every listing gets its own result; one that fails never blocks the rest. "
    "A sync job is queued for the listings that succeeded (not for `update`).",
    responses=problem_responses(422),
)
def bulk(
    session: SessionDep, queue: JobQueueDep, _: WriterPrincipal, body: ListingBulk
) -> BulkResultPublic:
    return BulkResultPublic.of(listings.bulk(session, queue, body))


@router.post(
    "/sync",
    status_code=202,
    summary="Sync listings to a channel",
    description="Marks the listings' publications on the channel for a push and queues "
    "a sync job; answers its id (follow it at `/api/ecom/sync/jobs/{id}`).",
    responses=problem_responses(422),
)
def sync_listings(
    session: SessionDep, queue: JobQueueDep, _: WriterPrincipal, body: ListingSync
) -> SyncRequestedPublic:
    job = listings.request_sync(session, queue, body.channel_id, body.listing_ids)
    return SyncRequestedPublic(job_id=job.id, listing_ids=job.payload["listing_ids"])


@router.get("/{listing_id}", summary="Get a listing", responses=problem_responses(404))
def get_listing(session: SessionDep, listing_id: PathId) -> ListingPublic:
    return ListingPublic.of(
        listings.listing_view(session, listings.get_listing(session, listing_id))
    )


@router.patch(
    "/{listing_id}",
    summary="Change a listing",
    description="Only the fields given change; a change marks its publications for a push.",
    responses=problem_responses(404),
)
def update_listing(
    session: SessionDep, _: WriterPrincipal, listing_id: PathId, body: ListingUpdate
) -> ListingPublic:
    listing = listings.update_listing(session, listing_id, body)
    return ListingPublic.of(listings.listing_view(session, listing))


@router.delete(
    "/{listing_id}",
    status_code=204,
    summary="Delete a listing",
    description="Refused (409) while it is published, or being published, on any channel.",
    responses=problem_responses(404, 409),
)
def delete_listing(session: SessionDep, _: WriterPrincipal, listing_id: PathId) -> None:
    listings.delete_listing(session, listing_id)


@router.get(
    "/{listing_id}/history",
    summary="A listing's history",
    description="The channel log entries about it, newest first.",
    responses=problem_responses(404),
)
def listing_history(
    session: SessionDep, listing_id: PathId, query: Annotated[HistoryQuery, Query()]
) -> ChannelLogsPublic:
    page = listings.listing_history(session, listing_id, page=query.page, per_page=query.per_page)
    return ChannelLogsPublic(
        items=[ChannelLogPublic.model_validate(row) for row in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )


@router.post(
    "/{listing_id}/resolve-conflict",
    summary="Resolve a listing's open conflict",
    description="Decides the open `quantity` or `price` conflict of the listing on "
    "`channel_id` by keeping the `store`'s value (pushed again after commit) or the "
    "`marketplace`'s, the one the conflict recorded last (`marketplace_value`, seen at "
    "`detected_at`: a price becomes the publication's override price; a quantity is "
    "left on the marketplace until the store's offer changes). Answers the resolved "
    "conflict; 404 if the listing is not on the channel, 409 if nothing is open.",
    responses=problem_responses(404, 409),
)
def resolve_conflict(
    session: SessionDep, _: WriterPrincipal, listing_id: PathId, body: ConflictResolve
) -> ConflictPublic:
    conflict = conflicts.resolve_conflict(
        session,
        listing_id=listing_id,
        channel_id=body.channel_id,
        field=body.field,
        keep=body.keep,
    )
    return ConflictPublic.model_validate(conflict)
