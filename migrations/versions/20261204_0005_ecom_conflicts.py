"""Marketplace-side differences found by reconciliation, and open conflicts (``ecom_conflicts``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "ecom_conflicts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel_id", BIG_ID, nullable=False),
        sa.Column("publication_id", BIG_ID, nullable=False),
        sa.Column("listing_id", BIG_ID, nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("field", _enum("conflictfield", "quantity", "price"), nullable=False),
        sa.Column("store_value", sa.BigInteger(), nullable=False),
        sa.Column("marketplace_value", sa.BigInteger(), nullable=True),
        sa.Column(
            "policy",
            _enum("conflictpolicy", "store_wins", "marketplace_wins", "manual"),
            nullable=False,
        ),
        sa.Column(
            "status",
            _enum("conflictstatus", "open", "resolved", "repaired", "kept"),
            nullable=False,
        ),
        sa.Column("source", _enum("conflictsource", "reconcile", "webhook"), nullable=False),
        sa.Column("detected_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("resolution", _enum("conflictside", "store", "marketplace"), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["ecom_channels.id"],
            name=op.f("fk_ecom_conflicts_channel_id_ecom_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["ecom_listing_channels.id"],
            name=op.f("fk_ecom_conflicts_publication_id_ecom_listing_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["ecom_listings.id"],
            name=op.f("fk_ecom_conflicts_listing_id_ecom_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ecom_conflicts")),
    )
    op.create_index(
        op.f("ix_ecom_conflicts_channel_id_status_id"),
        "ecom_conflicts",
        ["channel_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "ix_ecom_conflicts_one_open",
        "ecom_conflicts",
        ["publication_id", "field"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_ecom_conflicts_one_open", table_name="ecom_conflicts")
    op.drop_index(op.f("ix_ecom_conflicts_channel_id_status_id"), table_name="ecom_conflicts")
    op.drop_table("ecom_conflicts")
