"""Initial schema: store core (branches, product codes, versions, ledger, store orders,
payments, credit notes, API keys) and every marketplace table.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "staff", "readonly", name="role", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "branches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", JSON_DOC, nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branches")),
        sa.UniqueConstraint("code", name=op.f("uq_branches_code")),
    )
    op.create_table(
        "product_codes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("attributes", JSON_DOC, nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_product_codes_price_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_codes")),
        sa.UniqueConstraint("sku", name=op.f("uq_product_codes_sku")),
    )
    op.create_index(op.f("ix_product_codes_barcode"), "product_codes", ["barcode"], unique=False)
    op.create_index(op.f("ix_product_codes_brand"), "product_codes", ["brand"], unique=False)
    op.create_index(op.f("ix_product_codes_category"), "product_codes", ["category"], unique=False)
    op.create_table(
        "ecom_channels",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "paused",
                "auth_required",
                "error",
                name="channelstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("branch_id", BIG_ID, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("config", JSON_DOC, nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("safety_buffer", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_listed_qty", sa.Integer(), nullable=True),
        sa.Column("last_sync_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "max_listed_qty IS NULL OR max_listed_qty >= 0",
            name=op.f("ck_ecom_channels_max_listed_not_negative"),
        ),
        sa.CheckConstraint(
            "safety_buffer >= 0", name=op.f("ck_ecom_channels_safety_buffer_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_ecom_channels_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_channels")),
    )
    op.create_index(op.f("ix_ecom_channels_provider"), "ecom_channels", ["provider"], unique=False)
    op.create_index(op.f("ix_ecom_channels_status"), "ecom_channels", ["status"], unique=False)
    op.create_table(
        "ecom_listings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("product_code_id", BIG_ID, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "new",
                "open_box",
                "refurbished",
                "used",
                "for_parts",
                name="condition",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("price_cents", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "inactive",
                "archived",
                name="listingstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("seo_slug", sa.String(length=200), nullable=True),
        sa.Column("meta_description", sa.String(length=320), nullable=True),
        sa.Column("primary_image_url", sa.String(length=2000), nullable=True),
        sa.Column("image_urls", JSON_DOC, nullable=False),
        sa.Column("category_mapping", JSON_DOC, nullable=False),
        sa.Column("attributes", JSON_DOC, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "price_cents IS NULL OR price_cents >= 0",
            name=op.f("ck_ecom_listings_price_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["product_code_id"],
            ["product_codes.id"],
            name=op.f("fk_ecom_listings_product_code_id_product_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_listings")),
        sa.UniqueConstraint(
            "product_code_id", "condition", name=op.f("uq_ecom_listings_product_code_id_condition")
        ),
    )
    op.create_index(op.f("ix_ecom_listings_status"), "ecom_listings", ["status"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column(
            "source",
            sa.Enum("pos", "ecom", name="ordersource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "completed",
                "cancelled",
                "refunded",
                "partially_refunded",
                name="storeorderstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("branch_id", BIG_ID, nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("shipping_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_orders_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    op.create_index(op.f("ix_orders_created_at"), "orders", ["created_at"], unique=False)
    op.create_index(op.f("ix_orders_source_status"), "orders", ["source", "status"], unique=False)
    op.create_table(
        "product_code_versions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("product_code_id", BIG_ID, nullable=False),
        sa.Column("branch_id", BIG_ID, nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "new",
                "open_box",
                "refurbished",
                "used",
                "for_parts",
                name="condition",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("qty_on_hand", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("qty_reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=True),
        sa.Column("cost_cents", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "price_cents IS NULL OR price_cents >= 0",
            name=op.f("ck_product_code_versions_price_override_not_negative"),
        ),
        sa.CheckConstraint(
            "qty_reserved >= 0 AND qty_reserved <= qty_on_hand",
            name=op.f("ck_product_code_versions_reserved_within_on_hand"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_product_code_versions_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["product_code_id"],
            ["product_codes.id"],
            name=op.f("fk_product_code_versions_product_code_id_product_codes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_code_versions")),
        sa.UniqueConstraint(
            "product_code_id",
            "branch_id",
            "condition",
            name=op.f("uq_product_code_versions_product_code_id_branch_id_condition"),
        ),
    )
    op.create_index(
        op.f("ix_product_code_versions_branch_id"),
        "product_code_versions",
        ["branch_id"],
        unique=False,
    )
    op.create_table(
        "ecom_channel_branches",
        sa.Column("channel_id", BIG_ID, nullable=False),
        sa.Column("branch_id", BIG_ID, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_ecom_channel_branches_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_ecom_channel_branches_channel_id_ecom_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel_id", "branch_id", name=op.f("pk_ecom_channel_branches")),
        sa.UniqueConstraint(
            "channel_id", "priority", name=op.f("uq_ecom_channel_branches_channel_id_priority")
        ),
    )
    op.create_table(
        "ecom_channel_logs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel_id", BIG_ID, nullable=False),
        sa.Column(
            "operation",
            sa.Enum(
                "connect",
                "test_connection",
                "token_refresh",
                "listing_sync",
                "inventory_push",
                "price_push",
                "reconcile",
                "order_import",
                "order_poll",
                "fulfil",
                "cancel",
                "refund",
                "return_sync",
                "webhook_register",
                name="channeloperation",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "started",
                "success",
                "partial",
                "failed",
                name="channellogstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("records_processed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("records_failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("metadata", JSON_DOC, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_ecom_channel_logs_channel_id_ecom_channels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_channel_logs")),
    )
    op.create_index(
        op.f("ix_ecom_channel_logs_channel_id_operation"),
        "ecom_channel_logs",
        ["channel_id", "operation"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ecom_channel_logs_started_at"), "ecom_channel_logs", ["started_at"], unique=False
    )
    op.create_table(
        "ecom_listing_channels",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("listing_id", BIG_ID, nullable=False),
        sa.Column("channel_id", BIG_ID, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("external_sku", sa.String(length=100), nullable=True),
        sa.Column("external_refs", JSON_DOC, nullable=False),
        sa.Column("overrides", JSON_DOC, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "published",
                "unpublished",
                "error",
                name="publicationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "sync_state",
            sa.Enum(
                "in_sync",
                "pending",
                "syncing",
                "error",
                "conflict",
                name="syncstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_synced_at", TIMESTAMP, nullable=True),
        sa.Column("last_pushed_qty", sa.Integer(), nullable=True),
        sa.Column("last_pushed_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("dirty_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("synced_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dirty_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_ecom_listing_channels_channel_id_ecom_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["ecom_listings.id"],
            name=op.f("fk_ecom_listing_channels_listing_id_ecom_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_listing_channels")),
        sa.UniqueConstraint(
            "listing_id", "channel_id", name=op.f("uq_ecom_listing_channels_listing_id_channel_id")
        ),
    )
    op.create_index(
        op.f("ix_ecom_listing_channels_channel_id_external_id"),
        "ecom_listing_channels",
        ["channel_id", "external_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ecom_listing_channels_channel_id_external_sku"),
        "ecom_listing_channels",
        ["channel_id", "external_sku"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ecom_listing_channels_channel_id_sync_state"),
        "ecom_listing_channels",
        ["channel_id", "sync_state"],
        unique=False,
    )
    op.create_index(
        "ix_ecom_listing_channels_dirty",
        "ecom_listing_channels",
        ["channel_id", "dirty_at"],
        unique=False,
        sqlite_where=sa.text("dirty_seq > synced_seq"),
        postgresql_where=sa.text("dirty_seq > synced_seq"),
    )
    op.create_table(
        "ecom_orders",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel_id", BIG_ID, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("external_number", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "needs_attention",
                "picking",
                "packed",
                "shipped",
                "delivered",
                "cancelled",
                "refunded",
                name="orderstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "payment_status",
            sa.Enum(
                "pending",
                "paid",
                "partially_refunded",
                "refunded",
                "voided",
                name="paymentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "fulfillment_status",
            sa.Enum(
                "unfulfilled",
                "partially_fulfilled",
                "fulfilled",
                name="fulfillmentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attention_reason", sa.Text(), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("shipping_address", JSON_DOC, nullable=True),
        sa.Column("billing_address", JSON_DOC, nullable=True),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("shipping_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("shipping_carrier", sa.String(length=60), nullable=True),
        sa.Column("internal_order_id", BIG_ID, nullable=True),
        sa.Column("placed_at", TIMESTAMP, nullable=True),
        sa.Column("marketplace_updated_at", TIMESTAMP, nullable=True),
        sa.Column("raw", JSON_DOC, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_ecom_orders_channel_id_ecom_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["internal_order_id"],
            ["orders.id"],
            name=op.f("fk_ecom_orders_internal_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_orders")),
        sa.UniqueConstraint(
            "channel_id", "external_id", name=op.f("uq_ecom_orders_channel_id_external_id")
        ),
    )
    op.create_index(
        op.f("ix_ecom_orders_channel_id_marketplace_updated_at"),
        "ecom_orders",
        ["channel_id", "marketplace_updated_at"],
        unique=False,
    )
    op.create_index(op.f("ix_ecom_orders_created_at"), "ecom_orders", ["created_at"], unique=False)
    op.create_index(op.f("ix_ecom_orders_status"), "ecom_orders", ["status"], unique=False)
    op.create_table(
        "ecom_webhook_logs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel_id", BIG_ID, nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "processed",
                "failed",
                "rejected",
                "ignored",
                name="webhookstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("processed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("headers", JSON_DOC, nullable=False),
        sa.Column("payload", JSON_DOC, nullable=True),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_ecom_webhook_logs_channel_id_ecom_channels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_webhook_logs")),
        sa.UniqueConstraint(
            "channel_id", "delivery_id", name=op.f("uq_ecom_webhook_logs_channel_id_delivery_id")
        ),
    )
    op.create_index(
        op.f("ix_ecom_webhook_logs_channel_id_event_type"),
        "ecom_webhook_logs",
        ["channel_id", "event_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ecom_webhook_logs_processed_created_at"),
        "ecom_webhook_logs",
        ["processed", "created_at"],
        unique=False,
    )
    op.create_table(
        "order_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("product_code_id", BIG_ID, nullable=False),
        sa.Column("version_id", BIG_ID, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_items_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_code_id"],
            ["product_codes.id"],
            name=op.f("fk_order_items_product_code_id_product_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["product_code_versions.id"],
            name=op.f("fk_order_items_version_id_product_code_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
    )
    op.create_index(op.f("ix_order_items_order_id"), "order_items", ["order_id"], unique=False)
    op.create_index(
        op.f("ix_order_items_product_code_id"), "order_items", ["product_code_id"], unique=False
    )
    op.create_table(
        "payments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum("payment", "refund", name="paymentkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "cash",
                "card",
                "store_credit",
                "marketplace",
                "other",
                name="paymentmethod",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"], unique=False)
    op.create_table(
        "stock_ledger",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("version_id", BIG_ID, nullable=False),
        sa.Column("delta_on_hand", sa.Integer(), nullable=False),
        sa.Column("delta_reserved", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "receive",
                "adjust",
                "sale",
                "reserve",
                "release",
                "ship",
                "return",
                "write_off",
                "transfer_in",
                "transfer_out",
                name="ledgerreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference_type", sa.String(length=40), nullable=True),
        sa.Column("reference_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["product_code_versions.id"],
            name=op.f("fk_stock_ledger_version_id_product_code_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
    )
    op.create_index(
        op.f("ix_stock_ledger_created_at"), "stock_ledger", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_stock_ledger_reference_type_reference_id"),
        "stock_ledger",
        ["reference_type", "reference_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_stock_ledger_version_id_id"), "stock_ledger", ["version_id", "id"], unique=False
    )
    op.create_table(
        "ecom_order_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ecom_order_id", BIG_ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "status_change",
                "note",
                "allocation",
                "marketplace_update",
                name="ordereventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "from_status",
            sa.Enum(
                "pending",
                "needs_attention",
                "picking",
                "packed",
                "shipped",
                "delivered",
                "cancelled",
                "refunded",
                name="orderstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "pending",
                "needs_attention",
                "picking",
                "packed",
                "shipped",
                "delivered",
                "cancelled",
                "refunded",
                name="orderstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["ecom_order_id"],
            ["ecom_orders.id"],
            name=op.f("fk_ecom_order_events_ecom_order_id_ecom_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_order_events")),
    )
    op.create_index(
        op.f("ix_ecom_order_events_ecom_order_id_created_at"),
        "ecom_order_events",
        ["ecom_order_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "ecom_order_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ecom_order_id", BIG_ID, nullable=False),
        sa.Column("external_item_id", sa.String(length=100), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("product_code_id", BIG_ID, nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("allocated_branch_id", BIG_ID, nullable=True),
        sa.Column("allocated_version_id", BIG_ID, nullable=True),
        sa.Column("quantity_allocated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("quantity_shipped", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("quantity_returned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_ecom_order_items_quantity_positive")),
        sa.CheckConstraint(
            "quantity_allocated >= 0 AND quantity_allocated <= quantity",
            name=op.f("ck_ecom_order_items_allocated_within_quantity"),
        ),
        sa.ForeignKeyConstraint(
            ["allocated_branch_id"],
            ["branches.id"],
            name=op.f("fk_ecom_order_items_allocated_branch_id_branches"),
        ),
        sa.ForeignKeyConstraint(
            ["allocated_version_id"],
            ["product_code_versions.id"],
            name=op.f("fk_ecom_order_items_allocated_version_id_product_code_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["ecom_order_id"],
            ["ecom_orders.id"],
            name=op.f("fk_ecom_order_items_ecom_order_id_ecom_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_code_id"],
            ["product_codes.id"],
            name=op.f("fk_ecom_order_items_product_code_id_product_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_order_items")),
        sa.UniqueConstraint(
            "ecom_order_id",
            "external_item_id",
            name=op.f("uq_ecom_order_items_ecom_order_id_external_item_id"),
        ),
    )
    op.create_index(
        op.f("ix_ecom_order_items_allocated_version_id"),
        "ecom_order_items",
        ["allocated_version_id"],
        unique=False,
    )
    op.create_index(op.f("ix_ecom_order_items_sku"), "ecom_order_items", ["sku"], unique=False)
    op.create_table(
        "ecom_returns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ecom_order_id", BIG_ID, nullable=False),
        sa.Column("external_rma_id", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "denied",
                "received",
                "refunded",
                "closed",
                name="returnstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "refund_method",
            sa.Enum(
                "original_payment",
                "store_credit",
                "none",
                name="refundmethod",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("refund_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "restock_condition",
            sa.Enum(
                "new",
                "open_box",
                "refurbished",
                "used",
                "for_parts",
                name="condition",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=True),
        sa.Column("refunded_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("refund_cents >= 0", name=op.f("ck_ecom_returns_refund_not_negative")),
        sa.ForeignKeyConstraint(
            ["ecom_order_id"],
            ["ecom_orders.id"],
            name=op.f("fk_ecom_returns_ecom_order_id_ecom_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_returns")),
        sa.UniqueConstraint(
            "ecom_order_id",
            "external_rma_id",
            name=op.f("uq_ecom_returns_ecom_order_id_external_rma_id"),
        ),
    )
    op.create_index(
        op.f("ix_ecom_returns_external_rma_id"), "ecom_returns", ["external_rma_id"], unique=False
    )
    op.create_index(op.f("ix_ecom_returns_status"), "ecom_returns", ["status"], unique=False)
    op.create_table(
        "credit_notes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("ecom_return_id", BIG_ID, nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "issued", "applied", "void", name="creditnotestatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_credit_notes_amount_positive")),
        sa.ForeignKeyConstraint(
            ["ecom_return_id"],
            ["ecom_returns.id"],
            name=op.f("fk_credit_notes_ecom_return_id_ecom_returns"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_credit_notes_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_notes_number")),
    )
    op.create_index(
        op.f("ix_credit_notes_ecom_return_id"), "credit_notes", ["ecom_return_id"], unique=False
    )
    op.create_index(op.f("ix_credit_notes_order_id"), "credit_notes", ["order_id"], unique=False)
    op.create_table(
        "ecom_return_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ecom_return_id", BIG_ID, nullable=False),
        sa.Column("ecom_order_item_id", BIG_ID, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "sellable",
                "damaged",
                "not_restockable",
                name="returnitemcondition",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("restock_version_id", BIG_ID, nullable=True),
        sa.Column("restocked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("refund_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_ecom_return_items_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["ecom_order_item_id"],
            ["ecom_order_items.id"],
            name=op.f("fk_ecom_return_items_ecom_order_item_id_ecom_order_items"),
        ),
        sa.ForeignKeyConstraint(
            ["ecom_return_id"],
            ["ecom_returns.id"],
            name=op.f("fk_ecom_return_items_ecom_return_id_ecom_returns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["restock_version_id"],
            ["product_code_versions.id"],
            name=op.f("fk_ecom_return_items_restock_version_id_product_code_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_return_items")),
    )
    op.create_index(
        op.f("ix_ecom_return_items_ecom_order_item_id"),
        "ecom_return_items",
        ["ecom_order_item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ecom_return_items_ecom_return_id"),
        "ecom_return_items",
        ["ecom_return_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ecom_return_items_ecom_return_id"), table_name="ecom_return_items")
    op.drop_index(op.f("ix_ecom_return_items_ecom_order_item_id"), table_name="ecom_return_items")
    op.drop_table("ecom_return_items")
    op.drop_index(op.f("ix_credit_notes_order_id"), table_name="credit_notes")
    op.drop_index(op.f("ix_credit_notes_ecom_return_id"), table_name="credit_notes")
    op.drop_table("credit_notes")
    op.drop_index(op.f("ix_ecom_returns_status"), table_name="ecom_returns")
    op.drop_index(op.f("ix_ecom_returns_external_rma_id"), table_name="ecom_returns")
    op.drop_table("ecom_returns")
    op.drop_index(op.f("ix_ecom_order_items_sku"), table_name="ecom_order_items")
    op.drop_index(op.f("ix_ecom_order_items_allocated_version_id"), table_name="ecom_order_items")
    op.drop_table("ecom_order_items")
    op.drop_index(
        op.f("ix_ecom_order_events_ecom_order_id_created_at"), table_name="ecom_order_events"
    )
    op.drop_table("ecom_order_events")
    op.drop_index(op.f("ix_stock_ledger_version_id_id"), table_name="stock_ledger")
    op.drop_index(op.f("ix_stock_ledger_reference_type_reference_id"), table_name="stock_ledger")
    op.drop_index(op.f("ix_stock_ledger_created_at"), table_name="stock_ledger")
    op.drop_table("stock_ledger")
    op.drop_index(op.f("ix_payments_order_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_order_items_product_code_id"), table_name="order_items")
    op.drop_index(op.f("ix_order_items_order_id"), table_name="order_items")
    op.drop_table("order_items")
    op.drop_index(op.f("ix_ecom_webhook_logs_processed_created_at"), table_name="ecom_webhook_logs")
    op.drop_index(
        op.f("ix_ecom_webhook_logs_channel_id_event_type"), table_name="ecom_webhook_logs"
    )
    op.drop_table("ecom_webhook_logs")
    op.drop_index(op.f("ix_ecom_orders_status"), table_name="ecom_orders")
    op.drop_index(op.f("ix_ecom_orders_created_at"), table_name="ecom_orders")
    op.drop_index(
        op.f("ix_ecom_orders_channel_id_marketplace_updated_at"), table_name="ecom_orders"
    )
    op.drop_table("ecom_orders")
    op.drop_index(
        "ix_ecom_listing_channels_dirty",
        table_name="ecom_listing_channels",
        sqlite_where=sa.text("dirty_seq > synced_seq"),
        postgresql_where=sa.text("dirty_seq > synced_seq"),
    )
    op.drop_index(
        op.f("ix_ecom_listing_channels_channel_id_sync_state"), table_name="ecom_listing_channels"
    )
    op.drop_index(
        op.f("ix_ecom_listing_channels_channel_id_external_sku"), table_name="ecom_listing_channels"
    )
    op.drop_index(
        op.f("ix_ecom_listing_channels_channel_id_external_id"), table_name="ecom_listing_channels"
    )
    op.drop_table("ecom_listing_channels")
    op.drop_index(op.f("ix_ecom_channel_logs_started_at"), table_name="ecom_channel_logs")
    op.drop_index(op.f("ix_ecom_channel_logs_channel_id_operation"), table_name="ecom_channel_logs")
    op.drop_table("ecom_channel_logs")
    op.drop_table("ecom_channel_branches")
    op.drop_index(op.f("ix_product_code_versions_branch_id"), table_name="product_code_versions")
    op.drop_table("product_code_versions")
    op.drop_index(op.f("ix_orders_source_status"), table_name="orders")
    op.drop_index(op.f("ix_orders_created_at"), table_name="orders")
    op.drop_table("orders")
    op.drop_index(op.f("ix_ecom_listings_status"), table_name="ecom_listings")
    op.drop_table("ecom_listings")
    op.drop_index(op.f("ix_ecom_channels_status"), table_name="ecom_channels")
    op.drop_index(op.f("ix_ecom_channels_provider"), table_name="ecom_channels")
    op.drop_table("ecom_channels")
    op.drop_index(op.f("ix_product_codes_category"), table_name="product_codes")
    op.drop_index(op.f("ix_product_codes_brand"), table_name="product_codes")
    op.drop_index(op.f("ix_product_codes_barcode"), table_name="product_codes")
    op.drop_table("product_codes")
    op.drop_table("branches")
    op.drop_table("api_keys")
