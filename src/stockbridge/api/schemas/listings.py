"""Answers of ``/api/ecom/listings`` (the input shapes are in ``commerce/listing_schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stockbridge.api.schemas.common import PagePublic, PageQuery
from stockbridge.commerce.listings import BulkResult, ListingView
from stockbridge.db.models import (
    Condition,
    EcomListingChannel,
    ListingStatus,
    PublicationStatus,
    SyncState,
)
from stockbridge.pos.schemas import RowId


class ListingProductPublic(BaseModel):
    id: int
    sku: str
    name: str
    stock_available: int = Field(description="On hand minus reserved, in the listing's condition.")


class PublicationPublic(BaseModel):
    channel_id: int
    channel_name: str
    provider: str
    status: PublicationStatus
    sync_state: SyncState
    dirty: bool = Field(description="Changed since the last push.")
    external_id: str | None
    external_sku: str | None
    external_refs: dict[str, Any]
    last_error: str | None
    last_synced_at: datetime | None

    @classmethod
    def of(cls, publication: EcomListingChannel, view: ListingView) -> PublicationPublic:
        channel = view.channels.get(publication.channel_id)
        return cls(
            channel_id=publication.channel_id,
            channel_name=channel.name if channel else "",
            provider=channel.provider if channel else "",
            status=publication.status,
            sync_state=publication.sync_state,
            dirty=publication.is_dirty,
            external_id=publication.external_id,
            external_sku=publication.external_sku,
            external_refs=publication.external_refs,
            last_error=publication.last_error,
            last_synced_at=publication.last_synced_at,
        )


class ListingPublic(BaseModel):
    id: int
    product_code: ListingProductPublic
    condition: Condition
    status: ListingStatus
    title: str
    description: str
    price_cents: int | None
    currency: str | None
    seo_slug: str | None
    meta_description: str | None
    primary_image_url: str | None
    image_urls: list[str]
    category_mapping: dict[str, Any]
    attributes: dict[str, Any]
    publications: list[PublicationPublic]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ListingView) -> ListingPublic:
        listing = view.listing
        return cls(
            id=listing.id,
            product_code=ListingProductPublic(
                id=view.product.id,
                sku=view.product.sku,
                name=view.product.name,
                stock_available=view.stock_available,
            ),
            condition=listing.condition,
            status=listing.status,
            title=listing.title,
            description=listing.description,
            price_cents=listing.price_cents,
            currency=listing.currency,
            seo_slug=listing.seo_slug,
            meta_description=listing.meta_description,
            primary_image_url=listing.primary_image_url,
            image_urls=listing.image_urls,
            category_mapping=listing.category_mapping,
            attributes=listing.attributes,
            publications=[
                PublicationPublic.of(p, view)
                for p in sorted(listing.publications, key=lambda p: p.channel_id)
            ],
            created_at=listing.created_at,
            updated_at=listing.updated_at,
        )


class ListingsPublic(PagePublic[ListingPublic]):
    pass


class ListingQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Part of the title or the SKU.")
    status: ListingStatus | None = None
    channel_id: RowId | None = Field(None, description="Only listings published on it.")
    sync_state: SyncState | None = Field(
        None, description="Only listings with a publication in this state (on `channel_id`)."
    )


class BulkOutcomePublic(BaseModel):
    listing_id: int
    ok: bool
    status: int = Field(description="The HTTP status this listing alone would have had.")
    error: str | None


class BulkResultPublic(BaseModel):
    results: list[BulkOutcomePublic]
    succeeded: int
    failed: int
    job_id: int | None = Field(description="The sync job queued for the listings that succeeded.")

    @classmethod
    def of(cls, result: BulkResult) -> BulkResultPublic:
        outcomes = [
            BulkOutcomePublic(listing_id=o.listing_id, ok=o.ok, status=o.status, error=o.error)
            for o in result.results
        ]
        ok = sum(1 for o in outcomes if o.ok)
        return cls(
            results=outcomes,
            succeeded=ok,
            failed=len(outcomes) - ok,
            job_id=result.job.id if result.job else None,
        )


class SyncRequestedPublic(BaseModel):
    job_id: int
    listing_ids: list[int]


class HistoryQuery(PageQuery):
    pass
