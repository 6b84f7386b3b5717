"""Runs one job: claim its row, keep a heartbeat, call its handler, record the outcome.

Woken twice for one job (a re-sent wake-up), the second run finds the row no longer
queued and does nothing; woken before its retry time, or while its channel needs
reconnecting, a job is not claimed either. The heartbeat thread stops with the
process, so a crashed worker leaves a running row whose heartbeat goes stale: that is
what the sweeper looks for. The handler runs outside any transaction.

A failed run is retried, held, failed or buried as ``sync/retry.py`` decides; a retry
is woken by a delayed queue message once its ``not_before`` has come (lost, the
sweeper sends it again). Every run ends with one channel log row, written with the
outcome.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from stockbridge.commerce.channels import require_reconnect
from stockbridge.db.engine import transaction
from stockbridge.db.models import ChannelLogStatus, SyncJob
from stockbridge.db.types import utcnow
from stockbridge.errors import ChannelError
from stockbridge.sync import jobs
from stockbridge.sync.channel_logs import record_job_run, success_status
from stockbridge.sync.context import JobRun
from stockbridge.sync.handlers import JobHandlers
from stockbridge.sync.jobs import DelayedWaker, JobCancelled
from stockbridge.sync.retry import Outcome, RetryPolicy

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0


def run_job(
    sessions: sessionmaker[Session],
    handlers: JobHandlers,
    job_id: int,
    *,
    waker: DelayedWaker,
    policy: RetryPolicy,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> None:
    with transaction(sessions) as session:
        job = jobs.start_job(session, job_id)
        if job is None:
            logger.info("job %s is not queued, not due yet, or held: nothing to do", job_id)
            return
        run = JobRun(
            job_id=job.id,
            kind=job.kind,
            channel_id=job.channel_id,
            payload=dict(job.payload),
            attempt=job.attempts,
            sessions=sessions,
            waker=waker,
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
            _record_cancelled(sessions, job_id)
            return
        except Exception as error:
            _after_failure(sessions, waker, policy, run, error)
            return
    with transaction(sessions) as session:
        done = jobs.finish_job(
            session, job_id, counts=dict(counts) if counts is not None else run.counts
        )
        if done is not None:
            record_job_run(session, done, success_status(done.counts))


def _fail(sessions: sessionmaker[Session], job_id: int, error: str) -> None:
    with transaction(sessions) as session:
        _record(session, jobs.fail_job(session, job_id, error), ChannelLogStatus.FAILED, error)


def _record_cancelled(sessions: sessionmaker[Session], job_id: int) -> None:
    with transaction(sessions) as session:
        record_job_run(session, jobs.get_job(session, job_id), ChannelLogStatus.CANCELLED)


def _record(session: Session, job: SyncJob | None, status: ChannelLogStatus, error: str) -> None:
    """Log the run's outcome, unless the job changed meanwhile (cancelled: not ours)."""
    if job is not None:
        record_job_run(session, job, status, error=error, retry_at=job.not_before)


def _after_failure(
    sessions: sessionmaker[Session],
    waker: DelayedWaker,
    policy: RetryPolicy,
    run: JobRun,
    error: Exception,
) -> None:
    message = f"{type(error).__name__}: {error}"
    outcome = policy.outcome(error, run.attempt)
    log = logger.warning if outcome is Outcome.RETRY else logger.error
    log(
        "job %s (%s) attempt %s: %s -> %s",
        *(run.job_id, run.kind.value, run.attempt, message, outcome.value),
        exc_info=not isinstance(error, ChannelError),  # a bug: keep its traceback
    )
    delay = 0.0
    with transaction(sessions) as session:
        if outcome is Outcome.RETRY:
            retry_after = error.retry_after if isinstance(error, ChannelError) else None
            delay = policy.delay(run.attempt, retry_after=retry_after)
            not_before = utcnow() + timedelta(seconds=delay)
            job = jobs.retry_job(session, run.job_id, message, not_before=not_before)
            _record(session, job, ChannelLogStatus.RETRYING, message)
        elif outcome is Outcome.WAIT_FOR_RECONNECT and isinstance(error, ChannelError):
            job = jobs.hold_job(session, run.job_id, message)
            if job is not None and run.channel_id is not None:
                require_reconnect(session, run.channel_id, error)
            _record(session, job, ChannelLogStatus.AUTH_REQUIRED, message)
        elif outcome is Outcome.DEAD:
            job = jobs.bury_job(session, run.job_id, message)
            _record(session, job, ChannelLogStatus.DEAD, message)
        else:
            job = jobs.fail_job(session, run.job_id, message)
            _record(session, job, ChannelLogStatus.FAILED, message)
    if outcome is Outcome.RETRY and job is not None:
        try:
            waker.wake_later([run.job_id], delay)
        except Exception:
            # The row says when to retry; the sweeper re-sends the wake-up.
            logger.warning("could not schedule the retry of job %s", run.job_id, exc_info=True)


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
