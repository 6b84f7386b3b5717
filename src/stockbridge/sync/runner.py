"""Runs one job: claim its row, keep a heartbeat, call its handler, record the outcome.

Woken twice for one job (a re-sent wake-up), the second run finds the row no longer
queued and does nothing. The heartbeat thread stops with the process, so a crashed
worker leaves a running row whose heartbeat goes stale: that is what the sweeper looks
for. The handler runs outside any transaction.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.sync import jobs
from stockbridge.sync.context import JobRun
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.jobs import JobCancelled

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0


def run_job(
    sessions: sessionmaker[Session],
    handlers: JobHandlers,
    job_id: int,
    *,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> None:
    with transaction(sessions) as session:
        job = jobs.start_job(session, job_id)
        if job is None:
            logger.info("job %s is not queued (any more): nothing to do", job_id)
            return
        run = JobRun(
            job_id=job.id,
            kind=job.kind,
            channel_id=job.channel_id,
            payload=dict(job.payload),
            attempt=job.attempts,
            sessions=sessions,
        )
    handler = handlers.get(run.kind)
    if handler is None:
        _fail(sessions, job_id, f"no handler is registered for jobs of kind {run.kind.value!r}")
        return
    with _Heartbeat(sessions, job_id, heartbeat_seconds):
        try:
            counts = handler(run)
        except JobCancelled:
            logger.info("job %s was cancelled while running", job_id)
            return
        except Exception as error:
            logger.exception("job %s (%s) failed", job_id, run.kind.value)
            _fail(sessions, job_id, f"{type(error).__name__}: {error}")
            return
    with transaction(sessions) as session:
        jobs.finish_job(session, job_id, counts=dict(counts) if counts is not None else run.counts)


def _fail(sessions: sessionmaker[Session], job_id: int, error: str) -> None:
    with transaction(sessions) as session:
        jobs.fail_job(session, job_id, error)


class _Heartbeat:
    """A daemon thread that marks the job alive every few seconds while its handler runs."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, seconds: float) -> None:
        self._sessions = sessions
        self._job_id = job_id
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-job-{job_id}", daemon=True
        )

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                with transaction(self._sessions) as session:
                    if not jobs.heartbeat(session, self._job_id):
                        return
            except Exception:
                logger.warning("heartbeat of job %s not recorded", self._job_id, exc_info=True)
