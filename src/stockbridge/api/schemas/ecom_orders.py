"""Answers and filters of imported marketplace orders (not the store's own orders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import (
    FulfillmentStatus,
    OrderEventKind,
    OrderStatus,
    PaymentStatus,
)
from stockbridge.pos.schemas import RowId


class EcomOrderItemPublic(PublicModel):
    """One line, with where its stock is reserved."""

    id: int
    external_item_id: str | None
    sku: str | None
    title: str
    product_code_id: int | None = Field(description="null: no product in the store matches.")
    quantity: int
    unit_price_cents: int
    tax_cents: int
    discount_cents: int
    total_cents: int = Field(description="Unit price times quantity, less discount, before tax.")
    allocated_branch_id: int | None = Field(description="The branch the stock is held in.")
    allocated_version_id: int | None = Field(description="The version the stock is held on.")
    quantity_allocated: int = Field(
        description="Units reserved for this line (0 after a cancellation released them)."
    )
    quantity_shipped: int
    quantity_returned: int


class EcomOrderEventPublic(PublicModel):
    id: int
    kind: OrderEventKind
    from_status: OrderStatus | None
    to_status: OrderStatus | None
    message: str | None
    actor: str
    created_at: datetime


class EcomOrderSummary(PublicModel):
    id: int
    channel_id: int
    external_id: str = Field(description="The marketplace's order id.")
    external_number: str | None = Field(description="The order number the buyer sees.")
    status: OrderStatus
    attention_reason: str | None = Field(
        description="Why the order needs attention (unknown SKU, oversold, changed lines)."
    )
    payment_status: PaymentStatus
    fulfillment_status: FulfillmentStatus
    customer_name: str | None
    customer_email: str | None
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    subtotal_cents: int
    tax_cents: int
    shipping_cents: int
    discount_cents: int
    total_cents: int
    currency: str
    tracking_number: str | None
    shipping_carrier: str | None
    placed_at: datetime | None
    marketplace_updated_at: datetime | None = Field(
        description="The marketplace's last change that was imported; older payloads are ignored."
    )
    created_at: datetime
    updated_at: datetime
    items: list[EcomOrderItemPublic]


class EcomOrderPublic(EcomOrderSummary):
    events: list[EcomOrderEventPublic] = Field(
        description="Status history and notes, oldest first."
    )


class EcomOrdersPublic(PagePublic[EcomOrderSummary]):
    pass


class EcomOrderQuery(PageQuery):
    channel_id: RowId | None = None
    status: OrderStatus | None = None
    placed_since: AwareDatetime | None = Field(
        None, description="Placed at or after; inclusive, ISO 8601 with offset."
    )
    placed_until: AwareDatetime | None = Field(
        None, description="Placed before; exclusive, ISO 8601 with offset."
    )


class OrderImportRequest(BaseModel):
    """A backfill: the channel's orders last changed from ``since`` to ``until``."""

    model_config = ConfigDict(extra="forbid")

    channel_id: RowId
    since: AwareDatetime = Field(description="ISO 8601 with offset; inclusive.")
    until: AwareDatetime | None = Field(
        None, description="ISO 8601 with offset; inclusive. Default: up to now."
    )
    statuses: list[str] = Field(
        default_factory=list,
        description="Only orders in these marketplace states: `unfulfilled`, "
        "`partially_fulfilled`, `fulfilled`, `cancelled`. Default: all.",
        max_length=4,
    )


class OrderImportQueued(BaseModel):
    job_id: int = Field(description="Follow it at `/api/ecom/sync/jobs/{job_id}`.")
