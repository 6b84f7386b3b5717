"""Fixtures of the sync tests: job queues on the test database, and waiting with a deadline."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.settings import Settings
from stockbridge.sync.queue import JobQueue

MakeQueue = Callable[..., JobQueue]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``condition`` until it is truthy; fail when the deadline passes."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return value


def queue_settings(database_url: str, redis_url: str | None = None) -> Settings:
    """Settings of one test: its database, and a queue name no other test uses."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        queue_name=f"sb-test-{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture
def make_queue(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> Iterator[MakeQueue]:
    """Build job queues (SQLite file in ``tmp_path`` unless a Redis URL is given)."""
    made: list[JobQueue] = []

    def make(*, redis_url: str | None = None, **options: Any) -> JobQueue:
        queue = JobQueue(
            queue_settings(database_url, redis_url),
            sessions,
            sqlite_path=tmp_path / f"queue-{len(made)}.db",
            **options,
        )
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.close()
