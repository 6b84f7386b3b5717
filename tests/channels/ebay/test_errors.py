"""Every failure the eBay sandbox can give maps to one ChannelError category; pacing holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import redis

from stockbridge.channels.base import StockLevel, TokenSet
from stockbridge.errors import ChannelError, ChannelErrorCategory
from tests.channels.ebay.conftest import (
    Connected,
    add_fault,
    connect,
    listing,
    new_adapter,
    statuses,
)
from tests.sandbox.ebay.conftest import EbayHarness, StartSandbox

REDIS_URL = "redis://127.0.0.1:6379/15"
BULK = "^/sell/inventory/v1/bulk_update_price_quantity"


def _push_fails(connected: Connected) -> ChannelError:
    with pytest.raises(ChannelError) as raised:
        connected.adapter.set_quantities([StockLevel("LAMP-1", 1)])
    return raised.value


@pytest.fixture
def stocked(connected: Connected) -> Connected:
    connected.adapter.upsert_listings([listing("LAMP-1")])
    return connected


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(stocked: Connected, shop: EbayHarness, status: int) -> None:
    add_fault(shop, path_pattern=BULK, status=status)

    error = _push_fails(stocked)

    assert error.category is ChannelErrorCategory.TRANSIENT
    assert error.http_status == status
    assert error.retryable


def test_too_many_requests_is_rate_limited_with_a_wait(
    stocked: Connected, shop: EbayHarness
) -> None:
    add_fault(shop, path_pattern=BULK, status=429)

    error = _push_fails(stocked)

    assert error.category is ChannelErrorCategory.RATE_LIMITED
    assert error.retry_after is not None
    assert error.retry_after > 0


def test_a_hung_call_times_out_as_transient(shop: EbayHarness) -> None:
    connected = connect(shop, timeout_seconds=0.5)
    connected.adapter.upsert_listings([listing("LAMP-1")])
    add_fault(shop, path_pattern=BULK, hang=True, hang_seconds=2)

    error = _push_fails(connected)

    assert error.category is ChannelErrorCategory.TRANSIENT
    assert "timed out" in error.detail


def test_a_refused_body_is_validation_and_a_missing_offer_not_found(
    stocked: Connected, shop: EbayHarness
) -> None:
    add_fault(shop, path_pattern=BULK, status=400, times=1)
    refused = _push_fails(stocked)
    stocked.adapter.upsert_listings([listing("LAMP-1")])  # offer id now cached
    shop.call("DELETE", "/inventory_item/LAMP-1")  # which also deletes its offer

    with pytest.raises(ChannelError) as missing:
        stocked.adapter.publish("LAMP-1")

    assert refused.category is ChannelErrorCategory.VALIDATION
    assert refused.code == "25002"
    assert missing.value.category is ChannelErrorCategory.NOT_FOUND
    assert missing.value.code == "25713"


def test_an_unexpected_status_is_critical(stocked: Connected, shop: EbayHarness) -> None:
    add_fault(shop, path_pattern=BULK, status=409)

    assert _push_fails(stocked).category is ChannelErrorCategory.CRITICAL


def test_a_refused_connection_is_transient(shop: EbayHarness) -> None:
    tokens = TokenSet("v^1.1#token", datetime.fromtimestamp(shop.clock.now + 3600, UTC))
    nowhere = new_adapter(shop, tokens=tokens, base_url="http://127.0.0.1:9")  # nothing listens

    with pytest.raises(ChannelError) as raised:
        nowhere.adapter.test_connection()

    assert raised.value.category is ChannelErrorCategory.TRANSIENT


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_300_call_burst_with_pacing_never_meets_a_429(
    start_sandbox: StartSandbox, store: str
) -> None:
    if store == "redis":
        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.ConnectionError:
            pytest.skip(f"no Redis at {REDIS_URL} (make test starts one)")
    client_id = f"burst-{uuid.uuid4().hex[:8]}"
    harness = start_sandbox(client_id=client_id, calls_per_token=250)
    settings = {"daily_budgets": {"inventory": 250}}
    if store == "redis":
        settings["redis_url"] = REDIS_URL  # type: ignore[assignment]
    adapter = connect(harness, client_id=client_id, **settings).adapter

    sent, refused = 0, []
    for _ in range(300):  # one Inventory call each
        try:
            adapter.test_connection()
            sent += 1
        except ChannelError as error:
            refused.append(error)

    assert sent == 250
    assert len(refused) == 50
    assert {error.category for error in refused} == {ChannelErrorCategory.RATE_LIMITED}
    assert all(error.retry_after and error.retry_after > 0 for error in refused)
    assert 429 not in statuses(harness)
