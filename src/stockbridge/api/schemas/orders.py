"""Answers and filters of store orders (POS sales and shipped marketplace orders)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from stockbridge.api.schemas.common import PagePublic, PageQuery, PublicModel
from stockbridge.db.models import (
    OrderSource,
    PaymentKind,
    PaymentMethod,
    StoreOrderStatus,
)
from stockbridge.pos.schemas import RowId


class OrderItemPublic(PublicModel):
    id: int
    product_code_id: int
    version_id: int
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    tax_cents: int
    discount_cents: int
    total_cents: int


class PaymentPublic(PublicModel):
    id: int
    kind: PaymentKind
    method: PaymentMethod
    amount_cents: int
    currency: str
    reference: str | None
    created_at: datetime


class OrderPublic(PublicModel):
    id: int
    number: str = Field(description="POS sales: POS- and the zero-padded id.")
    source: OrderSource
    status: StoreOrderStatus
    branch_id: int | None
    customer_name: str | None
    customer_email: str | None
    subtotal_cents: int
    tax_cents: int
    shipping_cents: int
    discount_cents: int
    total_cents: int
    currency: str
    note: str | None
    actor: str
    created_at: datetime
    items: list[OrderItemPublic]
    payments: list[PaymentPublic]


class OrdersPublic(PagePublic[OrderPublic]):
    pass


class OrderQuery(PageQuery):
    source: OrderSource | None = None
    status: StoreOrderStatus | None = None
    branch_id: RowId | None = None
