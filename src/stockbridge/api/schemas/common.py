"""Shapes every resource shares: ids in paths, pagination parameters, the paginated answer."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from stockbridge.pos.schemas import MAX_ROW_ID

ItemT = TypeVar("ItemT")

MAX_PER_PAGE = 200
# Far beyond any real list, and keeps OFFSET inside a 64-bit integer.
MAX_PAGE = 1_000_000


class PublicModel(BaseModel):
    """An answer read from ORM objects or service data classes by attribute."""

    model_config = ConfigDict(from_attributes=True)


class PagePublic(PublicModel, Generic[ItemT]):
    items: list[ItemT]
    total: int = Field(description="How many items match the filters, on all pages.")
    page: int
    per_page: int


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number.")
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE, description="Items per page.")


PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Numeric id.")]
