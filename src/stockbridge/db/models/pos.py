"""The store's own tables: branches, product codes and their per-branch versions, the stock
ledger, store orders with their items and payments, and credit notes.

Quantities on ``product_code_versions`` are changed only by ``stockbridge.pos.inventory``.
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
from stockbridge.db.types import BigId, JsonDoc, UTCDateTime, json_default_dict, str_enum, utcnow
from stockbridge.statuses import Condition


class LedgerReason(StrEnum):
    RECEIVE = "receive"
    ADJUST = "adjust"
    SALE = "sale"
    RESERVE = "reserve"
    RELEASE = "release"
    SHIP = "ship"
    RETURN = "return"
    WRITE_OFF = "write_off"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"


class OrderSource(StrEnum):
    POS = "pos"
    ECOM = "ecom"


class StoreOrderStatus(StrEnum):
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    STORE_CREDIT = "store_credit"
    MARKETPLACE = "marketplace"
    OTHER = "other"


class PaymentKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class CreditNoteStatus(StrEnum):
    ISSUED = "issued"
    APPLIED = "applied"
    VOID = "void"


class Branch(Timestamped, Base):
    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class ProductCode(Timestamped, Base):
    __tablename__ = "product_codes"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        Index(None, "barcode"),
        Index(None, "brand"),
        Index(None, "category"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(200))
    barcode: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=json_default_dict)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    versions: Mapped[list[ProductCodeVersion]] = relationship(
        back_populates="product_code", order_by="ProductCodeVersion.id"
    )


class ProductCodeVersion(Timestamped, Base):
    """Stock of one product code in one branch and condition."""

    __tablename__ = "product_code_versions"
    __table_args__ = (
        UniqueConstraint("product_code_id", "branch_id", "condition"),
        CheckConstraint(
            "qty_reserved >= 0 AND qty_reserved <= qty_on_hand", name="reserved_within_on_hand"
        ),
        CheckConstraint(
            "price_cents IS NULL OR price_cents >= 0", name="price_override_not_negative"
        ),
        Index(None, "branch_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_code_id: Mapped[int] = mapped_column(ForeignKey("product_codes.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    condition: Mapped[Condition] = mapped_column(str_enum(Condition))
    qty_on_hand: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    qty_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    price_cents: Mapped[int | None] = mapped_column(BigInteger)
    cost_cents: Mapped[int | None] = mapped_column(BigInteger)

    product_code: Mapped[ProductCode] = relationship(back_populates="versions")
    branch: Mapped[Branch] = relationship()

    @property
    def qty_available(self) -> int:
        return self.qty_on_hand - self.qty_reserved


class StockLedgerEntry(Base):
    """One movement of stock; the sums per version equal the version's stored quantities."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        Index(None, "version_id", "id"),
        Index(None, "reference_type", "reference_id"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_code_versions.id"))
    delta_on_hand: Mapped[int] = mapped_column(Integer)
    delta_reserved: Mapped[int] = mapped_column(Integer)
    reason: Mapped[LedgerReason] = mapped_column(str_enum(LedgerReason))
    reference_type: Mapped[str | None] = mapped_column(String(40))
    reference_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Order(Timestamped, Base):
    """An order of the store itself: a POS sale, or a shipped marketplace order."""

    __tablename__ = "orders"
    __table_args__ = (Index(None, "created_at"), Index(None, "source", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    source: Mapped[OrderSource] = mapped_column(str_enum(OrderSource))
    status: Mapped[StoreOrderStatus] = mapped_column(str_enum(StoreOrderStatus))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    subtotal_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")
    payments: Mapped[list[Payment]] = relationship(back_populates="order", order_by="Payment.id")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "order_id"),
        Index(None, "product_code_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_code_id: Mapped[int] = mapped_column(ForeignKey("product_codes.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("product_code_versions.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="items")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index(None, "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[PaymentKind] = mapped_column(str_enum(PaymentKind))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")


class CreditNote(Timestamped, Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index(None, "order_id"),
        Index(None, "ecom_return_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    ecom_return_id: Mapped[int | None] = mapped_column(ForeignKey("ecom_returns.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CreditNoteStatus] = mapped_column(str_enum(CreditNoteStatus))
