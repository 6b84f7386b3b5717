"""Answers about branches, product codes and their versions (stock per branch and condition)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import Condition
from stockbridge.pos.schemas import RowId


class BranchPublic(PublicModel):
    id: int
    code: str
    name: str
    address: dict[str, Any]
    active: bool
    created_at: datetime
    updated_at: datetime


class BranchesPublic(PagePublic[BranchPublic]):
    pass


class BranchQuery(PageQuery):
    active: bool | None = Field(None, description="Only active (true) or inactive (false).")


class VersionPublic(PublicModel):
    """Stock of one product code in one branch and condition."""

    id: int
    product_code_id: int
    branch_id: int
    condition: Condition
    qty_on_hand: int
    qty_reserved: int = Field(description="Held for orders not yet shipped.")
    qty_available: int = Field(description="qty_on_hand - qty_reserved: what may be sold.")
    price_cents: int | None = Field(description="Price override; null = the product's price.")
    cost_cents: int | None
    created_at: datetime
    updated_at: datetime


class ProductCodePublic(PublicModel):
    id: int
    sku: str
    name: str
    description: str
    brand: str | None
    category: str | None
    barcode: str | None
    attributes: dict[str, Any]
    price_cents: int
    currency: str
    weight_grams: int | None
    active: bool
    created_at: datetime
    updated_at: datetime
    versions: list[VersionPublic] = Field(description="Stock per branch and condition.")


class ProductCodesPublic(PagePublic[ProductCodePublic]):
    pass


class ProductCodeQuery(PageQuery):
    q: str | None = Field(
        None, max_length=200, description="Part of the SKU, name, barcode or brand."
    )
    brand: str | None = Field(None, max_length=120)
    category: str | None = Field(None, max_length=200)
    active: bool | None = None
    branch_id: RowId | None = Field(
        None, description="Only products with a version in this branch."
    )
    in_stock: bool | None = Field(
        None, description="true: something available (in branch_id if given); false: nothing."
    )
