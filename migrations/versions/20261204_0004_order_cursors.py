"""Order poll cursors: the channel's last poll position, and a resumable job's position.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ecom_channels") as batch_op:
        batch_op.add_column(sa.Column("orders_cursor", sa.String(length=200), nullable=True))
    with op.batch_alter_table("sync_jobs") as batch_op:
        batch_op.add_column(sa.Column("cursor", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_jobs") as batch_op:
        batch_op.drop_column("cursor")
    with op.batch_alter_table("ecom_channels") as batch_op:
        batch_op.drop_column("orders_cursor")
