"""Webhook deliveries over HTTP: verified on the raw body, logged once, limited by size and
rate, acknowledged at once; the processing waits in a job."""

from __future__ import annotations

import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import ANY
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from stockbridge.commerce.channels import get_channel
from stockbridge.db.models import EcomWebhookLog, JobKind, SyncJob, WebhookStatus
from tests.sync.conftest import wait_for
from tests.webhooks.conftest import Stockbridge


def logs(stockbridge: Stockbridge) -> list[EcomWebhookLog]:
    with stockbridge.sessions() as session:
        return list(session.scalars(select(EcomWebhookLog).order_by(EcomWebhookLog.id)))


def webhook_jobs(stockbridge: Stockbridge) -> int:
    with stockbridge.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(SyncJob).where(SyncJob.kind == JobKind.WEBHOOK)
        )
        return int(count or 0)


def test_the_same_delivery_ten_times_at_once_is_logged_and_queued_once(
    stockbridge: Stockbridge,
) -> None:
    payload = {"id": 7001, "inventory_item_id": 555, "available": 3}

    with ThreadPoolExecutor(10) as pool:
        answers = list(
            pool.map(lambda _: stockbridge.shopify("inventory_levels/update", payload), range(10))
        )

    assert [a.status_code for a in answers] == [200] * 10
    assert sum(a.json()["duplicate"] for a in answers) == 9
    assert [(log.event_type, log.status) for log in logs(stockbridge)] == [
        ("inventory_levels/update", WebhookStatus.RECEIVED)
    ]
    assert webhook_jobs(stockbridge) == 1


def test_a_forged_delivery_is_refused_and_logged_as_rejected(stockbridge: Stockbridge) -> None:
    answer = stockbridge.shopify("orders/create", {"id": 1}, secret="not-the-app-secret")

    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    [log] = logs(stockbridge)
    assert (log.status, log.event_type, log.payload) == (
        WebhookStatus.REJECTED,
        "orders/create",
        {"bytes": len(b'{"id":1}')},
    )
    assert webhook_jobs(stockbridge) == 0


def test_a_tampered_body_is_refused(stockbridge: Stockbridge) -> None:
    signed = b'{"id":2,"total_price":"10.00"}'
    answer = stockbridge.shopify(
        "orders/create", {}, body=b'{"id":2,"total_price":"0.01"}', signed_body=signed
    )

    assert answer.status_code == 401
    assert [log.status for log in logs(stockbridge)] == [WebhookStatus.REJECTED]


def test_a_forged_delivery_does_not_block_the_real_one(stockbridge: Stockbridge) -> None:
    forged = stockbridge.shopify("orders/create", {"id": 3}, secret="wrong", delivery_id="d-3")
    real = stockbridge.shopify("orders/create", {"id": 3}, delivery_id="d-3")

    assert (forged.status_code, real.status_code) == (401, 200)
    assert real.json()["duplicate"] is False
    assert sorted(log.status for log in logs(stockbridge)) == [
        WebhookStatus.RECEIVED,
        WebhookStatus.REJECTED,
    ]


def test_an_oversized_delivery_is_413_and_leaves_nothing(stockbridge: Stockbridge) -> None:
    payload = {"id": 4, "note": "x" * 5000}  # the test limit is 4096 bytes

    answer = stockbridge.shopify("orders/create", payload)

    assert answer.status_code == 413, answer.text
    assert answer.json()["status"] == 413
    assert logs(stockbridge) == []


def test_a_client_gone_mid_body_is_a_quiet_info_and_leaves_nothing(
    stockbridge: Stockbridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = urlsplit(stockbridge.endpoint("shopify"))
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2000\r\n"
        "X-Shopify-Topic: orders/create\r\nX-Shopify-Webhook-Id: gone-1\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port or 80), timeout=10) as client:
        client.sendall(head.encode() + b'{"id": 6, "note": "')  # then the client goes

    def disconnect_logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "client disconnected" in r.getMessage()]

    [record] = wait_for(disconnect_logged)
    assert record.levelno == logging.INFO
    assert url.path in record.getMessage()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert logs(stockbridge) == []
    assert webhook_jobs(stockbridge) == 0


def reseal_client_secret(stockbridge: Stockbridge, secret: str) -> None:
    """Give the shop a client secret of its own, as another server process would store it."""
    vault = stockbridge.ctx().vault
    with stockbridge.sessions.begin() as session:
        channel = get_channel(session, stockbridge.channel_id)
        assert channel.credentials_encrypted is not None
        opened = vault.open(channel.credentials_encrypted)
        credentials = {**opened["credentials"], "client_secret": secret}
        channel.credentials_encrypted = vault.seal({**opened, "credentials": credentials})


def test_credentials_changed_by_another_process_verify_the_very_next_delivery(
    stockbridge: Stockbridge,
) -> None:
    before = stockbridge.shopify("products/update", {"id": 11}, delivery_id="c-1")
    reseal_client_secret(stockbridge, "the-shops-own-secret")
    old_secret = stockbridge.shopify("products/update", {"id": 12}, delivery_id="c-2")
    new_secret = stockbridge.shopify(
        "products/update", {"id": 13}, delivery_id="c-3", secret="the-shops-own-secret"
    )

    assert [a.status_code for a in (before, old_secret, new_secret)] == [200, 401, 200]
    assert [(log.delivery_id, log.status) for log in logs(stockbridge)] == [
        ("c-1", WebhookStatus.RECEIVED),
        (ANY, WebhookStatus.REJECTED),
        ("c-3", WebhookStatus.RECEIVED),
    ]


def test_a_delivery_refused_by_the_secrets_known_before_is_checked_with_the_stored_ones(
    stockbridge: Stockbridge,
) -> None:
    # The shop's secret changes; the first delivery after signs with the new one.
    assert stockbridge.shopify("products/update", {"id": 14}, delivery_id="k-1").status_code == 200
    reseal_client_secret(stockbridge, "rotated-secret")

    answer = stockbridge.shopify(
        "products/update", {"id": 15}, delivery_id="k-2", secret="rotated-secret"
    )

    assert answer.status_code == 200, answer.text
    assert [log.status for log in logs(stockbridge)] == [WebhookStatus.RECEIVED] * 2


def test_a_deleted_channel_receives_nothing_more(stockbridge: Stockbridge) -> None:
    assert stockbridge.shopify("products/update", {"id": 16}, delivery_id="d-1").status_code == 200
    removed = httpx.delete(
        f"{stockbridge.url}/api/ecom/channels/{stockbridge.channel_id}",
        headers=stockbridge.admin,
        timeout=10,
    )
    assert removed.status_code == 204, removed.text

    after = stockbridge.shopify("products/update", {"id": 17}, delivery_id="d-2")

    assert after.status_code == 404
    assert [log.delivery_id for log in logs(stockbridge)] == ["d-1"]
    assert webhook_jobs(stockbridge) == 1


def test_an_unknown_channel_is_404(stockbridge: Stockbridge) -> None:
    answer = stockbridge.shopify("orders/create", {"id": 5}, channel_id=999_999)

    assert answer.status_code == 404
    assert logs(stockbridge) == []


@pytest.mark.parametrize(
    "limits", [{"webhook_max_body_bytes": 4096, "webhook_rate_limit_per_minute": 5}]
)
def test_more_than_the_rate_from_one_address_is_429_with_retry_after(
    stockbridge: Stockbridge,
) -> None:
    answers = [
        stockbridge.shopify("products/update", {"id": n}, delivery_id=f"r-{n}") for n in range(7)
    ]

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert len(logs(stockbridge)) == 5


def source_ips(stockbridge: Stockbridge) -> list[str | None]:
    return [log.source_ip for log in logs(stockbridge)]


@pytest.mark.parametrize(
    "limits",
    [
        {"webhook_rate_limit_per_minute": 2, "trusted_proxies": "127.0.0.0/8"},
        # Host bits set: read as the network 127.0.0.0/8, not as a name nothing matches.
        {"webhook_rate_limit_per_minute": 2, "trusted_proxies": "127.0.0.1/8"},
    ],
)
def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate(
    stockbridge: Stockbridge,
) -> None:
    def via_proxy(n: int, forwarded_for: str) -> int:
        forwarded = {"X-Forwarded-For": forwarded_for}
        answer = stockbridge.shopify(
            "products/update", {"id": n}, delivery_id=f"p-{n}", headers=forwarded
        )
        return answer.status_code

    # The test's peer (127.0.0.1) is the proxy; the right-most address it does not
    # trust is the client, whatever a client wrote further left.
    first = [via_proxy(n, f"198.51.100.{n}, 203.0.113.7") for n in range(3)]
    other = via_proxy(3, "203.0.113.8, 127.0.0.2")

    assert (first, other) == ([200, 200, 429], 200)
    assert source_ips(stockbridge) == ["203.0.113.7", "203.0.113.7", "203.0.113.8"]


@pytest.mark.parametrize(
    "limits",
    [
        {"webhook_rate_limit_per_minute": 2},
        {"webhook_rate_limit_per_minute": 2, "trusted_proxies": "10.0.0.0/8, 192.0.2.1"},
    ],
)
def test_a_forwarded_for_header_from_a_peer_not_trusted_is_ignored(
    stockbridge: Stockbridge,
) -> None:
    answers = [
        stockbridge.shopify(
            "products/update",
            {"id": n},
            delivery_id=f"s-{n}",
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(3)
    ]

    assert answers == [200, 200, 429]  # one budget: the spoofed addresses change nothing
    assert source_ips(stockbridge) == ["127.0.0.1", "127.0.0.1"]
