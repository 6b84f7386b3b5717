"""Sync job records (``sync_jobs``), and the listing a channel log is about (its history).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_KINDS = ("inventory", "prices", "listings", "orders", "reconcile", "returns", "cleanup")
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


def upgrade() -> None:
    op.create_table(
        "sync_jobs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*JOB_KINDS, name="jobkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("channel_id", BIG_ID, nullable=True),
        sa.Column(
            "status",
            sa.Enum(*JOB_STATUSES, name="jobstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column("progress_done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("progress_total", sa.BigInteger(), nullable=True),
        sa.Column("counts", JSON_DOC, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("queued_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("heartbeat_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_sync_jobs_attempts_not_negative")),
        sa.CheckConstraint(
            "progress_done >= 0", name=op.f("ck_sync_jobs_progress_done_not_negative")
        ),
        sa.CheckConstraint(
            "progress_total IS NULL OR progress_total >= 0",
            name=op.f("ck_sync_jobs_progress_total_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_sync_jobs_channel_id_ecom_channels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_jobs")),
    )
    op.create_index(
        op.f("ix_sync_jobs_channel_id_kind_queued_at"),
        "sync_jobs",
        ["channel_id", "kind", "queued_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_sync_jobs_status_queued_at"), "sync_jobs", ["status", "queued_at"], unique=False
    )
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("ecom_channel_logs") as batch_op:
        batch_op.add_column(sa.Column("listing_id", BIG_ID, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_ecom_channel_logs_listing_id_started_at"),
            ["listing_id", "started_at"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ecom_channel_logs_listing_id_ecom_listings"),
            "ecom_listings",
            ["listing_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("ecom_channel_logs") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ecom_channel_logs_listing_id_ecom_listings"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ecom_channel_logs_listing_id_started_at"))
        batch_op.drop_column("listing_id")
    op.drop_index(op.f("ix_sync_jobs_status_queued_at"), table_name="sync_jobs")
    op.drop_index(op.f("ix_sync_jobs_channel_id_kind_queued_at"), table_name="sync_jobs")
    op.drop_table("sync_jobs")
