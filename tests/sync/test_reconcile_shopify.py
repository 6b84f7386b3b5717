"""Reconciling with the Shopify sandbox over HTTP: drift made in the Shopify admin is
repaired, kept or left open for a decision, as the channel's conflict policies say."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.commerce import conflicts
from stockbridge.commerce.channels import ChannelLink
from stockbridge.db.engine import transaction
from stockbridge.db.models import (
    ConflictField,
    ConflictSide,
    ConflictStatus,
    JobKind,
    JobStatus,
    SyncState,
)
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.channels.shopify.conftest import adapter, contract_mode, sandbox
from tests.channels.shopify.helpers import TOKEN, TOKENS, RunningSandbox, graphql, listing
from tests.sync.shops import Shop, channel_context, open_shop
from tests.sync.test_conflicts import recorded
from tests.sync.test_push_shopify import available

__all__ = ["adapter", "contract_mode", "sandbox"]

SKUS = ["SKU-0000", "SKU-0001", "SKU-0002"]

SET_AVAILABLE = """
mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { field message code } }
}
"""
SET_PRICE = """
mutation Price($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    userErrors { field message code }
  }
}
"""


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    return ShopifySandboxConfig(access_tokens=TOKENS, restore_rate=1000)


@pytest.fixture
def shop(sessions: sessionmaker[Session], adapter: ShopifyAdapter, sandbox: RunningSandbox) -> Shop:
    """Three SKUs listed at 12.50 with 10 available, as the store offers them."""
    adapter.upsert_listings([listing(sku, quantity=10, cents=1250) for sku in SKUS])
    link = ChannelLink(None, "shopify", sandbox.url, {"access_token": TOKEN}, None)
    return open_shop(sessions, channel_context(), link, dict.fromkeys(SKUS, 10), currency="GBP",
                     price_cents=1250)  # fmt: skip


def admin_edit(
    sandbox: RunningSandbox, adapter: ShopifyAdapter, sku: str, *,
    available: int | None = None, price: str | None = None,
) -> None:  # fmt: skip
    """The owner changes the SKU in the Shopify admin, outside stockbridge."""
    ref = adapter.skus.resolve([sku], refresh=True)[sku]
    if available is not None:
        entry = {"inventoryItemId": ref.inventory_item_id, "quantity": available,
                 "locationId": adapter.setup().location_id}  # fmt: skip
        change = {"name": "available", "reason": "correction", "ignoreCompareQuantity": True,
                  "quantities": [entry]}  # fmt: skip
        errors = graphql(sandbox, SET_AVAILABLE, {"input": change})
        assert errors["inventorySetQuantities"]["userErrors"] == []
    if price is not None:
        variants = [{"id": ref.variant_id, "price": price}]
        done = graphql(sandbox, SET_PRICE, {"productId": ref.product_id, "variants": variants})
        assert done["productVariantsBulkUpdate"]["userErrors"] == []


def prices(sandbox: RunningSandbox, adapter: ShopifyAdapter) -> dict[str, str]:
    refs = adapter.skus.resolve(SKUS, refresh=True)
    return {sku: ref.price for sku, ref in refs.items()}


def test_drift_made_in_the_shopify_admin_is_repaired(
    shop: Shop, adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    admin_edit(sandbox, adapter, "SKU-0000", available=3)
    admin_edit(sandbox, adapter, "SKU-0001", price="9.99")
    shop.count({"SKU-0002": 0})  # a zero to re-assert
    sandbox.clear_calls()

    job = shop.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert available(sandbox, adapter) == {"SKU-0000": 10, "SKU-0001": 10, "SKU-0002": 0}
    assert prices(sandbox, adapter) == dict.fromkeys(SKUS, "12.50")
    assert (job.counts["drift_quantity"], job.counts["drift_price"]) == (2, 1)
    assert job.counts["pushed"] == 3
    assert {row.sync_state for row in shop.publications().values()} == {SyncState.IN_SYNC}


def test_reconcile_reads_a_batch_in_one_query_and_sets_it_in_one_mutation(
    shop: Shop, sandbox: RunningSandbox
) -> None:
    sandbox.clear_calls()

    job = shop.run_push(JobKind.RECONCILE)

    assert (job.counts["drift_quantity"], job.counts["drift_price"]) == (0, 0)
    made = sandbox.calls()
    assert made["productVariants"] == 1
    assert made["inventorySetQuantities"] == 1  # every quantity re-asserted
    assert "productVariantsBulkUpdate" not in made


def edited_shop(
    sessions: sessionmaker[Session],
    adapter: ShopifyAdapter,
    sandbox: RunningSandbox,
    **policies: str,
) -> Shop:
    """The three SKUs with ``policies``, then edited in the Shopify admin: SKU-0000 to 3
    available, SKU-0001's price to 9.99."""
    adapter.upsert_listings([listing(sku, quantity=10, cents=1250) for sku in SKUS])
    link = ChannelLink(None, "shopify", sandbox.url, {"access_token": TOKEN}, None)
    edited = open_shop(sessions, channel_context(), link, dict.fromkeys(SKUS, 10),
                       currency="GBP", price_cents=1250, conflicts=policies)  # fmt: skip
    admin_edit(sandbox, adapter, "SKU-0000", available=3)
    admin_edit(sandbox, adapter, "SKU-0001", price="9.99")
    return edited


def test_marketplace_wins_keeps_the_admin_edits_on_shopify(
    sessions: sessionmaker[Session], adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    edited = edited_shop(
        sessions, adapter, sandbox, quantity="marketplace_wins", price="marketplace_wins"
    )

    job = edited.run_push(JobKind.RECONCILE)

    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.counts["kept"] == 2
    assert available(sandbox, adapter) == {"SKU-0000": 3, "SKU-0001": 10, "SKU-0002": 10}
    assert prices(sandbox, adapter)["SKU-0001"] == "9.99"
    assert edited.publications()["SKU-0001"].overrides["price_cents"] == 999
    assert [status for *_, status in recorded(edited)] == [ConflictStatus.KEPT] * 2


def test_manual_leaves_the_admin_edits_open_until_resolved_on_shopify(
    sessions: sessionmaker[Session], adapter: ShopifyAdapter, sandbox: RunningSandbox
) -> None:
    edited = edited_shop(sessions, adapter, sandbox, quantity="manual", price="manual")

    job = edited.run_push(JobKind.RECONCILE)

    assert job.counts["conflicts"] == 2
    assert available(sandbox, adapter)["SKU-0000"] == 3  # left as it is while open
    assert prices(sandbox, adapter)["SKU-0001"] == "9.99"
    assert recorded(edited) == [
        ("SKU-0000", ConflictField.QUANTITY, 10, 3, ConflictStatus.OPEN),
        ("SKU-0001", ConflictField.PRICE, 1250, 999, ConflictStatus.OPEN),
    ]
    rows = edited.publications()
    with transaction(sessions) as session:
        conflicts.resolve_conflict(session, listing_id=rows["SKU-0000"].listing_id,
                                   channel_id=edited.channel_id, field=ConflictField.QUANTITY,
                                   keep=ConflictSide.STORE)  # fmt: skip
        conflicts.resolve_conflict(session, listing_id=rows["SKU-0001"].listing_id,
                                   channel_id=edited.channel_id, field=ConflictField.PRICE,
                                   keep=ConflictSide.MARKETPLACE)  # fmt: skip
    edited.run_push()
    assert available(sandbox, adapter)["SKU-0000"] == 10
    assert prices(sandbox, adapter)["SKU-0001"] == "9.99"
    again = edited.run_push(JobKind.RECONCILE)
    assert (again.counts["drift_quantity"], again.counts["drift_price"]) == (0, 0)
    assert [status for *_, status in recorded(edited)] == [ConflictStatus.RESOLVED] * 2
