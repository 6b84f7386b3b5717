"""Fixtures of the webhook tests: our app served over HTTP with a Shopify channel on the
Shopify sandbox, and deliveries signed with the app's secret exactly as the sandbox's
delivery engine signs them (``shopify_hmac`` over ``webhook_body``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.access.keys import create_key
from stockbridge.api.app import create_app
from stockbridge.db.models import JobKind, Role, SyncJob
from stockbridge.sandbox.serving import serve_in_thread
from stockbridge.sandbox.shopify import ShopifySandboxConfig
from stockbridge.sandbox.shopify import create_app as create_shopify
from stockbridge.sandbox.shopify.webhook_delivery import shopify_hmac, webhook_body
from stockbridge.settings import Settings
from stockbridge.sync import runner
from stockbridge.sync.handlers import default_handlers
from stockbridge.sync.queue import JobQueue
from stockbridge.sync.retry import RetryPolicy
from tests.sync.shops import NoWaker

SECRET = ShopifySandboxConfig().client_secret


@dataclass
class Stockbridge:
    url: str
    sessions: sessionmaker[Session]
    settings: Settings
    admin: dict[str, str]
    channel_id: int

    def shopify(self, topic: str, payload: dict[str, Any], **options: Any) -> httpx.Response:
        """POST a delivery signed as the sandbox signs it (``secret``/``body`` to forge)."""
        body = options.pop("body", None) or webhook_body(payload)
        signed_body = options.pop("signed_body", body)
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": options.pop("delivery_id", f"{topic}-{payload.get('id')}"),
            "X-Shopify-Hmac-Sha256": shopify_hmac(options.pop("secret", SECRET), signed_body),
            "X-Shopify-Shop-Domain": "sandbox.myshopify.com",
        }
        channel = options.pop("channel_id", self.channel_id)
        return httpx.post(
            f"{self.url}/api/ecom/webhooks/shopify/{channel}",
            content=body,
            headers=headers,
            timeout=10,
        )

    def run_queued_webhook_jobs(self) -> int:
        """Process every queued webhook job, as a worker would; how many ran."""
        with self.sessions() as session:
            ids = session.query(SyncJob.id).filter(SyncJob.kind == JobKind.WEBHOOK).all()
            queued = [row[0] for row in ids]
        handlers = default_handlers(self.settings)
        for job_id in queued:
            runner.run_job(
                self.sessions, handlers, job_id, waker=NoWaker(), policy=RetryPolicy(),
                heartbeat_seconds=60,
            )  # fmt: skip
        return len(queued)


@pytest.fixture(scope="module")
def shopify_url() -> Iterator[str]:
    with serve_in_thread(create_shopify(ShopifySandboxConfig())) as url:
        yield url


@pytest.fixture
def limits() -> dict[str, int]:
    return {"webhook_max_body_bytes": 4096, "webhook_rate_limit_per_minute": 1000}


@pytest.fixture
def stockbridge(
    sessions: sessionmaker[Session], tmp_path: Path, shopify_url: str, limits: dict[str, int]
) -> Iterator[Stockbridge]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=None,
        encryption_key=Fernet.generate_key().decode(),
        shopify_client_secret=SECRET,
        **limits,
    )
    queue = JobQueue(settings, sessions, sqlite_path=tmp_path / "queue.db")
    app = create_app(session_factory=sessions, settings=settings, job_queue=queue)
    admin = key_headers(sessions, Role.ADMIN)
    try:
        with serve_in_thread(app) as url:
            credentials = {"access_token": "shpat_sandbox"}
            body = {"provider": "shopify", "name": "Web shop", "currency": "GBP",
                    "base_url": shopify_url, "credentials": credentials}  # fmt: skip
            created = httpx.post(f"{url}/api/ecom/channels", json=body, headers=admin, timeout=10)
            assert created.status_code == 201, created.text
            yield Stockbridge(url, sessions, settings, admin, created.json()["id"])
    finally:
        queue.close()


def key_headers(sessions: sessionmaker[Session], role: Role) -> dict[str, str]:
    with sessions.begin() as session:
        return {"Authorization": f"Bearer {create_key(session, name=role.value, role=role).secret}"}
