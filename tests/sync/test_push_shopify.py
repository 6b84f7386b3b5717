"""Pushing stock to the Shopify sandbox over HTTP: a POS sale, and a 1,000-SKU burst."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.commerce.channels import ChannelLink
from stockbridge.db.models import JobStatus
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.queue import JobQueue
from tests.channels.shopify.conftest import adapter, contract_mode, sandbox
from tests.channels.shopify.helpers import TOKEN, TOKENS, RunningSandbox, listing, shop_variants
from tests.sync.conftest import queue_settings, wait_for
from tests.sync.shops import Shop, channel_context, open_shop

__all__ = ["adapter", "contract_mode", "sandbox"]


@pytest.fixture
def sandbox_config(contract_mode: Path | None) -> ShopifySandboxConfig:
    """A Plus plan's restore rate, so listing a thousand SKUs is quick."""
    return ShopifySandboxConfig(access_tokens=TOKENS, restore_rate=1000)


def shopify_shop(
    sessions: sessionmaker[Session], adapter: ShopifyAdapter, sandbox: RunningSandbox, count: int
) -> Shop:
    skus = [f"SKU-{n:04d}" for n in range(count)]
    adapter.upsert_listings([listing(sku, quantity=10) for sku in skus])
    sandbox.clear_calls()
    link = ChannelLink(None, "shopify", sandbox.url, {"access_token": TOKEN}, None)
    return open_shop(sessions, channel_context(), link, dict.fromkeys(skus, 10), currency="GBP")


def available(sandbox: RunningSandbox, adapter: ShopifyAdapter) -> dict[str, int]:
    shown = shop_variants(sandbox, adapter.setup().location_id, "sku:SKU-*")
    return {sku: variant["available"] for sku, variant in shown.items()}


def available_in_state(sandbox: RunningSandbox) -> dict[str, int]:
    """``available`` per SKU from the sandbox's state API: reading 1,000 variants through
    GraphQL would spend the owner's query budget and be throttled."""
    state = sandbox.state()
    return {
        item["sku"]: level["quantities"]["available"]
        for level in state["inventory_levels"].values()
        if (item := state["inventory_items"][level["item_id"]])["sku"]
    }


@pytest.fixture
def queue_for() -> Iterator[list[JobQueue]]:
    made: list[JobQueue] = []
    yield made
    for queue in made:
        queue.close()


def make_queue(
    made: list[JobQueue], sessions: sessionmaker[Session], database_url: str, shop: Shop,
    path: Path, coalesce: float,
) -> JobQueue:  # fmt: skip
    """A queue for the shop: commits queue pushes on it from now on; its consumer not started."""
    settings = queue_settings(database_url).model_copy(update={"push_coalesce_seconds": coalesce})
    queue = JobQueue(settings, sessions, default_handlers(shop.ctx), sqlite_path=path)
    made.append(queue)
    return queue


def test_a_pos_sale_reaches_shopify(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path,
    adapter: ShopifyAdapter, sandbox: RunningSandbox, queue_for: list[JobQueue],
) -> None:  # fmt: skip
    shop = shopify_shop(sessions, adapter, sandbox, 3)
    make_queue(queue_for, sessions, database_url, shop, tmp_path / "q.db", 0.5).start_in_process(
        periodic=False
    )

    shop.sell("SKU-0001", 3)

    wait_for(lambda: available(sandbox, adapter)["SKU-0001"] == 7)
    wait_for(lambda: shop.push_jobs()[-1].status is JobStatus.SUCCEEDED)
    assert available(sandbox, adapter) == {"SKU-0000": 10, "SKU-0001": 7, "SKU-0002": 10}


def test_1000_changed_skus_take_four_mutations(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path,
    adapter: ShopifyAdapter, sandbox: RunningSandbox, queue_for: list[JobQueue],
) -> None:  # fmt: skip
    shop = shopify_shop(sessions, adapter, sandbox, 1000)
    skus = sorted(shop.versions)
    queue = make_queue(queue_for, sessions, database_url, shop, tmp_path / "q.db", coalesce=1)
    wanted = {sku: n % 5 for n, sku in enumerate(skus)}

    for start in range(0, 1000, 100):  # 10 commits of 100 changes, before the push starts
        shop.count({sku: wanted[sku] for sku in skus[start : start + 100]})
    queue.start_in_process(periodic=False)

    def pushed() -> bool:
        pushes = shop.push_jobs()
        return bool(pushes) and all(job.status.finished for job in pushes)

    wait_for(pushed, timeout=240)  # the adapter paces itself by Shopify's cost budget
    [job] = shop.push_jobs()
    assert job.status is JobStatus.SUCCEEDED
    assert job.counts["pushed"] == 1000
    assert sandbox.calls()["inventorySetQuantities"] == 4  # 250 a mutation
    assert available_in_state(sandbox) == wanted
