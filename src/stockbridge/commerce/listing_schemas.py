"""Validated input for listings: their master content, and the bulk actions on them.

Shared by the API and any other caller of ``commerce/listings``; unknown fields are
refused. Answers are shaped in ``api/schemas/listings.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AnyHttpUrl, Field, StringConstraints, field_validator, model_validator

from stockbridge.db.models import Condition, ListingStatus
from stockbridge.money import validate_currency
from stockbridge.pos.schemas import Cents, InputModel, RowId

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[str, StringConstraints(max_length=100_000)]
Slug = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"
    ),
]
MetaDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)]
ImageUrl = Annotated[AnyHttpUrl, Field(max_length=2000)]
MAX_IMAGES = 24
MAX_BULK = 500


class ListingContent(InputModel):
    """Master content; every marketplace publication is made from it."""

    title: Title | None = None
    description: Description | None = None
    price_cents: Cents | None = Field(None, description="Null: the product code's price.")
    currency: str | None = Field(None, min_length=3, max_length=3)
    seo_slug: Slug | None = Field(None, description="Lower-case words joined by hyphens.")
    meta_description: MetaDescription | None = None
    primary_image_url: ImageUrl | None = None
    image_urls: list[ImageUrl] | None = Field(None, max_length=MAX_IMAGES)
    category_mapping: dict[str, Any] | None = Field(
        None, description='Marketplace categories, e.g. {"ebay": "112529"}.'
    )
    attributes: dict[str, Any] | None = Field(None, description="Item specifics.")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return validate_currency(value) if value is not None else None

    def stored_values(self) -> dict[str, Any]:
        """The fields given, as the columns store them (URLs as strings)."""
        values = self.model_dump(mode="json", exclude_unset=True)
        values.pop("status", None)
        return values


class ListingCreate(ListingContent):
    product_code_id: RowId
    condition: Condition = Condition.NEW


class ListingUpdate(ListingContent):
    """Only the fields given change."""

    status: ListingStatus | None = None


class BulkActionKind(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    SYNC = "sync"
    UPDATE = "update"


class BulkChanges(InputModel):
    title: Title | None = None
    description: Description | None = None
    price_cents: Cents | None = None
    status: ListingStatus | None = None


class ListingBulk(InputModel):
    action: BulkActionKind
    listing_ids: list[RowId] = Field(min_length=1, max_length=MAX_BULK)
    channel_id: RowId | None = Field(None, description="For publish, unpublish and sync.")
    changes: BulkChanges | None = Field(None, description="For update: the fields to set.")

    @model_validator(mode="after")
    def _needs_its_arguments(self) -> ListingBulk:
        if self.action is BulkActionKind.UPDATE:
            if self.changes is None or not self.changes.model_fields_set:
                raise ValueError("the update action needs 'changes'")
        elif self.channel_id is None:
            raise ValueError(f"the {self.action.value} action needs 'channel_id'")
        return self


class ListingSync(InputModel):
    channel_id: RowId
    listing_ids: list[RowId] = Field(min_length=1, max_length=MAX_BULK)
