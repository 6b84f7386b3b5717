"""Sync retries and dead letters (``not_before``, ``replayed_as_id`` on ``sync_jobs``), and
the job a channel log row records (``job_id`` on ``ecom_channel_logs``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("sync_jobs") as batch_op:
        batch_op.add_column(sa.Column("not_before", TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("replayed_as_id", BIG_ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sync_jobs_replayed_as_id_sync_jobs"),
            "sync_jobs",
            ["replayed_as_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("ecom_channel_logs") as batch_op:
        batch_op.add_column(sa.Column("job_id", BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_ecom_channel_logs_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ecom_channel_logs_channel_id_started_at"),
            ["channel_id", "started_at"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_ecom_channel_logs_job_id_sync_jobs"),
            "sync_jobs",
            ["job_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("ecom_channel_logs") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ecom_channel_logs_job_id_sync_jobs"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ecom_channel_logs_channel_id_started_at"))
        batch_op.drop_index(batch_op.f("ix_ecom_channel_logs_job_id"))
        batch_op.drop_column("job_id")
    with op.batch_alter_table("sync_jobs") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sync_jobs_replayed_as_id_sync_jobs"), type_="foreignkey"
        )
        batch_op.drop_column("replayed_as_id")
        batch_op.drop_column("not_before")
