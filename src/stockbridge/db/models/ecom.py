"""Marketplace tables: channels and the branches they sell from, listings and their per-channel
publications, imported marketplace orders with items and events, returns, channel logs and
webhook deliveries.

Money is integer minor units plus an ISO 4217 currency; external ids are strings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stockbridge.db.models.base import Base, Timestamped
from stockbridge.db.types import (
    BigId,
    JsonDoc,
    UTCDateTime,
    json_default_dict,
    json_default_list,
    str_enum,
    utcnow,
)
from stockbridge.statuses import Condition, FulfillmentStatus, PaymentStatus, ReturnStatus


class ChannelStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    AUTH_REQUIRED = "auth_required"
    ERROR = "error"


class ListingStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    INACTIVE = "inactive"
    ARCHIVED = "archived"


class PublicationStatus(StrEnum):
    """Where a listing stands on one marketplace."""

    PENDING = "pending"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    ERROR = "error"


class SyncState(StrEnum):
    IN_SYNC = "in_sync"
    PENDING = "pending"
    SYNCING = "syncing"
    ERROR = "error"
    CONFLICT = "conflict"


class OrderStatus(StrEnum):
    PENDING = "pending"
    NEEDS_ATTENTION = "needs_attention"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class OrderEventKind(StrEnum):
    STATUS_CHANGE = "status_change"
    NOTE = "note"
    ALLOCATION = "allocation"
    MARKETPLACE_UPDATE = "marketplace_update"


class RefundMethod(StrEnum):
    ORIGINAL_PAYMENT = "original_payment"
    STORE_CREDIT = "store_credit"
    NONE = "none"


class ReturnItemCondition(StrEnum):
    SELLABLE = "sellable"
    DAMAGED = "damaged"
    NOT_RESTOCKABLE = "not_restockable"


class ChannelOperation(StrEnum):
    CONNECT = "connect"
    TEST_CONNECTION = "test_connection"
    TOKEN_REFRESH = "token_refresh"
    LISTING_SYNC = "listing_sync"
    INVENTORY_PUSH = "inventory_push"
    PRICE_PUSH = "price_push"
    RECONCILE = "reconcile"
    ORDER_IMPORT = "order_import"
    ORDER_POLL = "order_poll"
    FULFIL = "fulfil"
    CANCEL = "cancel"
    REFUND = "refund"
    RETURN_SYNC = "return_sync"
    WEBHOOK_REGISTER = "webhook_register"


class LogLevel(StrEnum):
    """How much a channel log row needs a person's attention (filters the channel logs)."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def statuses(self) -> frozenset[ChannelLogStatus]:
        return frozenset(status for status in ChannelLogStatus if status.level is self)


class ChannelLogStatus(StrEnum):
    STARTED = "started"
    SUCCESS = "success"
    PARTIAL = "partial"  # done, but some records failed
    FAILED = "failed"
    RETRYING = "retrying"  # a job run that failed and will be tried again
    AUTH_REQUIRED = "auth_required"  # refused for its credentials; waits for a reconnect
    DEAD = "dead"  # a job that used up its attempts (a dead letter)
    CANCELLED = "cancelled"

    @property
    def level(self) -> LogLevel:
        return _LOG_LEVELS.get(self, LogLevel.ERROR)


_LOG_LEVELS = {
    ChannelLogStatus.STARTED: LogLevel.INFO,
    ChannelLogStatus.SUCCESS: LogLevel.INFO,
    ChannelLogStatus.PARTIAL: LogLevel.WARNING,
    ChannelLogStatus.RETRYING: LogLevel.WARNING,
    ChannelLogStatus.CANCELLED: LogLevel.WARNING,
}


class WebhookStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    REJECTED = "rejected"
    IGNORED = "ignored"


class EcomChannel(Timestamped, Base):
    """One connected marketplace account (an eBay seller, a Shopify shop)."""

    __tablename__ = "ecom_channels"
    __table_args__ = (
        CheckConstraint("safety_buffer >= 0", name="safety_buffer_not_negative"),
        CheckConstraint(
            "max_listed_qty IS NULL OR max_listed_qty >= 0", name="max_listed_not_negative"
        ),
        Index(None, "provider"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # A provider key from the channel registry (third-party providers are allowed).
    provider: Mapped[str] = mapped_column(String(40))
    status: Mapped[ChannelStatus] = mapped_column(str_enum(ChannelStatus))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    currency: Mapped[str] = mapped_column(String(3))
    config: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    safety_buffer: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    max_listed_qty: Mapped[int | None] = mapped_column(Integer)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the periodic order poll goes on from: the adapter's cursor after the last
    # page committed (sync/order_poll.py).
    orders_cursor: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    branches: Mapped[list[EcomChannelBranch]] = relationship(
        order_by="EcomChannelBranch.priority", cascade="all, delete-orphan"
    )


class EcomChannelBranch(Base):
    """A branch a channel may sell from; lower priority is preferred when allocating."""

    __tablename__ = "ecom_channel_branches"
    __table_args__ = (UniqueConstraint("channel_id", "priority"),)

    channel_id: Mapped[int] = mapped_column(
        ForeignKey("ecom_channels.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer)


class EcomListing(Timestamped, Base):
    """Master marketplace content for one product code; published per channel."""

    __tablename__ = "ecom_listings"
    __table_args__ = (
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_not_negative"),
        # One listing per product code and condition: two listings of the same stock on
        # one channel would each offer all of it, and the same units could sell twice.
        UniqueConstraint("product_code_id", "condition"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_code_id: Mapped[int] = mapped_column(ForeignKey("product_codes.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[Condition] = mapped_column(str_enum(Condition), default=Condition.NEW)
    # NULL: the product code's (or version's) price applies.
    price_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[ListingStatus] = mapped_column(str_enum(ListingStatus))
    seo_slug: Mapped[str | None] = mapped_column(String(200))
    meta_description: Mapped[str | None] = mapped_column(String(320))
    primary_image_url: Mapped[str | None] = mapped_column(String(2000))
    image_urls: Mapped[list[str]] = mapped_column(JsonDoc, default=json_default_list)
    category_mapping: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)

    publications: Mapped[list[EcomListingChannel]] = relationship(back_populates="listing")


class EcomListingChannel(Timestamped, Base):
    """A listing's publication on one channel.

    Dirty marker: any stock or price change bumps ``dirty_seq``; the push job remembers the
    value it read and afterwards sets ``synced_seq`` to it, so a change made during a push
    leaves the row dirty (``dirty_seq > synced_seq``) instead of being lost.
    """

    __tablename__ = "ecom_listing_channels"
    __table_args__ = (
        UniqueConstraint("listing_id", "channel_id"),
        Index(None, "channel_id", "external_id"),
        Index(None, "channel_id", "external_sku"),
        Index(None, "channel_id", "sync_state"),
        Index(
            "ix_ecom_listing_channels_dirty",
            "channel_id",
            "dirty_at",
            sqlite_where=text("dirty_seq > synced_seq"),
            postgresql_where=text("dirty_seq > synced_seq"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("ecom_listings.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("ecom_channels.id"))
    external_id: Mapped[str | None] = mapped_column(String(100))
    external_sku: Mapped[str | None] = mapped_column(String(100))
    # Provider-specific ids (offer id, variant id, inventory item id, ...).
    external_refs: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    overrides: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    status: Mapped[PublicationStatus] = mapped_column(str_enum(PublicationStatus))
    sync_state: Mapped[SyncState] = mapped_column(str_enum(SyncState))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_pushed_qty: Mapped[int | None] = mapped_column(Integer)
    last_pushed_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    dirty_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    synced_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    dirty_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    listing: Mapped[EcomListing] = relationship(back_populates="publications")

    @property
    def is_dirty(self) -> bool:
        return self.dirty_seq > self.synced_seq


class EcomOrder(Timestamped, Base):
    __tablename__ = "ecom_orders"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        Index(None, "status"),
        Index(None, "created_at"),
        Index(None, "channel_id", "marketplace_updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("ecom_channels.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    external_number: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus))
    payment_status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus))
    fulfillment_status: Mapped[FulfillmentStatus] = mapped_column(str_enum(FulfillmentStatus))
    attention_reason: Mapped[str | None] = mapped_column(Text)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    shipping_carrier: Mapped[str | None] = mapped_column(String(60))
    internal_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    marketplace_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    raw: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)

    items: Mapped[list[EcomOrderItem]] = relationship(
        back_populates="order", order_by="EcomOrderItem.id"
    )
    events: Mapped[list[EcomOrderEvent]] = relationship(order_by="EcomOrderEvent.id")


class EcomOrderItem(Base):
    """One line of a marketplace order, with the branch and version its stock is reserved on."""

    __tablename__ = "ecom_order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "quantity_allocated >= 0 AND quantity_allocated <= quantity",
            name="allocated_within_quantity",
        ),
        # Re-importing an order updates its lines, never adds twins.
        UniqueConstraint("ecom_order_id", "external_item_id"),
        Index(None, "allocated_version_id"),
        Index(None, "sku"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ecom_order_id: Mapped[int] = mapped_column(ForeignKey("ecom_orders.id", ondelete="CASCADE"))
    external_item_id: Mapped[str | None] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    product_code_id: Mapped[int | None] = mapped_column(ForeignKey("product_codes.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    allocated_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    allocated_version_id: Mapped[int | None] = mapped_column(ForeignKey("product_code_versions.id"))
    quantity_allocated: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    quantity_shipped: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    quantity_returned: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    order: Mapped[EcomOrder] = relationship(back_populates="items")


class EcomOrderEvent(Base):
    """Status history and notes of a marketplace order."""

    __tablename__ = "ecom_order_events"
    __table_args__ = (Index(None, "ecom_order_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ecom_order_id: Mapped[int] = mapped_column(ForeignKey("ecom_orders.id", ondelete="CASCADE"))
    kind: Mapped[OrderEventKind] = mapped_column(str_enum(OrderEventKind))
    from_status: Mapped[OrderStatus | None] = mapped_column(str_enum(OrderStatus))
    to_status: Mapped[OrderStatus | None] = mapped_column(str_enum(OrderStatus))
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EcomReturn(Timestamped, Base):
    __tablename__ = "ecom_returns"
    __table_args__ = (
        CheckConstraint("refund_cents >= 0", name="refund_not_negative"),
        UniqueConstraint("ecom_order_id", "external_rma_id"),
        Index(None, "status"),
        Index(None, "external_rma_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ecom_order_id: Mapped[int] = mapped_column(ForeignKey("ecom_orders.id"))
    external_rma_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ReturnStatus] = mapped_column(str_enum(ReturnStatus))
    reason: Mapped[str | None] = mapped_column(Text)
    refund_method: Mapped[RefundMethod] = mapped_column(str_enum(RefundMethod))
    refund_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    currency: Mapped[str] = mapped_column(String(3))
    restock_condition: Mapped[Condition | None] = mapped_column(str_enum(Condition))
    note: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[EcomReturnItem]] = relationship(order_by="EcomReturnItem.id")


class EcomReturnItem(Base):
    __tablename__ = "ecom_return_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "ecom_return_id"),
        Index(None, "ecom_order_item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ecom_return_id: Mapped[int] = mapped_column(ForeignKey("ecom_returns.id", ondelete="CASCADE"))
    ecom_order_item_id: Mapped[int] = mapped_column(ForeignKey("ecom_order_items.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    condition: Mapped[ReturnItemCondition | None] = mapped_column(str_enum(ReturnItemCondition))
    restock_version_id: Mapped[int | None] = mapped_column(ForeignKey("product_code_versions.id"))
    restocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    refund_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class EcomChannelLog(Base):
    __tablename__ = "ecom_channel_logs"
    __table_args__ = (
        Index(None, "channel_id", "operation"),
        Index(None, "started_at"),
        Index(None, "listing_id", "started_at"),
        Index(None, "channel_id", "started_at"),
        Index(None, "job_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("ecom_channels.id"))
    # The sync job whose run this row records, if any (kept when old jobs are pruned).
    job_id: Mapped[int | None] = mapped_column(ForeignKey("sync_jobs.id", ondelete="SET NULL"))
    # The listing an operation was about, when it was about one (its history).
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("ecom_listings.id", ondelete="SET NULL")
    )
    operation: Mapped[ChannelOperation] = mapped_column(str_enum(ChannelOperation))
    status: Mapped[ChannelLogStatus] = mapped_column(str_enum(ChannelLogStatus))
    records_processed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    records_failed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    error_message: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDoc, default=json_default_dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EcomWebhookLog(Base):
    """One delivery received from a marketplace; unique per channel and delivery id."""

    __tablename__ = "ecom_webhook_logs"
    __table_args__ = (
        UniqueConstraint("channel_id", "delivery_id"),
        Index(None, "processed", "created_at"),
        Index(None, "channel_id", "event_type"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("ecom_channels.id"))
    delivery_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[WebhookStatus] = mapped_column(str_enum(WebhookStatus))
    processed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    error_message: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    source_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
