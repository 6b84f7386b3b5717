"""Deliveries acknowledged in batches: each keeps its own outcome, the batch is logged in
one transaction, and the thread that runs the batches serves whatever queued meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from unittest.mock import ANY

import pytest
from sqlalchemy import event, func, select

from stockbridge.api.problems import TooManyRequests
from stockbridge.channels.base import WebhookRequest
from stockbridge.db.models import EcomWebhookLog, JobKind, SyncJob, WebhookStatus
from stockbridge.errors import NotFound
from stockbridge.sandbox.shopify.webhook_delivery import shopify_hmac, webhook_body
from stockbridge.webhooks.acknowledger import Acknowledger
from stockbridge.webhooks.ingest import (
    Delivery,
    Outcome,
    Receipt,
    SignatureRejected,
    receive_many,
)
from stockbridge.webhooks.verifiers import Verifiers
from tests.sync.shops import NoWaker
from tests.webhooks.conftest import SECRET, Stockbridge


def shopify_delivery(
    channel_id: int, delivery_id: str, payload: dict[str, Any], *, secret: str = SECRET
) -> Delivery:
    body = webhook_body(payload)
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": "products/update",
        "x-shopify-webhook-id": delivery_id,
        "x-shopify-hmac-sha256": shopify_hmac(secret, body),
    }
    request = WebhookRequest("POST", "http://stockbridge.test/hook", headers, body)
    return Delivery("shopify", channel_id, request, "192.0.2.10")


def logged(stockbridge: Stockbridge) -> list[tuple[str, WebhookStatus]]:
    with stockbridge.sessions() as session:
        rows = session.execute(
            select(EcomWebhookLog.delivery_id, EcomWebhookLog.status).order_by(EcomWebhookLog.id)
        )
        return [(delivery_id, status) for delivery_id, status in rows]


def webhook_jobs(stockbridge: Stockbridge) -> int:
    with stockbridge.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.kind == JobKind.WEBHOOK)
        )
        return int(count or 0)


@pytest.fixture
def commits(stockbridge: Stockbridge) -> Iterator[list[int]]:
    """One entry per transaction committed on the test's engine while the test runs."""
    engine = stockbridge.sessions.kw["bind"]
    seen: list[int] = []

    def count(_connection: Any) -> None:
        seen.append(1)

    event.listen(engine, "commit", count)
    yield seen
    event.remove(engine, "commit", count)


def test_a_batch_gives_each_delivery_its_own_outcome_and_logs_them_in_one_transaction(
    stockbridge: Stockbridge, commits: list[int]
) -> None:
    channel = stockbridge.channel_id
    first = shopify_delivery(channel, "b-1", {"id": 1})
    batch = [
        first,
        shopify_delivery(channel, "b-2", {"id": 2}, secret="forged"),
        first,  # the same delivery twice in one batch
        shopify_delivery(999_999, "b-3", {"id": 3}),
        Delivery("ebay", channel, first.request, first.source_ip),
        shopify_delivery(channel, "b-4", {"id": 4}),
    ]
    waker = NoWaker()

    outcomes = receive_many(stockbridge.sessions, Verifiers(stockbridge.ctx()), waker, batch)

    kinds: list[Any] = [type(outcome) for outcome in outcomes]
    assert kinds == [Receipt, SignatureRejected, Receipt, NotFound, NotFound, Receipt]
    receipts = [outcome for outcome in outcomes if isinstance(outcome, Receipt)]
    assert [receipt.duplicate for receipt in receipts] == [False, True, False]
    assert logged(stockbridge) == [
        ("b-1", WebhookStatus.RECEIVED),
        (ANY, WebhookStatus.REJECTED),
        ("b-4", WebhookStatus.RECEIVED),
    ]
    assert webhook_jobs(stockbridge) == 2
    assert len(waker.woken) == 2
    # One transaction made the verifiers (the channels' secrets read), one logged.
    assert len(commits) == 2


def test_a_delivery_the_database_refuses_fails_alone(stockbridge: Stockbridge) -> None:
    engine = stockbridge.sessions.kw["bind"]

    def refuse_n2(_conn: Any, _cursor: Any, _statement: str, parameters: Any, *_: Any) -> None:
        if "n-2" in str(parameters):
            raise ValueError("the database refuses n-2")

    channel = stockbridge.channel_id
    batch = [shopify_delivery(channel, f"n-{n}", {"id": n}) for n in (1, 2, 3)]
    event.listen(engine, "before_cursor_execute", refuse_n2)
    try:
        outcomes = receive_many(
            stockbridge.sessions, Verifiers(stockbridge.ctx()), NoWaker(), batch
        )
    finally:
        event.remove(engine, "before_cursor_execute", refuse_n2)

    assert [type(outcome) for outcome in outcomes] == [Receipt, ValueError, Receipt]
    assert [delivery_id for delivery_id, _ in logged(stockbridge)] == ["n-1", "n-3"]
    assert webhook_jobs(stockbridge) == 2


def test_a_nul_character_in_a_payload_is_dropped_and_the_delivery_logged(
    stockbridge: Stockbridge,
) -> None:
    nul = shopify_delivery(stockbridge.channel_id, "z-1", {"id": 1, "title": "nul \u0000 in"})

    [receipt] = receive_many(stockbridge.sessions, Verifiers(stockbridge.ctx()), NoWaker(), [nul])

    assert isinstance(receipt, Receipt)
    with stockbridge.sessions() as session:
        [payload] = session.scalars(select(EcomWebhookLog.payload))
    assert payload == {"id": 1, "title": "nul  in"}


# --- the acknowledger's thread ----------------------------------------------------


def request_of(n: int) -> Delivery:
    return Delivery("shopify", n, WebhookRequest("POST", "http://x/", {}, b""), None)


class Recording:
    """A batch handler that records each batch, optionally held until ``release``."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.fail_next: Exception | None = None

    def __call__(self, batch: Sequence[Delivery]) -> list[Outcome]:
        self.started.set()
        assert self.release.wait(10), "never released"
        self.batches.append([delivery.channel_id for delivery in batch])
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return [
            Receipt(log_id=delivery.channel_id)
            if delivery.channel_id >= 0
            else TooManyRequests("slow down", retry_after=7)
            for delivery in batch
        ]


def test_deliveries_that_queue_while_a_batch_runs_are_served_as_the_next_batch() -> None:
    handle = Recording(hold_first=True)
    acknowledger = Acknowledger(handle)

    async def scenario() -> list[int | None]:
        first = asyncio.ensure_future(acknowledger.submit(request_of(0)))
        await asyncio.to_thread(handle.started.wait, 10)
        waiting = [asyncio.ensure_future(acknowledger.submit(request_of(n))) for n in (1, 2, 3)]
        await asyncio.sleep(0.05)  # all three queued behind the held batch
        handle.release.set()
        receipts = await asyncio.gather(first, *waiting)
        return [receipt.log_id for receipt in receipts]

    assert asyncio.run(scenario()) == [0, 1, 2, 3]
    assert handle.batches == [[0], [1, 2, 3]]
    acknowledger.close()


def test_a_refusal_is_raised_by_its_own_submit_only() -> None:
    acknowledger = Acknowledger(Recording())

    async def scenario() -> list[Any]:
        return await asyncio.gather(
            acknowledger.submit(request_of(-1)),
            acknowledger.submit(request_of(5)),
            return_exceptions=True,
        )

    refused, accepted = asyncio.run(scenario())
    assert isinstance(refused, TooManyRequests)
    assert refused.retry_after == 7
    assert accepted == Receipt(log_id=5)
    acknowledger.close()


def test_a_batch_that_fails_as_a_whole_fails_each_of_its_deliveries_and_not_the_next() -> None:
    handle = Recording()
    handle.fail_next = ConnectionError("Redis is down")
    acknowledger = Acknowledger(handle)

    async def submit(n: int) -> Receipt:
        return await acknowledger.submit(request_of(n))

    with pytest.raises(ConnectionError, match="Redis is down"):
        asyncio.run(submit(1))
    assert asyncio.run(submit(2)) == Receipt(log_id=2)
    acknowledger.close()


def test_the_thread_ends_when_idle_and_starts_again_with_the_next_delivery() -> None:
    handle = Recording()
    acknowledger = Acknowledger(handle, idle_seconds=0.05)

    def threads() -> int:
        return sum(thread.name == "webhook-acknowledger" for thread in threading.enumerate())

    before = threads()
    assert asyncio.run(acknowledger.submit(request_of(1))) == Receipt(log_id=1)
    deadline = threading.Event()
    for _ in range(100):
        if threads() == before:
            break
        deadline.wait(0.05)
    assert threads() == before
    assert asyncio.run(acknowledger.submit(request_of(2))) == Receipt(log_id=2)
    acknowledger.close()
    assert threads() == before
    assert handle.batches == [[1], [2]]


def test_a_client_that_gives_up_waiting_does_not_disturb_the_others() -> None:
    handle = Recording(hold_first=True)
    acknowledger = Acknowledger(handle)

    async def scenario() -> Receipt:
        gone = asyncio.ensure_future(acknowledger.submit(request_of(1)))
        stays = asyncio.ensure_future(acknowledger.submit(request_of(2)))
        await asyncio.to_thread(handle.started.wait, 10)
        gone.cancel()
        handle.release.set()
        return await stays

    assert asyncio.run(scenario()) == Receipt(log_id=2)
    acknowledger.close()
