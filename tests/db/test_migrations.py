"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from stockbridge.db.engine import make_engine
from stockbridge.db.migrate import downgrade, upgrade
from stockbridge.db.models import Base
from tests.databases import throwaway_database

SEED_TABLES = {
    "ecom_channels",
    "ecom_listings",
    "ecom_listing_channels",
    "ecom_orders",
    "ecom_order_items",
    "ecom_returns",
    "ecom_return_items",
    "ecom_channel_logs",
    "ecom_webhook_logs",
}


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_autogenerate_finds_no_difference_between_models_and_migrations(engine: Engine) -> None:
    assert _differences(engine) == []


def test_every_table_of_the_seed_and_design_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert tables >= SEED_TABLES
    assert {"ecom_order_events", "stock_ledger", "api_keys", "credit_notes"} <= tables


def test_idempotency_keys_are_unique_constraints(engine: Engine) -> None:
    inspector = inspect(engine)

    def unique_sets(table: str) -> set[tuple[str, ...]]:
        return {tuple(c["column_names"]) for c in inspector.get_unique_constraints(table)}

    assert ("channel_id", "external_id") in unique_sets("ecom_orders")
    assert ("channel_id", "delivery_id") in unique_sets("ecom_webhook_logs")
    assert ("product_code_id", "branch_id", "condition") in unique_sets("product_code_versions")
    assert ("ecom_order_id", "external_item_id") in unique_sets("ecom_order_items")
    assert ("ecom_order_id", "external_rma_id") in unique_sets("ecom_returns")


def test_one_product_condition_has_at_most_one_listing_hence_one_publication_per_channel(
    engine: Engine,
) -> None:
    inspector = inspect(engine)
    listing_keys = {
        tuple(c["column_names"]) for c in inspector.get_unique_constraints("ecom_listings")
    }
    publication_keys = {
        tuple(c["column_names"]) for c in inspector.get_unique_constraints("ecom_listing_channels")
    }
    assert ("product_code_id", "condition") in listing_keys
    assert ("listing_id", "channel_id") in publication_keys


def test_downgrade_to_base_and_upgrade_again(backend: str, tmp_path: Path) -> None:
    with throwaway_database(backend, tmp_path) as url:
        upgrade(url)
        downgrade(url, "base")
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        upgrade(url)
        engine = make_engine(url)
        try:
            assert _differences(engine) == []
        finally:
            engine.dispose()
