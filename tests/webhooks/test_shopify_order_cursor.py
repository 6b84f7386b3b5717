"""The Shopify orders poll goes on from a time: the newest ``updatedAt`` it saw, less the
overlap. With every delivery lost, on a shop whose clock the test moves: a poll of one
page stores its cursor, changes made while no worker polled for days still come, and
the overlap brings nothing twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from stockbridge.channels.shopify.order_import import cursor_time
from stockbridge.db.models import EcomChannel, OrderStatus
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.sandbox.shopify import ShopifySandbox, ShopifySandboxConfig
from stockbridge.sandbox.shopify import create_app as create_shopify
from tests.sandbox.contracts import CONTRACTS_DIR, contracts_present
from tests.sandbox.shopify import shop_client
from tests.sandbox.shopify.shop_client import ShopifyClient
from tests.webhooks.conftest import ShopifyStore
from tests.webhooks.test_shopify_orders import cancel_on_shop, shopify_url

__all__ = ["shopify_url"]

DAY = 86_400.0


@dataclass
class ShopClock:
    """The shop's time: the real clock less ``behind`` seconds (moved only forwards, so the
    shop's rate limit still refills)."""

    behind: float = 0.0

    def __call__(self) -> float:
        return time.time() - self.behind

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)


@pytest.fixture
def shop_clock(monkeypatch: pytest.MonkeyPatch) -> ShopClock:
    """The shop's clock, three days back at first; the poll reads its time too (where a
    first poll starts, one day back)."""
    clock = ShopClock(behind=3 * DAY)
    monkeypatch.setattr("stockbridge.sync.order_poll.utcnow", clock.now)
    return clock


@pytest.fixture
def shopify_client(shop_clock: ShopClock) -> Iterator[ShopifyClient]:
    """A fresh Shopify sandbox on :class:`ShopClock`, its deliveries all lost."""
    config = ShopifySandboxConfig(
        access_tokens=frozenset({"shpat_sandbox", shop_client.TOKEN}),
        contracts_dir=CONTRACTS_DIR if contracts_present() else None,
        clock=shop_clock,
    )
    app = create_shopify(config)
    sandbox: ShopifySandbox = app.state.sandbox
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.post("/_sandbox/deliveries/faults", json={"drop_rate": 1.0}).is_success
        yield ShopifyClient(http, sandbox, shop_client.FakeClock())
    assert sandbox.contract_violations.all() == [], "documents broke Shopify's schema"


def stored_cursor(store: ShopifyStore) -> str | None:
    with store.app.sessions() as session:
        channel = session.get(EcomChannel, store.app.channel_id)
        assert channel is not None
        return channel.orders_cursor


@pytest.mark.parametrize("store_units", [100])
def test_a_poll_of_one_page_stores_the_newest_updated_at_as_its_cursor(
    shopify_store: ShopifyStore, shop_clock: ShopClock
) -> None:
    shop_clock.behind = 0.0
    [shopify_store.buy(1) for _ in range(3)]

    assert shopify_store.app.poll_orders() == {"created": 3}

    cursor = cursor_time(stored_cursor(shopify_store))
    assert cursor is not None
    assert shop_clock.now() - timedelta(seconds=60) < cursor <= shop_clock.now()


@pytest.mark.parametrize("store_units", [100])
def test_changes_made_while_nothing_polled_for_two_days_come_each_once(
    shopify_store: ShopifyStore, shop_clock: ShopClock
) -> None:
    first = shopify_store.buy(1)
    before = shopify_store.app.poll_orders()  # three days ago, one page
    shop_clock.behind = 1.5 * DAY  # no worker polls for a day and a half; buyers go on
    gap = [shopify_store.buy(2) for _ in range(12)]  # more than a page of 10
    cancel_on_shop(shopify_store, first)
    shop_clock.behind = 0.0  # a worker is back, more than a day after the gap

    after = shopify_store.app.poll_orders()
    again = shopify_store.app.poll_orders()

    assert before == {"created": 1}
    assert (after["created"], after["updated"]) == (12, 1)
    assert "created" not in again
    assert "updated" not in again
    stock = shopify_store.stock()
    assert (stock.orders, stock.items, stock.reserve_entries) == (13, 13, 13)
    assert stock.reserved == stock.reserved_by_ledger - 1 == 12 * 2  # the cancel released 1
    assert shopify_store.order(first["admin_graphql_api_id"]).status is OrderStatus.CANCELLED
    assert all(shopify_store.order(o["admin_graphql_api_id"]) for o in gap)
    cursor = cursor_time(stored_cursor(shopify_store))
    assert cursor is not None
    assert cursor < shop_clock.now() - timedelta(days=1)  # the newest change, in the gap
