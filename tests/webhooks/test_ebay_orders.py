"""eBay orders arriving by notification, end to end: the endpoint challenge over HTTP,
ORDER_CONFIRMATION signed and delivered by the eBay sandbox to our endpoint, the job
importing the order; forged and repeated deliveries; a webhook racing the poll; an older
state arriving after a newer one."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from stockbridge.db.models import (
    EcomOrder,
    JobKind,
    LedgerReason,
    OrderStatus,
    StockLedgerEntry,
    WebhookStatus,
)
from stockbridge.sandbox.delivery import Deliverer
from stockbridge.sandbox.ebay.publisher import NotificationPublisher, ebay_timestamp, encode
from stockbridge.sandbox.ebay.sales import CancelOrder, cancel_order
from stockbridge.sandbox.ebay.signing import signature_header
from stockbridge.sync import jobs
from tests.sync.conftest import wait_for
from tests.sync.ebay_shop import Stored, stored
from tests.sync.shops import NoWaker
from tests.webhooks.conftest import VERIFICATION_TOKEN, EbayStore, paused_context


def publisher(store: EbayStore) -> NotificationPublisher:
    found: NotificationPublisher = store.harness.app.state.ebay_notifications
    return found


def deliverer(store: EbayStore) -> Deliverer:
    return publisher(store).deliverer


def reserve_entries(store: EbayStore) -> int:
    with store.app.sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(StockLedgerEntry)
            .where(StockLedgerEntry.reason == LedgerReason.RESERVE)
        )
        return int(count or 0)


def test_the_endpoint_answers_ebays_challenge_over_http(ebay_store: EbayStore) -> None:
    endpoint = ebay_store.app.endpoint("ebay")
    # Registering made the sandbox challenge the endpoint: the destination exists.
    [destination] = ebay_store.harness.get_state()["notification"]["destinations"].values()
    assert destination["endpoint"] == endpoint

    answer = httpx.get(endpoint, params={"challenge_code": "a1b2c3"}, timeout=10)

    assert answer.status_code == 200, answer.text
    expected = hashlib.sha256(f"a1b2c3{VERIFICATION_TOKEN}{endpoint}".encode()).hexdigest()
    assert answer.json() == {"challengeResponse": expected}
    assert ebay_store.app.logs() == []


def test_an_order_confirmation_from_ebay_imports_the_order_with_its_reservation(
    ebay_store: EbayStore,
) -> None:
    [order_id] = ebay_store.shop.buy(1)

    ebay_store.confirm(order_id)
    [log] = ebay_store.app.wait_for_logs(1)
    assert ebay_store.app.run_queued_webhook_jobs() == 1

    assert (log.event_type, log.status) == ("ORDER_CONFIRMATION", WebhookStatus.RECEIVED)
    assert [d.status for d in deliverer(ebay_store).deliveries("ORDER_CONFIRMATION")] == [
        "delivered"
    ]
    assert stored(ebay_store.app.sessions, ebay_store.shop) == Stored(1, 1, 1, 1)
    assert reserve_entries(ebay_store) == 1
    with ebay_store.app.sessions() as session:
        order = session.scalars(select(EcomOrder)).one()
        assert (order.external_id, order.status) == (order_id, OrderStatus.PENDING)
    assert [log.status for log in ebay_store.app.logs()] == [WebhookStatus.PROCESSED]


def test_a_forged_order_confirmation_is_refused_and_logged_as_rejected(
    ebay_store: EbayStore,
) -> None:
    [order_id] = ebay_store.shop.buy(1)
    ebay_store.confirm(order_id)
    ebay_store.app.wait_for_logs(1)
    [real] = deliverer(ebay_store).deliveries("ORDER_CONFIRMATION")
    signed = json.loads(base64.b64decode(real.headers["X-EBAY-SIGNATURE"]))
    stranger = ec.generate_private_key(ec.SECP256R1())
    body = real.body.replace(b'"publishAttemptCount":1', b'"publishAttemptCount":2')
    signed["signature"] = base64.b64encode(stranger.sign(body, ec.ECDSA(hashes.SHA1()))).decode()
    forged = base64.b64encode(json.dumps(signed).encode()).decode()

    answer = httpx.post(
        ebay_store.app.endpoint("ebay"),
        content=body,
        headers={"Content-Type": "application/json", "X-EBAY-SIGNATURE": forged},
        timeout=10,
    )

    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    rejected = [log for log in ebay_store.app.logs() if log.status is WebhookStatus.REJECTED]
    assert [(log.event_type, log.payload) for log in rejected] == [
        ("ORDER_CONFIRMATION", {"bytes": len(body)})
    ]
    assert len(ebay_store.app.webhook_jobs()) == 1  # the real one's only


def signed_confirmation(store: EbayStore, order_id: str) -> tuple[bytes, dict[str, str]]:
    """An ORDER_CONFIRMATION as the sandbox builds and signs it, not sent yet."""
    now = store.harness.clock.now
    message = {
        "metadata": {"topic": "ORDER_CONFIRMATION", "schemaVersion": "1.0", "deprecated": False},
        "notification": {
            "notificationId": f"{uuid.uuid4()}_{uuid.uuid4()}",
            "eventDate": ebay_timestamp(now),
            "publishDate": ebay_timestamp(now),
            "publishAttemptCount": 1,
            "data": {"orderId": order_id},
        },
    }
    body = encode(message)
    header = signature_header(publisher(store).signing_key(), body)
    return body, {"Content-Type": "application/json", "X-EBAY-SIGNATURE": header}


def test_one_signed_notification_sent_ten_times_at_once_is_one_order_reserved_once(
    ebay_store: EbayStore,
) -> None:
    [order_id] = ebay_store.shop.buy(1)
    body, headers = signed_confirmation(ebay_store, order_id)

    def send(_: int) -> httpx.Response:
        return httpx.post(
            ebay_store.app.endpoint("ebay"), content=body, headers=headers, timeout=10
        )

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))

    assert [answer.status_code for answer in answers] == [200] * 10
    assert sum(answer.json()["duplicate"] for answer in answers) == 9
    assert len(ebay_store.app.logs()) == 1
    assert ebay_store.app.run_queued_webhook_jobs() == 1
    assert stored(ebay_store.app.sessions, ebay_store.shop) == Stored(1, 1, 1, 1)
    assert reserve_entries(ebay_store) == 1


def test_webhooks_and_the_poll_racing_for_the_same_orders_import_each_once(
    ebay_store: EbayStore,
) -> None:
    placed = ebay_store.shop.buy(8)
    for order_id in placed:
        ebay_store.confirm(order_id)
    ebay_store.app.wait_for_logs(len(placed))
    hooks = ebay_store.app.webhook_jobs()
    with ebay_store.app.sessions.begin() as session:
        poll = jobs.enqueue_job(
            session, NoWaker(), kind=JobKind.ORDERS, channel_id=ebay_store.app.channel_id
        ).id
    start = threading.Barrier(2)

    def run_all(job_ids: list[int]) -> None:
        start.wait(10)
        for job_id in job_ids:
            ebay_store.app.run_job(job_id)

    racers = [
        threading.Thread(target=run_all, args=(hooks,)),
        threading.Thread(target=run_all, args=([poll],)),
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)

    with ebay_store.app.sessions() as session:
        finished = [jobs.get_job(session, job_id) for job_id in (*hooks, poll)]
    assert {job.status for job in finished} == {jobs.JobStatus.SUCCEEDED}, [
        job.error for job in finished
    ]
    after = stored(ebay_store.app.sessions, ebay_store.shop)
    assert after == Stored(len(placed), len(placed), len(placed), len(placed))
    assert reserve_entries(ebay_store) == len(placed)


def test_a_notification_that_fetched_the_order_before_a_cancel_does_not_reopen_it(
    ebay_store: EbayStore,
) -> None:
    [order_id] = ebay_store.shop.buy(1)
    ebay_store.confirm(order_id)
    ebay_store.app.wait_for_logs(1)
    assert ebay_store.app.run_queued_webhook_jobs() == 1
    ebay_store.confirm(order_id)  # eBay announces the order again
    ebay_store.app.wait_for_logs(2)
    late_job = ebay_store.app.webhook_jobs()[-1]
    ctx, hooks = paused_context(ebay_store.app, "ebay")
    late = threading.Thread(target=ebay_store.app.run_job, args=(late_job, ctx))
    late.start()
    try:
        assert hooks.fetched.wait(10), "the notification's job did not fetch the order"
        # While that job holds the open order, the buyer cancels and the poll imports it.
        ebay_store.harness.clock.advance(60)
        cancel_order(ebay_store.harness.sandbox, order_id, CancelOrder())
        assert ebay_store.app.poll_orders() == {"updated": 1}
    finally:
        hooks.release.set()
        late.join(30)

    [held] = hooks.answered
    assert not held.cancelled  # it read the order before the cancel
    with ebay_store.app.sessions() as session:
        assert jobs.get_job(session, late_job).counts == {"stale": 1}
        order = session.scalars(select(EcomOrder)).one()
        assert order.status is OrderStatus.CANCELLED
    after = stored(ebay_store.app.sessions, ebay_store.shop)
    assert (after.orders, after.qty_reserved) == (1, 0)
    assert reserve_entries(ebay_store) == 1


def test_a_key_not_fetched_yet_holds_up_its_own_delivery_and_no_other(
    ebay_store: EbayStore,
) -> None:
    first, second = ebay_store.shop.buy(2)
    endpoint = ebay_store.app.endpoint("ebay")

    def send(body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(endpoint, content=body, headers=headers, timeout=30)

    assert send(*signed_confirmation(ebay_store, first)).status_code == 200  # its key kept
    # A forger's key id makes us ask eBay for that key, which eBay is slow to refuse.
    slow_key = {"path_pattern": "/public_key/", "latency_ms": 4000, "times": 1}
    assert ebay_store.harness.http.post("/_sandbox/faults", json=slow_key).status_code == 201
    body, headers = signed_confirmation(ebay_store, second)
    signed = json.loads(base64.b64decode(headers["X-EBAY-SIGNATURE"]))
    forged = {**signed, "kid": f"never-issued-{uuid.uuid4()}"}
    forged_header = base64.b64encode(json.dumps(forged).encode()).decode()

    with ThreadPoolExecutor(1) as pool:
        refused = pool.submit(send, body, {**headers, "X-EBAY-SIGNATURE": forged_header})
        wait_for(lambda: ebay_store.harness.http.get("/_sandbox/faults").json()[0]["hits"])
        meanwhile = send(body, headers)
        still_waiting = not refused.done()

    assert meanwhile.status_code == 200, meanwhile.text
    assert still_waiting
    assert refused.result().status_code == 401
    assert [log.status for log in ebay_store.app.logs()] == [
        WebhookStatus.RECEIVED,
        WebhookStatus.RECEIVED,
        WebhookStatus.REJECTED,
    ]


def test_a_key_ebay_fails_to_serve_is_a_502_and_the_delivery_is_logged_when_sent_again(
    ebay_store: EbayStore,
) -> None:
    [order_id] = ebay_store.shop.buy(1)
    body, headers = signed_confirmation(ebay_store, order_id)
    down = {"path_pattern": "/public_key/", "status": 503, "times": 2}
    assert ebay_store.harness.http.post("/_sandbox/faults", json=down).status_code == 201

    failed = httpx.post(ebay_store.app.endpoint("ebay"), content=body, headers=headers, timeout=30)
    again = httpx.post(ebay_store.app.endpoint("ebay"), content=body, headers=headers, timeout=30)

    assert failed.status_code == 502, failed.text
    assert failed.headers["content-type"].startswith("application/problem+json")
    assert again.status_code == 200, again.text
    assert [log.status for log in ebay_store.app.logs()] == [WebhookStatus.RECEIVED]
