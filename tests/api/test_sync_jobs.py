"""``/api/ecom/sync/jobs``: a job's progress, and lists filtered by channel, kind, status."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind
from stockbridge.sync import jobs
from stockbridge.sync.queue import JobQueue
from tests.api.conftest import Headers

URL = "/api/ecom/sync/jobs"


def _jobs(sessions: sessionmaker[Session], queue: JobQueue) -> tuple[int, list[int]]:
    with sessions.begin() as session:
        channel = EcomChannel(name="S", provider="shopify", status=ChannelStatus.ACTIVE,
                              currency="EUR")  # fmt: skip
        session.add(channel)
        session.flush()
        ids = [
            jobs.enqueue_job(session, queue, kind=JobKind.ORDERS, channel_id=channel.id).id,
            jobs.enqueue_job(session, queue, kind=JobKind.RECONCILE, channel_id=channel.id,
                             total=8).id,
            jobs.enqueue_job(session, queue, kind=JobKind.CLEANUP).id,
        ]  # fmt: skip
        jobs.start_job(session, ids[1])
        jobs.report_progress(session, ids[1], done=2, counts={"checked": 2})
        return channel.id, ids


def test_a_job_answers_its_progress(
    client: TestClient, readonly_headers: Headers, sessions: sessionmaker[Session],
    job_queue: JobQueue,
) -> None:  # fmt: skip
    _, ids = _jobs(sessions, job_queue)
    job = client.get(f"{URL}/{ids[1]}", headers=readonly_headers).json()
    assert job["status"] == "running"
    assert job["progress"] == {"done": 2, "total": 8, "percent": 25.0}
    assert job["counts"] == {"checked": 2}
    assert job["attempts"] == 1
    assert job["heartbeat_at"] is not None
    missing = client.get(f"{URL}/999999", headers=readonly_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_jobs_are_listed_with_filters_and_pages(
    client: TestClient, readonly_headers: Headers, sessions: sessionmaker[Session],
    job_queue: JobQueue,
) -> None:  # fmt: skip
    channel_id, ids = _jobs(sessions, job_queue)

    def listed(**params: object) -> list[int]:
        response = client.get(URL, params=params, headers=readonly_headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed() == ids[::-1]
    assert listed(channel_id=channel_id) == [ids[1], ids[0]]
    assert listed(kind="cleanup") == [ids[2]]
    assert listed(status="running") == [ids[1]]
    assert listed(per_page=1, page=3) == [ids[0]]
    assert client.get(URL, params={"status": "lost"}, headers=readonly_headers).status_code == 422


def test_a_queued_job_can_be_cancelled_once(
    client: TestClient, admin_headers: Headers, sessions: sessionmaker[Session],
    job_queue: JobQueue,
) -> None:  # fmt: skip
    _, ids = _jobs(sessions, job_queue)
    first = client.post(f"{URL}/{ids[0]}/cancel", headers=admin_headers)
    again = client.post(f"{URL}/{ids[0]}/cancel", headers=admin_headers)
    assert first.json()["status"] == "cancelled"
    assert again.status_code == 409
