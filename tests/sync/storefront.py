"""A shop for the listings-job tests: the API app with its job consumer running.

The app and its queue share one ``Settings`` (encryption key, eBay app keys), so the jobs
open the channels' secrets the API sealed. Jobs run for real: queued by the API, woken
through the SQLite queue, run by the in-process consumer against the sandboxes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.api.app import create_app
from stockbridge.db.models import Branch, EcomChannelLog, Role
from stockbridge.settings import Settings
from stockbridge.sync.queue import JobQueue
from tests.api.conftest import Headers, bearer_for
from tests.factories import make_branch, make_product, make_version
from tests.sandbox.ebay.conftest import CLIENT_ID, CLIENT_SECRET
from tests.sync.conftest import wait_for


@dataclass
class Store:
    client: TestClient
    headers: Headers
    sessions: sessionmaker[Session]
    branch_id: int

    def product(self, sku: str, *, on_hand: int, price_cents: int = 2500) -> int:
        with self.sessions.begin() as session:
            product = make_product(session, sku=sku, price_cents=price_cents)
            product.currency = "GBP"
            branch = session.get_one(Branch, self.branch_id)
            make_version(session, product=product, branch=branch, on_hand=on_hand)
            return product.id

    def listing(self, product_id: int, *, active: bool = False, **content: Any) -> int:
        made = self.post("/api/ecom/listings", {"product_code_id": product_id, **content}, 201)
        if active:
            changed = self.client.patch(
                f"/api/ecom/listings/{made['id']}", json={"status": "active"}, headers=self.headers
            )
            assert changed.status_code == 200, changed.text
        return int(made["id"])

    def post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        answer = self.client.post(path, json=body, headers=self.headers)
        assert answer.status_code == status, answer.text
        return dict(answer.json())

    def bulk(self, action: str, channel_id: int, listing_ids: list[int]) -> dict[str, Any]:
        """Run a bulk action and wait for the job it queued to finish."""
        body = {"action": action, "channel_id": channel_id, "listing_ids": listing_ids}
        result = self.post("/api/ecom/listings/bulk", body)
        assert result["failed"] == 0, result
        return self.finished(int(result["job_id"]))

    def finished(self, job_id: int) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            job = self.client.get(f"/api/ecom/sync/jobs/{job_id}", headers=self.headers).json()
            return job if job["status"] in ("succeeded", "failed", "cancelled") else None

        job: dict[str, Any] = wait_for(done, timeout=60)
        return job

    def jobs(self, channel_id: int) -> list[dict[str, Any]]:
        query = {"channel_id": channel_id, "kind": "listings"}
        answer = self.client.get("/api/ecom/sync/jobs", params=query, headers=self.headers)
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def publication(self, listing_id: int, channel_id: int) -> dict[str, Any]:
        listing = self.client.get(f"/api/ecom/listings/{listing_id}", headers=self.headers)
        assert listing.status_code == 200, listing.text
        found = [p for p in listing.json()["publications"] if p["channel_id"] == channel_id]
        assert len(found) == 1, listing.json()
        return dict(found[0])

    def history(self, listing_id: int) -> list[EcomChannelLog]:
        with self.sessions() as session:
            rows = session.scalars(
                select(EcomChannelLog)
                .where(EcomChannelLog.listing_id == listing_id)
                .order_by(EcomChannelLog.id)
            )
            return list(rows)


def store_settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        redis_url=None,
        queue_name=f"sb-test-{uuid.uuid4().hex[:12]}",
        encryption_key=Fernet.generate_key().decode(),
        ebay_client_id=CLIENT_ID,
        ebay_client_secret=CLIENT_SECRET,
    )


@pytest.fixture
def store(sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> Iterator[Store]:
    settings = store_settings(database_url)
    queue = JobQueue(settings, sessions, sqlite_path=tmp_path / "queue.db")
    app = create_app(session_factory=sessions, settings=settings, job_queue=queue)
    with sessions.begin() as session:
        branch_id = make_branch(session).id
    queue.start_in_process(periodic=False)
    try:
        with TestClient(app) as client:
            yield Store(client, bearer_for(sessions, Role.ADMIN), sessions, branch_id)
    finally:
        queue.close()
