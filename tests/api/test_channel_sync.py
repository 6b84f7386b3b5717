"""``POST /api/ecom/channels/{id}/sync`` and ``GET /api/ecom/channels/{id}/logs``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus
from stockbridge.db.types import utcnow
from stockbridge.errors import ChannelError, ChannelErrorCategory
from stockbridge.settings import Settings
from stockbridge.sync import jobs, runner
from stockbridge.sync.context import JobRun
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.queue import JobQueue
from stockbridge.sync.retry import RetryPolicy
from tests.api.conftest import Headers
from tests.factories import make_channel
from tests.sync.test_failures import DelayRecordingWaker

# The kinds with a handler in these tests: inventory, orders and reconcile (not prices,
# listings).
HANDLED = (JobKind.INVENTORY, JobKind.ORDERS, JobKind.RECONCILE)


def _outcome(run: JobRun) -> dict[str, int]:
    """What the test handlers do, by the payload's ``outcome``."""
    outcome = run.payload.get("outcome", "ok")
    if outcome == "transient":
        raise ChannelError("503", category=ChannelErrorCategory.TRANSIENT)
    if outcome == "invalid":
        raise ChannelError("bad SKU", category=ChannelErrorCategory.VALIDATION)
    return {"pushed": 2}


@pytest.fixture
def handlers() -> JobHandlers:
    handlers = JobHandlers()
    for kind in HANDLED:
        handlers.add(kind, _outcome)
    return handlers


@pytest.fixture
def job_queue(
    sessions: sessionmaker[Session], tmp_path: Path, handlers: JobHandlers
) -> Iterator[JobQueue]:
    queue = JobQueue(
        Settings(redis_url=None), sessions, handlers, sqlite_path=tmp_path / "queue.db"
    )
    yield queue
    queue.close()


@pytest.fixture
def channel_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return make_channel(session).id


def _set_channel(sessions: sessionmaker[Session], channel_id: int, **values: object) -> None:
    with sessions.begin() as session:
        channel = session.get(EcomChannel, channel_id)
        assert channel is not None
        for name, value in values.items():
            setattr(channel, name, value)


# --- manual sync -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", [JobKind.INVENTORY, JobKind.RECONCILE])
def test_a_sync_of_one_kind_queues_its_job(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session],
    job_queue: JobQueue, channel_id: int, kind: JobKind,
) -> None:  # fmt: skip
    answer = client.post(
        f"/api/ecom/channels/{channel_id}/sync", json={"kind": kind.value}, headers=staff_headers
    )

    assert answer.status_code == 202, answer.text
    [job_id] = answer.json()["job_ids"]
    with sessions() as session:
        job = jobs.get_job(session, job_id)
        assert (job.kind, job.channel_id, job.status) == (kind, channel_id, JobStatus.QUEUED)
    assert job_queue.pending() == 1


def test_sync_all_queues_one_job_per_kind_that_has_a_handler(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session],
    job_queue: JobQueue, channel_id: int,
) -> None:  # fmt: skip
    answer = client.post(
        f"/api/ecom/channels/{channel_id}/sync", json={"kind": "all"}, headers=staff_headers
    )

    assert answer.status_code == 202, answer.text
    with sessions() as session:
        kinds = [jobs.get_job(session, job_id).kind for job_id in answer.json()["job_ids"]]
    assert sorted(kinds) == sorted(HANDLED)
    assert job_queue.pending() == len(HANDLED)


def test_a_kind_without_a_handler_is_refused_and_queues_nothing(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session],
    job_queue: JobQueue, channel_id: int,
) -> None:  # fmt: skip
    answer = client.post(
        f"/api/ecom/channels/{channel_id}/sync", json={"kind": "prices"}, headers=staff_headers
    )

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "no handler for kind prices yet"
    with sessions() as session:
        assert jobs.list_jobs(session, page=1, per_page=10)[1] == 0
    assert job_queue.pending() == 0


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"status": ChannelStatus.AUTH_REQUIRED, "last_error": "auth_failed: expired"},
         "needs reconnecting first (auth_failed: expired)"),
        ({"deleted_at": utcnow(), "status": ChannelStatus.PAUSED}, "was removed"),
    ],
    ids=["auth_required", "deleted"],
)  # fmt: skip
def test_a_channel_that_cannot_sync_is_a_conflict(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session],
    channel_id: int, change: dict[str, object], detail: str,
) -> None:  # fmt: skip
    _set_channel(sessions, channel_id, **change)

    answer = client.post(
        f"/api/ecom/channels/{channel_id}/sync", json={"kind": "orders"}, headers=staff_headers
    )

    assert answer.status_code == 409
    assert answer.json()["detail"] == f"channel {channel_id} {detail}"


def test_sync_requests_are_checked(
    client: TestClient, staff_headers: Headers, readonly_headers: Headers, channel_id: int
) -> None:
    url = f"/api/ecom/channels/{channel_id}/sync"
    assert client.post(url, json={"kind": "orders"}, headers=readonly_headers).status_code == 403
    unknown = client.post(
        "/api/ecom/channels/999999/sync", json={"kind": "orders"}, headers=staff_headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "channel 999999 does not exist"
    bad = client.post(url, json={"kind": "cleanup"}, headers=staff_headers)
    assert bad.status_code == 422


# --- channel logs ---------------------------------------------------------------------


def _run(
    sessions: sessionmaker[Session], handlers: JobHandlers, channel_id: int, kind: JobKind,
    outcome: str,
) -> int:  # fmt: skip
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(
            session, DelayRecordingWaker(), kind=kind, channel_id=channel_id,
            payload={"outcome": outcome},
        ).id  # fmt: skip
    runner.run_job(
        sessions, handlers, job_id, waker=DelayRecordingWaker(),
        policy=RetryPolicy(max_attempts=3), heartbeat_seconds=60,
    )  # fmt: skip
    return job_id


def test_every_job_run_is_in_the_channel_log_newest_first_with_filters(
    client: TestClient, readonly_headers: Headers, sessions: sessionmaker[Session],
    handlers: JobHandlers, channel_id: int,
) -> None:  # fmt: skip
    ok = _run(sessions, handlers, channel_id, JobKind.INVENTORY, "ok")
    middle = utcnow()
    retried = _run(sessions, handlers, channel_id, JobKind.ORDERS, "transient")
    failed = _run(sessions, handlers, channel_id, JobKind.INVENTORY, "invalid")
    with sessions.begin() as session:  # another channel's log is not this one's
        other = make_channel(session).id
    _run(sessions, handlers, other, JobKind.INVENTORY, "ok")
    url = f"/api/ecom/channels/{channel_id}/logs"

    every = client.get(url, headers=readonly_headers).json()
    assert every["total"] == 3
    assert [item["job_id"] for item in every["items"]] == [failed, retried, ok]
    newest, retry, success = every["items"]
    assert (newest["operation"], newest["status"], newest["level"]) == (
        "inventory_push", "failed", "error",
    )  # fmt: skip
    assert newest["error_message"] == "ChannelError: bad SKU"
    assert (retry["operation"], retry["status"], retry["level"]) == (
        "order_poll", "retrying", "warning",
    )  # fmt: skip
    assert retry["details"]["retry_at"] is not None
    assert (success["status"], success["level"], success["details"]["counts"]) == (
        "success", "info", {"pushed": 2},
    )  # fmt: skip
    assert success["duration_ms"] >= 0

    def ids(**params: str) -> list[int]:
        found = client.get(url, params=params, headers=readonly_headers).json()
        return [item["job_id"] for item in found["items"]]

    assert ids(level="error") == [failed]
    assert ids(level="warning") == [retried]
    assert ids(operation="inventory_push") == [failed, ok]
    assert ids(since=middle.isoformat()) == [failed, retried]
    assert ids(until=middle.isoformat()) == [ok]
    assert ids(per_page="1", page="2") == [retried]


def test_channel_logs_are_checked(client: TestClient, readonly_headers: Headers) -> None:
    unknown = client.get("/api/ecom/channels/999999/logs", headers=readonly_headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    naive = client.get(
        "/api/ecom/channels/1/logs", params={"since": "2026-01-01T00:00:00"},
        headers=readonly_headers,
    )  # fmt: skip
    assert naive.status_code == 422
