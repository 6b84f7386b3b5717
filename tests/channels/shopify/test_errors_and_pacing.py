"""Every failure the sandbox can inject becomes the right ChannelError; pacing avoids THROTTLED."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stockbridge.channels.base import StockLevel
from stockbridge.channels.registry import ChannelConnection
from stockbridge.channels.shopify import ShopifyAdapter
from stockbridge.channels.shopify.documents import INVENTORY_SET_QUANTITIES
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from tests.channels.shopify.helpers import (
    GRAPHQL_PATH,
    TOKEN,
    TOKENS,
    RunningSandbox,
    listing,
)

GRAPHQL = "^/admin/api/"


@pytest.mark.parametrize(
    ("rule", "category", "status"),
    [
        ({"status": 500}, ChannelErrorCategory.TRANSIENT, 500),
        ({"status": 503}, ChannelErrorCategory.TRANSIENT, 503),
        ({"status": 429}, ChannelErrorCategory.RATE_LIMITED, 429),
        ({"status": 401}, ChannelErrorCategory.AUTH_FAILED, 401),
        ({"status": 403}, ChannelErrorCategory.AUTH_FAILED, 403),
        ({"status": 404}, ChannelErrorCategory.NOT_FOUND, 404),
        ({"status": 402}, ChannelErrorCategory.CRITICAL, 402),
        ({"status": 400}, ChannelErrorCategory.VALIDATION, 400),
        ({"expire_token": True}, ChannelErrorCategory.AUTH_FAILED, 401),
    ],
)
def test_an_injected_fault_maps_to_its_category(
    sandbox: RunningSandbox,
    rule: dict[str, object],
    category: ChannelErrorCategory,
    status: int,
) -> None:
    adapter = sandbox.connect()
    sandbox.fault(path_pattern=GRAPHQL, **rule)

    with pytest.raises(ChannelError) as failed:
        adapter.test_connection()

    assert failed.value.category is category
    assert failed.value.http_status == status
    if category is ChannelErrorCategory.RATE_LIMITED:
        assert failed.value.retry_after is not None


def test_a_hung_call_times_out_as_transient(sandbox: RunningSandbox) -> None:
    adapter = sandbox.connect(timeout_seconds=0.5)
    sandbox.fault(path_pattern=GRAPHQL, hang=True, hang_seconds=3, times=1)

    with pytest.raises(ChannelError) as failed:
        adapter.test_connection()

    assert failed.value.category is ChannelErrorCategory.TRANSIENT
    assert "timed out" in failed.value.detail


def test_an_unreachable_shop_is_transient() -> None:
    adapter = ShopifyAdapter(
        ChannelConnection(
            channel_id=None,
            base_url="http://127.0.0.1:9",
            credentials={"access_token": TOKEN},
            settings={"timeout_seconds": 1},
        )
    )

    with pytest.raises(ChannelError) as failed:
        adapter.test_connection()

    assert failed.value.category is ChannelErrorCategory.TRANSIENT


def test_a_wrong_token_is_auth_failed(sandbox: RunningSandbox) -> None:
    adapter = ShopifyAdapter(
        ChannelConnection(channel_id=1, base_url=sandbox.url, credentials={"access_token": "no"})
    )

    with pytest.raises(ChannelError) as failed:
        adapter.test_connection()

    assert failed.value.category is ChannelErrorCategory.AUTH_FAILED


def test_a_transient_failure_then_success_is_retryable(sandbox: RunningSandbox) -> None:
    adapter = sandbox.connect()
    sandbox.fault(path_pattern=GRAPHQL, status=502, times=1)

    with pytest.raises(ChannelError) as failed:
        adapter.test_connection()
    assert failed.value.retryable

    assert adapter.test_connection().currency == "GBP"


class TestPacing:
    """A shop bucket of 100 points refilling 600 a second: a burst must wait, not be refused."""

    @pytest.fixture
    def sandbox_config(self, contract_mode: Path | None) -> ShopifySandboxConfig:
        return ShopifySandboxConfig(access_tokens=TOKENS, bucket_size=100, restore_rate=600)

    def test_a_burst_of_300_calls_is_never_throttled(self, sandbox: RunningSandbox) -> None:
        adapter = sandbox.connect()
        skus = [f"BURST-{n}" for n in range(4)]
        adapter.upsert_listings([listing(sku) for sku in skus])
        sandbox.clear_calls()
        failures: list[BaseException] = []

        def push(sku: str) -> None:
            try:
                for n in range(75):
                    result = adapter.set_quantities([StockLevel(sku, n)])
                    assert result.accepted == (sku,)
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=push, args=(sku,)) for sku in skus]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert failures == []
        # A THROTTLED answer would have been waited out and sent again: more than 300.
        assert sandbox.calls() == {"inventorySetQuantities": 300}

    def test_without_pacing_the_same_burst_is_throttled(self, sandbox: RunningSandbox) -> None:
        """The control experiment: the same mutations sent by a client that does not wait.

        Sent from as many threads as the paced burst, so a slow (busy) machine slows both
        alike and cannot hide the throttling by leaving the bucket time to refill.
        """
        adapter = sandbox.connect()
        [ref] = adapter.upsert_listings([listing("RAW-1")])
        location = adapter.setup().location_id
        codes: list[str] = []

        def send(n: int) -> None:
            quantities = [
                {
                    "inventoryItemId": ref.refs["inventory_item_id"],
                    "locationId": location,
                    "quantity": n,
                }
            ]
            variables = {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "ignoreCompareQuantity": True,
                    "quantities": quantities,
                }
            }
            answer = sandbox.control.post(
                GRAPHQL_PATH,
                json={"query": INVENTORY_SET_QUANTITIES, "variables": variables},
                headers={"X-Shopify-Access-Token": TOKEN},
            ).json()
            codes.extend(e["extensions"]["code"] for e in answer.get("errors", []))

        def burst(first: int) -> None:
            for n in range(first, 300, 4):
                send(n)

        threads = [threading.Thread(target=burst, args=(first,)) for first in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert "THROTTLED" in codes
