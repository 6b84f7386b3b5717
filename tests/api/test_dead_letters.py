"""``/api/ecom/sync/dead-letters``: jobs that used up their attempts, listed and replayed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.models import ChannelStatus, EcomChannel, JobKind, JobStatus
from stockbridge.errors import Conflict
from stockbridge.settings import Settings
from stockbridge.sync import jobs
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.on_demand import replay_dead_letter
from stockbridge.sync.queue import JobQueue
from tests.api.conftest import Headers
from tests.factories import make_channel
from tests.sync.test_jobs import RecordingWaker

URL = "/api/ecom/sync/dead-letters"


def _handlers() -> JobHandlers:
    handlers = JobHandlers()
    for kind in (JobKind.INVENTORY, JobKind.LISTINGS):
        handlers.add(kind, lambda run: None)
    return handlers


@pytest.fixture
def job_queue(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[JobQueue]:
    """The app's queue, with handlers for the kinds replayed here; no consumer runs."""
    queue = JobQueue(
        Settings(redis_url=None), sessions, _handlers(), sqlite_path=tmp_path / "queue.db"
    )
    yield queue
    queue.close()


def dead_job(
    sessions: sessionmaker[Session],
    channel_id: int,
    kind: JobKind = JobKind.INVENTORY,
    payload: dict[str, object] | None = None,
) -> int:
    with sessions.begin() as session:
        job_id = jobs.enqueue_job(
            session, RecordingWaker(), kind=kind, channel_id=channel_id, payload=payload
        ).id
        jobs.start_job(session, job_id)
        assert jobs.bury_job(session, job_id, "ChannelError: 503, 8 times") is not None
    return job_id


def _channel(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return make_channel(session).id


def test_dead_letters_are_listed_newest_first_with_filters(
    client: TestClient, readonly_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    first, second = _channel(sessions), _channel(sessions)
    old = dead_job(sessions, first)
    listing = dead_job(sessions, first, JobKind.LISTINGS, {"listing_ids": [3]})
    other = dead_job(sessions, second)
    with sessions.begin() as session:  # a failed job is not a dead letter
        failed = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.INVENTORY).id
        jobs.start_job(session, failed)
        jobs.fail_job(session, failed, "ChannelError: bad SKU")

    every = client.get(URL, headers=readonly_headers).json()
    assert [item["id"] for item in every["items"]] == [other, listing, old]
    assert every["total"] == 3
    assert every["items"][0]["status"] == "dead"
    assert every["items"][0]["error"] == "ChannelError: 503, 8 times"
    by_channel = client.get(URL, params={"channel_id": first}, headers=readonly_headers).json()
    assert [item["id"] for item in by_channel["items"]] == [listing, old]
    by_kind = client.get(URL, params={"kind": "listings"}, headers=readonly_headers).json()
    assert [item["id"] for item in by_kind["items"]] == [listing]
    paged = client.get(URL, params={"per_page": 1, "page": 2}, headers=readonly_headers).json()
    assert ([item["id"] for item in paged["items"]], paged["total"]) == ([listing], 3)


def test_a_replay_queues_a_fresh_job_and_takes_the_letter_off_the_list(
    client: TestClient,
    staff_headers: Headers,
    sessions: sessionmaker[Session],
    job_queue: JobQueue,
) -> None:
    channel_id = _channel(sessions)
    dead = dead_job(sessions, channel_id, JobKind.LISTINGS, {"listing_ids": [3, 4]})

    answer = client.post(f"{URL}/{dead}/replay", headers=staff_headers)

    assert answer.status_code == 202, answer.text
    fresh = answer.json()
    assert fresh["id"] != dead
    assert (fresh["kind"], fresh["channel_id"], fresh["status"], fresh["attempts"]) == (
        "listings", channel_id, "queued", 0,
    )  # fmt: skip
    assert job_queue.pending() == 1
    with sessions() as session:
        new = jobs.get_job(session, fresh["id"])
        assert new.payload == {"listing_ids": [3, 4]}
        old = jobs.get_job(session, dead)
        assert (old.status, old.replayed_as_id) == (JobStatus.DEAD, fresh["id"])
    assert client.get(URL, headers=staff_headers).json()["total"] == 0
    again = client.post(f"{URL}/{dead}/replay", headers=staff_headers)
    assert again.status_code == 409
    assert f"already replayed as job {fresh['id']}" in again.json()["detail"]


def test_replaying_what_is_not_a_dead_letter_is_a_problem(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        queued = jobs.enqueue_job(session, RecordingWaker(), kind=JobKind.INVENTORY).id

    missing = client.post(f"{URL}/999999/replay", headers=staff_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    not_dead = client.post(f"{URL}/{queued}/replay", headers=staff_headers)
    assert not_dead.status_code == 409
    assert not_dead.json()["detail"] == f"sync job {queued} is queued, not a dead letter"


def test_a_dead_letter_of_a_channel_that_needs_reconnecting_waits(
    client: TestClient, staff_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    channel_id = _channel(sessions)
    dead = dead_job(sessions, channel_id)
    with sessions.begin() as session:
        channel = session.get(EcomChannel, channel_id)
        assert channel is not None
        channel.status, channel.last_error = ChannelStatus.AUTH_REQUIRED, "auth_failed: expired"

    answer = client.post(f"{URL}/{dead}/replay", headers=staff_headers)

    assert answer.status_code == 409
    assert "needs reconnecting" in answer.json()["detail"]
    assert client.get(URL, headers=staff_headers).json()["total"] == 1


def test_a_readonly_key_may_list_but_not_replay(
    client: TestClient, readonly_headers: Headers, sessions: sessionmaker[Session]
) -> None:
    dead = dead_job(sessions, _channel(sessions))
    assert client.get(URL, headers=readonly_headers).status_code == 200
    assert client.post(f"{URL}/{dead}/replay", headers=readonly_headers).status_code == 403


@pytest.mark.postgres_only
def test_two_replays_racing_queue_one_fresh_job(
    sessions: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers: there is no race to lose")
    dead = dead_job(sessions, _channel(sessions))
    handlers = _handlers()
    outcomes: list[str] = []

    def second_replay() -> None:
        try:
            with sessions.begin() as session:
                replay_dead_letter(session, RecordingWaker(), handlers, dead)
            outcomes.append("replayed")
        except Conflict as error:
            outcomes.append(error.detail)

    with sessions.begin() as session:
        # The first replay has marked the letter, not committed yet, when the second runs.
        first = replay_dead_letter(session, RecordingWaker(), handlers, dead)
        racer = threading.Thread(target=second_replay)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive(), "the second replay should wait for the first one's row lock"
    racer.join(timeout=10)
    assert outcomes == [f"sync job {dead} was replayed meanwhile; reload it"]
    with sessions() as session:
        assert jobs.get_job(session, dead).replayed_as_id == first.id
        _, total = jobs.list_jobs(session, kind=JobKind.INVENTORY, page=1, per_page=10)
        assert total == 2  # the dead one and one fresh job
