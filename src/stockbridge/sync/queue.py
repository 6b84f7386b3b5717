"""The job queue on Huey: wake-ups for job rows, and the periodic sweeper and scheduler.

Embedded (no ``STOCKBRIDGE_REDIS_URL``): ``SqliteHuey`` in a file beside the database
(``var/stockbridge-queue.db`` for ``var/stockbridge.db``; ``var/queue.db`` when the
database is PostgreSQL), consumed by threads inside ``stockbridge serve``. Scaled out:
``RedisHuey``, consumed by ``stockbridge worker`` processes on any machine; ``serve``
then runs none.

A queue message carries only a job id. Huey's own retries and result store are not
used: the ``sync_jobs`` row is the record (its ``not_before`` says when a retry is due,
and a delayed message wakes a worker then), and the sweeper the retry of last resort.
The Huey instance is built on first use, so building an application writes no file.

Wake-ups without delay reach a worker at once: on Redis a worker blocks on the queue;
on the SQLite file idle consumer threads wait on a signal that an enqueue in this
process gives (:class:`SignalledSqliteStorage`), and otherwise look at the file once a
second (a job queued by another process, e.g. the CLI). Wake-ups due within
:data:`TIMER_LIMIT_SECONDS` (a coalesced push, a retry after a short backoff) are kept
by an in-process timer (``sync/timers.py``), which Huey's schedule (checked about once
a second) is too coarse for; later ones go to Huey's schedule, which outlives the
process. A queue that closes hands its pending timers to the schedule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, crontab
from huey.consumer import Consumer
from huey.storage import SqliteStorage
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from stockbridge.db.engine import transaction
from stockbridge.db.models import JobKind
from stockbridge.settings import Settings
from stockbridge.sync import runner
from stockbridge.sync.handlers import JobHandlers, default_handlers
from stockbridge.sync.retry import RetryPolicy
from stockbridge.sync.schedules import schedule_channel_jobs
from stockbridge.sync.sweeper import sweep_stale_jobs
from stockbridge.sync.timers import WakeTimers
from stockbridge.sync.wakeups import PushWakeups, queue_overdue_pushes
from stockbridge.vault import Vault

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_FILE = Path("var/queue.db")
IN_PROCESS_WORKERS = 2
# An idle SQLite-backed worker polls at most this far apart (Redis blocks instead).
MAX_POLL_SECONDS = 1.0
#: Wake-ups due within this many seconds are kept by an in-process timer.
TIMER_LIMIT_SECONDS = 60.0


def queue_file(database_url: str) -> Path:
    """The SqliteHuey file: beside a SQLite database, else ``var/queue.db``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(f"{database.stem}-queue.db")
    return DEFAULT_QUEUE_FILE


class SignalledSqliteStorage(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage whose idle consumers wait for an enqueue of this process.

    ``dequeue`` blocks (Huey's worker then does not sleep between polls): when the file
    holds no message it waits for this process's next ``enqueue``, or
    :data:`MAX_POLL_SECONDS` for one another process wrote. While the consumer stops
    (:meth:`stop_waiting`), it does not wait, so its workers see the stop at once.
    """

    blocking = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._enqueued = 0
        self._stopping = False
        self._signal = threading.Condition()

    def enqueue(self, data: bytes, priority: int | None = None) -> None:
        super().enqueue(data, priority)
        with self._signal:
            self._enqueued += 1
            self._signal.notify_all()

    def dequeue(self) -> bytes | None:
        with self._signal:
            seen = self._enqueued
        data: bytes | None = super().dequeue()
        if data is None:
            with self._signal:
                self._signal.wait_for(
                    lambda: self._enqueued != seen or self._stopping, timeout=MAX_POLL_SECONDS
                )
            data = super().dequeue()
        return data

    def stop_waiting(self, stopping: bool = True) -> None:
        """Idle dequeues return at once while ``stopping`` (a consumer shuts down)."""
        with self._signal:
            self._stopping = stopping
            self._signal.notify_all()


class _ThreadConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers: it runs beside uvicorn, which owns them."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        handlers: JobHandlers | None = None,
        *,
        in_process: bool | None = None,
        sqlite_path: Path | None = None,
        heartbeat_seconds: float | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.handlers = handlers or default_handlers(settings)
        self.in_process = settings.redis_url is None if in_process is None else in_process
        self.sqlite_path = sqlite_path or queue_file(settings.database_url)
        self.heartbeat_seconds = heartbeat_seconds or settings.sync_heartbeat_seconds
        # A running job whose heartbeat is older than this lost its worker.
        self.stale_after = timedelta(seconds=settings.sync_stale_seconds)
        self.retry_policy = retry_policy or RetryPolicy(max_attempts=settings.sync_max_attempts)
        self._huey: Huey | None = None
        self._lock = threading.Lock()
        self._consumer: _ThreadConsumer | None = None
        self._run_job: Any = None
        self._timers = WakeTimers(lambda job_id: self.wake([job_id]), name="job-wake-timers")
        # Stock and price changes committed on these sessions queue their pushes here.
        self.push_wakeups = PushWakeups(
            sessions, self, coalesce_seconds=settings.push_coalesce_seconds
        )
        self.push_wakeups.install()

    @property
    def huey(self) -> Huey:
        with self._lock:
            if self._huey is None:
                self._huey = self._build()
            return self._huey

    def _run_job_task(self) -> Any:
        self.huey  # noqa: B018 (builds the instance and its tasks)
        return self._run_job

    def describe(self) -> str:
        if self.in_process:
            return f"SQLite queue {self.sqlite_path}"
        return f"Redis queue {self.settings.queue_name!r}"

    # --- the Waker protocol --------------------------------------------------------

    def wake(self, job_ids: Sequence[int]) -> None:
        run_job = self._run_job_task()
        for job_id in job_ids:
            run_job(job_id)

    def wake_later(self, job_ids: Sequence[int], seconds: float) -> None:
        """Wake-ups sent ``seconds`` from now: by this process's timer when that is soon
        (:data:`TIMER_LIMIT_SECONDS`), else by Huey's schedule (checked every second)."""
        if seconds <= TIMER_LIMIT_SECONDS:
            for job_id in job_ids:
                self._timers.add(job_id, seconds)
            return
        run_job = self._run_job_task()
        for job_id in job_ids:
            run_job.schedule(args=(job_id,), delay=max(seconds, 0.0))

    def timers_pending(self) -> int:
        """Wake-ups waiting in this process's timer (for tests and status output)."""
        return self._timers.pending()

    def pending(self) -> int:
        """Messages waiting in the queue (for tests and status output)."""
        return int(self.huey.pending_count())

    # --- consuming -----------------------------------------------------------------

    def consumer(self, *, workers: int, periodic: bool = True, threads: bool = False) -> Consumer:
        options: dict[str, Any] = {
            "workers": workers,
            "periodic": periodic,
            "max_delay": MAX_POLL_SECONDS,
            "worker_type": "thread",
        }
        consumer_class = _ThreadConsumer if threads else Consumer
        return consumer_class(self.huey, **options)

    def start_in_process(self, *, workers: int = IN_PROCESS_WORKERS, periodic: bool = True) -> None:
        """Start consumer threads in this process (``serve``, ``demo``, tests)."""
        if self._consumer is not None:
            return
        consumer = self.consumer(workers=workers, periodic=periodic, threads=True)
        assert isinstance(consumer, _ThreadConsumer)
        self._stop_waiting(False)
        consumer.start()
        self._consumer = consumer
        logger.info("job consumer started in-process on the %s", self.describe())

    def stop_in_process(self, *, timeout: float = 10.0) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        consumer.shutdown_timeout = timeout
        # The flag first, then the idle workers' wait ends: each sees the flag as its
        # dequeue returns, instead of after a poll interval.
        consumer.stop_flag.set()
        self._stop_waiting(True)
        consumer.stop(graceful=True)

    def _stop_waiting(self, stopping: bool) -> None:
        storage = self.huey.storage
        if isinstance(storage, SignalledSqliteStorage):
            storage.stop_waiting(stopping)

    def close(self) -> None:
        self.push_wakeups.remove()
        self.stop_in_process()
        self._hand_over_timers()
        with self._lock:
            if self._huey is not None:
                self._huey.storage.close()

    def _hand_over_timers(self) -> None:
        """Wake-ups still waiting in the timer go to Huey's schedule, which outlives us."""
        left = self._timers.close()
        if not left:
            return
        try:
            run_job = self._run_job_task()
            for job_id, seconds in left:
                run_job.schedule(args=(job_id,), delay=seconds)
        except Exception:
            # The rows are committed: the overdue sweep and the sweeper wake them later.
            logger.warning("could not keep the wake-ups of jobs %s", left, exc_info=True)

    # --- building ------------------------------------------------------------------

    def _build(self) -> Huey:
        name = self.settings.queue_name
        huey: Huey
        if self.settings.redis_url and not self.in_process:
            huey = RedisHuey(name, url=self.settings.redis_url, results=False)
        else:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            huey = Huey(
                name,
                storage_class=SignalledSqliteStorage,
                filename=str(self.sqlite_path),
                results=False,
            )
        self._register_tasks(huey)
        return huey

    def _register_tasks(self, huey: Huey) -> None:
        def run_job(job_id: int) -> None:
            runner.run_job(
                self.sessions,
                self.handlers,
                job_id,
                waker=self,
                policy=self.retry_policy,
                heartbeat_seconds=self.heartbeat_seconds,
            )

        self._run_job = huey.task(name="run_job")(run_job)

        def sweep() -> None:
            with transaction(self.sessions) as session:
                outcome = sweep_stale_jobs(
                    session,
                    self,
                    stale_after=self.stale_after,
                    max_attempts=self.retry_policy.max_attempts,
                )
            if outcome.requeued or outcome.gave_up:
                logger.warning(
                    "sweeper: re-queued jobs %s, gave up on %s", outcome.requeued, outcome.gave_up
                )

        vault = Vault(self.settings.encryption_key)

        def schedule() -> None:
            with transaction(self.sessions) as session:
                schedule_channel_jobs(session, self, kinds=self.handlers.kinds(), vault=vault)
            if JobKind.INVENTORY in self.handlers.kinds():
                with transaction(self.sessions) as session:
                    queue_overdue_pushes(session, self)

        # Every minute, in every consumer, and once as a consumer starts (so a worker
        # started after a crash re-queues what the dead one left running): both are
        # safe to run concurrently.
        huey.periodic_task(crontab(), name="sweep_stale_jobs")(sweep)
        huey.periodic_task(crontab(), name="schedule_channel_jobs")(schedule)
