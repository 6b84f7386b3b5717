"""What a job handler is given: the job's facts, and a way to report progress.

Handlers run outside any database transaction (they call marketplaces); each progress
report is a short transaction of its own, and doubles as a heartbeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.db.models import JobKind
from stockbridge.sync import jobs
from stockbridge.sync.jobs import Waker


@dataclass
class JobRun:
    job_id: int
    kind: JobKind
    channel_id: int | None
    payload: Mapping[str, Any]
    attempt: int
    sessions: sessionmaker[Session]
    counts: dict[str, int] = field(default_factory=dict)
    #: Wakes workers for the jobs a handler queues (the runner's); without one they are
    #: left to the sweeper.
    waker: Waker | None = None

    def count(self, name: str, amount: int = 1) -> None:
        """Add to one of the counts the job answers with (``counts`` on the job row)."""
        self.counts[name] = self.counts.get(name, 0) + amount

    def progress(self, done: int, total: int | None = None) -> None:
        """Record progress and the counts so far; raises ``JobCancelled`` if cancelled."""
        with transaction(self.sessions) as session:
            jobs.report_progress(
                session, self.job_id, done=done, total=total, counts=dict(self.counts)
            )
