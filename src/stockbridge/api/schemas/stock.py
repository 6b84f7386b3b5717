"""Stock movements as the API takes them: receive, count (adjust), transfer, write off."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from stockbridge.api.schemas.catalog import VersionPublic
from stockbridge.db.models import Condition
from stockbridge.pos.schemas import Count, InputModel, Quantity, RowId, Sku

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class StockReceive(InputModel):
    product_code_id: RowId | None = Field(None, description="The product code, or give sku.")
    sku: Sku | None = Field(None, description="The product code's SKU, or give product_code_id.")
    branch_id: RowId
    condition: Condition = Condition.NEW
    quantity: Quantity
    note: Note | None = None

    @model_validator(mode="after")
    def _one_product_reference(self) -> StockReceive:
        if (self.product_code_id is None) == (self.sku is None):
            raise ValueError("give exactly one of product_code_id and sku")
        return self


class StockAdjust(InputModel):
    version_id: RowId
    counted: Annotated[Count, Field(description="Units counted on the shelf.")]
    reason: Reason


class StockTransfer(InputModel):
    version_id: RowId = Field(description="The version stock leaves.")
    to_branch_id: RowId
    quantity: Quantity


class StockWriteOff(InputModel):
    version_id: RowId
    quantity: Quantity
    reason: Reason


class TransferPublic(BaseModel):
    source: VersionPublic
    target: VersionPublic = Field(description="Same product and condition, destination branch.")
